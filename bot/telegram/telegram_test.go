package telegram

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"

	"windowbot/bot"
	"windowbot/flows"
	"windowbot/handlers"
	"windowbot/internal/testenv"
	"windowbot/internal/testenv/statetest"
	"windowbot/models"
)

// newClock is the clock shared by the engine and the in-process state.
func newClock() *testenv.Clock { return testenv.NewClock(testenv.Monday10) }

// openStore is the demo store, its notices in Chinese.
func openStore(t *testing.T, url string) *models.Store {
	t.Helper()
	return testenv.OpenDemoStore(t, url)
}

// rig is the real adapter polling a fake Bot API, in front of the real router, engine, rating
// flow, database and state store.
type rig struct {
	t       *testing.T
	api     *fakeAPI
	ad      *Adapter
	store   *models.Store
	clock   *testenv.Clock
	logs    *testenv.LogBuffer
	handled chan int64
}

// newRig starts the adapter; opts configure its router (the staff desk, for one).
func newRig(t *testing.T, store *models.Store, st flows.State, clk *testenv.Clock, opts ...handlers.RouterOption) *rig {
	t.Helper()
	eng := flows.NewEngine(flows.Options{
		State: st, Store: store, Now: clk.Now, SessionTTL: 30 * time.Minute,
	}, flows.CitizenFlows(store, st, testenv.Shanghai, 1, 30*time.Minute)...)
	api := newFakeAPI(t)
	logs := &testenv.LogBuffer{}
	ad, err := New(Options{
		Token: api.token, APIURL: api.URL(), Handler: handlers.NewRouter(eng, nil, opts...), Dedupe: st,
		Logger:      slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		PollTimeout: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, api: api, ad: ad, store: store, clock: clk, logs: logs, handled: make(chan int64, 64)}
	ad.afterFn = func(id int64) { r.handled <- id }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ad.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after its context ended")
		}
		if strings.Contains(logs.String(), api.token) {
			t.Error("the bot token appears in the log")
		}
	})
	return r
}

// step delivers one update through getUpdates and returns the API calls its handling made.
func (r *rig) step(upd map[string]any) []apiCall {
	r.t.Helper()
	n := r.api.count()
	id := r.api.push(upd)
	timeout := time.After(10 * time.Second)
	for {
		select {
		case got := <-r.handled:
			if got == id {
				return r.api.since(n)
			}
		case <-timeout:
			r.t.Fatalf("update %d was not handled; log:\n%s", id, r.logs.String())
		}
	}
}

func only(t *testing.T, calls []apiCall, method string) []apiCall {
	t.Helper()
	var out []apiCall
	for _, c := range calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// oneSend returns the single sendMessage among calls.
func oneSend(t *testing.T, calls []apiCall) apiCall {
	t.Helper()
	s := only(t, calls, "sendMessage")
	if len(s) != 1 {
		t.Fatalf("sendMessage calls = %d, want 1: %+v", len(s), calls)
	}
	return s[0]
}

func mustContain(t *testing.T, text string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Fatalf("%q does not contain %q", text, w)
		}
	}
}

func hasData(t *testing.T, markup, data string) bool {
	t.Helper()
	for _, row := range keyboard(t, markup) {
		for _, b := range row {
			if b[1] == data {
				return true
			}
		}
	}
	return false
}

func answered(t *testing.T, calls []apiCall, upd map[string]any) {
	t.Helper()
	id := upd["callback_query"].(map[string]any)["id"].(string)
	for _, c := range only(t, calls, "answerCallbackQuery") {
		if c.Params["callback_query_id"] == id {
			return
		}
	}
	t.Fatalf("callback query %s was not answered: %+v", id, calls)
}

func (r *rig) ratings() []models.Rating {
	r.t.Helper()
	return testenv.All[models.Rating](r.t, r.store)
}

// databases gives each test a fresh database of each kind.
var databases = []struct {
	name string
	url  func(testing.TB) string
}{{"sqlite", testenv.SQLiteURL}, {"postgres", testenv.PostgresURL}}

// forEachBackend runs fn on SQLite and PostgreSQL, each with the in-process and the Redis state.
func forEachBackend(t *testing.T, fn func(t *testing.T, r *rig)) {
	for _, db := range databases {
		for _, kind := range []string{"memory", "redis"} {
			t.Run(db.name+"+"+kind, func(t *testing.T) {
				clk := newClock()
				var st flows.State
				if kind == "redis" {
					st = statetest.Redis(t)
				} else {
					st = statetest.Memory(t, clk.Now)
				}
				fn(t, newRig(t, openStore(t, db.url(t)), st, clk))
			})
		}
	}
}

// TestPollingRatingFlow drives a whole bad review through getUpdates: the deep link, the staff
// member's button, a level button, a multi-select edited in place, the comment and the
// thank-you, then /cancel, a stale button and a second rating of the same window the same day.
func TestPollingRatingFlow(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		u := tgUser{ID: 4242, Lang: "zh-hans"}
		chat := strconv.FormatInt(u.ID, 10)

		who := oneSend(t, r.step(u.textUpdate("/start w_W001")))
		if who.Params["chat_id"] != chat {
			t.Fatalf("reply went to chat %s", who.Params["chat_id"])
		}
		mustContain(t, who.Params["text"], "W001", "请问为您办理业务的工作人员是？")
		var labels []string
		var li string
		for _, row := range keyboard(t, who.Params["reply_markup"]) {
			for _, b := range row {
				labels = append(labels, b[0])
				if b[0] == "李娜" {
					li = b[1]
				}
			}
		}
		if got := strings.Join(labels, ","); got != "张伟,李娜,不确定/跳过" {
			t.Fatalf("staff buttons = %s (%+v)", got, who)
		}
		levels := r.press(u, who.MsgID, li)
		mustContain(t, levels.Params["text"], "W001", "工作人员李娜")
		labels = nil
		for _, row := range keyboard(t, levels.Params["reply_markup"]) {
			for _, b := range row {
				labels = append(labels, b[0])
			}
		}
		if got := strings.Join(labels, ","); got != "★★★★★ 非常满意,★★★★☆ 满意,★★★☆☆ 基本满意,★★☆☆☆ 不满意,★☆☆☆☆ 非常不满意" {
			t.Fatalf("level buttons = %s (%+v)", got, levels)
		}

		press := u.pressUpdate(levels.MsgID, "rate:level:2")
		calls := r.step(press)
		answered(t, calls, press)
		areas := oneSend(t, calls)
		if !hasData(t, areas.Params["reply_markup"], "rate:areas:efficiency") {
			t.Fatalf("aspect buttons missing: %s", areas.Params["reply_markup"])
		}
		r.step(u.pressUpdate(areas.MsgID, "rate:areas:efficiency"))
		mustContain(t, r.api.message(u.ID, areas.MsgID).Markup, flows.Checked+"工作效能")
		r.step(u.pressUpdate(areas.MsgID, "rate:areas:conduct"))
		aspects := oneSend(t, r.step(u.pressUpdate(areas.MsgID, "rate:areas:done")))
		if !hasData(t, aspects.Params["reply_markup"], "rate:aspects:efficiency.slow") {
			t.Fatalf("problem buttons missing: %s", aspects.Params["reply_markup"])
		}

		// Ticking a problem edits the checklist in place instead of sending a new message.
		press = u.pressUpdate(aspects.MsgID, "rate:aspects:efficiency.slow")
		calls = r.step(press)
		answered(t, calls, press)
		if s := only(t, calls, "sendMessage"); len(s) != 0 {
			t.Fatalf("a toggle sent a new message: %+v", s)
		}
		edits := only(t, calls, "editMessageText")
		if len(edits) != 1 || edits[0].Params["message_id"] != strconv.Itoa(aspects.MsgID) {
			t.Fatalf("edits = %+v, want one of message %d", edits, aspects.MsgID)
		}
		mustContain(t, r.api.message(u.ID, aspects.MsgID).Markup, flows.Checked+"办事拖沓")
		conduct := oneSend(t, r.step(u.pressUpdate(aspects.MsgID, "rate:aspects:done")))
		r.step(u.pressUpdate(conduct.MsgID, "rate:aspects:conduct.away"))

		comment := oneSend(t, r.step(u.pressUpdate(conduct.MsgID, "rate:aspects:done")))
		if !hasData(t, comment.Params["reply_markup"], "rate:comment:skip") {
			t.Fatalf("comment question lacks skip: %+v", comment)
		}
		gathered := oneSend(t, r.step(u.textUpdate("等了一个小时没人")))
		mustContain(t, gathered.Params["text"], "已收到", "等了一个小时没人")
		thanks := oneSend(t, r.step(u.pressUpdate(gathered.MsgID, "rate:comment:said")))
		mustContain(t, thanks.Params["text"], "感谢您的评价", "工作人员：李娜", "不满意", "办事拖沓", "离岗脱岗", "等了一个小时没人")
		if thanks.Params["reply_markup"] != "" {
			t.Fatalf("thank-you has buttons: %s", thanks.Params["reply_markup"])
		}
		rs := r.ratings()
		if len(rs) != 1 || rs[0].Level != 2 || rs[0].Aspects != "efficiency.slow,conduct.away" ||
			rs[0].Comment != "等了一个小时没人" || rs[0].Channel != "telegram" || rs[0].StaffID == nil || li != "rate:staff:"+strconv.FormatUint(uint64(*rs[0].StaffID), 10) {
			t.Fatalf("stored ratings = %+v", rs)
		}

		// /cancel at any step; the old keyboard then answers politely.
		levels = oneSend(t, r.step(u.textUpdate("/start w_W002")))
		mustContain(t, oneSend(t, r.step(u.textUpdate("/cancel"))).Params["text"], "已取消")
		press = u.pressUpdate(levels.MsgID, "rate:level:5")
		calls = r.step(press)
		answered(t, calls, press)
		mustContain(t, oneSend(t, calls).Params["text"], "超时")

		// The same window again today is refused.
		mustContain(t, oneSend(t, r.step(u.textUpdate("/start w_W001"))).Params["text"], "今天已经评价过")
		if n := len(r.ratings()); n != 1 {
			t.Fatalf("ratings = %d after the refused second rating", n)
		}

		// Everything went to the fake server, as multipart form posts.
		for _, c := range r.api.since(0) {
			if c.ContentType != "multipart/form-data" {
				t.Fatalf("%s sent as %q", c.Method, c.ContentType)
			}
		}
	})
}

// TestPollingExpiredSession: a conversation left for longer than the session TTL restarts
// politely instead of recording a rating.
func TestPollingExpiredSession(t *testing.T) {
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			clk := newClock()
			st := statetest.Memory(t, clk.Now)
			r := newRig(t, openStore(t, db.url(t)), st, clk)
			u := tgUser{ID: 77, Lang: "zh-CN"}
			levels := oneSend(t, r.step(u.textUpdate("/start w_W004")))
			clk.Add(31 * time.Minute)
			out := oneSend(t, r.step(u.pressUpdate(levels.MsgID, "rate:level:4")))
			mustContain(t, out.Params["text"], "超时")
			if !hasData(t, out.Params["reply_markup"], "cmd:/rate") {
				t.Fatalf("expired answer should offer to start again: %+v", out)
			}
			if n := len(r.ratings()); n != 0 {
				t.Fatalf("ratings = %d", n)
			}
		})
	}
}

// TestPollingCommandsAndLanguage: /start@ourbot is ours, /start@otherbot is not, and the
// user's language_code picks the texts.
func TestPollingCommandsAndLanguage(t *testing.T) {
	clk := newClock()
	st := statetest.Memory(t, clk.Now)
	r := newRig(t, openStore(t, testenv.SQLiteURL(t)), st, clk)
	en := tgUser{ID: 501, Lang: "en-GB"}
	mustContain(t, oneSend(t, r.step(en.textUpdate("/start"))).Params["text"], "Scan the QR code")
	// getMe ran when polling started, so the bot knows its name.
	mustContain(t, oneSend(t, r.step(en.textUpdate("/help@WindowTestBot"))).Params["text"], "/rate")
	if calls := r.step(en.textUpdate("/help@SomeOtherBot")); len(calls) != 0 {
		t.Fatalf("a command for another bot was answered: %+v", calls)
	}
	zh := tgUser{ID: 502, Lang: "zh-hans"}
	mustContain(t, oneSend(t, r.step(zh.textUpdate("/start w_W004"))).Params["text"], "满意吗")
}

// TestPollingKeepsChatOrder: updates of one chat fetched in one batch are handled in order.
func TestPollingKeepsChatOrder(t *testing.T) {
	var mu sync.Mutex
	var got []string
	h := bot.HandlerFunc(func(_ context.Context, in bot.Inbound) ([]bot.Reply, error) {
		time.Sleep(time.Millisecond)
		mu.Lock()
		got = append(got, in.Text)
		mu.Unlock()
		return nil, nil
	})
	api := newFakeAPI(t)
	ad, err := New(Options{Token: api.token, APIURL: api.URL(), Handler: h, Username: "WindowTestBot", PollTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	handled := make(chan int64, 64)
	ad.afterFn = func(id int64) { handled <- id }
	u := tgUser{ID: 9}
	var want []string
	for i := range 20 {
		want = append(want, strconv.Itoa(i))
		api.push(u.textUpdate(strconv.Itoa(i)))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ad.Run(ctx) }()
	for range 20 {
		select {
		case <-handled:
		case <-time.After(10 * time.Second):
			t.Fatal("updates not handled")
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("order = %v", got)
	}
}

const secret = "s3cret-Webhook_token"

func webhookAdapter(t *testing.T, api *fakeAPI, h bot.Handler, dedupe bot.Deduper) (*Adapter, *httptest.Server) {
	t.Helper()
	ad, err := New(Options{
		Token: api.token, APIURL: api.URL(), Mode: ModeWebhook, WebhookSecret: secret,
		Username: "WindowTestBot", Handler: h, Dedupe: dedupe,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ad.WebhookHandler())
	t.Cleanup(srv.Close)
	return ad, srv
}

func postUpdate(t *testing.T, url, secretHeader string, body string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if secretHeader != "" {
		req.Header.Set(SecretHeader, secretHeader)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func updateJSON(id int64, upd map[string]any) string {
	upd["update_id"] = id
	return mustJSON(upd)
}

func TestWebhookRefusesAndDedupes(t *testing.T) {
	api := newFakeAPI(t)
	rec := &testenv.Handler{Replies: []bot.Reply{{Text: "好的"}}}
	st := statetest.Memory(t, nil)
	_, srv := webhookAdapter(t, api, rec, st)
	u := tgUser{ID: 31}
	good := updateJSON(1, u.textUpdate("你好"))

	cases := []struct {
		name, secret, body string
		want               int
	}{
		{"no secret", "", good, http.StatusUnauthorized},
		{"wrong secret", "s3cret-Webhook_tokem", good, http.StatusUnauthorized},
		{"secret prefix", secret[:5], good, http.StatusUnauthorized},
		{"not json", secret, "{", http.StatusBadRequest},
		{"too large", secret, `{"update_id":2,"message":{"text":"` + strings.Repeat("x", MaxWebhookBody) + `"}}`, http.StatusRequestEntityTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := postUpdate(t, srv.URL, c.secret, c.body); got != c.want {
				t.Fatalf("status = %d, want %d", got, c.want)
			}
		})
	}
	if n := len(rec.Inbounds()); n != 0 {
		t.Fatalf("refused calls reached the handler %d times", n)
	}
	res, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET = %d", res.StatusCode)
	}

	// Telegram redelivers when it saw no answer in time: the same update_id is handled once.
	for range 3 {
		if got := postUpdate(t, srv.URL, secret, good); got != http.StatusOK {
			t.Fatalf("status = %d", got)
		}
	}
	if in := rec.Inbounds(); len(in) != 1 || in[0].Text != "你好" || in[0].ChatID != "31" {
		t.Fatalf("handler calls = %+v, want one", in)
	}
	// The reply was sent before the webhook answered.
	if s := only(t, api.since(0), "sendMessage"); len(s) != 1 || s[0].Params["text"] != "好的" {
		t.Fatalf("sent = %+v", s)
	}
}

// TestWebhookDedupeAcrossReplicas: two replicas sharing Redis get the same update (a redelivery
// landing on the other one behind the load balancer); it is handled once.
func TestWebhookDedupeAcrossReplicas(t *testing.T) {
	st := statetest.Redis(t)
	api := newFakeAPI(t)
	rec := &testenv.Handler{Replies: []bot.Reply{{Text: "ok"}}}
	_, a := webhookAdapter(t, api, rec, st)
	_, b := webhookAdapter(t, api, rec, st)
	body := updateJSON(77, tgUser{ID: 5}.textUpdate("/help"))
	var wg sync.WaitGroup
	for _, url := range []string{a.URL, b.URL, a.URL, b.URL} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if got := postUpdate(t, url, secret, body); got != http.StatusOK {
				t.Errorf("status = %d", got)
			}
		}()
	}
	wg.Wait()
	if n := len(rec.Inbounds()); n != 1 {
		t.Fatalf("handled %d times, want once", n)
	}
}

// TestWebhookRatingFlow: the same real dialog over the webhook, answered synchronously.
func TestWebhookRatingFlow(t *testing.T) {
	clk := newClock()
	st := statetest.Memory(t, clk.Now)
	store := openStore(t, testenv.SQLiteURL(t))
	eng := flows.NewEngine(flows.Options{State: st, Store: store, Now: clk.Now},
		flows.NewRate(store, testenv.Shanghai, 1))
	api := newFakeAPI(t)
	_, srv := webhookAdapter(t, api, handlers.NewRouter(eng, nil), st)
	u := tgUser{ID: 88, Lang: "zh-CN"}
	id := int64(500)
	post := func(upd map[string]any) []apiCall {
		t.Helper()
		n := api.count()
		id++
		if got := postUpdate(t, srv.URL, secret, updateJSON(id, upd)); got != http.StatusOK {
			t.Fatalf("status %d", got)
		}
		return api.since(n)
	}
	who := oneSend(t, post(u.textUpdate("/start@WindowTestBot w_W005")))
	levels := oneSend(t, post(u.pressUpdate(who.MsgID, "rate:staff:skip")))
	praise := oneSend(t, post(u.pressUpdate(levels.MsgID, "rate:level:5")))
	post(u.pressUpdate(praise.MsgID, "rate:praise:fast"))
	post(u.pressUpdate(praise.MsgID, "rate:praise:done"))
	thanks := oneSend(t, post(u.pressUpdate(praise.MsgID, "rate:comment:skip")))
	mustContain(t, thanks.Params["text"], "感谢您的评价", "非常满意")
	var n int64
	if err := testenv.DB(t, store).Model(&models.Rating{}).Where("level = 5 AND praise = ?", "fast").Count(&n).Error; err != nil || n != 1 {
		t.Fatalf("stored = %d, %v", n, err)
	}
}

func TestInbound(t *testing.T) {
	api := newFakeAPI(t)
	rec := &testenv.Handler{Replies: []bot.Reply{{Text: "ok"}}}
	_, srv := webhookAdapter(t, api, rec, nil)
	u := tgUser{ID: 61, Lang: "en-US"}
	group := u.textUpdate("/rate")
	group["message"].(map[string]any)["chat"] = map[string]any{"id": -100, "type": "group", "title": "hall"}
	sticker := u.textUpdate("")
	delete(sticker["message"].(map[string]any), "text")
	groupPress := u.pressUpdate(3, "rate:level:1")
	groupPress["callback_query"].(map[string]any)["message"].(map[string]any)["chat"] = map[string]any{"id": -100, "type": "group"}

	cases := []struct {
		name string
		upd  map[string]any
		want *bot.Inbound // nil: ignored
	}{
		{"text", u.textUpdate("  W001 "), &bot.Inbound{Text: "W001"}},
		{"deep link", u.textUpdate("/start w_W001"), &bot.Inbound{Text: "/start w_W001"}},
		{"command for us", u.textUpdate("/cancel@WindowTestBot"), &bot.Inbound{Text: "/cancel@WindowTestBot"}},
		{"command for another bot", u.textUpdate("/cancel@OtherBot"), nil},
		{"button", u.pressUpdate(12, "rate:level:3"), &bot.Inbound{Payload: "rate:level:3", MessageID: "12"}},
		{"photo", u.photoUpdate("柜台没人"), &bot.Inbound{Text: "柜台没人", Photo: &bot.Media{FileID: "large", MIMEType: "image/jpeg", Size: 98000}}},
		{"group chat", group, nil},
		{"group button", groupPress, nil},
		{"sticker", sticker, nil},
		// Cleaned at the boundary: no NUL, bidirectional or zero-width characters; a code typed
		// full-width is folded; nothing but invisible characters is nothing.
		{"nul and bidi", u.textUpdate("态度\u0000冷漠\u202e好\u200b"), &bot.Inbound{Text: "态度冷漠好"}},
		{"full-width code", u.textUpdate("Ｗ００１"), &bot.Inbound{Text: "W001"}},
		{"invisible only", u.textUpdate("\u0000\u200b"), nil},
		{"caption", u.photoUpdate("柜台\u0000没人"), &bot.Inbound{Text: "柜台没人", Photo: &bot.Media{FileID: "large", MIMEType: "image/jpeg", Size: 98000}}},
		{"payload", u.pressUpdate(12, "rate:level:3\u0000"), &bot.Inbound{Payload: "rate:level:3", MessageID: "12"}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(rec.Inbounds())
			n := api.count()
			if got := postUpdate(t, srv.URL, secret, updateJSON(int64(100+i), c.upd)); got != http.StatusOK {
				t.Fatalf("status %d", got)
			}
			ins := rec.Inbounds()[before:]
			if c.want == nil {
				if len(ins) != 0 {
					t.Fatalf("handled: %+v", ins)
				}
			} else {
				if len(ins) != 1 {
					t.Fatalf("handler calls = %d", len(ins))
				}
				in := ins[0]
				w := *c.want
				if in.Platform != bot.Telegram || in.ChatID != "61" || in.UserID != "61" || in.Lang != "en-US" || in.UserName != "张 三" {
					t.Fatalf("identity = %+v", in)
				}
				if in.Text != w.Text || in.Payload != w.Payload || in.MessageID != w.MessageID {
					t.Fatalf("inbound = %+v, want %+v", in, w)
				}
				if (w.Photo == nil) != (in.Photo == nil) || (w.Photo != nil && (w.Photo.FileID != in.Photo.FileID || w.Photo.Size != in.Photo.Size || w.Photo.MIMEType != in.Photo.MIMEType)) {
					t.Fatalf("photo = %+v, want %+v", in.Photo, w.Photo)
				}
			}
			// A press is always answered, even one the bot ignores.
			if cq, ok := c.upd["callback_query"].(map[string]any); ok {
				answered(t, api.since(n), map[string]any{"callback_query": cq})
			}
		})
	}
}

func TestRendering(t *testing.T) {
	long := strings.Repeat("一二三四五六七八九十\n", 500) // 5500 runes
	cases := []struct {
		name    string
		replies []bot.Reply
		err     error
		pressed bool
		check   func(t *testing.T, api *fakeAPI, calls []apiCall)
	}{
		{"oversize and empty buttons dropped", []bot.Reply{{Text: "选一个", Buttons: [][]bot.Button{
			{{Label: "好", Payload: "ok"}, {Label: "长", Payload: strings.Repeat("x", MaxCallbackData+1)}},
			{{Label: "", Payload: "nolabel"}},
			{{Label: "刚好", Payload: strings.Repeat("y", MaxCallbackData)}},
		}}}, nil, false, func(t *testing.T, _ *fakeAPI, calls []apiCall) {
			kb := keyboard(t, oneSend(t, calls).Params["reply_markup"])
			if len(kb) != 2 || len(kb[0]) != 1 || kb[0][0][1] != "ok" || kb[1][0][0] != "刚好" {
				t.Fatalf("keyboard = %v", kb)
			}
		}},
		{"empty text never sent", []bot.Reply{{Text: "  "}, {Text: "有内容"}}, nil, false, func(t *testing.T, _ *fakeAPI, calls []apiCall) {
			if oneSend(t, calls).Params["text"] != "有内容" {
				t.Fatal("wrong message sent")
			}
		}},
		{"long text split, keyboard last", []bot.Reply{{Text: long, Buttons: bot.Column(bot.Button{Label: "好", Payload: "ok"})}}, nil, false,
			func(t *testing.T, _ *fakeAPI, calls []apiCall) {
				s := only(t, calls, "sendMessage")
				if len(s) != 2 || s[0].Params["reply_markup"] != "" || s[1].Params["reply_markup"] == "" {
					t.Fatalf("sends = %d", len(s))
				}
				if s[0].Params["text"]+s[1].Params["text"] != long || !strings.HasSuffix(s[0].Params["text"], "\n") {
					t.Fatal("split lost or garbled text")
				}
			}},
		{"edit without a pressed message is sent", []bot.Reply{{Text: "列表", Edit: true}}, nil, false, func(t *testing.T, _ *fakeAPI, calls []apiCall) {
			if len(only(t, calls, "editMessageText")) != 0 || oneSend(t, calls).Params["text"] != "列表" {
				t.Fatalf("calls = %+v", calls)
			}
		}},
		{"failed edit falls back to sending", []bot.Reply{{Text: "列表", Edit: true}}, nil, true, func(t *testing.T, _ *fakeAPI, calls []apiCall) {
			// The pressed message 99999 does not exist on the fake: the edit fails.
			if len(only(t, calls, "editMessageText")) != 1 || oneSend(t, calls).Params["text"] != "列表" {
				t.Fatalf("calls = %+v", calls)
			}
		}},
		{"handler error gets an apology", nil, errors.New("database down"), false, func(t *testing.T, _ *fakeAPI, calls []apiCall) {
			mustContain(t, oneSend(t, calls).Params["text"], "系统繁忙")
		}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			api := newFakeAPI(t)
			rec := &testenv.Handler{Replies: c.replies, Err: c.err}
			_, srv := webhookAdapter(t, api, rec, nil)
			u := tgUser{ID: 70, Lang: "zh-CN"}
			upd := u.textUpdate("hi")
			if c.pressed {
				upd = u.pressUpdate(99999, "x")
			}
			if got := postUpdate(t, srv.URL, secret, updateJSON(int64(i+1), upd)); got != http.StatusOK {
				t.Fatalf("status %d", got)
			}
			c.check(t, api, api.since(0))
		})
	}
}

func TestEditNotModifiedIsNotResent(t *testing.T) {
	api := newFakeAPI(t)
	ad, err := New(Options{Token: api.token, APIURL: api.URL(), Handler: &testenv.Handler{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := ad.Send(ctx, bot.Recipient{Platform: bot.Telegram, ChatID: "5"}, bot.Reply{Text: "清单"}); err != nil {
		t.Fatal(err)
	}
	msg := oneSend(t, api.since(0))
	n := api.count()
	ad.deliver(ctx, 5, msg.MsgID, []bot.Reply{{Text: "清单", Edit: true}}) // a double tap: same content
	calls := api.since(n)
	if len(only(t, calls, "editMessageText")) != 1 || len(only(t, calls, "sendMessage")) != 0 {
		t.Fatalf("calls = %+v", calls)
	}
}

func TestSendClassifiesErrors(t *testing.T) {
	to := bot.Recipient{Platform: bot.Telegram, ChatID: "12345"}
	cases := []struct {
		name    string
		fail    *apiFailure
		to      bot.Recipient
		text    string
		check   func(error) bool
		comment string
	}{
		{"ok", nil, to, "你好", func(err error) bool { return err == nil }, "delivered"},
		{"blocked", &apiFailure{Code: 403, Desc: "Forbidden: bot was blocked by the user"}, to, "x",
			func(err error) bool { return errors.Is(err, bot.ErrRecipientGone) }, "ErrRecipientGone"},
		{"flood", &apiFailure{Code: 429, Desc: "Too Many Requests: retry after 7", RetryAfter: 7}, to, "x",
			func(err error) bool {
				var ra *bot.RetryAfterError
				return errors.As(err, &ra) && ra.After == 7*time.Second && !errors.Is(err, bot.ErrPermanent)
			}, "RetryAfterError of 7s"},
		{"bad request", &apiFailure{Code: 400, Desc: "Bad Request: can't parse entities"}, to, "x",
			func(err error) bool { return errors.Is(err, bot.ErrPermanent) && !errors.Is(err, bot.ErrRecipientGone) }, "ErrPermanent"},
		{"chat not found", &apiFailure{Code: 400, Desc: "Bad Request: chat not found"}, to, "x",
			func(err error) bool { return errors.Is(err, bot.ErrRecipientGone) }, "ErrRecipientGone"},
		{"server error", &apiFailure{Code: 502, Desc: "Bad Gateway"}, to, "x",
			func(err error) bool {
				var ra *bot.RetryAfterError
				return err != nil && !errors.Is(err, bot.ErrPermanent) && !errors.Is(err, bot.ErrRecipientGone) && !errors.As(err, &ra)
			}, "a plain, retryable error"},
		{"not telegram", nil, bot.Recipient{Platform: bot.Web, ChatID: "v"}, "x",
			func(err error) bool { return errors.Is(err, bot.ErrPermanent) }, "ErrPermanent"},
		{"bad chat id", nil, bot.Recipient{Platform: bot.Telegram, ChatID: "abc"}, "x",
			func(err error) bool { return errors.Is(err, bot.ErrPermanent) }, "ErrPermanent"},
		{"empty text", nil, to, " ", func(err error) bool { return errors.Is(err, bot.ErrPermanent) }, "ErrPermanent"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			api := newFakeAPI(t)
			ad, err := New(Options{Token: api.token, APIURL: api.URL(), Handler: &testenv.Handler{}})
			if err != nil {
				t.Fatal(err)
			}
			if c.fail != nil {
				api.fail("sendMessage", *c.fail)
			}
			err = ad.Send(context.Background(), c.to, bot.Reply{Text: c.text, Kind: "ticket_status"})
			if !c.check(err) {
				t.Fatalf("Send = %v, want %s", err, c.comment)
			}
			if err != nil && strings.Contains(err.Error(), api.token) {
				t.Fatal("error shows the token")
			}
		})
	}
	var _ bot.Sender = (*Adapter)(nil)
}

func TestSetWebhookAndDeepLink(t *testing.T) {
	api := newFakeAPI(t)
	ad, _ := webhookAdapter(t, api, &testenv.Handler{}, nil)
	ctx := context.Background()
	if err := ad.SetWebhook(ctx, "https://hall.example.cn/telegram"); err != nil {
		t.Fatal(err)
	}
	sw := only(t, api.since(0), "setWebhook")
	if len(sw) != 1 || sw[0].Params["url"] != "https://hall.example.cn/telegram" || sw[0].Params["secret_token"] != secret ||
		!strings.Contains(sw[0].Params["allowed_updates"], "callback_query") {
		t.Fatalf("setWebhook = %+v", sw)
	}
	if err := ad.Run(ctx); err == nil {
		t.Fatal("Run in webhook mode should refuse")
	}

	// Username configured: no API call.
	link, err := ad.DeepLink(ctx, "w_W001")
	if err != nil || link != "https://t.me/WindowTestBot?start=w_W001" {
		t.Fatalf("DeepLink = %q, %v", link, err)
	}
	if _, err := ad.DeepLink(ctx, "w_W 001"); err == nil {
		t.Fatal("a payload Telegram refuses was accepted")
	}
	// Username from getMe, asked once.
	api2 := newFakeAPI(t)
	api2.username = "HallRatingBot"
	ad2, err := New(Options{Token: api2.token, APIURL: api2.URL(), Handler: &testenv.Handler{}})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if link, err := ad2.DeepLink(ctx, "w_A-1"); err != nil || link != "https://t.me/HallRatingBot?start=w_A-1" {
			t.Fatalf("DeepLink = %q, %v", link, err)
		}
	}
	if n := len(only(t, api2.since(0), "getMe")); n != 1 {
		t.Fatalf("getMe calls = %d, want 1", n)
	}
}

func TestRunRefusedToken(t *testing.T) {
	api := newFakeAPI(t)
	api.fail("getMe", apiFailure{Code: 401, Desc: "Unauthorized"})
	ad, err := New(Options{Token: api.token, APIURL: api.URL(), Handler: &testenv.Handler{}})
	if err != nil {
		t.Fatal(err)
	}
	err = ad.Run(context.Background())
	if !errors.Is(err, ErrTokenRefused) || !errors.Is(err, tgbot.ErrorUnauthorized) || strings.Contains(err.Error(), api.token) {
		t.Fatalf("Run = %v", err)
	}
}

// TestTokenNeverLogged: with the API unreachable, polling logs its failures without the token.
func TestTokenNeverLogged(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	url := dead.URL
	dead.Close()
	logs := &testenv.LogBuffer{}
	const token = "987654:NEVER-in-a-log"
	ad, err := New(Options{Token: token, APIURL: url, Handler: &testenv.Handler{}, PollTimeout: 2 * time.Second,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	if err := ad.Run(ctx); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if !strings.Contains(out, "getUpdates") && !strings.Contains(out, "getMe") {
		t.Fatalf("expected logged failures, got:\n%s", out)
	}
	if strings.Contains(out, "NEVER-in-a-log") {
		t.Fatalf("token in the log:\n%s", out)
	}
}

func TestNewValidates(t *testing.T) {
	h := &testenv.Handler{}
	for name, o := range map[string]Options{
		"no token":          {Handler: h},
		"no handler":        {Token: "1:a"},
		"webhook no secret": {Token: "1:a", Handler: h, Mode: ModeWebhook},
		"unknown mode":      {Token: "1:a", Handler: h, Mode: "push"},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestVoiceNoteIsNeverDropped: Telegram recognises no speech, so a voice note is answered with
// how to go on where words are wanted (outside a dialog, at the rating's comment), kept with a
// complaint as an attachment, and refused with a word when it is too large.
func TestVoiceNoteIsNeverDropped(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		u := tgUser{ID: 5151, Lang: "zh-hans"}
		mustContain(t, said(t, r.step(u.voiceUpdate(9000))), "收到您的语音", "没能听出文字")

		r.step(u.textUpdate("/start w_W002"))
		r.step(u.textUpdate("满意"))
		mustContain(t, oneSend(t, r.step(u.textUpdate("跳过"))).Params["text"], "还有什么想说的")
		mustContain(t, said(t, r.step(u.voiceUpdate(9000))), "没能听出文字", "还有什么想说的")
		r.step(u.textUpdate("/cancel"))

		r.step(u.textUpdate("/complain W003"))
		r.step(u.textUpdate("服务态度"))
		mustContain(t, said(t, r.step(u.voiceUpdate(9000))), "已收到语音，作为附件保存", "请再用文字")
		mustContain(t, said(t, r.step(u.voiceUpdate(models.MaxPhotoBytes+1))), "这条语音太大了")
		r.step(u.textUpdate("窗口无人，等了半小时"))
		r.step(u.textUpdate("说完了"))
		r.step(u.textUpdate("选好了"))
		mustContain(t, oneSend(t, r.step(u.textUpdate("匿名反映"))).Params["text"], "语音：1 条", "照片：0 张")
		r.step(u.textUpdate("确认提交"))
		tks := testenv.All[models.Ticket](t, r.store)
		if len(tks) != 1 {
			t.Fatalf("tickets %+v", tks)
		}
		as, err := r.store.TicketAttachments(t.Context(), tks[0].ID)
		if err != nil || len(as) != 1 || as[0].FileID != "voice-1" || as[0].MIMEType != "audio/ogg" || as[0].Size != 9000 {
			t.Fatalf("attachments %+v, %v", as, err)
		}
	})
}

// said is the text of every message sent among calls, one a line.
func said(t *testing.T, calls []apiCall) string {
	t.Helper()
	var out []string
	for _, c := range only(t, calls, "sendMessage") {
		out = append(out, c.Params["text"])
	}
	return strings.Join(out, "\n")
}
