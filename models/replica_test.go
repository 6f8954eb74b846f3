//go:build replica

package models_test

// These tests start a private PostgreSQL primary and hot standby with scripts/pg-pair.sh (they
// need the server programs: initdb, pg_basebackup, pg_ctl) on loopback ports:
//
//	go test -race -tags replica -run 'Replica|Failover' ./models/
//
// They are kept out of `make test` because each starts two clusters; `make test-replica` runs them.

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"windowbot/models"
)

type pgPair struct {
	t                *testing.T
	dir              string
	primary, standby int
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func startPair(t *testing.T) *pgPair {
	t.Helper()
	// Not t.TempDir: the servers run as the postgres user, who must reach the folder.
	base, err := os.MkdirTemp("", "windowbot-pgpair-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	p := &pgPair{t: t, dir: filepath.Join(base, "pg"), primary: freePort(t), standby: freePort(t)}
	t.Cleanup(func() {
		p.run("stop")
		os.RemoveAll(base)
	})
	p.run("start", strconv.Itoa(p.primary), strconv.Itoa(p.standby))
	return p
}

func (p *pgPair) run(args ...string) {
	p.t.Helper()
	args = append([]string{"../scripts/pg-pair.sh", args[0], p.dir}, args[1:]...)
	out, err := exec.Command("bash", args...).CombinedOutput()
	if err != nil {
		p.t.Fatalf("pg-pair %v: %v\n%s", args[1:], err, out)
	}
}

func (p *pgPair) url(port int) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=3", port)
}

// exec runs one statement on one server of the pair, outside the store.
func (p *pgPair) exec(port int, q string) {
	p.t.Helper()
	db, err := sql.Open("pgx", p.url(port))
	if err != nil {
		p.t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(q); err != nil {
		p.t.Fatalf("%s on %d: %v", q, port, err)
	}
}

// value runs one query of a single text value on one server of the pair, outside the store.
func (p *pgPair) value(port int, q string) string {
	p.t.Helper()
	db, err := sql.Open("pgx", p.url(port))
	if err != nil {
		p.t.Fatal(err)
	}
	defer db.Close()
	var v string
	if err := db.QueryRow(q).Scan(&v); err != nil {
		p.t.Fatalf("%s on %d: %v", q, port, err)
	}
	return v
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func countOf(t *testing.T, s *models.Store, ctx context.Context, from, to time.Time) int {
	t.Helper()
	tallies, err := s.WindowTallies(ctx, from, to)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, tl := range tallies {
		n += tl.Total()
	}
	return n
}

// Reports, rankings and the board read from the replica while it keeps up; a replica that lags
// beyond the bound, or is stopped, is skipped, and dialogs never notice it.
func TestReadReplicaServesReports(t *testing.T) {
	p := startPair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	s, err := models.Open(ctx, p.url(p.primary), nil, models.WithReadReplica(p.url(p.standby), time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	w1, _, _ := seeded(t, s)
	day := time.Now().UTC().Truncate(24 * time.Hour)
	from, to := day, day.Add(24*time.Hour)
	rate := func(visitor string) {
		t.Helper()
		c, err := s.TouchCitizen(ctx, "web", visitor, "", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CreateRating(ctx, &models.Rating{CitizenID: c.ID, WindowID: w1.ID, Level: 5, Channel: "web", CreatedAt: time.Now()}, day); err != nil {
			t.Fatal(err)
		}
	}
	rate("v1")
	waitFor(t, "the replica to catch up", func() bool { return s.ReadsFromReplica(ctx) && countOf(t, s, ctx, from, to) == 1 })

	// The standby stops replaying: a new rating reaches the primary only, and the report,
	// read from the replica, does not count it yet.
	p.exec(p.standby, "SELECT pg_wal_replay_pause()")
	// The pause is only requested by the call; replay stops a moment later.
	waitFor(t, "the standby to pause", func() bool { return p.value(p.standby, "SELECT pg_get_wal_replay_pause_state()") == "paused" })
	rate("v2")
	time.Sleep(1500 * time.Millisecond) // past the lag reading's cache
	if !s.ReadsFromReplica(ctx) {
		t.Fatal("a replica one minute within the bound is not used")
	}
	if n := countOf(t, s, ctx, from, to); n != 1 {
		t.Fatalf("report counts %d ratings, want 1: it did not read from the paused replica", n)
	}

	// Beyond the bound, the primary answers.
	tight, err := models.Open(ctx, p.url(p.primary), nil, models.WithReadReplica(p.url(p.standby), 500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer tight.Close()
	if tight.ReadsFromReplica(ctx) {
		t.Fatal("a replica that lags beyond the bound is used")
	}
	if n := countOf(t, tight, ctx, from, to); n != 2 {
		t.Fatalf("with the replica skipped, report counts %d ratings, want 2", n)
	}

	// Replay resumes: the replica catches up and serves again.
	p.exec(p.standby, "SELECT pg_wal_replay_resume()")
	waitFor(t, "the replica to catch up again", func() bool { return countOf(t, s, ctx, from, to) == 2 })

	// The replica stops: reports fall back to the primary, dialogs go on.
	p.run("kill", "standby")
	waitFor(t, "the stopped replica to be skipped", func() bool { return !s.ReadsFromReplica(ctx) })
	rate("v3")
	if n := countOf(t, s, ctx, from, to); n != 3 {
		t.Fatalf("with the replica stopped, report counts %d, want 3", n)
	}
	if _, err := s.WindowByCode(ctx, "W001"); err != nil {
		t.Fatalf("a dialog's read with the replica stopped: %v", err)
	}

	// And it comes back.
	p.run("restart", "standby")
	waitFor(t, "the restarted replica to serve", func() bool { return s.ReadsFromReplica(ctx) })
}

// With both hosts in the URL and target_session_attrs=read-write, the store follows a failover:
// the primary dies, the standby is promoted, and the next writes reach it without a restart.
func TestFailoverToThePromotedStandby(t *testing.T) {
	p := startPair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dsn := fmt.Sprintf("host=127.0.0.1,127.0.0.1 port=%d,%d user=postgres dbname=postgres sslmode=disable connect_timeout=3 target_session_attrs=read-write", p.primary, p.standby)
	s, err := models.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	w1, _, _ := seeded(t, s)
	day := time.Now().UTC().Truncate(24 * time.Hour)
	rate := func(visitor string) error {
		c, err := s.TouchCitizen(ctx, "web", visitor, "", time.Now())
		if err != nil {
			return err
		}
		return s.CreateRating(ctx, &models.Rating{CitizenID: c.ID, WindowID: w1.ID, Level: 4, Channel: "web", CreatedAt: time.Now()}, day)
	}
	if err := rate("before"); err != nil {
		t.Fatal(err)
	}
	// Let the standby have the rating before the primary dies (synchronous replication is not
	// configured: a real failover may lose the last commits, which is the operator's choice).
	standby, err := sql.Open("pgx", p.url(p.standby))
	if err != nil {
		t.Fatal(err)
	}
	defer standby.Close()
	waitFor(t, "the standby to have the rating", func() bool {
		var n int
		return standby.QueryRow("SELECT COUNT(*) FROM ratings").Scan(&n) == nil && n == 1
	})

	p.run("kill", "primary")
	p.run("promote")

	// The pool's connections to the dead primary fail once each; new ones reach the new primary.
	var failures int
	waitFor(t, "a write on the new primary", func() bool {
		if err := rate("after"); err != nil {
			failures++
			return false
		}
		return true
	})
	t.Logf("writes refused during the failover: %d", failures)
	var n int
	if err := standby.QueryRow("SELECT COUNT(*) FROM ratings").Scan(&n); err != nil || n != 2 {
		t.Fatalf("the promoted standby holds %d ratings (%v), want 2", n, err)
	}
}
