package report

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"windowbot/bot"
)

const (
	testToken = "prov-token-5d1c"
	testKey   = "prov-hmac-key-91e0"
)

// clientNow is the clock of both the client and the fake platform in the HMAC tests.
var clientNow = time.Date(2026, 11, 23, 10, 0, 0, 0, shanghai)

// fakeProvince is a provincial 好差评 platform on httptest: it checks the credentials (a bearer
// token, or the HMAC signature computed here independently of Sign), that the body uses the
// national field names only and carries its ID in the Idempotency-Key header, keeps each record
// once and answers a repeat with 409.
type fakeProvince struct {
	srv  *httptest.Server
	auth string

	mu        sync.Mutex
	records   map[string]map[string]any
	posts     int
	repeats   int
	reply     func(w http.ResponseWriter) bool // answers instead when it returns true
	sigHeader string
}

func newFakeProvince(t *testing.T, auth string) *fakeProvince {
	t.Helper()
	f := &fakeProvince{auth: auth, records: map[string]map[string]any{}, sigHeader: DefaultSignatureHeader}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func answer(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func (f *fakeProvince) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil || r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		answer(w, http.StatusBadRequest, `{"code":"400","msg":"POST JSON only"}`)
		return
	}
	switch f.auth {
	case AuthBearer:
		if r.Header.Get("Authorization") != "Bearer "+testToken {
			answer(w, http.StatusUnauthorized, `{"code":"401","msg":"token"}`)
			return
		}
	case AuthHMAC:
		ts := r.Header.Get(TimestampHeader)
		sec, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || clientNow.Sub(time.Unix(sec, 0)).Abs() > 5*time.Minute {
			answer(w, http.StatusUnauthorized, `{"code":"401","msg":"timestamp"}`)
			return
		}
		m := hmac.New(sha256.New, []byte(testKey))
		m.Write([]byte(ts + "\n"))
		m.Write(body)
		want := hex.EncodeToString(m.Sum(nil))
		if !hmac.Equal([]byte(want), []byte(r.Header.Get(f.sigHeader))) {
			answer(w, http.StatusUnauthorized, `{"code":"401","msg":"signature"}`)
			return
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.posts++
	if f.reply != nil && f.reply(w) {
		return
	}
	var rec map[string]any
	if err := json.Unmarshal(body, &rec); err != nil {
		answer(w, http.StatusBadRequest, `{"code":"400","msg":"not JSON"}`)
		return
	}
	for k := range rec {
		if !slices.Contains(Columns, k) {
			answer(w, http.StatusUnprocessableEntity, `{"code":"422","msg":"unknown field `+k+`"}`)
			return
		}
	}
	id, _ := rec["recordId"].(string)
	if id == "" || r.Header.Get(IDHeader) != id {
		answer(w, http.StatusUnprocessableEntity, `{"code":"422","msg":"recordId and Idempotency-Key differ"}`)
		return
	}
	if _, seen := f.records[id]; seen {
		f.repeats++
		answer(w, http.StatusConflict, `{"code":"409","msg":"duplicate"}`)
		return
	}
	f.records[id] = rec
	answer(w, http.StatusOK, `{"code":"0","msg":"success"}`)
}

func (f *fakeProvince) counts() (records, posts, repeats int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.records), f.posts, f.repeats
}

func newClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := NewClient(cfg, Options{Now: func() time.Time { return clientNow }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClientDeliversOnce(t *testing.T) {
	for _, auth := range []string{AuthBearer, AuthHMAC} {
		t.Run(auth, func(t *testing.T) {
			f := newFakeProvince(t, auth)
			cfg := Config{URL: f.srv.URL + "/hcp/evaluation", Auth: auth, Token: testToken, SuccessField: "code", SuccessValue: "0"}
			if auth == AuthHMAC {
				cfg.Token, cfg.SignatureHeader, f.sigHeader = testKey, "X-Hcp-Sign", "X-Hcp-Sign"
			}
			c := newClient(t, cfg)
			recs := testRecords(t)
			for _, r := range recs {
				if err := c.Send(context.Background(), r); err != nil {
					t.Fatalf("Send %s: %v", r.RecordID, err)
				}
			}
			// A crash after the platform answered but before the outbox recorded it: the same
			// records again, as the stored JSON.
			for _, r := range recs[:2] {
				b, _ := json.Marshal(r)
				if err := c.SendJSON(context.Background(), r.RecordID, b); err != nil {
					t.Fatalf("SendJSON %s again: %v", r.RecordID, err)
				}
			}
			n, posts, repeats := f.counts()
			if n != len(recs) || posts != len(recs)+2 || repeats != 2 {
				t.Fatalf("platform holds %d records after %d posts with %d repeats; want %d, %d, 2", n, posts, repeats, len(recs), len(recs)+2)
			}
			f.mu.Lock()
			got := f.records["NS-E-1042"]
			f.mu.Unlock()
			if got["projectNo"] != "4403051120261123000042" || got["satisfaction"] != "2" || got["pf"] != "2" {
				t.Fatalf("stored record = %v", got)
			}
		})
	}
}

func TestClientCredentialsRefused(t *testing.T) {
	for _, tt := range []struct{ auth, token string }{{AuthBearer, "old-token"}, {AuthHMAC, "old-key"}} {
		f := newFakeProvince(t, tt.auth)
		c := newClient(t, Config{URL: f.srv.URL, Auth: tt.auth, Token: tt.token})
		err := c.Send(context.Background(), testRecords(t)[0])
		if !errors.Is(err, ErrAuth) || !Retryable(err) {
			t.Errorf("%s with a wrong secret: %v, want a retryable ErrAuth", tt.auth, err)
		}
		if n, _, _ := f.counts(); n != 0 {
			t.Errorf("%s: the platform kept a record with wrong credentials", tt.auth)
		}
	}
}

func TestClientFieldNames(t *testing.T) {
	f := newFakeProvince(t, AuthBearer)
	c := newClient(t, Config{URL: f.srv.URL, Token: testToken})
	err := c.SendJSON(context.Background(), "NS-E-1", []byte(`{"recordId":"NS-E-1","level":"5"}`))
	if !errors.Is(err, bot.ErrPermanent) || Retryable(err) {
		t.Fatalf("a body with a field outside the interface = %v, want permanent", err)
	}
	err = c.SendJSON(context.Background(), "NS-E-2", []byte(`{"recordId":"NS-E-1"}`))
	if !errors.Is(err, bot.ErrPermanent) {
		t.Fatalf("a body whose ID differs from the header's = %v, want permanent", err)
	}
	if err := c.SendJSON(context.Background(), "", []byte(`{}`)); !errors.Is(err, bot.ErrPermanent) {
		t.Fatalf("a record without an ID = %v, want permanent", err)
	}
}

func TestClientAnswers(t *testing.T) {
	reply := func(status int, header, body string) func(http.ResponseWriter) bool {
		return func(w http.ResponseWriter) bool {
			if k, v, ok := strings.Cut(header, ": "); ok {
				w.Header().Set(k, v)
			}
			answer(w, status, body)
			return true
		}
	}
	tests := []struct {
		name  string
		reply func(http.ResponseWriter) bool
		check func(*testing.T, error)
	}{
		{"accepted", nil, isNil},
		{"numeric success code", reply(200, "", `{"code":0}`), isNil},
		{"already there", reply(409, "", `{"code":"409"}`), isNil},
		{"refused by its code", reply(200, "", `{"code":"E102","msg":"办件编号不存在，联系人13812345678"}`), isErr(bot.ErrPermanent)},
		{"answer without the code", reply(200, "", `ok`), isErr(bot.ErrPermanent)},
		{"bad request", reply(400, "", `{}`), isErr(bot.ErrPermanent)},
		{"not found", reply(404, "", ``), isErr(bot.ErrPermanent)},
		{"forbidden", reply(403, "", ``), isErr(ErrAuth)},
		{"too many requests", reply(429, "Retry-After: 30", ``), isWait(30 * time.Second)},
		{"too many requests without a wait", reply(429, "", ``), isWait(time.Minute)},
		{"maintenance with a date", reply(503, "Retry-After: "+clientNow.Add(2*time.Hour).UTC().Format(http.TimeFormat), ``), isWait(2 * time.Hour)},
		{"unavailable", reply(503, "", `<html>`), isPlainRetry},
		{"server error", reply(500, "", `oops`), isPlainRetry},
		{"gateway timeout", reply(504, "", ``), isPlainRetry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeProvince(t, AuthBearer)
			f.reply = tt.reply
			c := newClient(t, Config{URL: f.srv.URL, Token: testToken, SuccessField: "code", SuccessValue: "0"})
			err := c.Send(context.Background(), testRecords(t)[0])
			tt.check(t, err)
			if err != nil && strings.Contains(err.Error(), "13812345678") {
				t.Errorf("the error shows a phone number: %v", err)
			}
		})
	}
}

func TestClientUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	c := newClient(t, Config{URL: srv.URL, Token: testToken})
	isPlainRetry(t, c.Send(context.Background(), testRecords(t)[0]))
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{
		{URL: "ftp://x", Token: "t"},
		{URL: "https://hcp.example.gov.cn"},
		{URL: "https://hcp.example.gov.cn", Auth: AuthHMAC},
		{URL: "https://hcp.example.gov.cn", Auth: "basic", Token: "t"},
		{URL: "https://hcp.example.gov.cn", Token: "t", SuccessField: "code"},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil", c)
		}
		if _, err := NewClient(c, Options{}); err == nil {
			t.Errorf("NewClient(%+v) accepted it", c)
		}
	}
	for _, c := range []Config{
		{},
		{URL: "https://hcp.example.gov.cn", Token: "t"},
		{URL: "http://10.1.2.3:8080/hcp", Auth: AuthNone},
	} {
		if err := c.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v", c, err)
		}
	}
	if _, err := NewClient(Config{}, Options{}); err == nil {
		t.Error("NewClient without a URL")
	}
	if (Config{}).Enabled() || !(Config{URL: "https://x"}).Enabled() {
		t.Error("Enabled does not follow URL")
	}
}

func isNil(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("err = %v, want nil", err)
	}
}

func isErr(target error) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		if !errors.Is(err, target) {
			t.Fatalf("err = %v, want %v", err, target)
		}
		if Retryable(err) != !errors.Is(target, bot.ErrPermanent) {
			t.Fatalf("Retryable(%v) = %v", err, Retryable(err))
		}
	}
}

func isWait(after time.Duration) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var ra *bot.RetryAfterError
		if !errors.As(err, &ra) || ra.After != after || !Retryable(err) {
			t.Fatalf("err = %v, want a wait of %s", err, after)
		}
	}
}

func isPlainRetry(t *testing.T, err error) {
	t.Helper()
	var ra *bot.RetryAfterError
	if err == nil || !Retryable(err) || errors.Is(err, ErrAuth) || errors.As(err, &ra) {
		t.Fatalf("err = %v, want a plain retryable error", err)
	}
}
