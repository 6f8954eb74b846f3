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
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	gormlogger "gorm.io/gorm/logger"

	"windowbot/internal/loadtest"
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

// fault is one thing broken during the run, and when.
type fault struct {
	name       string
	start, end time.Time
}

func TestChaos(t *testing.T) {
	root := repoRoot(t)
	dir := t.TempDir()
	ctx := context.Background()

	// The binary, built once.
	bin := filepath.Join(dir, "windowbot")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}

	// A private PostgreSQL (primary and standby; the run uses the primary) and a private Redis
	// that writes every command to its append-only file, so that a restart keeps the sessions.
	// Not t.TempDir: the servers run as the postgres user, who must reach the folder.
	pgBase, err := os.MkdirTemp("", "windowbot-chaos-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(pgBase, 0o755); err != nil {
		t.Fatal(err)
	}
	pgDir, pgPort := filepath.Join(pgBase, "pg"), freePort(t)
	pair := filepath.Join(root, "scripts", "pg-pair.sh")
	t.Cleanup(func() {
		_ = exec.Command("bash", pair, "stop", pgDir).Run()
		os.RemoveAll(pgBase)
	})
	run(t, "bash", pair, "start", pgDir, fmt.Sprint(pgPort), fmt.Sprint(freePort(t)))
	dbURL := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", pgPort)
	redisPort := freePort(t)
	redisDir := filepath.Join(dir, "redis")
	if err := os.MkdirAll(redisDir, 0o755); err != nil {
		t.Fatal(err)
	}
	redisSrv := &process{t: t, name: "redis", log: &bytes.Buffer{}, env: os.Environ(), args: []string{"redis-server",
		"--port", fmt.Sprint(redisPort), "--bind", "127.0.0.1", "--dir", redisDir, "--save", "",
		"--appendonly", "yes", "--appendfsync", "always"}}
	redisSrv.start()
	t.Cleanup(redisSrv.kill)
	redisURL := fmt.Sprintf("redis://127.0.0.1:%d/0", redisPort)
	rdb := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", redisPort)})
	defer rdb.Close()
	for deadline := time.Now().Add(10 * time.Second); rdb.Ping(ctx).Err() != nil; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("redis did not start:\n%s", redisSrv.log)
		}
	}

	// The fake platforms the load tool serves and the replicas call.
	plat := loadtest.NewPlatforms(botToken)
	var platLn net.Listener
	platLn, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	platSrv := &http.Server{Handler: plat}
	go func() { _ = platSrv.Serve(platLn) }()
	t.Cleanup(func() { platSrv.Close() })

	env := append(os.Environ(),
		"WINDOWBOT_DATABASE_URL="+dbURL, "WINDOWBOT_REDIS_URL="+redisURL,
		"WINDOWBOT_PUBLIC_URL=https://hall.example.gov.cn", "WINDOWBOT_ADMIN_TOKEN=chaos-admin-token-0123456",
		"WINDOWBOT_LOG_LEVEL=warn", "WINDOWBOT_SHUTDOWN_TIMEOUT=5s", "WINDOWBOT_PUSH_QUIET_HOURS=",
		// The fake Bot API has no limits: pacing would only make the outbox take minutes to drain.
		"WINDOWBOT_PUSH_TELEGRAM_RATE=0", "WINDOWBOT_PUSH_TELEGRAM_CHAT_INTERVAL=0s",
		// The pushes a killed replica had leased wait out the lease: short, so the run sees them sent.
		"WINDOWBOT_PUSH_LEASE=15s",
		"WINDOWBOT_WECHAT_APP_ID="+appID, "WINDOWBOT_WECHAT_APP_SECRET=chaossecret", "WINDOWBOT_WECHAT_TOKEN="+wxToken,
		"WINDOWBOT_WECHAT_AES_KEY="+aesKey, "WINDOWBOT_WECHAT_API_URL=http://"+platLn.Addr().String(),
		"WINDOWBOT_TELEGRAM_TOKEN="+botToken, "WINDOWBOT_TELEGRAM_API_URL=http://"+platLn.Addr().String(),
		"WINDOWBOT_TELEGRAM_MODE=webhook", "WINDOWBOT_TELEGRAM_WEBHOOK_SECRET="+secret, "WINDOWBOT_TELEGRAM_USERNAME=ChaosBot",
	)
	seed := exec.Command(bin, "seed", "--demo")
	seed.Env = env
	if out, err := seed.CombinedOutput(); err != nil {
		t.Fatalf("seed: %v\n%s", err, out)
	}
	// Every window's staff and the supervisor have a Telegram account, so that the bad reviews
	// and complaints of the load are pushed to them through the outbox.
	db, err := gorm.Open(postgres.Open(dbURL), &gorm.Config{Logger: gormlogger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Exec(`INSERT INTO citizens (platform, external_id, staff_id, lang, created_at, updated_at, last_seen_at)
		SELECT 'telegram', CAST(900000 + id AS TEXT), id, 'zh-CN', now(), now(), now() FROM staffs`).Error; err != nil {
		t.Fatal(err)
	}
	var replicas []*process
	var urls []string
	for i := range 2 {
		port := freePort(t)
		p := &process{t: t, name: fmt.Sprintf("replica %d", i), log: &bytes.Buffer{},
			env: append(slices.Clone(env), fmt.Sprintf("WINDOWBOT_HTTP_ADDR=127.0.0.1:%d", port)), args: []string{bin, "serve"}}
		p.start()
		t.Cleanup(p.kill)
		replicas = append(replicas, p)
		urls = append(urls, fmt.Sprintf("http://127.0.0.1:%d", port))
	}
	for _, u := range urls {
		waitHTTP(t, u+"/readyz", 30*time.Second)
	}

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

	var progress bytes.Buffer
	rep, err := loadtest.Run(ctx, loadtest.Options{
		Targets: urls, Duration: *duration, Concurrency: 8, Seed: 23,
		WeChatAppID: appID, WeChatToken: wxToken, WeChatAESKey: aesKey, TelegramSecret: secret,
		DatabaseURL: dbURL, Platforms: plat, Progress: &progress, ProgressEvery: 10 * time.Second,
	})
	<-chaosDone
	stopProbe()
	if err != nil {
		t.Fatal(err)
	}
	var report strings.Builder
	rep.Write(&report, false)
	t.Logf("load:\n%s\n%s", progress.String(), report.String())

	// What the citizens were told is in the database exactly once.
	if rep.Check == nil || !rep.Check.OK() {
		t.Errorf("the database does not hold what the citizens were told: %v", rep.Check)
	}
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
	var waiting []struct {
		State string
		N     int
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		waiting = nil
		db.Raw("SELECT state, COUNT(*) AS n FROM pushes WHERE state NOT IN ('sent', 'dropped') GROUP BY state").Scan(&waiting)
		if len(waiting) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	var pushes, doubled int64
	db.Raw("SELECT COUNT(*) FROM pushes").Scan(&pushes)
	db.Raw("SELECT COUNT(*) FROM (SELECT dedupe_key FROM pushes GROUP BY dedupe_key HAVING COUNT(*) > 1) d").Scan(&doubled)
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
			during := pr.during(i, f.start.Add(500*time.Millisecond), f.end)
			after := pr.during(i, f.end.Add(15*time.Second), f.end.Add(20*time.Second))
			notReady, okAfter := 0, 0
			for _, c := range during {
				if c != http.StatusOK {
					notReady++
				}
			}
			for _, c := range after {
				if c == http.StatusOK {
					okAfter++
				}
			}
			t.Logf("%s: replica %d answered %v during, %v after", f.name, i, during, after)
			if len(during) == 0 || notReady == 0 {
				t.Errorf("%s: replica %d never said it was not ready (%v)", f.name, i, during)
			}
			if len(after) > 0 && okAfter == 0 {
				t.Errorf("%s: replica %d not ready 15 s after (%v)", f.name, i, after)
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
