package jobs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"windowbot/bot"
	"windowbot/bot/telegram"
	"windowbot/internal/testenv"
	"windowbot/jobs"
	"windowbot/models"
)

// fakeBotAPI is a Telegram Bot API server for sendMessage: multipart form posts to
// /bot<token>/sendMessage answered in the Bot API's JSON. It enforces Telegram's flood limits
// as a token bucket overall and a least interval per chat, answering 429 with
// parameters.retry_after when they are broken; it can also answer 403 for blocked chats and a
// number of 429s for chosen chats.
type fakeBotAPI struct {
	token string
	srv   *httptest.Server

	rate    float64       // messages a second overall
	burst   float64       // bucket size
	perChat time.Duration // least interval per chat (a few ms of slack allowed)

	mu        sync.Mutex
	bucket    float64
	filled    time.Time
	lastChat  map[string]time.Time
	blocked   map[string]bool
	flood     map[string]int // chat → 429s still to answer
	floodWait int            // retry_after of those
	delivered map[string][]string
	arrivals  []time.Time // of every request
	limited   int         // 429s for breaking the limits
	why       []string
	floods    []time.Time // when the injected 429s were answered
	forbidden int
	first     time.Time
	last      time.Time
	nextID    int
}

func newFakeBotAPI(tb testing.TB, rate, burst float64, perChat time.Duration) *fakeBotAPI {
	f := &fakeBotAPI{
		token: "4242:fake-" + strconv.FormatInt(time.Now().UnixNano(), 36), rate: rate, burst: burst, perChat: perChat,
		bucket: burst, filled: time.Now(), lastChat: map[string]time.Time{}, blocked: map[string]bool{},
		flood: map[string]int{}, delivered: map[string][]string{},
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	tb.Cleanup(f.srv.Close)
	return f
}

func answer(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeBotAPI) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/bot"+f.token+"/sendMessage" {
		answer(w, map[string]any{"ok": false, "error_code": 404, "description": "Not Found"})
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		answer(w, map[string]any{"ok": false, "error_code": 400, "description": "Bad Request: want multipart"})
		return
	}
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		answer(w, map[string]any{"ok": false, "error_code": 400, "description": "Bad Request: " + err.Error()})
		return
	}
	chat, text := r.FormValue("chat_id"), r.FormValue("text")
	now := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.arrivals = append(f.arrivals, now)
	tooMany := func(after int) {
		answer(w, map[string]any{"ok": false, "error_code": 429,
			"description": fmt.Sprintf("Too Many Requests: retry after %d", after), "parameters": map[string]any{"retry_after": after}})
	}
	if f.blocked[chat] {
		f.forbidden++
		answer(w, map[string]any{"ok": false, "error_code": 403, "description": "Forbidden: bot was blocked by the user"})
		return
	}
	if f.flood[chat] > 0 {
		f.flood[chat]--
		f.floods = append(f.floods, now)
		tooMany(f.floodWait)
		return
	}
	if f.rate > 0 {
		f.bucket = min(f.burst, f.bucket+now.Sub(f.filled).Seconds()*f.rate)
		f.filled = now
		if f.bucket < 1 {
			f.limited++
			f.why = append(f.why, "overall")
			tooMany(1)
			return
		}
	}
	if last, ok := f.lastChat[chat]; ok && now.Sub(last) < f.perChat-5*time.Millisecond {
		f.limited++
		f.why = append(f.why, fmt.Sprintf("chat %s after %s", chat, now.Sub(last)))
		tooMany(1)
		return
	}
	if f.rate > 0 {
		f.bucket--
	}
	f.lastChat[chat] = now
	f.delivered[chat] = append(f.delivered[chat], text)
	if f.first.IsZero() {
		f.first = now
	}
	f.last = now
	f.nextID++
	id, _ := strconv.ParseInt(chat, 10, 64)
	answer(w, map[string]any{"ok": true, "result": map[string]any{
		"message_id": f.nextID, "date": now.Unix(), "text": text, "chat": map[string]any{"id": id, "type": "private"}}})
}

func (f *fakeBotAPI) stats() (delivered, limited, forbidden int, span time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range f.delivered {
		delivered += len(m)
	}
	return delivered, f.limited, f.forbidden, f.last.Sub(f.first)
}

// adapter is the real Telegram adapter pointed at the fake.
func (f *fakeBotAPI) adapter(tb testing.TB) *telegram.Adapter {
	tb.Helper()
	a, err := telegram.New(telegram.Options{Token: f.token, APIURL: f.srv.URL, Logger: testenv.Logger(),
		Handler: bot.HandlerFunc(func(context.Context, bot.Inbound) ([]bot.Reply, error) { return nil, nil })})
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

// waitSettled runs until no push is queued, or fails after d.
func waitSettled(tb testing.TB, s *models.Store, d time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		var n int64
		testenv.DB(tb, s).Model(&models.Push{}).Where("state = ?", models.PushQueued).Count(&n)
		if n == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	tb.Fatalf("pushes still queued after %s: %v", d, statesOf(tb, s))
}

// TestTelegramFloodAndBlockedChat sends through the real adapter to a fake Bot API that answers
// one chat with 429 retry_after and another with 403: the dispatcher holds every send back for
// retry_after, sends everything else, marks the blocked chat inactive and never breaks the
// flood limits.
func TestTelegramFloodAndBlockedChat(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		// The dispatcher paces at 80/s against a limit of 100/s with a bucket of 20: the margin
		// absorbs scheduling jitter under -race on a loaded machine (a stall of up to ~250 ms
		// releases its queued requests at once), as a real deployment keeps under Telegram's
		// limit rather than on it. A dispatcher that did not pace would send its 80 at once.
		api := newFakeBotAPI(t, 100, 20, 100*time.Millisecond)
		const blocked, flooded = "9403", "9429"
		api.blocked[blocked] = true
		api.flood[flooded], api.floodWait = 1, 1
		var ps []*models.Push
		citizens := map[string]*models.Citizen{}
		for i := range 40 {
			chat := strconv.Itoa(9000 + i)
			if i == 0 {
				chat = flooded
			}
			if i == 1 {
				chat = blocked
			}
			c := citizen(t, s, bot.Telegram, chat)
			citizens[chat] = c
			for j := range 2 {
				ps = append(ps, push(fmt.Sprintf("p%d-%d", i, j), c))
			}
		}
		enqueue(t, s, time.Now(), ps...)
		d := jobs.NewDispatcher(jobs.DispatcherOptions{
			Outbox: s, Senders: jobs.Senders{bot.Telegram: api.adapter(t)}, Logger: testenv.Logger(),
			Limits: map[bot.Platform]jobs.Pacer{bot.Telegram: jobs.NewLimiter(80, 100*time.Millisecond)},
			Poll:   20 * time.Millisecond, Retry: jobs.RetryPolicy{Base: 50 * time.Millisecond, Cap: time.Second, MaxAttempts: 5},
		})
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- d.Run(runCtx) }()
		waitSettled(t, s, time.Minute)
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}

		delivered, limited, forbidden, _ := api.stats()
		if delivered != 78 || limited != 0 || forbidden == 0 {
			t.Errorf("delivered %d (want 78), 429 for pace %d (want 0: %v), 403 %d", delivered, limited, api.why, forbidden)
		}
		for chat, msgs := range api.delivered {
			if len(msgs) != 2 || msgs[0] == msgs[1] {
				t.Errorf("chat %s got %v", chat, msgs)
			}
		}
		if len(api.delivered[blocked]) != 0 {
			t.Errorf("the blocked chat got %v", api.delivered[blocked])
		}
		var gone models.Citizen
		testenv.DB(t, s).First(&gone, citizens[blocked].ID)
		if !gone.Inactive {
			t.Error("blocked chat not marked inactive")
		}
		if st := statesOf(t, s); st[models.PushSent] != 78 || st[models.PushDropped] != 2 {
			t.Errorf("states %v, want 78 sent and the blocked chat's 2 dropped", st)
		}
		p := pushByKey(t, s, "p0-0")
		if p.State != models.PushSent || p.Attempts != 2 {
			t.Errorf("flooded push: %s after %d attempts", p.State, p.Attempts)
		}
		// Nothing reached Telegram while it asked us to wait (requests already on their way when
		// the 429 was answered aside).
		api.mu.Lock()
		defer api.mu.Unlock()
		if len(api.floods) != 1 {
			t.Fatalf("injected 429s answered: %d", len(api.floods))
		}
		from, to := api.floods[0].Add(50*time.Millisecond), api.floods[0].Add(950*time.Millisecond)
		for _, a := range api.arrivals {
			if a.After(from) && a.Before(to) {
				t.Errorf("a request arrived %s after the 429 with retry_after 1s", a.Sub(api.floods[0]))
			}
		}
	})
}

// TestBlockedRecipientReachableAfterWriting: a chat that blocked the bot is marked inactive by
// the 403 and its pushes are dropped; once the user unblocks the bot and writes again, the next
// push is delivered.
func TestBlockedRecipientReachableAfterWriting(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		api := newFakeBotAPI(t, 0, 0, 0)
		const chat = "7403"
		api.blocked[chat] = true
		c := citizen(t, s, bot.Telegram, chat)
		d := jobs.NewDispatcher(jobs.DispatcherOptions{Outbox: s, Senders: jobs.Senders{bot.Telegram: api.adapter(t)}, Logger: testenv.Logger()})
		enqueue(t, s, time.Now(), push("before", c))
		drain(t, ctx, d)
		if p := pushByKey(t, s, "before"); p.State != models.PushDropped {
			t.Fatalf("push to the blocked chat: %s (%s)", p.State, p.LastError)
		}
		var got models.Citizen
		testenv.DB(t, s).First(&got, c.ID)
		if !got.Inactive {
			t.Fatal("the 403 did not mark the chat inactive")
		}

		// The user unblocks the bot and writes: the engine touches the citizen on every message.
		api.mu.Lock()
		delete(api.blocked, chat)
		api.mu.Unlock()
		again, err := s.TouchCitizen(ctx, string(bot.Telegram), chat, "zh-CN", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if again.ID != c.ID || again.Inactive {
			t.Fatalf("after writing again: citizen %d, inactive %v", again.ID, again.Inactive)
		}
		enqueue(t, s, time.Now(), push("after", c))
		drain(t, ctx, d)
		if p := pushByKey(t, s, "after"); p.State != models.PushSent {
			t.Errorf("push after the user wrote again: %s (%s)", p.State, p.LastError)
		}
		api.mu.Lock()
		defer api.mu.Unlock()
		if msgs := api.delivered[chat]; len(msgs) != 1 || msgs[0] != "text of after" {
			t.Errorf("chat got %v, want the push queued after it wrote again", msgs)
		}
	})
}
