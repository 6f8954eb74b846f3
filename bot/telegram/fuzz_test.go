package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"windowbot/bot"
	"windowbot/internal/testenv"
)

// claims is a Deduper that counts its claims and forgets them at every input, so each input is
// judged alone whatever update_id an earlier one had.
type claims struct {
	mu   sync.Mutex
	seen map[string]bool
	n    int
}

func (c *claims) Claim(_ context.Context, key string, _ time.Duration) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	if c.seen[key] {
		return false, nil
	}
	c.seen[key] = true
	return true, nil
}

func (c *claims) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen, c.n = map[string]bool{}, 0
}

// reset forgets the calls and messages of earlier inputs.
func (f *fakeAPI) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = nil
	clear(f.messages)
}

// wireUpdate is what the oracle reads of an update, with the field types of the Bot API library:
// a body this does not decode, the library does not either.
type wireUpdate struct {
	Message *struct {
		From *struct {
			ID    int64 `json:"id"`
			IsBot bool  `json:"is_bot"`
		} `json:"from"`
		Chat struct {
			ID   int64  `json:"id"`
			Type string `json:"type"`
		} `json:"chat"`
		Text    string            `json:"text"`
		Caption string            `json:"caption"`
		Photo   []json.RawMessage `json:"photo"`
	} `json:"message"`
	CallbackQuery *struct {
		ID   string `json:"id"`
		From struct {
			ID int64 `json:"id"`
		} `json:"from"`
		Data string `json:"data"`
	} `json:"callback_query"`
}

// FuzzWebhook posts any body to the webhook: as Telegram does (mode 0), with a wrong secret (1),
// twice as a redelivery (2), or with GET (3). It holds that:
//   - the answer is 200, or 400 (not an update), 401 (secret), 405 (method) or 413 (size): never
//     5xx;
//   - a refused call (401, 405, 400, 413) reaches no handler, claims no update id and makes no
//     call to the Bot API: it changes no row and no session;
//   - an update reaches the handler at most once, also when delivered twice;
//   - only a message or a button press reaches it (an edited message, a channel post, a member
//     change… does not); a message only from a person in a private chat; its chat and user ids
//     are the update's; a message from a person in a private chat with text that is not a
//     command is handled;
//   - the Inbound carries something (text, a payload, a photo or a location), and its text,
//     payload and user name are clean (bot.CleanInbound);
//   - a button press is answered (answerCallbackQuery), so the button stops spinning, and a
//     handled update's reply is sent to its chat.
func FuzzWebhook(f *testing.F) {
	u := tgUser{ID: 4242, Lang: "zh-hans"}
	for i, upd := range []map[string]any{
		u.textUpdate("非常满意"), u.textUpdate("/start w_W005"), u.pressUpdate(7, "rate:level:5"), u.photoUpdate("叫号机坏了"),
	} {
		f.Add([]byte(updateJSON(int64(100+i), upd)), byte(0))
	}
	f.Add([]byte("{"), byte(0))

	r := newFuzzRig(f)
	f.Fuzz(r.check)
}

// FuzzUpdateFields holds FuzzWebhook's invariants for well-formed updates of every kind the
// adapter meets — a text message, a photo with a caption, a button press, an edited message, a
// location — in a private chat or a group, from a person or a bot, with any text, caption,
// button data and name: the fields a person fills in, which a fuzzer rarely reaches through raw
// JSON.
func FuzzUpdateFields(f *testing.F) {
	f.Add(byte(0), "排队两个小时，电话 138 1234 5678", "张", false)
	f.Add(byte(0), "/start w_W005", "Ann", false)
	f.Add(byte(0), "/rate@OtherBot", "Ann", false)
	f.Add(byte(1), "叫号机坏了", "张", false)
	f.Add(byte(2), "rate:level:5", "张\u202e", false)
	f.Add(byte(2), "\u200b", "", false)
	f.Add(byte(3), "排队三个小时", "张", false)
	f.Add(byte(4), "", "张", false)
	f.Add(byte(0), "hello", "Other", true)
	f.Add(byte(5), "/complain", "张", false)
	r := newFuzzRig(f)
	f.Fuzz(func(t *testing.T, kind byte, text, name string, isBot bool) {
		from := map[string]any{"id": 730120450, "is_bot": isBot, "first_name": name, "language_code": "zh-hans"}
		private := map[string]any{"id": 730120450, "type": "private", "first_name": name}
		msg := map[string]any{"message_id": 5021, "date": 1764000000, "from": from, "chat": private}
		upd := map[string]any{"update_id": 912345001}
		switch kind % 6 {
		case 0:
			msg["text"] = text
			upd["message"] = msg
		case 1:
			msg["caption"] = text
			msg["photo"] = []any{map[string]any{"file_id": "AgAC1", "file_unique_id": "u1", "width": 1280, "height": 960, "file_size": 98000}}
			upd["message"] = msg
		case 2:
			upd["callback_query"] = map[string]any{"id": "3135879234450001", "from": from, "chat_instance": "-1", "data": text,
				"message": map[string]any{"message_id": 77, "date": 1764000000, "chat": private, "text": "…"}}
		case 3:
			msg["text"] = text
			msg["edit_date"] = 1764000100
			upd["edited_message"] = msg
		case 4:
			msg["location"] = map[string]any{"latitude": 31.2304, "longitude": 121.4737}
			msg["text"] = text
			upd["message"] = msg
		case 5:
			msg["text"] = text
			msg["chat"] = map[string]any{"id": -100123, "type": "supergroup", "title": name}
			upd["message"] = msg
		}
		body, err := json.Marshal(upd)
		if err != nil {
			t.Fatal(err)
		}
		r.check(t, body, 0)
	})
}

// fuzzRig is the adapter in webhook mode in front of a recording handler and the fake Bot API.
type fuzzRig struct {
	api    *fakeAPI
	dedupe *claims
	rec    *testenv.Handler
	hook   http.Handler
}

func newFuzzRig(f *testing.F) *fuzzRig {
	api := newFakeAPI(f)
	dedupe := &claims{}
	rec := &testenv.Handler{Replies: []bot.Reply{{Text: "好的"}}}
	ad, err := New(Options{
		Token: api.token, APIURL: api.URL(), Mode: ModeWebhook, WebhookSecret: secret,
		Username: api.username, Handler: rec, Dedupe: dedupe, HandleTimeout: 10 * time.Second,
	})
	if err != nil {
		f.Fatal(err)
	}
	return &fuzzRig{api: api, dedupe: dedupe, rec: rec, hook: ad.WebhookHandler()}
}

// check posts body in the way mode says and checks every invariant of FuzzWebhook.
func (r *fuzzRig) check(t *testing.T, body []byte, mode byte) {
	r.api.reset()
	r.dedupe.reset()
	before := len(r.rec.Inbounds())
	post := func(method, sec string) int {
		req := httptest.NewRequest(method, "/telegram", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(SecretHeader, sec)
		w := httptest.NewRecorder()
		r.hook.ServeHTTP(w, req)
		return w.Code
	}
	var code int
	switch mode % 4 {
	case 0, 2:
		code = post(http.MethodPost, secret)
	case 1:
		code = post(http.MethodPost, secret+"x")
	case 3:
		code = post(http.MethodGet, secret)
	}
	var upd wireUpdate
	parsed := json.Unmarshal(body, &upd) == nil
	switch {
	case mode%4 == 1 && code != http.StatusUnauthorized, mode%4 == 3 && code != http.StatusMethodNotAllowed:
		t.Fatalf("mode %d: status %d", mode%4, code)
	case code == http.StatusOK && !parsed:
		t.Fatalf("status 200 for a body that is not an update: %q", body)
	case code != http.StatusOK && code != http.StatusBadRequest && code != http.StatusUnauthorized &&
		code != http.StatusMethodNotAllowed && code != http.StatusRequestEntityTooLarge:
		t.Fatalf("status %d", code)
	}
	if code != http.StatusOK {
		if got := r.rec.Inbounds()[before:]; len(got) != 0 || r.dedupe.n != 0 || r.api.count() != 0 {
			t.Fatalf("refused call (%d) reached the handler %d times, claimed %d ids, called the API %d times",
				code, len(got), r.dedupe.n, r.api.count())
		}
		return
	}
	if mode%4 == 2 {
		if again := post(http.MethodPost, secret); again != http.StatusOK {
			t.Fatalf("redelivery: status %d", again)
		}
	}
	got := r.rec.Inbounds()[before:]
	if len(got) > 1 {
		t.Fatalf("the update reached the handler %d times: %+v", len(got), got)
	}
	calls := r.api.since(0)
	m, cq := upd.Message, upd.CallbackQuery
	if cq != nil && m == nil {
		answered := false
		for _, c := range calls {
			answered = answered || (c.Method == "answerCallbackQuery" && c.Params["callback_query_id"] == cq.ID)
		}
		if !answered {
			t.Fatalf("button press %q not answered: %+v", cq.ID, calls)
		}
	}
	if m != nil && m.From != nil && !m.From.IsBot && m.Chat.Type == "private" &&
		bot.Clean(m.Text) != "" && !strings.HasPrefix(bot.Clean(m.Text), "/") && len(m.Photo) == 0 && len(got) != 1 {
		t.Fatalf("a person's message %q in a private chat was not handled", m.Text)
	}
	if len(got) == 0 {
		return
	}
	in := got[0]
	checkInbound(t, in)
	switch {
	case m != nil:
		if m.From == nil || m.From.IsBot || m.Chat.Type != "private" {
			t.Fatalf("handled a message that is not a person's in a private chat: %+v", in)
		}
		if in.ChatID != strconv.FormatInt(m.Chat.ID, 10) || in.UserID != strconv.FormatInt(m.From.ID, 10) || in.Payload != "" {
			t.Fatalf("inbound %+v of message in chat %d from %d", in, m.Chat.ID, m.From.ID)
		}
	case cq != nil:
		if in.Payload != bot.Clean(cq.Data) || in.UserID != strconv.FormatInt(cq.From.ID, 10) || in.Text != "" {
			t.Fatalf("inbound %+v of button %q from %d", in, cq.Data, cq.From.ID)
		}
	default:
		t.Fatalf("neither a message nor a button press was handled: %+v", in)
	}
	sent := false
	for _, c := range calls {
		sent = sent || (c.Method == "sendMessage" && c.Params["chat_id"] == in.ChatID && c.Params["text"] == "好的")
	}
	if !sent && in.ChatID != "0" {
		t.Fatalf("the reply to %+v was not sent: %+v", in, calls)
	}
}

// checkInbound fails unless in carries something and its texts are clean.
func checkInbound(t *testing.T, in bot.Inbound) {
	t.Helper()
	if in.Platform != bot.Telegram {
		t.Fatalf("platform %q", in.Platform)
	}
	if in.Text == "" && in.Payload == "" && in.Photo == nil && in.Location == nil {
		t.Fatalf("empty inbound handled: %+v", in)
	}
	if _, err := strconv.ParseInt(in.ChatID, 10, 64); err != nil {
		t.Fatalf("chat id %q", in.ChatID)
	}
	for _, s := range []string{in.Text, in.Payload, in.UserName} {
		if !utf8.ValidString(s) || s != strings.TrimSpace(s) {
			t.Fatalf("not clean: %q", s)
		}
		if why := testenv.Unclean(s); why != "" {
			t.Fatalf("%q: %s", s, why)
		}
	}
}

// TestWebhookDropsEmptyButtonPress: a button press whose data is nothing but invisible characters
// (found by FuzzWebhook) is answered, so the button stops spinning, and reaches no handler: it
// used to arrive as a message with neither text nor payload.
func TestWebhookDropsEmptyButtonPress(t *testing.T) {
	api := newFakeAPI(t)
	rec := &testenv.Handler{Replies: []bot.Reply{{Text: "好的"}}}
	_, srv := webhookAdapter(t, api, rec, nil)
	u := tgUser{ID: 77}
	for i, data := range []string{"\u200b", "\u202e\u2062", "\x00"} {
		if got := postUpdate(t, srv.URL, secret, updateJSON(int64(900+i), u.pressUpdate(5, data))); got != http.StatusOK {
			t.Fatalf("status %d", got)
		}
	}
	if in := rec.Inbounds(); len(in) != 0 {
		t.Fatalf("handled %+v", in)
	}
	if n := len(only(t, api.since(0), "answerCallbackQuery")); n != 3 {
		t.Fatalf("answered %d presses, want 3", n)
	}
}
