package loadtest_test

import (
	"context"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"windowbot/internal/cli"
	"windowbot/internal/loadtest"
	"windowbot/internal/testenv"
)

// Settings of the account and the bot the tool and the server share in these tests.
const (
	appID    = "wxloadtest0000001"
	wxToken  = "loadtesttoken1"
	aesKey   = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	botToken = "424242:LOADTEST-token"
	secret   = "loadtest-secret"
)

// Serve runs `windowbot serve` in this process on PostgreSQL and Redis, with WeChat (safe mode)
// and Telegram (webhook) calling the platforms at platformsURL, until the test ends, and returns
// its base URL and database URL. The demo center is seeded first.
func Serve(t *testing.T, platformsURL string) (base, dbURL string) {
	t.Helper()
	dbURL = testenv.PostgresURL(t)
	env := map[string]string{
		"WINDOWBOT_DATABASE_URL":            dbURL,
		"WINDOWBOT_REDIS_URL":               testenv.RedisURL(t),
		"WINDOWBOT_HTTP_ADDR":               "127.0.0.1:0",
		"WINDOWBOT_PUBLIC_URL":              "https://hall.example.gov.cn",
		"WINDOWBOT_ADMIN_TOKEN":             "loadtest-admin-token-0123",
		"WINDOWBOT_LOG_LEVEL":               "warn",
		"WINDOWBOT_WECHAT_APP_ID":           appID,
		"WINDOWBOT_WECHAT_APP_SECRET":       "loadtestsecret",
		"WINDOWBOT_WECHAT_TOKEN":            wxToken,
		"WINDOWBOT_WECHAT_AES_KEY":          aesKey,
		"WINDOWBOT_WECHAT_API_URL":          platformsURL,
		"WINDOWBOT_TELEGRAM_TOKEN":          botToken,
		"WINDOWBOT_TELEGRAM_API_URL":        platformsURL,
		"WINDOWBOT_TELEGRAM_MODE":           "webhook",
		"WINDOWBOT_TELEGRAM_WEBHOOK_SECRET": secret,
		"WINDOWBOT_TELEGRAM_USERNAME":       "LoadTestBot",
	}
	getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	var out testenv.LogBuffer
	if code := cli.Run(context.Background(), []string{"seed", "--demo"}, getenv, &out, &out); code != 0 {
		t.Fatalf("seed exited %d:\n%s", code, out.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &testenv.LogBuffer{}
	done := make(chan int, 1)
	go func() { done <- cli.Run(ctx, []string{"serve"}, getenv, &testenv.LogBuffer{}, stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exited %d:\n%s", code, stderr.String())
			}
		case <-time.After(20 * time.Second):
			t.Error("serve did not stop")
		}
	})
	re := regexp.MustCompile(`web chat: (http://\S+)`)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
		if m := re.FindStringSubmatch(stderr.String()); m != nil {
			return m[1], dbURL
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited %d:\n%s", code, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("serve did not start:\n%s", stderr.String())
	return "", ""
}

// TestMixedLoad runs the load tool for a few seconds against a server in this process: every
// platform of the mix plays rating and complaint dialogs without an error, and the database
// then holds exactly the ratings and tickets the tool was told about.
func TestMixedLoad(t *testing.T) {
	plat := loadtest.NewPlatforms(botToken)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ps := &http.Server{Handler: plat}
	go func() { _ = ps.Serve(ln) }()
	t.Cleanup(func() { ps.Close() })
	base, dbURL := Serve(t, "http://"+ln.Addr().String())

	var progress testenv.LogBuffer
	rep, err := loadtest.Run(context.Background(), loadtest.Options{
		Targets: []string{base}, Duration: 3 * time.Second, Concurrency: 6, Seed: 17,
		WeChatAppID: appID, WeChatToken: wxToken, WeChatAESKey: aesKey, TelegramSecret: secret,
		DatabaseURL: dbURL, Platforms: plat, Progress: &progress, ProgressEvery: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	var report strings.Builder
	rep.Write(&report, true)
	t.Logf("%s\n%s", progress.String(), report.String())
	if rep.Errors != 0 {
		t.Errorf("%d errors", rep.Errors)
	}
	if rep.Check == nil || !rep.Check.OK() {
		t.Errorf("the database does not hold what the tool was told: %v", rep.Check)
	}
	if rep.Ratings == 0 || rep.Tickets == 0 {
		t.Errorf("ledger of %d ratings and %d tickets: the dialogs did not get through", rep.Ratings, rep.Tickets)
	}
	if rep.Check != nil && (rep.Check.RatingsInDB != rep.Ratings || rep.Check.TicketsInDB != rep.Tickets) {
		t.Errorf("database %d ratings, %d tickets; ledger %d, %d", rep.Check.RatingsInDB, rep.Check.TicketsInDB, rep.Ratings, rep.Tickets)
	}
	for _, p := range []string{"wechat", "telegram", "web"} {
		found := false
		for _, f := range rep.Platforms {
			found = found || (f.Step == p && f.Count > 0)
		}
		if !found {
			t.Errorf("no %s step was played", p)
		}
	}
	if plat.Malformed() != 0 {
		t.Errorf("%d calls to the fake platforms were not understood", plat.Malformed())
	}
}
