//go:build chaos

// Package chaos_test is the chaos run (docs/testing.md, "Chaos run"): two replicas of windowbot
// on a private PostgreSQL and a private Redis, under the load tool's mixed load, while one
// replica is killed and restarted, Redis is killed and restarted, PostgreSQL is killed and
// restarted, and one job occurrence is run on both replicas at once. Afterwards the database must
// hold exactly the ratings and tickets the citizens were told about, every push must be sent,
// no session may outlive its expiry, and /readyz must have told the truth during each fault.
//
//	go test -tags chaos -run TestChaos ./internal/chaos/ -chaos.duration 10m
//
// Loopback only; the servers on 5432 and 6379 are never touched. It needs the PostgreSQL server
// programs (scripts/pg-pair.sh) and redis-server.
package chaos_test

import (
	"bytes"
	"context"
	"flag"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// chaosDay is the occurrence of the daily digest both replicas run at once: a day no
// scheduler has run.
const chaosDay = "2026-11-23"

var duration = flag.Duration("chaos.duration", 100*time.Second, "how long the load runs; the faults are spread over it")

// Settings the load tool and the replicas share.
const (
	appID    = "wxchaos0000000001"
	wxToken  = "chaostoken1"
	aesKey   = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	botToken = "424242:CHAOS-token"
	secret   = "chaos-secret"
)

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func repoRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// process is a server the run starts, kills and starts again.
type process struct {
	t    *testing.T
	name string
	args []string
	env  []string
	log  *bytes.Buffer
	mu   sync.Mutex
	cmd  *exec.Cmd
}

func (p *process) start() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	cmd := exec.Command(p.args[0], p.args[1:]...)
	cmd.Env, cmd.Stdout, cmd.Stderr = p.env, p.log, p.log
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("start %s: %v", p.name, err)
	}
	p.cmd = cmd
	go func() { _ = cmd.Wait() }()
}

// kill stops the process at once (SIGKILL): a crash.
func (p *process) kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil && p.cmd.Process != nil {
		_ = p.cmd.Process.Kill()
	}
}

// waitHTTP waits until url answers 200.
func waitHTTP(t *testing.T, url string, within time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if res, err := http.Get(url); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
	}
	t.Fatalf("%s did not answer 200 within %s", url, within)
}

// probe records what /readyz of each replica said, every 200 ms.
type probe struct {
	mu   sync.Mutex
	seen []sample
}

type sample struct {
	at      time.Time
	replica int
	code    int // 0: no answer
}

func (p *probe) run(ctx context.Context, urls []string) {
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 3 * time.Second}
			for ctx.Err() == nil {
				code := 0
				if res, err := client.Get(u + "/readyz"); err == nil {
					code = res.StatusCode
					res.Body.Close()
				}
				p.mu.Lock()
				p.seen = append(p.seen, sample{time.Now(), i, code})
				p.mu.Unlock()
				select {
				case <-ctx.Done():
				case <-time.After(200 * time.Millisecond):
				}
			}
		}()
	}
	wg.Wait()
}

// during returns the answers of replica in [from, to).
func (p *probe) during(replica int, from, to time.Time) []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []int
	for _, s := range p.seen {
		if s.replica == replica && !s.at.Before(from) && s.at.Before(to) {
			out = append(out, s.code)
		}
	}
	return out
}

// readiness is what a replica's /readyz said around a fault: its answers during the fault and
// in the five seconds from a moment after it, how many of the first were not 200 and how many
// of the second were.
type readiness struct {
	during, after        []int
	notReady, readyAfter int
}

// around returns what replica said in [from, to) and in [later, later+5 s).
func (p *probe) around(replica int, from, to, later time.Time) readiness {
	r := readiness{during: p.during(replica, from, to), after: p.during(replica, later, later.Add(5*time.Second))}
	for _, c := range r.during {
		if c != http.StatusOK {
			r.notReady++
		}
	}
	for _, c := range r.after {
		if c == http.StatusOK {
			r.readyAfter++
		}
	}
	return r
}

// fault is one thing broken during the run, and when.
type fault struct {
	name       string
	start, end time.Time
}

func TestChaos(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, 2, false)
	replicas, urls, rdb, db, bin, env, pair, pgDir, redisSrv := c.replicas, c.urls, c.rdb, c.db, c.bin, c.env, c.pair, c.pgDir, c.redis

	pctx, stopProbe := context.WithCancel(ctx)
	pr := &probe{}
	go pr.run(pctx, urls)

	// The faults, spread over the run.
	var faults []fault
	var fmu sync.Mutex
	note := func(name string, start time.Time) {
		fmu.Lock()
		faults = append(faults, fault{name, start, time.Now()})
		fmu.Unlock()
	}
	var jobOut [2][]byte
	var jobErr [2]error
	chaosDone := make(chan struct{})
	go func() {
		defer close(chaosDone)
		step := *duration / 6
		time.Sleep(step)
		// kill -9 one replica; start it again after three seconds.
		start := time.Now()
		replicas[0].kill()
		time.Sleep(3 * time.Second)
		replicas[0].start()
		note("replica 0 killed", start)
		time.Sleep(step)
		// Redis killed and restarted.
		start = time.Now()
		redisSrv.kill()
		time.Sleep(5 * time.Second)
		redisSrv.start()
		note("redis killed", start)
		time.Sleep(step)
		// PostgreSQL killed and restarted.
		start = time.Now()
		_ = exec.Command("bash", pair, "kill", pgDir, "primary").Run()
		time.Sleep(3 * time.Second)
		_ = exec.Command("bash", pair, "restart", pgDir, "primary").Run()
		note("postgres killed", start)
		time.Sleep(step)
		// One occurrence of a job on both replicas at once.
		var wg sync.WaitGroup
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cmd := exec.Command(bin, "jobs", "run", "daily-digest", "--period", chaosDay)
				cmd.Env = env
				jobOut[i], jobErr[i] = cmd.CombinedOutput()
			}()
		}
		wg.Wait()
	}()

	rep, progress, err := c.load(ctx, urls, *duration, 23)
	<-chaosDone
	stopProbe()
	if err != nil {
		t.Fatal(err)
	}
	// What the citizens were told is in the database exactly once.
	held(t, rep, progress)
	if rep.Ratings == 0 || rep.Tickets == 0 {
		t.Errorf("ledger of %d ratings and %d tickets: the load did not get through", rep.Ratings, rep.Tickets)
	}

	// The job occurrence ran once, whichever replica took it.
	for i := range 2 {
		t.Logf("jobs run on replica %d: %v %s", i, jobErr[i], strings.TrimSpace(string(jobOut[i])))
	}
	var runs int64
	db.Raw("SELECT COUNT(*) FROM job_runs WHERE name = ? AND period = ?", "daily-digest", chaosDay).Scan(&runs)
	if runs != 1 || (jobErr[0] != nil && jobErr[1] != nil) {
		t.Errorf("daily-digest %s recorded %d runs, want 1 (exits %v, %v)", chaosDay, runs, jobErr[0], jobErr[1])
	}

	// Every push queued is sent (or dropped for a recipient gone), once: none left waiting.
	pushes, waiting, doubled := c.drained()
	if len(waiting) != 0 || doubled != 0 {
		t.Errorf("pushes: %d queued, not sent: %v, doubled keys %d", pushes, waiting, doubled)
	}

	// No dialog is stuck: every session and lock in Redis expires.
	var forever []string
	iter := rdb.Scan(ctx, 0, "*", 500).Iterator()
	for iter.Next(ctx) {
		if ttl, err := rdb.TTL(ctx, iter.Val()).Result(); err == nil && ttl < 0 {
			forever = append(forever, iter.Val())
		}
	}
	for _, k := range forever {
		if strings.Contains(k, "session") || strings.Contains(k, "lock") {
			t.Errorf("key %s never expires: a dialog could be stuck", k)
		}
	}

	// /readyz told the truth: not ready while its database or state store was down (or it was
	// dead), ready again within 15 s of the fault's end.
	for _, f := range faults {
		for i := range urls {
			if f.name == "replica 0 killed" && i != 0 {
				continue
			}
			r := pr.around(i, f.start.Add(500*time.Millisecond), f.end, f.end.Add(15*time.Second))
			t.Logf("%s: replica %d answered %v during, %v after", f.name, i, r.during, r.after)
			if len(r.during) == 0 || r.notReady == 0 {
				t.Errorf("%s: replica %d never said it was not ready (%v)", f.name, i, r.during)
			}
			if len(r.after) > 0 && r.readyAfter == 0 {
				t.Errorf("%s: replica %d not ready 15 s after (%v)", f.name, i, r.after)
			}
		}
	}
	dialogs := 0
	for _, n := range rep.Dialogs {
		dialogs += n
	}
	t.Logf("chaos: %d dialogs (%d errors), %d ratings, %d tickets, %d pushes; faults %d (1 kill, 1 Redis and 1 PostgreSQL restart, 1 job on both); lost %d, doubled %d",
		dialogs, rep.Errors, rep.Ratings, rep.Tickets, pushes, len(faults), rep.Check.Lost, rep.Check.Doubled)
	if t.Failed() {
		for _, p := range replicas {
			t.Logf("%s log:\n%s", p.name, tail(p.log.String(), 3000))
		}
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
