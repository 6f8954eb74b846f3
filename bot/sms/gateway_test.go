package sms

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"windowbot/bot"
)

const gatewayKey = "gw-secret-7f3a"

// fakeGateway is a hall's SMS platform: it wants its key in X-Api-Key and answers
// {"code":"0","msg":"ok"} for an accepted message.
type fakeGateway struct {
	srv *httptest.Server

	mu    sync.Mutex
	got   []gatewayRequest
	reply func(w http.ResponseWriter)
}

type gatewayRequest struct {
	Method, ContentType, Query string
	Body                       []byte
}

func newFakeGateway(t *testing.T) *fakeGateway {
	t.Helper()
	f := &fakeGateway{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != gatewayKey {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"code":"401","msg":"bad key"}`)
			return
		}
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.got = append(f.got, gatewayRequest{r.Method, r.Header.Get("Content-Type"), r.URL.RawQuery, body})
		reply := f.reply
		f.mu.Unlock()
		if reply != nil {
			reply(w)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"code":"0","msg":"ok","data":{"id":"88"}}`)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeGateway) requests() []gatewayRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]gatewayRequest(nil), f.got...)
}

func gatewayConfig(url string) GatewayConfig {
	return GatewayConfig{
		URL:          url + "/api/sms/send",
		AuthHeader:   "X-Api-Key",
		AuthValue:    gatewayKey,
		Body:         `{"mobile":"{phone}","content":"{text}","tpl":"{template_id}","vars":{params},"first":"{param1}"}`,
		SuccessField: "code",
		SuccessValue: "0",
	}
}

func newGatewaySender(t *testing.T, cfg GatewayConfig) *Sender {
	t.Helper()
	s, err := New(Config{
		Provider:       ProviderGateway,
		Gateway:        cfg,
		Templates:      map[string]string{"ticket_update": "TPL_TICKET"},
		TemplateParams: map[string]string{"ticket_update": "ticket;url"},
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A text with quotes, a backslash and a line break must stay one valid JSON string.
var awkwardPush = bot.Reply{Kind: "ticket_update", Text: "工单 T20261123-0042 \"已受理\"\\n\n详情 https://hall.example.cn/?t=1&u=2"}

func TestGatewayJSONBody(t *testing.T) {
	f := newFakeGateway(t)
	s := newGatewaySender(t, gatewayConfig(f.srv.URL))
	if err := s.Send(context.Background(), smsTo(testPhone), awkwardPush); err != nil {
		t.Fatalf("Send: %v", err)
	}
	reqs := f.requests()
	if len(reqs) != 1 || reqs[0].Method != http.MethodPost || reqs[0].ContentType != "application/json" {
		t.Fatalf("gateway got %+v", reqs)
	}
	var body map[string]any
	if err := json.Unmarshal(reqs[0].Body, &body); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, reqs[0].Body)
	}
	want := map[string]any{
		"mobile":  testE164,
		"content": awkwardPush.Text,
		"tpl":     "TPL_TICKET",
		"vars":    []any{"T20261123-0042", "https://hall.example.cn/?t=1&u=2"},
		"first":   "T20261123-0042",
	}
	if !reflect.DeepEqual(body, want) {
		t.Fatalf("body = %v\nwant %v", body, want)
	}
}

func TestGatewayFormAndQuery(t *testing.T) {
	f := newFakeGateway(t)
	cfg := gatewayConfig(f.srv.URL)
	cfg.URL = f.srv.URL + "/send?account=hall01&to={phone}"
	cfg.ContentType = "application/x-www-form-urlencoded"
	cfg.Body = "msg={text}&vars={params}"
	s := newGatewaySender(t, cfg)
	if err := s.Send(context.Background(), smsTo(testPhone), awkwardPush); err != nil {
		t.Fatalf("Send: %v", err)
	}
	r := f.requests()[0]
	q, err := url.ParseQuery(r.Query)
	if err != nil || q.Get("to") != testE164 || q.Get("account") != "hall01" {
		t.Fatalf("query = %q (%v)", r.Query, err)
	}
	form, err := url.ParseQuery(string(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	if form.Get("msg") != awkwardPush.Text {
		t.Errorf("msg = %q, want %q", form.Get("msg"), awkwardPush.Text)
	}
	// The items are escaped one by one and joined by commas, so the & inside the link stays
	// inside the value.
	if got := strings.Split(form.Get("vars"), ","); !reflect.DeepEqual(got, []string{"T20261123-0042", "https://hall.example.cn/?t=1&u=2"}) {
		t.Errorf("vars = %q", got)
	}
}

func TestGatewayGet(t *testing.T) {
	f := newFakeGateway(t)
	cfg := gatewayConfig(f.srv.URL)
	cfg.Method = "get"
	cfg.URL = f.srv.URL + "/send?to={phone}&text={text}"
	cfg.Body = ""
	s := newGatewaySender(t, cfg)
	if err := s.Send(context.Background(), smsTo(testPhone), awkwardPush); err != nil {
		t.Fatalf("Send: %v", err)
	}
	r := f.requests()[0]
	q, _ := url.ParseQuery(r.Query)
	if r.Method != http.MethodGet || len(r.Body) != 0 || q.Get("text") != awkwardPush.Text || q.Get("to") != testE164 {
		t.Fatalf("gateway got %+v", r)
	}
}

func TestGatewayAnswers(t *testing.T) {
	answer := func(status int, header, body string) func(http.ResponseWriter) {
		return func(w http.ResponseWriter) {
			if k, v, ok := strings.Cut(header, ": "); ok {
				w.Header().Set(k, v)
			}
			w.WriteHeader(status)
			_, _ = io.WriteString(w, body)
		}
	}
	tests := []struct {
		name  string
		reply func(http.ResponseWriter)
		key   string
		check func(*testing.T, error)
	}{
		{"accepted", nil, gatewayKey, wantNil},
		{"numeric success code", answer(200, "", `{"code":0}`), gatewayKey, wantNil},
		{"refused by its code", answer(200, "", `{"code":"1001","msg":"号码 13800138000 格式错误"}`), gatewayKey, wantIs(bot.ErrPermanent)},
		{"no code in the answer", answer(200, "", `<html>ok</html>`), gatewayKey, wantIs(bot.ErrPermanent)},
		{"wrong key", nil, "wrong", wantIs(bot.ErrPermanent)},
		{"bad request", answer(400, "", `{"code":"400"}`), gatewayKey, wantIs(bot.ErrPermanent)},
		{"too many requests", answer(429, "Retry-After: 7", ``), gatewayKey, wantWait(7 * time.Second)},
		{"too many requests without a wait", answer(429, "", ``), gatewayKey, wantWait(time.Minute)},
		{"server error", answer(503, "", `busy`), gatewayKey, wantRetry},
		{"timeout", answer(408, "", ``), gatewayKey, wantRetry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeGateway(t)
			f.reply = tt.reply
			cfg := gatewayConfig(f.srv.URL)
			cfg.AuthValue = tt.key
			err := newGatewaySender(t, cfg).Send(context.Background(), smsTo(testPhone), awkwardPush)
			tt.check(t, err)
			if err != nil && strings.Contains(err.Error(), testPhone) {
				t.Errorf("the error shows the phone number: %v", err)
			}
		})
	}
}

func TestGatewayUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close()
	cfg := gatewayConfig(base)
	cfg.Method, cfg.Body, cfg.URL = "GET", "", base+"/send?to={phone}"
	err := newGatewaySender(t, cfg).Send(context.Background(), smsTo(testPhone), awkwardPush)
	wantRetry(t, err)
	if strings.Contains(err.Error(), "8613800138000") {
		t.Errorf("the transport error shows the phone number from the URL: %v", err)
	}
}

func TestNewGatewayChecksConfig(t *testing.T) {
	good := gatewayConfig("https://sms.example.cn")
	tests := map[string]func(c *GatewayConfig){
		"no url":                      func(c *GatewayConfig) { c.URL = "" },
		"not http":                    func(c *GatewayConfig) { c.URL = "ftp://sms.example.cn/{phone}" },
		"no phone":                    func(c *GatewayConfig) { c.Body = `{"text":"{text}"}` },
		"body that is no JSON filled": func(c *GatewayConfig) { c.Body = `{"to":"{phone}","vars":"{params}"}` },
		"auth header without value":   func(c *GatewayConfig) { c.AuthValue = "" },
		"success field without value": func(c *GatewayConfig) { c.SuccessValue = "" },
		"method":                      func(c *GatewayConfig) { c.Method = "PUT" },
	}
	for name, change := range tests {
		c := good
		change(&c)
		if _, err := NewGateway(c, Options{}); err == nil {
			t.Errorf("%s: NewGateway accepted %+v", name, c)
		}
	}
	if _, err := NewGateway(good, Options{}); err != nil {
		t.Fatalf("NewGateway(good) = %v", err)
	}
}
