package main

import (
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"windowbot/bot/poster"
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
	code = run(context.Background(), args, &out, &errb, env(e))
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
	e := baseEnv(t, nil)
	if code, out, errs := runCmd(t, e, "migrate"); code != 0 || !strings.Contains(out, "up to date") {
		t.Fatalf("migrate: %d %q %q", code, out, errs)
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
	code, out, errs := runCmd(t, e, "import", "--windows", windows, "--staff", staff)
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

func TestQR(t *testing.T) {
	if _, err := poster.FindFont(""); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no CJK font under CI (make test installs one): %v", err)
		}
		t.Skipf("no CJK font: %v", err)
	}
	e := baseEnv(t, map[string]string{"WINDOWBOT_PUBLIC_URL": "https://hall.example.cn"})
	if code, _, errs := runCmd(t, e, "seed", "--demo"); code != 0 {
		t.Fatal(errs)
	}
	out := filepath.Join(t.TempDir(), "w1.png")
	code, stdout, errs := runCmd(t, e, "qr", "--window", "W001", "--out", out)
	if code != 0 || !strings.Contains(stdout, "https://hall.example.cn/?w=W001") {
		t.Fatalf("qr: %d %q %q", code, stdout, errs)
	}
	checkPNG(t, out)
	if code, _, errs := runCmd(t, e, "qr", "--window", "NOPE", "--out", out); code != 1 || !strings.Contains(errs, "no window") {
		t.Fatalf("qr unknown window: %d %q", code, errs)
	}

	// A staff member's own poster (亮牌上岗) opens their window's rating with them chosen.
	staffCSV := filepath.Join(t.TempDir(), "staff.csv")
	if err := os.WriteFile(staffCSV, []byte("staff_no,name,window_code,role\nHR/17,韩梅,W002,staff\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCmd(t, e, "import", "--staff", staffCSV); code != 0 {
		t.Fatal(errs)
	}
	mine := filepath.Join(t.TempDir(), "s2.png")
	code, stdout, errs = runCmd(t, e, "qr", "--staff", "DEMO-002", "--out", mine)
	if code != 0 || !strings.Contains(stdout, "https://hall.example.cn/?s=DEMO-002") {
		t.Fatalf("qr --staff: %d %q %q", code, stdout, errs)
	}
	checkPNG(t, mine)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--staff", "NOPE", "--out", mine}, 1, "no staff member"},
		{[]string{"--staff", models.DemoSupervisorNo, "--out", mine}, 1, "not a window's staff member"},
		{[]string{"--staff", "HR/17", "--out", mine}, 1, "cannot be put in a link"},
		{[]string{"--staff", "DEMO-002", "--window", "W001", "--out", mine}, 2, "one of --window CODE, --all or --staff NO"},
		{[]string{"--staff", "DEMO-002"}, 2, "and --out"},
	} {
		if code, _, errs := runCmd(t, e, append([]string{"qr"}, tc.args...)...); code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("qr %v: %d %q, want %d and %q", tc.args, code, errs, tc.code, tc.want)
		}
	}

	// With a Telegram bot the posters carry its deep link; the username comes from getMe.
	api := newFakeBotAPI(t)
	e["WINDOWBOT_TELEGRAM_TOKEN"] = api.token
	e["WINDOWBOT_TELEGRAM_API_URL"] = api.srv.URL
	dir := t.TempDir()
	code, stdout, errs = runCmd(t, e, "qr", "--all", "--out", dir)
	if code != 0 || !strings.Contains(stdout, "https://t.me/HallRatingBot?start=w_W003") {
		t.Fatalf("qr --all: %d %q %q", code, stdout, errs)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.png"))
	if len(files) != 5 {
		t.Fatalf("posters = %v", files)
	}
	checkPNG(t, files[0])
	code, stdout, errs = runCmd(t, e, "qr", "--staff", "DEMO-002", "--out", mine)
	if code != 0 || !strings.Contains(stdout, "https://t.me/HallRatingBot?start=s_DEMO-002") {
		t.Fatalf("qr --staff on Telegram: %d %q %q", code, stdout, errs)
	}
}

func checkPNG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// fakeBotAPI answers the few Bot API methods serve and qr call.
type fakeBotAPI struct {
	token string
	srv   *httptest.Server
	mu    sync.Mutex
	calls map[string][]map[string]string
}

func newFakeBotAPI(t *testing.T) *fakeBotAPI {
	f := &fakeBotAPI{token: "424242:FAKE-main-token", calls: map[string][]map[string]string{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method, ok := strings.CutPrefix(r.URL.Path, "/bot"+f.token+"/")
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"ok":false,"error_code":404,"description":"Not Found"}`)
			return
		}
		_ = r.ParseMultipartForm(1 << 20)
		params := map[string]string{}
		for k, v := range r.Form {
			params[k] = v[0]
		}
		f.mu.Lock()
		f.calls[method] = append(f.calls[method], params)
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch method {
		case "getMe":
			fmt.Fprint(w, `{"ok":true,"result":{"id":424242,"is_bot":true,"first_name":"Hall","username":"HallRatingBot"}}`)
		case "getUpdates":
			select {
			case <-r.Context().Done():
			case <-time.After(200 * time.Millisecond):
			}
			fmt.Fprint(w, `{"ok":true,"result":[]}`)
		case "sendMessage":
			fmt.Fprint(w, `{"ok":true,"result":{"message_id":1,"date":1,"chat":{"id":1,"type":"private"},"text":"x"}}`)
		default:
			fmt.Fprint(w, `{"ok":true,"result":true}`)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeBotAPI) called(method string) []map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]string(nil), f.calls[method]...)
}

// startServe runs `windowbot serve` until the test ends and returns its base URL.
func startServe(t *testing.T, e map[string]string) (base string, stderr *testenv.LogBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stderr = &testenv.LogBuffer{}
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve"}, &testenv.LogBuffer{}, stderr, env(e)) }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exited %d:\n%s", code, stderr.String())
			}
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop")
		}
	})
	re := regexp.MustCompile(`web chat: (http://\S+)`)
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(stderr.String()); m != nil {
			return m[1], stderr
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited %d:\n%s", code, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("serve did not start:\n%s", stderr.String())
	return "", nil
}

func getStatus(t *testing.T, url string) int {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestServeDefault is the newcomer's `go run .`: SQLite, in-process state, the demo center
// seeded, the web chat answering.
func TestServeDefault(t *testing.T) {
	base, stderr := startServe(t, baseEnv(t, map[string]string{"WINDOWBOT_LOG_LEVEL": "info"}))
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/?w=W001": 200, "/api/v1/windows/W001/stats": 401} {
		if got := getStatus(t, base+path); got != want {
			t.Errorf("GET %s = %d, want %d", path, got, want)
		}
	}
	res, err := http.Post(base+"/chat/api/message", "application/json", strings.NewReader(`{"text":"/start w_W001"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		Replies []struct{ Text string } `json:"replies"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil || len(body.Replies) == 0 || !strings.Contains(body.Replies[0].Text, "W001") {
		t.Fatalf("web chat answer: %+v, %v", body, err)
	}
	if !strings.Contains(stderr.String(), "in-process store") {
		t.Error("the log does not say the state is in-process")
	}
}

// TestServeTelegramWebhook: webhook mode sets the webhook with the secret at start, serves
// POST /telegram, refuses a call without the secret, and never logs the token.
func TestServeTelegramWebhook(t *testing.T) {
	api := newFakeBotAPI(t)
	const secret = "webhook-Secret_123"
	e := baseEnv(t, map[string]string{
		"WINDOWBOT_TELEGRAM_TOKEN": api.token, "WINDOWBOT_TELEGRAM_API_URL": api.srv.URL,
		"WINDOWBOT_TELEGRAM_MODE": "webhook", "WINDOWBOT_TELEGRAM_WEBHOOK_SECRET": secret,
		"WINDOWBOT_PUBLIC_URL": "https://hall.example.cn/", "WINDOWBOT_LOG_LEVEL": "debug",
	})
	base, stderr := startServe(t, e)
	deadline := time.Now().Add(10 * time.Second)
	for len(api.called("setWebhook")) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	sw := api.called("setWebhook")
	if len(sw) != 1 || sw[0]["url"] != "https://hall.example.cn/telegram" || sw[0]["secret_token"] != secret {
		t.Fatalf("setWebhook calls = %+v", sw)
	}
	update := `{"update_id":1,"message":{"message_id":1,"date":1,"chat":{"id":7,"type":"private"},"from":{"id":7,"is_bot":false,"first_name":"A"},"text":"/start w_W001"}}`
	post := func(secretHeader string) int {
		req, _ := http.NewRequest(http.MethodPost, base+"/telegram", strings.NewReader(update))
		if secretHeader != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secretHeader)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := post(""); got != http.StatusUnauthorized {
		t.Fatalf("without secret: %d", got)
	}
	if got := post(secret); got != http.StatusOK {
		t.Fatalf("with secret: %d", got)
	}
	if s := api.called("sendMessage"); len(s) != 1 || !strings.Contains(s[0]["text"], "W001") || s[0]["chat_id"] != "7" {
		t.Fatalf("sendMessage = %+v", s)
	}
	if strings.Contains(stderr.String(), api.token) || strings.Contains(stderr.String(), secret) {
		t.Fatalf("a secret reached the log:\n%s", stderr.String())
	}
}

// TestServeTelegramPolling: polling mode polls the configured API URL.
func TestServeTelegramPolling(t *testing.T) {
	api := newFakeBotAPI(t)
	e := baseEnv(t, map[string]string{"WINDOWBOT_TELEGRAM_TOKEN": api.token, "WINDOWBOT_TELEGRAM_API_URL": api.srv.URL})
	startServe(t, e)
	deadline := time.Now().Add(10 * time.Second)
	for len(api.called("getUpdates")) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if len(api.called("getUpdates")) == 0 || len(api.called("deleteWebhook")) != 1 {
		t.Fatalf("polling did not start: getUpdates %d, deleteWebhook %d", len(api.called("getUpdates")), len(api.called("deleteWebhook")))
	}
}
