package wechat_test

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"windowbot/bot"
	"windowbot/bot/wechat"
	"windowbot/bot/wechat/wechattest"
	"windowbot/flows/state"
	"windowbot/internal/testenv"
)

const customPath = "/cgi-bin/message/custom/send"

func TestSend(t *testing.T) {
	recent, old := time.Now().Add(-time.Hour), time.Now().Add(-49*time.Hour)
	to := bot.Recipient{Platform: bot.WeChat, ChatID: testOpenID}
	push := bot.Reply{Text: "您的工单 T20261123-0042 已受理", Kind: "ticket_update"}
	for _, tc := range []struct {
		name      string
		lastSeen  *time.Time // nil: no citizen row
		inactive  bool
		to        bot.Recipient
		msg       bot.Reply
		fail      []int64 // errcodes the customer-service API answers, in order
		failTpl   int64
		wantErr   func(error) bool
		wantCS    int
		wantTpl   int
		wantGone  bool
		wantRetry time.Duration
		templates map[string]string // nil: the env's, ticket_update only
		wantTplID string            // "" means TPL-TICKET
	}{
		{name: "within 48 h: customer service", lastSeen: &recent, msg: push, wantCS: 1},
		{name: "outside 48 h: template", lastSeen: &old, msg: push, wantTpl: 1},
		{name: "never wrote: template", msg: push, wantTpl: 1},
		{name: "45015: template fallback", lastSeen: &recent, msg: push, fail: []int64{45015}, wantTpl: 1},
		{name: "45047: template fallback", lastSeen: &recent, msg: push, fail: []int64{45047}, wantTpl: 1},
		{name: "outside 48 h without a template", lastSeen: &old, msg: bot.Reply{Text: "x", Kind: "other"},
			wantErr: func(err error) bool { return errors.Is(err, bot.ErrPermanent) && errors.Is(err, wechat.ErrNoTemplate) }},
		{name: "outside 48 h: default template for a kind without one", lastSeen: &old, msg: bot.Reply{Text: push.Text, Kind: "daily_digest"},
			templates: map[string]string{"ticket_update": "TPL-TICKET", wechat.DefaultTemplate: "TPL-DEFAULT"}, wantTpl: 1, wantTplID: "TPL-DEFAULT"},
		{name: "outside 48 h: the kind's own template before the default", lastSeen: &old, msg: push,
			templates: map[string]string{"ticket_update": "TPL-TICKET", wechat.DefaultTemplate: "TPL-DEFAULT"}, wantTpl: 1},
		{name: "43101: recipient gone", lastSeen: &recent, msg: push, fail: []int64{43101},
			wantErr: func(err error) bool { return errors.Is(err, bot.ErrRecipientGone) }, wantGone: true},
		{name: "43004 on template: recipient gone", lastSeen: &old, msg: push, failTpl: 43004,
			wantErr: func(err error) bool { return errors.Is(err, bot.ErrRecipientGone) }, wantGone: true},
		{name: "already inactive: no call", lastSeen: &recent, inactive: true, msg: push,
			wantErr: func(err error) bool { return errors.Is(err, bot.ErrRecipientGone) }},
		{name: "system busy: retryable", lastSeen: &recent, msg: push, fail: []int64{-1},
			wantErr: func(err error) bool {
				return !errors.Is(err, bot.ErrPermanent) && !errors.Is(err, bot.ErrRecipientGone)
			}},
		{name: "minute quota: retry after", lastSeen: &recent, msg: push, fail: []int64{45011}, wantRetry: time.Minute,
			wantErr: func(err error) bool { var ra *bot.RetryAfterError; return errors.As(err, &ra) }},
		{name: "content too long: permanent", lastSeen: &recent, msg: push, fail: []int64{45002},
			wantErr: func(err error) bool { return errors.Is(err, bot.ErrPermanent) }},
		{name: "other platform: permanent", to: bot.Recipient{Platform: bot.Telegram, ChatID: "42"}, msg: push,
			wantErr: func(err error) bool { return errors.Is(err, bot.ErrPermanent) }},
		{name: "empty message: permanent", lastSeen: &recent, msg: bot.Reply{Text: " "},
			wantErr: func(err error) bool { return errors.Is(err, bot.ErrPermanent) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mod func(*wechat.Options)
			if tc.templates != nil {
				mod = func(o *wechat.Options) { o.Templates = tc.templates }
			}
			e := newEnv(t, false, mod)
			if tc.lastSeen != nil {
				putCitizen(t, e.cit, testOpenID, *tc.lastSeen, tc.inactive)
			}
			for _, code := range tc.fail {
				e.api.Fail(customPath, testOpenID, code, 1)
			}
			if tc.failTpl != 0 {
				e.api.Fail("/cgi-bin/message/template/send", "", tc.failTpl, 1)
			}
			dest := to
			if tc.to.Platform != "" {
				dest = tc.to
			}
			err := e.a.Send(ctxT(t), dest, tc.msg)
			switch {
			case tc.wantErr == nil && err != nil:
				t.Fatalf("Send: %v", err)
			case tc.wantErr != nil && (err == nil || !tc.wantErr(err)):
				t.Fatalf("Send error %v does not have the expected class", err)
			}
			var ra *bot.RetryAfterError
			if tc.wantRetry > 0 && (!errors.As(err, &ra) || ra.After != tc.wantRetry) {
				t.Errorf("retry after %v, want %v", ra, tc.wantRetry)
			}
			if n := len(e.api.Custom()); n != tc.wantCS {
				t.Errorf("customer-service messages %d, want %d", n, tc.wantCS)
			}
			tpls := e.api.Templates()
			if len(tpls) != tc.wantTpl {
				t.Fatalf("template messages %d, want %d", len(tpls), tc.wantTpl)
			}
			if tc.wantTpl > 0 {
				got, want := tpls[0], cmp.Or(tc.wantTplID, "TPL-TICKET")
				if got.ToUser != testOpenID || got.TemplateID != want || got.Data[wechat.TemplateField] != push.Text {
					t.Errorf("template message %+v", got)
				}
			}
			if tc.wantCS > 0 && e.api.Custom()[0].Text != push.Text {
				t.Errorf("customer-service text %q", e.api.Custom()[0].Text)
			}
			if tc.wantGone != isInactive(t, e.cit, testOpenID) && !tc.inactive {
				t.Errorf("citizen inactive = %t, want %t", isInactive(t, e.cit, testOpenID), tc.wantGone)
			}
		})
	}
}

// TestTemplateTextBounded: a template field holds at most 200 characters; a longer push is cut
// to 199 and an ellipsis, one of exactly 200 goes unchanged.
func TestTemplateTextBounded(t *testing.T) {
	e := newEnv(t, false, nil)
	to := bot.Recipient{Platform: bot.WeChat, ChatID: testOpenID}
	exact, long := strings.Repeat("办", 200), strings.Repeat("办", 201)
	for _, text := range []string{exact, long} {
		if err := e.a.Send(ctxT(t), to, bot.Reply{Text: text, Kind: "ticket_update"}); err != nil {
			t.Fatal(err)
		}
	}
	tpls := e.api.Templates()
	if len(tpls) != 2 {
		t.Fatalf("template messages %d, want 2", len(tpls))
	}
	if got := tpls[0].Data[wechat.TemplateField]; got != exact {
		t.Errorf("200 characters sent as %d characters", utf8.RuneCountInString(got))
	}
	if got, want := tpls[1].Data[wechat.TemplateField], strings.Repeat("办", 199)+"…"; got != want {
		t.Errorf("201 characters sent as %q", got)
	}
}

// TestTokenExpiryMidRun: a token that stops working (40001, 42001) is dropped, fetched again and
// the call made once more; a token that keeps failing is not retried forever.
func TestTokenExpiryMidRun(t *testing.T) {
	e := newEnv(t, false, nil)
	putCitizen(t, e.cit, testOpenID, time.Now(), false)
	to := bot.Recipient{Platform: bot.WeChat, ChatID: testOpenID}
	ctx := ctxT(t)
	if err := e.a.Send(ctx, to, bot.Reply{Text: "one"}); err != nil {
		t.Fatal(err)
	}
	e.api.ExpireToken()
	if err := e.a.Send(ctx, to, bot.Reply{Text: "two"}); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	e.api.Fail(customPath, "", 42001, 1)
	if err := e.a.Send(ctx, to, bot.Reply{Text: "three"}); err != nil {
		t.Fatalf("after 42001: %v", err)
	}
	if n := e.api.TokenFetches(); n != 3 {
		t.Errorf("token fetches %d, want 3", n)
	}
	if n := len(e.api.Custom()); n != 3 {
		t.Errorf("messages %d, want 3", n)
	}
	e.api.Fail(customPath, "", 40001, 0)
	err := e.a.Send(ctx, to, bot.Reply{Text: "four"})
	if err == nil || errors.Is(err, bot.ErrPermanent) {
		t.Errorf("a token rejected twice: %v, want a retryable error", err)
	}
}

// TestTokenShared: replicas sharing a State fetch the token once between them, even when they all
// need it at the same moment.
func TestTokenShared(t *testing.T) {
	e := newEnv(t, false, nil)
	putCitizen(t, e.cit, testOpenID, time.Now(), false)
	replicas := []*wechat.Adapter{e.a}
	for i := 0; i < 3; i++ {
		a, err := wechat.New(wechat.Options{AppID: testAppID, AppSecret: testSecret, Token: testToken,
			APIURL: e.api.URL(), Handler: e.h, State: e.state, Citizens: e.cit})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = a.Close(context.Background()) })
		replicas = append(replicas, a)
	}
	var wg sync.WaitGroup
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := replicas[i%len(replicas)].Send(context.Background(), bot.Recipient{Platform: bot.WeChat, ChatID: testOpenID}, bot.Reply{Text: "hi"}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := e.api.TokenFetches(); n != 1 {
		t.Errorf("token fetches %d, want 1", n)
	}
}

func TestClassicTokenFallback(t *testing.T) {
	e := newEnv(t, false, nil)
	e.api.DisableStableToken()
	putCitizen(t, e.cit, testOpenID, time.Now(), false)
	if err := e.a.Send(ctxT(t), bot.Recipient{Platform: bot.WeChat, ChatID: testOpenID}, bot.Reply{Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	if n := len(e.api.Custom()); n != 1 {
		t.Errorf("messages %d", n)
	}
}

// TestSecretsStayOut: neither the secret nor a token shows in errors or logs.
func TestSecretsStayOut(t *testing.T) {
	var logs testenv.LogBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := newEnv(t, false, func(o *wechat.Options) { o.Logger = logger })
	putCitizen(t, e.cit, testOpenID, time.Now(), false)
	to := bot.Recipient{Platform: bot.WeChat, ChatID: testOpenID}
	ctx := ctxT(t)
	if err := e.a.Send(ctx, to, bot.Reply{Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	e.api.ExpireToken()
	_ = e.a.Send(ctx, to, bot.Reply{Text: "hi"})
	// Now make every call fail at the transport: the URL would carry the token.
	e.api.Server.CloseClientConnections()
	e.api.Server.Close()
	err := e.a.Send(ctx, to, bot.Reply{Text: "hi"})
	if err == nil {
		t.Fatal("send to a closed API succeeded")
	}
	t.Logf("transport error: %v", err)
	all := logs.String() + "\n" + err.Error()
	for _, secret := range []string{testSecret, "TOKEN-", "access_token="} {
		if strings.Contains(all, secret) {
			t.Errorf("%q leaked:\n%s", secret, all)
		}
	}
}

func TestInstallMenu(t *testing.T) {
	e := newEnv(t, false, nil)
	if err := e.a.InstallMenu(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	menus := e.api.Menus()
	if len(menus) != 1 {
		t.Fatalf("menus %d", len(menus))
	}
	var m struct {
		Button []struct{ Type, Name, Key string } `json:"button"`
	}
	if err := json.Unmarshal(menus[0], &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, b := range m.Button {
		if b.Type != "click" || b.Name == "" {
			t.Errorf("button %+v", b)
		}
		keys = append(keys, b.Key)
	}
	if strings.Join(keys, ",") != "rate,complain,track" {
		t.Errorf("keys %v", keys)
	}
	for _, k := range keys {
		if wechat.MenuKeys[k] != "/"+k {
			t.Errorf("key %s does not map to its command", k)
		}
	}
}

func TestQRCodeURL(t *testing.T) {
	e := newEnv(t, false, nil)
	ctx := ctxT(t)
	u, err := e.a.QRCodeURL(ctx, "W001")
	if err != nil {
		t.Fatal(err)
	}
	if u != wechattest.QRURL("w_W001") {
		t.Errorf("url %q", u)
	}
	if s := e.api.Scenes(); len(s) != 1 || s[0] != "w_W001" {
		t.Errorf("scenes %v", s)
	}
	if _, err := e.a.QRCodeURL(ctx, "bad code"); err == nil {
		t.Error("a malformed window code was accepted")
	}
	e.api.Fail("/cgi-bin/qrcode/create", "", 45009, 1)
	if _, err := e.a.QRCodeURL(ctx, "W002"); err == nil {
		t.Error("an API error was not reported")
	}

	// A staff member's own code.
	u, err = e.a.StaffQRCodeURL(ctx, "DEMO-002")
	if err != nil {
		t.Fatal(err)
	}
	if u != wechattest.QRURL("s_DEMO-002") {
		t.Errorf("staff url %q", u)
	}
	if s := e.api.Scenes(); s[len(s)-1] != "s_DEMO-002" {
		t.Errorf("scenes %v", s)
	}
	for _, no := range []string{"", "工号1", "S/1", strings.Repeat("9", 41)} {
		if _, err := e.a.StaffQRCodeURL(ctx, no); err == nil {
			t.Errorf("staff number %q accepted", no)
		}
	}
}

// TestAPIURLHonoured: nothing goes to the public host when the API URL is set. The client refuses
// every host but the fake's.
func TestAPIURLHonoured(t *testing.T) {
	api := wechattest.NewAPI(t, testAppID, testSecret)
	var mu sync.Mutex
	var hosts []string
	client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		mu.Lock()
		hosts = append(hosts, r.URL.Host)
		mu.Unlock()
		return http.DefaultTransport.RoundTrip(r)
	})}
	cit := citizenStore(t)
	putCitizen(t, cit, testOpenID, time.Now(), false)
	a, err := wechat.New(wechat.Options{AppID: testAppID, AppSecret: testSecret, Token: testToken,
		APIURL: api.URL() + "/", HTTPClient: client, Handler: &stubHandler{}, State: state.NewMemory(nil), Citizens: cit,
		Templates: map[string]string{"k": "T"}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(context.Background())
	ctx := ctxT(t)
	if err := a.InstallMenu(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.QRCodeURL(ctx, "W001"); err != nil {
		t.Fatal(err)
	}
	if err := a.Send(ctx, bot.Recipient{Platform: bot.WeChat, ChatID: testOpenID}, bot.Reply{Text: "x"}); err != nil {
		t.Fatal(err)
	}
	putCitizen(t, cit, testOpenID, time.Now().Add(-72*time.Hour), false)
	if err := a.Send(ctx, bot.Recipient{Platform: bot.WeChat, ChatID: testOpenID}, bot.Reply{Text: "x", Kind: "k"}); err != nil {
		t.Fatal(err)
	}
	want := strings.TrimPrefix(api.URL(), "http://")
	mu.Lock()
	defer mu.Unlock()
	if len(hosts) < 5 {
		t.Fatalf("calls %v", hosts)
	}
	for _, h := range hosts {
		if h != want {
			t.Errorf("call to %s, want only %s", h, want)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
