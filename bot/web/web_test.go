package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"windowbot/bot"
	"windowbot/bot/web"
	"windowbot/internal/testenv"
	"windowbot/models"
)

// last returns the last Inbound h was given, failing the test if it was given none.
func last(t *testing.T, h *testenv.Handler) bot.Inbound {
	t.Helper()
	got := h.Inbounds()
	if len(got) == 0 {
		t.Fatal("handler was not called")
	}
	return got[len(got)-1]
}

func newServer(t *testing.T, opts web.Options) (*httptest.Server, *web.Chat) {
	t.Helper()
	c := web.New(opts)
	mux := http.NewServeMux()
	c.Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, c
}

// client returns an HTTP client with its own cookie jar: one browser, one visitor.
func client(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar}
}

type wireReply struct {
	ID      string         `json:"id"`
	Text    string         `json:"text"`
	Buttons [][]bot.Button `json:"buttons"`
	Edit    bool           `json:"edit"`
}

type replies struct {
	Replies []wireReply `json:"replies"`
}

type apiError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

func postJSON(t *testing.T, c *http.Client, url, body string, hdr map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

func decode[T any](t *testing.T, res *http.Response) T {
	t.Helper()
	var v T
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type = %q, want JSON", ct)
	}
	if err := json.NewDecoder(res.Body).Decode(&v); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return v
}

func visitorCookie(res *http.Response) *http.Cookie {
	for _, c := range res.Cookies() {
		if c.Name == web.CookieName {
			return c
		}
	}
	return nil
}

func get(t *testing.T, c *http.Client, url string) (*http.Response, string) {
	t.Helper()
	res, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

var externalURL = regexp.MustCompile(`(?i)https?://`)

func TestPage(t *testing.T) {
	srv, _ := newServer(t, web.Options{Handler: &testenv.Handler{}})
	for _, path := range []string{"/", "/chat", "/?w=W001", "/chat?w=W001&lang=en"} {
		t.Run(path, func(t *testing.T) {
			res, body := get(t, client(t), srv.URL+path)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d", res.StatusCode)
			}
			if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			if externalURL.MatchString(body) || strings.Contains(body, `<script src="http`) {
				t.Errorf("page refers to another host:\n%s", body)
			}
			if !strings.Contains(body, `<script src="chat/static/app.js?v=`) {
				t.Errorf("page does not load its script:\n%s", body)
			}
			if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
				t.Errorf("CSP = %q", csp)
			}
			if visitorCookie(res) == nil {
				t.Error("first page load issued no visitor cookie")
			}
		})
	}

	t.Run("lang", func(t *testing.T) {
		_, body := get(t, client(t), srv.URL+"/?lang=en")
		if !strings.Contains(body, `<html lang="en"`) {
			t.Errorf("?lang=en not honoured:\n%s", body[:200])
		}
		_, body = get(t, client(t), srv.URL+"/")
		if !strings.Contains(body, `<html lang="zh-CN"`) {
			t.Errorf("default language is not zh-CN:\n%s", body[:200])
		}
	})

	t.Run("unknown paths", func(t *testing.T) {
		for _, p := range []string{"/nope", "/chat/", "/chat/static/nope.js"} {
			if res, _ := get(t, client(t), srv.URL+p); res.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s = %d, want 404", p, res.StatusCode)
			}
		}
	})
}

func TestStaticAssets(t *testing.T) {
	srv, _ := newServer(t, web.Options{Handler: &testenv.Handler{}})
	_, page := get(t, client(t), srv.URL+"/")
	for _, tc := range []struct{ name, ctype string }{
		{"app.js", "text/javascript"},
		{"app.css", "text/css"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := regexp.MustCompile(`chat/static/` + regexp.QuoteMeta(tc.name) + `\?v=[A-Za-z0-9_-]+`).FindString(page)
			if m == "" {
				t.Fatalf("page does not reference %s", tc.name)
			}
			res, body := get(t, client(t), srv.URL+"/"+m)
			if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), tc.ctype) {
				t.Fatalf("GET %s: %d %q", m, res.StatusCode, res.Header.Get("Content-Type"))
			}
			if !strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
				t.Errorf("versioned asset not cacheable: %q", res.Header.Get("Cache-Control"))
			}
			// The SVG namespace is a name, not an address the page loads.
			if externalURL.MatchString(strings.ReplaceAll(body, "'http://www.w3.org/2000/svg'", "")) {
				t.Errorf("%s refers to another host", tc.name)
			}
			if strings.Contains(body, "innerHTML") || strings.Contains(body, "insertAdjacentHTML") {
				t.Errorf("%s builds HTML from strings", tc.name)
			}
		})
	}

	// The deep link is posted by the script; check the pieces are there and agree with the server:
	// the page carries the server's patterns, and the script checks against them.
	for _, want := range []string{`data-window-code="` + models.WindowCodePattern.String() + `"`,
		`data-staff-no="` + models.StaffLinkPattern.String() + `"`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	_, js := get(t, client(t), srv.URL+"/chat/static/app.js")
	for _, want := range []string{`new RegExp(root.getAttribute('data-window-code'))`, `'/start w_' + w`, `'/start'`, `params.get('w')`,
		`new RegExp(root.getAttribute('data-staff-no'))`, `'/start s_' + s`, `params.get('s')`} {
		if !strings.Contains(js, want) {
			t.Errorf("app.js lacks %q", want)
		}
	}
}

func TestMessageRoundTrip(t *testing.T) {
	rec := &testenv.Handler{Replies: []bot.Reply{
		{Text: "请为本次服务评价：", Buttons: bot.Column(bot.Button{Label: "非常满意", Payload: "rate:5"}, bot.Button{Label: "满意", Payload: "rate:4"})},
		{Text: "已勾选 ✓", Edit: true},
	}}
	srv, _ := newServer(t, web.Options{Handler: rec})
	c := client(t)
	res, _ := get(t, c, srv.URL+"/?w=W001")
	ck := visitorCookie(res)
	if ck == nil {
		t.Fatal("no cookie from page")
	}

	res = postJSON(t, c, srv.URL+"/chat/api/message", `{"text":"  /start w_W001  "}`, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	got := decode[replies](t, res)
	in := last(t, rec)
	want := bot.Inbound{Platform: bot.Web, ChatID: ck.Value, UserID: ck.Value, Lang: "zh-CN", Text: "/start w_W001", ClientAddr: "127.0.0.1"}
	if fmt.Sprint(in) != fmt.Sprint(want) {
		t.Errorf("Inbound = %+v\nwant      %+v", in, want)
	}
	if len(got.Replies) != 2 {
		t.Fatalf("replies = %+v", got.Replies)
	}
	r0, r1 := got.Replies[0], got.Replies[1]
	if r0.Text != "请为本次服务评价：" || len(r0.Buttons) != 2 || r0.Buttons[1][0] != (bot.Button{Label: "满意", Payload: "rate:4"}) || r0.Edit {
		t.Errorf("reply 0 = %+v", r0)
	}
	if r1.Text != "已勾选 ✓" || !r1.Edit || r1.Buttons == nil || len(r1.Buttons) != 0 {
		t.Errorf("reply 1 = %+v (buttons must be [] not null)", r1)
	}
	if r0.ID == "" || r0.ID == r1.ID {
		t.Errorf("reply ids %q %q", r0.ID, r1.ID)
	}

	// Pressing a button sends its payload and the id of the message it sat on.
	body := fmt.Sprintf(`{"payload":"rate:5","message_id":%q}`, r0.ID)
	res = postJSON(t, c, srv.URL+"/chat/api/message?lang=en", body, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	in = last(t, rec)
	want = bot.Inbound{Platform: bot.Web, ChatID: ck.Value, UserID: ck.Value, Lang: "en", Payload: "rate:5", MessageID: r0.ID, ClientAddr: "127.0.0.1"}
	if fmt.Sprint(in) != fmt.Sprint(want) {
		t.Errorf("Inbound = %+v\nwant      %+v", in, want)
	}
}

func TestLang(t *testing.T) {
	rec := &testenv.Handler{}
	srv, _ := newServer(t, web.Options{Handler: rec})
	srvEN, _ := newServer(t, web.Options{Handler: rec, Lang: "en"})
	for _, tc := range []struct {
		name, base, query, accept, want string
	}{
		{"default", srv.URL, "", "", "zh-CN"},
		{"configured default", srvEN.URL, "", "", "en"},
		{"query en", srv.URL, "?lang=en", "zh-CN", "en"},
		{"query zh-TW", srvEN.URL, "?lang=zh-TW", "en", "zh-CN"},
		{"bad query falls through", srv.URL, "?lang=xx", "en-GB,en;q=0.9", "en"},
		{"accept zh", srvEN.URL, "", "zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"},
		{"accept weights", srv.URL, "", "zh;q=0.5, en-US;q=0.9", "en"},
		{"accept other language gets English", srv.URL, "", "fr-FR,fr;q=0.9", "en"},
		{"accept other then zh", srvEN.URL, "", "fr-FR,zh-HK;q=0.5", "zh-CN"},
		{"accept star", srv.URL, "", "*", "zh-CN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := postJSON(t, client(t), tc.base+"/chat/api/message"+tc.query, `{"text":"hi"}`,
				map[string]string{"Accept-Language": tc.accept})
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d", res.StatusCode)
			}
			if got := last(t, rec).Lang; got != tc.want {
				t.Errorf("Lang = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestVisitorCookie(t *testing.T) {
	rec := &testenv.Handler{}
	srv, _ := newServer(t, web.Options{Handler: rec})

	t.Run("issued once on first API call and reused", func(t *testing.T) {
		c := client(t)
		res := postJSON(t, c, srv.URL+"/chat/api/message", `{"text":"hi"}`, nil)
		ck := visitorCookie(res)
		if ck == nil {
			t.Fatal("no cookie on first API call")
		}
		if !regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`).MatchString(ck.Value) {
			t.Errorf("visitor id %q is not 128 bits of base64url", ck.Value)
		}
		if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Secure || ck.Path != "/" || ck.MaxAge != 365*24*3600 {
			t.Errorf("cookie attributes: %+v", ck)
		}
		if id := last(t, rec).ChatID; id != ck.Value {
			t.Errorf("ChatID %q, cookie %q", id, ck.Value)
		}
		res = postJSON(t, c, srv.URL+"/chat/api/message", `{"text":"again"}`, nil)
		if visitorCookie(res) != nil {
			t.Error("cookie issued again")
		}
		if in := last(t, rec); in.ChatID != ck.Value || in.UserID != ck.Value {
			t.Errorf("second call as %q/%q, want %q", in.ChatID, in.UserID, ck.Value)
		}
		if res, _ := get(t, c, srv.URL+"/chat"); visitorCookie(res) != nil {
			t.Error("page load re-issued the cookie")
		}
	})

	t.Run("visitors differ", func(t *testing.T) {
		a := visitorCookie(postJSON(t, client(t), srv.URL+"/chat/api/message", `{"text":"a"}`, nil))
		b := visitorCookie(postJSON(t, client(t), srv.URL+"/chat/api/message", `{"text":"b"}`, nil))
		if a == nil || b == nil || a.Value == b.Value {
			t.Errorf("two visitors got %v and %v", a, b)
		}
	})

	t.Run("secure behind TLS proxy", func(t *testing.T) {
		res := postJSON(t, client(t), srv.URL+"/chat/api/message", `{"text":"hi"}`,
			map[string]string{"X-Forwarded-Proto": "https"})
		if ck := visitorCookie(res); ck == nil || !ck.Secure {
			t.Errorf("cookie %+v, want Secure", ck)
		}
	})

	t.Run("malformed cookie replaced", func(t *testing.T) {
		res := postJSON(t, http.DefaultClient, srv.URL+"/chat/api/message", `{"text":"hi"}`,
			map[string]string{"Cookie": web.CookieName + "=not-a-valid-id"})
		ck := visitorCookie(res)
		if ck == nil || ck.Value == "not-a-valid-id" {
			t.Fatalf("cookie %+v", ck)
		}
		if last(t, rec).ChatID != ck.Value {
			t.Error("handler did not see the new id")
		}
	})
}

func TestValidWindowCode(t *testing.T) {
	for _, tc := range []struct {
		code string
		want bool
	}{
		{"W001", true},
		{"a", true},
		{"xz-gov-01", true},
		{strings.Repeat("A", 40), true},
		{"", false},
		{strings.Repeat("A", 41), false},
		{"W 001", false},
		{"W001_x", false},
		{"W001<script>", false},
		{"窗口1", false},
		{"../x", false},
	} {
		if got := web.ValidWindowCode(tc.code); got != tc.want {
			t.Errorf("ValidWindowCode(%q) = %v, want %v", tc.code, got, tc.want)
		}
	}
}

func TestValidStaffNo(t *testing.T) {
	for _, tc := range []struct {
		no   string
		want bool
	}{
		{"S001", true},
		{"DEMO-001", true},
		{"hr_2024_17", true},
		{strings.Repeat("9", 40), true},
		{"", false},
		{strings.Repeat("9", 41), false},
		{"S 001", false},
		{"S/001", false},
		{"工号1", false},
		{"S001<script>", false},
	} {
		if got := web.ValidStaffNo(tc.no); got != tc.want {
			t.Errorf("ValidStaffNo(%q) = %v, want %v", tc.no, got, tc.want)
		}
	}
}

func TestDeepLinkValidatedOnServer(t *testing.T) {
	rec := &testenv.Handler{}
	srv, _ := newServer(t, web.Options{Handler: rec})
	for _, tc := range []struct {
		text string
		want int
		err  string
	}{
		{"/start w_W001", http.StatusOK, ""},
		{"/start", http.StatusOK, ""},
		{"/start w_" + strings.Repeat("9", 40), http.StatusOK, ""},
		{"/start w_W0 01", http.StatusBadRequest, "bad_window_code"},
		{"/start w_", http.StatusBadRequest, "bad_window_code"},
		{"/start w_" + strings.Repeat("9", 41), http.StatusBadRequest, "bad_window_code"},
		{"/start w_W001\"><img>", http.StatusBadRequest, "bad_window_code"},
		{"/start s_DEMO-001", http.StatusOK, ""},
		{"/start s_hr_17", http.StatusOK, ""},
		{"/start s_", http.StatusBadRequest, "bad_staff_no"},
		{"/start s_" + strings.Repeat("9", 41), http.StatusBadRequest, "bad_staff_no"},
		{"/start s_S1\"><img>", http.StatusBadRequest, "bad_staff_no"},
	} {
		t.Run(tc.text, func(t *testing.T) {
			before := len(rec.Inbounds())
			b, _ := json.Marshal(map[string]string{"text": tc.text})
			res := postJSON(t, client(t), srv.URL+"/chat/api/message", string(b), nil)
			if res.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.want)
			}
			if tc.want != http.StatusOK {
				if e := decode[apiError](t, res); e.Error != tc.err {
					t.Errorf("error %+v", e)
				}
				if len(rec.Inbounds()) != before {
					t.Error("handler called for a bad code")
				}
			}
		})
	}
}

func TestMessageRefused(t *testing.T) {
	rec := &testenv.Handler{}
	srv, _ := newServer(t, web.Options{Handler: rec, MaxBody: 100})
	url := srv.URL + "/chat/api/message"
	big := `{"text":"` + strings.Repeat("好", 100) + `"}`
	for _, tc := range []struct {
		name   string
		method string
		ctype  string
		body   string
		hdr    map[string]string
		status int
		code   string
	}{
		{"too large", "POST", "application/json", big, nil, http.StatusRequestEntityTooLarge, "too_large"},
		{"too large chunked", "POST", "application/json", big, map[string]string{"X-Chunked": "1"}, http.StatusRequestEntityTooLarge, "too_large"},
		{"bad json", "POST", "application/json", `{"text":`, nil, http.StatusBadRequest, "bad_json"},
		{"two values", "POST", "application/json", `{"text":"a"}{"text":"b"}`, nil, http.StatusBadRequest, "bad_json"},
		{"wrong type", "POST", "application/json", `{"text":5}`, nil, http.StatusBadRequest, "bad_json"},
		{"empty", "POST", "application/json", `{"text":"   "}`, nil, http.StatusBadRequest, "empty"},
		{"text and payload", "POST", "application/json", `{"text":"a","payload":"p","message_id":"m1"}`, nil, http.StatusBadRequest, "text_and_payload"},
		{"payload without message id", "POST", "application/json", `{"payload":"p"}`, nil, http.StatusBadRequest, "bad_message_id"},
		{"bad message id", "POST", "application/json", `{"payload":"p","message_id":"<x>"}`, nil, http.StatusBadRequest, "bad_message_id"},
		{"form post", "POST", "application/x-www-form-urlencoded", `text=hi`, nil, http.StatusUnsupportedMediaType, "unsupported_media_type"},
		{"text/plain", "POST", "text/plain", `{"text":"hi"}`, nil, http.StatusUnsupportedMediaType, "unsupported_media_type"},
		{"no content type", "POST", "", `{"text":"hi"}`, nil, http.StatusUnsupportedMediaType, "unsupported_media_type"},
		{"cross-origin Origin", "POST", "application/json", `{"text":"hi"}`, map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden, "cross_origin"},
		{"null Origin", "POST", "application/json", `{"text":"hi"}`, map[string]string{"Origin": "null"}, http.StatusForbidden, "cross_origin"},
		{"cross-site fetch", "POST", "application/json", `{"text":"hi"}`, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden, "cross_origin"},
		{"GET", "GET", "", "", nil, http.StatusMethodNotAllowed, ""},
		{"PUT", "PUT", "application/json", `{"text":"hi"}`, nil, http.StatusMethodNotAllowed, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, url, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.hdr["X-Chunked"] != "" {
				// Hide the length so the limit must be enforced while reading.
				req.Body = io.NopCloser(strings.NewReader(tc.body))
				req.ContentLength = -1
			}
			if tc.ctype != "" {
				req.Header.Set("Content-Type", tc.ctype)
			}
			for k, v := range tc.hdr {
				req.Header.Set(k, v)
			}
			before := len(rec.Inbounds())
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.status)
			}
			if tc.code != "" {
				e := decode[apiError](t, res)
				if e.Error != tc.code || e.Message == "" {
					t.Errorf("error body %+v, want code %q", e, tc.code)
				}
			}
			if len(rec.Inbounds()) != before {
				t.Error("handler called for a refused request")
			}
		})
	}

	t.Run("same Origin allowed", func(t *testing.T) {
		res := postJSON(t, http.DefaultClient, url, `{"text":"hi"}`,
			map[string]string{"Origin": srv.URL, "Sec-Fetch-Site": "same-origin"})
		if res.StatusCode != http.StatusOK {
			t.Errorf("status %d", res.StatusCode)
		}
	})
}

func TestHandlerError(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	rec := &testenv.Handler{Err: errors.New("database is down")}
	srv, _ := newServer(t, web.Options{Handler: rec, Logger: logger})
	for _, tc := range []struct{ lang, want string }{
		{"", "抱歉"},
		{"?lang=en", "Sorry"},
	} {
		res := postJSON(t, client(t), srv.URL+"/chat/api/message"+tc.lang, `{"text":"my secret complaint"}`, nil)
		if res.StatusCode != http.StatusInternalServerError {
			t.Fatalf("status %d", res.StatusCode)
		}
		e := decode[apiError](t, res)
		if e.Error != "handler_failed" || !strings.HasPrefix(e.Message, tc.want) || strings.Contains(e.Message, "database") {
			t.Errorf("error body %+v", e)
		}
	}
	out := logs.String()
	if !strings.Contains(out, "level=ERROR") || !strings.Contains(out, "database is down") {
		t.Errorf("error not logged: %s", out)
	}
	if strings.Contains(out, "secret") {
		t.Errorf("log contains the message text: %s", out)
	}
}

func TestSendAndInbox(t *testing.T) {
	srv, chat := newServer(t, web.Options{Handler: &testenv.Handler{}})
	c := client(t)
	res, _ := get(t, c, srv.URL+"/")
	id := visitorCookie(res).Value
	ctx := context.Background()
	to := bot.Recipient{Platform: bot.Web, ChatID: id}

	inbox := func() []wireReply {
		t.Helper()
		res, err := c.Get(srv.URL + "/chat/api/inbox")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("inbox status %d", res.StatusCode)
		}
		return decode[replies](t, res).Replies
	}

	if got := inbox(); got == nil || len(got) != 0 {
		t.Fatalf("empty inbox = %#v, want []", got)
	}
	msgs := []bot.Reply{
		{Text: "您的工单 T20261123-0042 已受理"},
		{Text: "请评价整改结果", Buttons: bot.Column(bot.Button{Label: "满意", Payload: "rr:3"}), Edit: true},
	}
	for _, m := range msgs {
		if err := chat.Send(ctx, to, m); err != nil {
			t.Fatal(err)
		}
	}
	got := inbox()
	if len(got) != 2 || got[0].Text != msgs[0].Text || got[1].Buttons[0][0].Payload != "rr:3" || got[1].Edit || got[1].ID == "" {
		t.Errorf("inbox = %+v", got)
	}
	if got := inbox(); len(got) != 0 {
		t.Errorf("inbox not cleared: %+v", got)
	}

	t.Run("bounded", func(t *testing.T) {
		for i := range web.InboxLimit + 5 {
			if err := chat.Send(ctx, to, bot.Reply{Text: fmt.Sprint(i)}); err != nil {
				t.Fatal(err)
			}
		}
		got := inbox()
		if len(got) != web.InboxLimit || got[0].Text != "5" || got[len(got)-1].Text != fmt.Sprint(web.InboxLimit+4) {
			t.Errorf("got %d messages, first %q", len(got), got[0].Text)
		}
	})

	t.Run("other visitors see nothing", func(t *testing.T) {
		if err := chat.Send(ctx, to, bot.Reply{Text: "private"}); err != nil {
			t.Fatal(err)
		}
		res, err := client(t).Get(srv.URL + "/chat/api/inbox")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if got := decode[replies](t, res).Replies; len(got) != 0 {
			t.Errorf("stranger got %+v", got)
		}
		if got := inbox(); len(got) != 1 {
			t.Errorf("owner got %+v", got)
		}
	})

	t.Run("cross-site inbox read refused", func(t *testing.T) {
		_ = chat.Send(ctx, to, bot.Reply{Text: "keep"})
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/chat/api/inbox", nil)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("status %d", res.StatusCode)
		}
		if got := inbox(); len(got) != 1 {
			t.Errorf("inbox after refused read: %+v", got)
		}
	})

	t.Run("refused", func(t *testing.T) {
		for _, r := range []bot.Recipient{
			{Platform: bot.Telegram, ChatID: id},
			{Platform: bot.Web, ChatID: "12345"},
		} {
			if err := chat.Send(ctx, r, bot.Reply{Text: "x"}); !errors.Is(err, web.ErrRecipient) || !errors.Is(err, bot.ErrPermanent) {
				t.Errorf("Send to %+v: %v", r, err)
			}
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := chat.Send(cctx, to, bot.Reply{Text: "x"}); !errors.Is(err, context.Canceled) {
			t.Errorf("Send with cancelled ctx: %v", err)
		}
	})
}

// pngBytes is a 1×1 PNG.
var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

func postPhoto(t *testing.T, c *http.Client, url string, data []byte, caption string) *http.Response {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if caption != "" {
		_ = mw.WriteField("text", caption)
	}
	fw, err := mw.CreateFormFile("photo", "p.png")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write(data)
	_ = mw.Close()
	res, err := c.Post(url, mw.FormDataContentType(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

func TestPhoto(t *testing.T) {
	rec := &testenv.Handler{Replies: []bot.Reply{{Text: "收到照片"}}}
	srv, _ := newServer(t, web.Options{Handler: rec})
	url := srv.URL + "/chat/api/message"
	c := client(t)

	res := postPhoto(t, c, url, pngBytes, " 窗口无人 ")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	in := last(t, rec)
	if in.Photo == nil || in.Photo.MIMEType != "image/png" || in.Photo.Size != int64(len(pngBytes)) || !bytes.Equal(in.Photo.Data, pngBytes) {
		t.Errorf("Photo = %+v", in.Photo)
	}
	if in.Text != "窗口无人" || in.Platform != bot.Web || in.ChatID == "" {
		t.Errorf("Inbound = %+v", in)
	}

	before := len(rec.Inbounds())
	big := append(append([]byte{}, pngBytes...), make([]byte, models.MaxPhotoBytes)...)
	if res := postPhoto(t, c, url, big, ""); res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized photo: status %d", res.StatusCode)
	}
	if res := postPhoto(t, c, url, []byte("<html>not an image</html>"), ""); res.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("non-image: status %d", res.StatusCode)
	}
	if len(rec.Inbounds()) != before {
		t.Error("handler called for a refused upload")
	}
}

func TestConcurrentVisitors(t *testing.T) {
	rec := &testenv.Handler{Replies: []bot.Reply{{Text: "好", Buttons: bot.Column(bot.Button{Label: "满意", Payload: "rate:4"})}}}
	srv, chat := newServer(t, web.Options{Handler: rec})
	const visitors, rounds = 50, 5
	// Every request and push has a deadline, and so has the whole test: a server that stalls fails
	// it, naming the visitors that did not finish and the step they were at.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	report := func(err error) { mu.Lock(); errs = append(errs, err); mu.Unlock() }
	var step [visitors]atomic.Value
	for v := range visitors {
		wg.Add(1)
		step[v].Store("not started")
		go func() {
			defer wg.Done()
			defer step[v].Store("done")
			fail := func(err error) { report(fmt.Errorf("visitor %d at %s: %w", v, step[v].Load(), err)) }
			jar, _ := cookiejar.New(nil)
			c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
			step[v].Store("opening the page")
			res, err := c.Get(srv.URL + "/?w=W001")
			if err != nil {
				fail(err)
				return
			}
			res.Body.Close()
			id := visitorCookie(res).Value
			seen := 0
			for i := range rounds {
				step[v].Store(fmt.Sprintf("round %d: push", i))
				if err := chat.Send(ctx, bot.Recipient{Platform: bot.Web, ChatID: id}, bot.Reply{Text: fmt.Sprintf("%d %d", v, i)}); err != nil {
					fail(err)
					return
				}
				step[v].Store(fmt.Sprintf("round %d: message", i))
				req, _ := http.NewRequest(http.MethodPost, srv.URL+"/chat/api/message", strings.NewReader(fmt.Sprintf(`{"text":"v%d r%d"}`, v, i)))
				req.Header.Set("Content-Type", "application/json")
				res, err := c.Do(req)
				if err != nil {
					fail(err)
					return
				}
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					report(fmt.Errorf("visitor %d: status %d", v, res.StatusCode))
					return
				}
				step[v].Store(fmt.Sprintf("round %d: inbox", i))
				res, err = c.Get(srv.URL + "/chat/api/inbox")
				if err != nil {
					fail(err)
					return
				}
				var got replies
				err = json.NewDecoder(res.Body).Decode(&got)
				res.Body.Close()
				if err != nil {
					fail(err)
					return
				}
				for _, r := range got.Replies {
					if !strings.HasPrefix(r.Text, fmt.Sprintf("%d ", v)) {
						report(fmt.Errorf("visitor %d got %q", v, r.Text))
					}
				}
				seen += len(got.Replies)
			}
			if seen != rounds {
				report(fmt.Errorf("visitor %d saw %d pushes, want %d", v, seen, rounds))
			}
		}()
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-ctx.Done():
		var stuck []string
		for v := range visitors {
			if st := step[v].Load().(string); st != "done" {
				stuck = append(stuck, fmt.Sprintf("visitor %d at %s", v, st))
			}
		}
		t.Fatalf("gave up waiting for the visitors after 2m: %s", strings.Join(stuck, "; "))
	}
	for _, err := range errs {
		t.Error(err)
	}
	if n := len(rec.Inbounds()); n != visitors*rounds {
		t.Errorf("handler calls %d, want %d", n, visitors*rounds)
	}
	ids := map[string]bool{}
	for _, in := range rec.Inbounds() {
		ids[in.ChatID] = true
	}
	if len(ids) != visitors {
		t.Errorf("%d distinct visitors, want %d", len(ids), visitors)
	}
}
