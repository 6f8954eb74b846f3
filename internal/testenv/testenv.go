// Package testenv gives tests real PostgreSQL and Redis servers. A missing service skips the test on
// a developer's machine and fails it when CI=true, so CI never goes green by skipping.
//
// It also holds the fixtures the packages' tests share: a settable clock, stores opened, migrated
// and seeded, a stub handler and a chat driver, and a log buffer.
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" for creating test databases
	"github.com/redis/go-redis/v9"
)

// DefaultPostgres is the server `make test` provides: trust auth, database test.
const DefaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// DefaultRedis is the server `make test` provides.
const DefaultRedis = "redis://127.0.0.1:6379/0"

// unavailable skips, or fails under CI, with the reason.
func unavailable(t testing.TB, what string, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("testenv: %s is required under CI=true (run `make test`, which starts it): %v", what, err)
	}
	t.Skipf("testenv: %s not available, skipping (run `make test` to provide it): %v", what, err)
}

// Suffix returns a short random string for names that must not collide between tests and runs.
func Suffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// PostgresURL returns the URL of a fresh, empty database created for this test on the server named
// by WINDOWBOT_TEST_POSTGRES (default DefaultPostgres). The database is dropped when the test ends.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("WINDOWBOT_TEST_POSTGRES")
	if base == "" {
		base = DefaultPostgres
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		unavailable(t, "PostgreSQL", err)
	}
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		unavailable(t, "PostgreSQL", err)
	}
	name := "wbtest_" + Suffix()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		t.Fatalf("testenv: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("testenv: drop database %s: %v", name, err)
		}
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("testenv: parse %q: %v", base, err)
	}
	u.Path = "/" + name
	return u.String()
}

// SQLiteURL returns a SQLite database path in the test's temporary directory.
func SQLiteURL(t testing.TB) string {
	t.Helper()
	return "sqlite:" + filepath.Join(t.TempDir(), "windowbot.db")
}

// DatabaseURLs returns one fresh database of each kind windowbot supports, keyed by a name for
// t.Run: run store and flow tests against both.
func DatabaseURLs(t testing.TB) map[string]string {
	t.Helper()
	return map[string]string{"sqlite": SQLiteURL(t), "postgres": PostgresURL(t)}
}

// RedisURL returns the URL of the Redis server named by WINDOWBOT_TEST_REDIS (default
// DefaultRedis) after checking it answers. Tests share the server, so they must prefix their keys
// (see KeyPrefix).
func RedisURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("WINDOWBOT_TEST_REDIS")
	if u == "" {
		u = DefaultRedis
	}
	opt, err := redis.ParseURL(u)
	if err != nil {
		t.Fatalf("testenv: parse %q: %v", u, err)
	}
	c := redis.NewClient(opt)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		unavailable(t, "Redis", err)
	}
	return u
}

// KeyPrefix returns a Redis key prefix unique to this test run, ending in ":".
func KeyPrefix(t testing.TB) string {
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	return fmt.Sprintf("wbtest:%s:%s:", name, Suffix())
}

// ForEachDB runs fn as a subtest on each of DatabaseURLs, in the order of their names.
func ForEachDB(t *testing.T, fn func(t *testing.T, url string)) {
	t.Helper()
	urls := DatabaseURLs(t)
	for _, name := range sortedNames(urls) {
		t.Run(name, func(t *testing.T) { fn(t, urls[name]) })
	}
}

// ForEachDBBench is ForEachDB for a benchmark: a sub-benchmark on each database.
func ForEachDBBench(b *testing.B, fn func(b *testing.B, url string)) {
	b.Helper()
	urls := DatabaseURLs(b)
	for _, name := range sortedNames(urls) {
		b.Run(name, func(b *testing.B) { fn(b, urls[name]) })
	}
}

func sortedNames(urls map[string]string) []string {
	names := make([]string, 0, len(urls))
	for name := range urls {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
