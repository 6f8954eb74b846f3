package web_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"windowbot/bot"
	"windowbot/bot/web"
	"windowbot/internal/testenv"
	"windowbot/internal/testenv/transcript"
)

// TestTranscripts plays the main dialogs through the web chat's JSON API, as the page does: it
// posts what is typed, the payload of a pressed button with the id of its message, and photos as
// uploads, and polls the inbox for pushes, which wait in the database as they do in production.
// It writes down each answer as the page receives it,
// pretty-printed with its keys in order, the random message ids replaced by m1, m2… in the order
// they first appear.
func TestTranscripts(t *testing.T) {
	transcript.Run(t, func(t *testing.T, w *transcript.World) transcript.Channel {
		srv, chat := newServer(t, web.Options{Handler: w.Handler, Logger: testenv.Logger(), Inbox: w.Store, History: w.State, Now: w.Clock.Now})
		return &webChannel{srv: srv, chat: chat, browsers: map[string]*http.Client{}, ids: map[string]string{}}
	})
}

// webChannel is transcript.Channel on the web chat.
type webChannel struct {
	srv      *httptest.Server
	chat     *web.Chat
	browsers map[string]*http.Client // by actor key
	screen   transcript.Screen
	// ids maps the server's message ids to their placeholders.
	ids map[string]string
}

func (c *webChannel) Platform() bot.Platform { return bot.Web }
func (c *webChannel) Sender() bot.Sender     { return c.chat }

// Account is the actor's visitor id, derived from its key so that it never changes (the server
// would issue a random one): 16 bytes in base64url, as the cookie holds them.
func (c *webChannel) Account(a transcript.Actor) string {
	sum := sha256.Sum256([]byte(a.Key))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// browser is who's browser: a cookie jar holding their visitor cookie.
func (c *webChannel) browser(t *testing.T, who transcript.Actor) *http.Client {
	if b := c.browsers[who.Key]; b != nil {
		return b
	}
	b := client(t)
	u, err := url.Parse(c.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	b.Jar.SetCookies(u, []*http.Cookie{{Name: web.CookieName, Value: c.Account(who), Path: "/"}})
	c.browsers[who.Key] = b
	return b
}

// Open loads the page at /?w=<window>; its script then sends "/start w_<window>".
func (c *webChannel) Open(t *testing.T, tr *transcript.Transcript, who transcript.Actor, window string) {
	if res, _ := get(t, c.browser(t, who), c.srv.URL+"/?w="+window); res.StatusCode != http.StatusOK {
		t.Fatalf("GET /?w=%s: %d", window, res.StatusCode)
	}
	c.post(t, tr, who, "opens /?w="+window+", whose script posts", map[string]string{"text": "/start w_" + window})
}

func (c *webChannel) Say(t *testing.T, tr *transcript.Transcript, who transcript.Actor, text string) {
	c.post(t, tr, who, "posts", map[string]string{"text": text})
}

// Offers reports whether the newest message to who with choices offers label.
func (c *webChannel) Offers(who transcript.Actor, label string) bool {
	return c.screen.Offers(c.Account(who), label)
}

func (c *webChannel) Press(t *testing.T, tr *transcript.Transcript, who transcript.Actor, label string) {
	id, payload := c.screen.Find(t, c.Account(who), label)
	c.post(t, tr, who, "presses ["+label+"], which posts", map[string]string{"payload": payload, "message_id": id})
}

func (c *webChannel) Photo(t *testing.T, tr *transcript.Transcript, who transcript.Actor, caption string) {
	tr.User(who, fmt.Sprintf("uploads a PNG photo with text %q to /chat/api/message", caption))
	res := postPhoto(t, c.browser(t, who), c.srv.URL+"/chat/api/message", transcript.PNG(), caption)
	c.answer(t, tr, who, res.Status, res)
}

// Pushed polls every actor's inbox, as each one's open page does, and writes down what is there.
func (c *webChannel) Pushed(t *testing.T, tr *transcript.Transcript) {
	for _, who := range transcript.Actors() {
		res, err := c.browser(t, who).Get(c.srv.URL + "/chat/api/inbox")
		if err != nil {
			t.Fatal(err)
		}
		c.answer(t, tr, who, "GET /chat/api/inbox", res)
		res.Body.Close()
	}
}

// post sends body as JSON to the message API and writes down the answer.
func (c *webChannel) post(t *testing.T, tr *transcript.Transcript, who transcript.Actor, what string, body map[string]string) {
	t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	shown := body
	if id, ok := body["message_id"]; ok {
		shown = map[string]string{"payload": body["payload"], "message_id": c.ids[id]}
	}
	tr.User(who, what+" "+pretty(t, shown))
	res := postJSON(t, c.browser(t, who), c.srv.URL+"/chat/api/message", string(raw), nil)
	c.answer(t, tr, who, res.Status, res)
}

// answer writes down the replies of res under head and remembers their buttons; an inbox with
// nothing in it is left out.
func (c *webChannel) answer(t *testing.T, tr *transcript.Transcript, who transcript.Actor, head string, res *http.Response) {
	t.Helper()
	var out struct {
		Replies []struct {
			ID      string         `json:"id"`
			Buttons [][]bot.Button `json:"buttons"`
		} `json:"replies"`
	}
	body := c.read(t, res, &out)
	if res.Request.Method == http.MethodGet && len(out.Replies) == 0 {
		return
	}
	tr.Bot(c.Account(who), head, body)
	for _, r := range out.Replies {
		c.screen.Show(c.Account(who), r.ID, transcript.Choices(r.Buttons))
	}
}

// read decodes the JSON answer res into v and returns it pretty-printed, its message ids replaced.
func (c *webChannel) read(t *testing.T, res *http.Response, v any) string {
	t.Helper()
	var raw bytes.Buffer
	if _, err := raw.ReadFrom(res.Body); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw.Bytes(), v); err != nil {
		t.Fatalf("%s: %v", raw.String(), err)
	}
	dec := json.NewDecoder(&raw)
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		t.Fatal(err)
	}
	return pretty(t, c.mask(tree))
}

// mask replaces the value of every "id" key under tree with its placeholder.
func (c *webChannel) mask(tree any) any {
	switch v := tree.(type) {
	case map[string]any:
		for k, x := range v {
			if id, ok := x.(string); ok && k == "id" {
				if c.ids[id] == "" {
					c.ids[id] = fmt.Sprintf("m%d", len(c.ids)+1)
				}
				v[k] = c.ids[id]
			} else {
				v[k] = c.mask(x)
			}
		}
	case []any:
		for i, x := range v {
			v[i] = c.mask(x)
		}
	}
	return tree
}

// pretty writes v as the reader should see it: keys in order, no escapes of <, > or & (nor of
// Chinese, which encoding/json never escapes), a button or a row of buttons on one line (see
// oneLine), anything else over several lines, indented.
func pretty(t *testing.T, v any) string {
	t.Helper()
	var b strings.Builder
	writeJSON(t, &b, v, "")
	return b.String()
}

func writeJSON(t *testing.T, b *strings.Builder, v any, indent string) {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		keys := slices.Sorted(maps.Keys(x))
		writeItems(b, "{", "}", len(keys), oneLine(v), indent, func(i int, indent string) {
			writeJSON(t, b, keys[i], indent)
			b.WriteString(": ")
			writeJSON(t, b, x[keys[i]], indent)
		})
	case []any:
		writeItems(b, "[", "]", len(x), oneLine(v), indent, func(i int, indent string) { writeJSON(t, b, x[i], indent) })
	default:
		var s strings.Builder
		enc := json.NewEncoder(&s)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(x); err != nil {
			t.Fatal(err)
		}
		b.WriteString(strings.TrimSuffix(s.String(), "\n"))
	}
}

// writeItems writes n items between open and close, on one line or one an indented line.
func writeItems(b *strings.Builder, open, close string, n int, line bool, indent string, item func(i int, indent string)) {
	b.WriteString(open)
	for i := range n {
		switch {
		case i > 0 && line:
			b.WriteString(", ")
		case i > 0:
			b.WriteString(",")
		}
		if !line {
			b.WriteString("\n" + indent + "  ")
		}
		item(i, indent+"  ")
	}
	if !line && n > 0 {
		b.WriteString("\n" + indent)
	}
	b.WriteString(close)
}

// oneLine reports whether v goes on one line: a plain value, an object of plain values (a
// button, a request), or a list of those (a row of buttons).
func oneLine(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			if !plain(e) {
				return false
			}
		}
	case []any:
		for _, e := range x {
			if _, list := e.([]any); list || !oneLine(e) {
				return false
			}
		}
	}
	return true
}

// plain reports whether v is neither an object nor a list.
func plain(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return false
	}
	return true
}
