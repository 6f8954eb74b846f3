package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"windowbot/internal/testenv"
	"windowbot/models"
)

// env is a fake environment: only what a test sets exists.
func env(kv map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := kv[k]; return v, ok }
}

// baseEnv points the database at a fresh SQLite file and the web links at a fixed address.
func baseEnv(t *testing.T, extra map[string]string) map[string]string {
	m := map[string]string{
		"WINDOWBOT_DATABASE_URL": testenv.SQLiteURL(t),
		"WINDOWBOT_HTTP_ADDR":    "127.0.0.1:0",
		"WINDOWBOT_LOG_LEVEL":    "warn",
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func runCmd(t *testing.T, e map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb testenv.LogBuffer
	code = Run(context.Background(), args, env(e), &out, &errb)
	return code, out.String(), errb.String()
}

func TestRunExitCodes(t *testing.T) {
	cases := []struct {
		name     string
		args     []string
		env      map[string]string
		code     int
		stdout   string // must contain
		stderr   string // must contain
		oneLine  bool   // stderr is exactly one line
		noStdout bool
	}{
		{name: "help", args: []string{"help"}, code: 0, stdout: "Commands:"},
		{name: "help lists every command", args: []string{"help"}, code: 0, stdout: "qr "},
		{name: "-h", args: []string{"-h"}, code: 0, stderr: "Usage: windowbot"},
		{name: "unknown command", args: []string{"frobnicate"}, code: 2, stderr: `unknown command "frobnicate"`, noStdout: true},
		{name: "bad global flag", args: []string{"--nope"}, code: 2, stderr: "Usage: windowbot"},
		{name: "bad subcommand flag", args: []string{"seed", "--nope"}, code: 2, stderr: "usage: windowbot seed --demo"},
		{name: "seed without what", args: []string{"seed"}, code: 2, stderr: "usage: windowbot seed --demo"},
		{name: "stray argument", args: []string{"migrate", "now"}, code: 2, stderr: `unexpected argument "now"`},
		{name: "qr without target", args: []string{"qr", "--out", "x.png"}, code: 2, stderr: "usage: windowbot qr"},
		{name: "import without files", args: []string{"import"}, code: 2, stderr: "usage: windowbot import"},
		{name: "config error is one line naming the key",
			args: []string{"migrate"},
			env:  map[string]string{"WINDOWBOT_TELEGRAM_TOKEN": "1:abc", "WINDOWBOT_TELEGRAM_MODE": "webhook"},
			code: 1, stderr: "WINDOWBOT_TELEGRAM_WEBHOOK_SECRET", oneLine: true},
		{name: "unparsable database url",
			args: []string{"migrate"}, env: map[string]string{"WINDOWBOT_DATABASE_URL": "mysql://x"},
			code: 1, stderr: "WINDOWBOT_DATABASE_URL", oneLine: true},
		{name: "missing config file", args: []string{"--config", "/nonexistent/windowbot.yaml", "migrate"}, code: 1, oneLine: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, baseEnv(t, c.env), c.args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, c.code, stdout, stderr)
			}
			if !strings.Contains(stdout, c.stdout) || !strings.Contains(stderr, c.stderr) {
				t.Fatalf("stdout %q / stderr %q lack %q / %q", stdout, stderr, c.stdout, c.stderr)
			}
			if c.noStdout && stdout != "" {
				t.Fatalf("stdout = %q", stdout)
			}
			if c.oneLine && strings.Count(strings.TrimSuffix(stderr, "\n"), "\n") != 0 {
				t.Fatalf("stderr is not one line:\n%s", stderr)
			}
		})
	}
}

func TestMigrateSeedImport(t *testing.T) {
	e := baseEnv(t, map[string]string{"WINDOWBOT_LOG_LEVEL": "info"})
	// The first run applies the migrations, logs each, and says so once — not "up to date".
	code, out, errs := runCmd(t, e, "migrate")
	if code != 0 || !strings.Contains(out, "database schema migrated from version 0 to ") || strings.Contains(out+errs, "up to date") ||
		!strings.Contains(errs, "schema migration applied") || strings.Count(out, "\n") != 1 {
		t.Fatalf("migrate: %d %q %q", code, out, errs)
	}
	// The second has nothing to do and says that.
	if code, out, errs := runCmd(t, e, "migrate"); code != 0 || !strings.Contains(out, "database schema is up to date (version ") || strings.Contains(errs, "schema migration applied") {
		t.Fatalf("migrate again: %d %q %q", code, out, errs)
	}
	if code, out, errs := runCmd(t, e, "seed", "--demo"); code != 0 || !strings.Contains(out, "/?w=W001") {
		t.Fatalf("seed: %d %q %q", code, out, errs)
	}
	dir := t.TempDir()
	windows := filepath.Join(dir, "windows.csv")
	staff := filepath.Join(dir, "staff.csv")
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(windows, "center_code,center_name,window_code,window_name,department\nC01,城关镇便民服务中心,C01-01,社保窗口,人社局\n")
	write(staff, "staff_no,name,window_code,role\nS100,王芳,C01-01,staff\n")
	code, out, errs = runCmd(t, e, "import", "--windows", windows, "--staff", staff)
	if code != 0 || !strings.Contains(out, "windows 1 new") || !strings.Contains(out, "staff 1 new") {
		t.Fatalf("import: %d %q %q", code, out, errs)
	}
	// One file alone is fine: staff of a window already in the database.
	write(staff, "staff_no,name,window_code,role\nS101,赵六,W001,staff\n")
	code, out, errs = runCmd(t, e, "import", "--staff", staff)
	if code != 0 || !strings.Contains(out, "staff 1 new") {
		t.Fatalf("import --staff alone: %d %q %q", code, out, errs)
	}
	// A bad row: reported as file:line, nothing written, exit 1.
	write(staff, "staff_no,name,window_code,role\nS102,李雷,NOPE,staff\n")
	code, _, errs = runCmd(t, e, "import", "--staff", staff)
	if code != 1 || !strings.Contains(errs, "staff.csv:2:") {
		t.Fatalf("bad import: %d %q", code, errs)
	}
}

func TestHealthcheck(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintln(w, `{"status":"ok"}`)
	}))
	defer up.Close()
	addr := strings.TrimPrefix(up.URL, "http://")
	// The server of the configuration: http_addr, here on the loopback.
	if code, out, errs := runCmd(t, baseEnv(t, map[string]string{"WINDOWBOT_HTTP_ADDR": addr}), "healthcheck"); code != 0 || out != "ok\n" {
		t.Fatalf("healthy: %d %q %q", code, out, errs)
	}
	if code, _, errs := runCmd(t, baseEnv(t, nil), "healthcheck", "--url", up.URL+"/missing"); code != 1 || !strings.Contains(errs, "404 Not Found") {
		t.Errorf("unhealthy: %d %q", code, errs)
	}
	up.Close()
	if code, _, errs := runCmd(t, baseEnv(t, map[string]string{"WINDOWBOT_HTTP_ADDR": addr}), "healthcheck", "--timeout", "1s"); code != 1 || !strings.Contains(errs, "windowbot healthcheck: ") {
		t.Errorf("down: %d %q", code, errs)
	}
	for addr, want := range map[string]string{":8080": "http://127.0.0.1:8080/healthz", "0.0.0.0:9000": "http://127.0.0.1:9000/healthz",
		"[::]:8080": "http://127.0.0.1:8080/healthz", "10.0.0.5:80": "http://10.0.0.5:80/healthz"} {
		if got, err := healthURL(addr); got != want || err != nil {
			t.Errorf("healthURL(%q) = %q, %v; want %q", addr, got, err, want)
		}
	}
}

// TestMigrateRecount: after ratings went in without their daily counts (a bulk load with the
// triggers off, here the counts emptied behind the store's back), `migrate --recount` makes the
// counts again, and the rankings count the ratings once more.
func TestMigrateRecount(t *testing.T) {
	e := baseEnv(t, nil)
	if code, out, errs := runCmd(t, e, "seed", "--demo"); code != 0 {
		t.Fatalf("seed: %d %q %q", code, out, errs)
	}
	s := testenv.OpenStore(t, e["WINDOWBOT_DATABASE_URL"])
	ctx := context.Background()
	w, err := s.WindowByCode(ctx, "W001")
	if err != nil {
		t.Fatal(err)
	}
	// Yesterday (UTC), a whole day of the period below, read from the daily counts.
	now := time.Now()
	at := now.Add(-24 * time.Hour)
	for i, level := range []int{5, 4, 4, 1} {
		c, err := s.TouchCitizen(ctx, "web", fmt.Sprintf("recount-%d", i), "zh-CN", now)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CreateRating(ctx, &models.Rating{WindowID: w.ID, CitizenID: c.ID, Level: level, Channel: "web", CreatedAt: at}, at.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	from, to := now.Add(-72*time.Hour), now.Add(time.Hour)
	tally := func() [5]int {
		ts, err := s.WindowTallies(ctx, from, to)
		if err != nil {
			t.Fatal(err)
		}
		var out [5]int
		for _, x := range ts {
			for l := range out {
				out[l] += x.ByLevel[l]
			}
		}
		return out
	}
	want := [5]int{1, 0, 0, 2, 1}
	if got := tally(); got != want {
		t.Fatalf("tallies %v before, want %v", got, want)
	}
	for _, table := range []string{"rating_window_days", "rating_staff_days", "rating_channel_counts"} {
		if err := testenv.DB(t, s).Exec("DELETE FROM " + table).Error; err != nil {
			t.Fatal(err)
		}
	}
	if got := tally(); got != ([5]int{}) {
		t.Fatalf("tallies %v without the daily counts: the test needs the period's middle from the counts", got)
	}
	code, out, errs := runCmd(t, e, "migrate", "--recount")
	if code != 0 || !strings.Contains(out, "daily counts made again from 4 ratings") {
		t.Fatalf("migrate --recount: %d %q %q", code, out, errs)
	}
	if got := tally(); got != want {
		t.Fatalf("tallies %v after the recount, want %v", got, want)
	}
}
