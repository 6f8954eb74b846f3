package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"windowbot/internal/testenv"
	"windowbot/models"
)

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
	go func() { done <- Run(ctx, []string{"serve"}, env(e), &testenv.LogBuffer{}, stderr) }()
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
	if !strings.Contains(stderr.String(), "rate window W001: "+base+"/?w=W001") {
		t.Errorf("the banner does not link the demo window:\n%s", stderr.String())
	}
}

// TestServeBannerNamesARealWindow: the start-up banner links to a window the database has — the
// first imported one — or to none, never to a demo code that does not exist there.
func TestServeBannerNamesARealWindow(t *testing.T) {
	e := baseEnv(t, nil)
	dir := t.TempDir()
	windows := filepath.Join(dir, "windows.csv")
	if err := os.WriteFile(windows, []byte(models.WindowsCSVHeader+"\nC01,城关镇便民服务中心,C01-02,社保窗口,人社局\nC01,城关镇便民服务中心,C01-01,医保窗口,医保局\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCmd(t, e, "import", "--windows", windows); code != 0 {
		t.Fatalf("import: %s", errs)
	}
	base, stderr := startServe(t, e)
	if s := stderr.String(); !strings.Contains(s, "rate window C01-01: "+base+"/?w=C01-01") || strings.Contains(s, "W001") {
		t.Errorf("banner:\n%s", s)
	}

	// An empty PostgreSQL database is not seeded: the banner names no window.
	_, stderr = startServe(t, baseEnv(t, map[string]string{"WINDOWBOT_DATABASE_URL": testenv.PostgresURL(t)}))
	if s := stderr.String(); !strings.Contains(s, "no windows yet") || strings.Contains(s, "?w=") {
		t.Errorf("banner on an empty database:\n%s", s)
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

func TestServeMetrics(t *testing.T) {
	const token = "metrics-token-0123456789"
	e := baseEnv(t, map[string]string{"WINDOWBOT_ADMIN_TOKEN": token})
	// A push due tomorrow waits in the outbox and shows in the backlog gauge.
	ctx := context.Background()
	s, err := models.Open(ctx, e["WINDOWBOT_DATABASE_URL"], nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	c, _ := s.TouchCitizen(ctx, "wechat", "openid-1", "zh-CN", time.Now())
	if err := s.EnqueuePushes(ctx, time.Now(), &models.Push{DedupeKey: "k", Kind: "daily_digest", CitizenID: c.ID, Text: "x", NotBefore: time.Now().Add(24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	base, _ := startServe(t, e)
	if got := getStatus(t, base+"/metrics"); got != http.StatusUnauthorized {
		t.Errorf("GET /metrics without the token = %d, want 401", got)
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	buf := new(strings.Builder)
	_, _ = io.Copy(buf, res.Body)
	if res.StatusCode != 200 || !strings.Contains(buf.String(), `windowbot_pushes_queued{channel="wechat",kind="daily_digest"} 1`) {
		t.Errorf("GET /metrics = %d:\n%.500s", res.StatusCode, buf.String())
	}
}

// TestServeTarget: the satisfaction target the admin API reports is the configured one.
func TestServeTarget(t *testing.T) {
	const token = "target-token-0123456789"
	base, _ := startServe(t, baseEnv(t, map[string]string{"WINDOWBOT_ADMIN_TOKEN": token, "WINDOWBOT_JOBS_SATISFACTION_TARGET": "80"}))
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/stats", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var stats struct{ Target float64 }
	if err := json.NewDecoder(res.Body).Decode(&stats); err != nil || res.StatusCode != http.StatusOK || stats.Target != 0.8 {
		t.Fatalf("GET /api/v1/stats = %d, target %v (%v); want 0.8 from jobs.satisfaction_target", res.StatusCode, stats.Target, err)
	}
}
