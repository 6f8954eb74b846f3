package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"windowbot/bot"
	"windowbot/bot/web"
	"windowbot/internal/testenv"
)

// TestTextCleanedAtTheBoundary: what a visitor types reaches the engine without NUL, control,
// bidirectional or zero-width characters, a code typed full-width arrives folded, and a text of
// nothing but such characters is refused as empty.
func TestTextCleanedAtTheBoundary(t *testing.T) {
	rec := &testenv.Handler{Replies: []bot.Reply{{Text: "好"}}}
	srv, _ := newServer(t, web.Options{Handler: rec})
	c := client(t)
	get(t, c, srv.URL+"/")
	for _, tc := range []struct{ body, want string }{
		{`{"text":"态度\u0000冷漠\u202e好\u200b"}`, "态度冷漠好"},
		{`{"text":"  \u0007排队\r\n两小时 "}`, "排队\n两小时"},
		{`{"text":"Ｗ００１"}`, "W001"},
		{`{"text":"１３７\u200b１２３４５６７８"}`, "13712345678"},
		{`{"text":"５，很好"}`, "５，很好"},
	} {
		if res := postJSON(t, c, srv.URL+"/chat/api/message", tc.body, nil); res.StatusCode != http.StatusOK {
			t.Fatalf("POST %s = %d", tc.body, res.StatusCode)
		}
		if got := last(t, rec).Text; got != tc.want {
			t.Errorf("POST %s: engine got %q, want %q", tc.body, got, tc.want)
		}
	}
	n := len(rec.Inbounds())
	res := postJSON(t, c, srv.URL+"/chat/api/message", `{"text":"\u0000\u200b\u202e"}`, nil)
	if res.StatusCode != http.StatusBadRequest || decode[apiError](t, res).Error != "empty" {
		t.Errorf("invisible-only text: status %d", res.StatusCode)
	}
	if len(rec.Inbounds()) != n {
		t.Error("invisible-only text reached the engine")
	}
	// A photo's caption too.
	if res := postPhoto(t, c, srv.URL+"/chat/api/message", pngBytes, "门口\x00台阶\u2066坏了"); res.StatusCode != http.StatusOK {
		t.Fatalf("photo: %d", res.StatusCode)
	}
	if got := last(t, rec).Text; got != "门口台阶坏了" {
		t.Errorf("caption = %q", got)
	}
}

// TestClientAddr: the peer's address, or behind a trusted proxy the nearest address in
// X-Forwarded-For that is not a trusted proxy; a header from anybody else is ignored.
func TestClientAddr(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	for _, tc := range []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"direct", "203.0.113.9:51234", nil, "203.0.113.9"},
		{"direct with a forged header", "203.0.113.9:51234", []string{"198.51.100.1"}, "203.0.113.9"},
		{"behind the proxy", "10.1.2.3:80", []string{"198.51.100.1"}, "198.51.100.1"},
		{"forged hop before the real one", "10.1.2.3:80", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1"},
		{"two proxies", "10.1.2.3:80", []string{"198.51.100.1", "10.9.9.9"}, "198.51.100.1"},
		{"proxy without header", "10.1.2.3:80", nil, "10.1.2.3"},
		{"garbage hop", "10.1.2.3:80", []string{"198.51.100.1, junk"}, "10.1.2.3"},
		{"ipv6 loopback proxy", "[::1]:80", []string{"2001:db8::7"}, "2001:db8::7"},
		{"ipv4 in ipv6", "[::ffff:203.0.113.9]:80", nil, "203.0.113.9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/chat/api/message", nil)
			r.RemoteAddr = tc.remote
			for _, h := range tc.xff {
				r.Header.Add("X-Forwarded-For", h)
			}
			if got := web.ClientAddr(r, trusted); got != tc.want {
				t.Errorf("ClientAddr = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestInboundCarriesClientAddr: the engine learns where a web message came from, so limits can
// be kept per address and not only per cookie, which a visitor renews at will.
func TestInboundCarriesClientAddr(t *testing.T) {
	rec := &testenv.Handler{Replies: []bot.Reply{{Text: "好"}}}
	srv, _ := newServer(t, web.Options{Handler: rec})
	c := client(t)
	postJSON(t, c, srv.URL+"/chat/api/message", `{"text":"你好"}`, map[string]string{"X-Forwarded-For": "198.51.100.1"})
	if got := last(t, rec).ClientAddr; got != "127.0.0.1" {
		t.Errorf("ClientAddr = %q, want the peer 127.0.0.1 (no proxy is trusted)", got)
	}
}
