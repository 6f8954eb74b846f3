package transcript

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"windowbot/bot"
	"windowbot/bot/poster"
	"windowbot/configs"
	"windowbot/flows"
	"windowbot/flows/state"
	"windowbot/handlers"
	"windowbot/internal/testenv"
	"windowbot/internal/testenv/statetest"
	"windowbot/jobs"
	"windowbot/models"
)

// World is windowbot wired as `windowbot serve` wires it with the default configuration
// (configs.Default) — engine with the citizens' flows, staff desk, router, ticket deadlines and
// notices, the push dispatcher's quiet hours — on a fresh SQLite database with the demo center,
// the in-process state store, and a clock standing at testenv.Monday10 that only the dialog moves.
//
// SQLite only: the texts are the same on PostgreSQL, which the flows' own tests cover. The
// in-process state rather than Redis: a transcript records what is said, not where the session
// is kept (the state stores share one contract test suite), and a store on the test clock
// keeps every expiry in the dialog's own time.
type World struct {
	Store *models.Store
	State *state.Memory
	Clock *testenv.Clock
	// Handler is what the channel's adapter is given.
	Handler bot.Handler

	quiet jobs.QuietHours
	lang  string
	// texts records the text messages the dispatcher sends (to complainants without a chat).
	texts *textRecorder
	// reported holds the pushes already returned as not sent.
	reported map[uint]bool
}

// NewWorld builds a world for one dialog.
func NewWorld(t testing.TB) *World {
	t.Helper()
	cfg := configs.Default()
	rules, err := cfg.TicketRules(testenv.Shanghai)
	if err != nil {
		t.Fatal(err)
	}
	quiet, err := jobs.ParseQuietHours(cfg.Push.QuietHours, testenv.Shanghai)
	if err != nil {
		t.Fatal(err)
	}
	clk := testenv.NewClock(testenv.Monday10)
	// With an SMS provider configured, as a hall that texts complainants without a chat is.
	store := testenv.OpenDemoStore(t, testenv.SQLiteURL(t), models.WithTicketRules(rules),
		models.WithTicketSMS(func(token string) string { return "https://hall.example.cn/?k=" + token }))
	// The citizen inspector of the dialogs, INSP-001.
	if _, _, err := store.CreateInspector(context.Background(), "郑明", "13900009999", 0, clk.Now()); err != nil {
		t.Fatal(err)
	}
	st := statetest.Memory(t, clk.Now)
	engine := flows.NewEngine(flows.Options{
		State: st, Store: store, Logger: testenv.Logger(), Now: clk.Now,
		SessionTTL: cfg.SessionTTL, Lang: cfg.Language,
	}, flows.CitizenFlows(store, st, testenv.Shanghai, cfg.RatingPeriodDays, cfg.SessionTTL)...)
	desk := handlers.NewDesk(handlers.DeskOptions{Store: store, State: st, Logger: testenv.Logger(),
		Pseudonyms: models.NewPseudonyms([]byte("transcript pseudonym key")),
		Target:     cfg.Jobs.Target(), MinRatings: cfg.Jobs.MinRatings,
		Invitations: poster.CounterQR{Links: poster.CaseLinker{PublicURL: "https://hall.example.cn"}}})
	router := handlers.NewRouter(engine, testenv.Logger(), handlers.WithDesk(desk), handlers.WithSubscriptions(store))
	return &World{Store: store, State: st, Clock: clk, Handler: router, quiet: quiet, lang: cfg.Language, reported: map[uint]bool{},
		texts: &textRecorder{}}
}

// Bind makes the platform account chat act as the staff record staffNo, as redeeming an
// invitation code would.
func (w *World) Bind(t testing.TB, platform bot.Platform, chat, staffNo string) {
	t.Helper()
	c, err := w.Store.TouchCitizen(context.Background(), string(platform), chat, "", w.Clock.Now())
	if err != nil {
		t.Fatalf("transcript: bind %s: %v", staffNo, err)
	}
	testenv.BindStaff(t, w.Store, c, staffNo)
}

// Dispatch runs the push dispatcher with sender for platform until nothing is due, one push at a
// time so the order of sends is the order of the outbox; it does not pace sends, which would
// only make the test wait. It returns the pushes left unsent that
// it has not returned before, for the transcript to show.
func (w *World) Dispatch(t testing.TB, platform bot.Platform, sender bot.Sender) []models.Push {
	t.Helper()
	ctx := context.Background()
	d := jobs.NewDispatcher(jobs.DispatcherOptions{
		Outbox: w.Store, Senders: jobs.Senders{platform: sender, bot.SMS: w.texts}, Marks: w.State,
		Quiet: w.quiet, Announcements: jobs.Announcements, Lang: w.lang, Location: testenv.Shanghai,
		Now: w.Clock.Now, Logger: testenv.Logger(), Workers: 1,
	})
	for {
		n, err := d.RunOnce(ctx)
		if err != nil {
			t.Fatalf("transcript: dispatch: %v", err)
		}
		if n == 0 {
			break
		}
	}
	var unsent []models.Push
	for _, p := range testenv.All[models.Push](t, w.Store) {
		if p.State != models.PushSent && !w.reported[p.ID] {
			w.reported[p.ID] = true
			unsent = append(unsent, p)
		}
	}
	return unsent
}

// textRecorder is the SMS provider of a World: it keeps the text messages, for the transcript.
type textRecorder struct {
	mu   sync.Mutex
	sent []string
}

// linkToken is the random part of a ticket's texted link, which a transcript cannot hold.
var linkToken = regexp.MustCompile(`\?k=[A-Za-z0-9_-]{22}`)

func (r *textRecorder) Send(_ context.Context, to bot.Recipient, m bot.Reply) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, fmt.Sprintf("✉ SMS to %s: %s", models.MaskPhone(strings.TrimPrefix(to.ChatID, "+86")),
		linkToken.ReplaceAllString(m.Text, "?k=<token>")))
	return nil
}

// Texts returns the text messages sent since the last call.
func (w *World) Texts() []string {
	w.texts.mu.Lock()
	defer w.texts.mu.Unlock()
	out := w.texts.sent
	w.texts.sent = nil
	return out
}

// Burst plants six 5-star ratings of staff member staffNo at their window in the nine minutes
// before now, each from an account made a minute before it, and runs the fraud scan over the
// last hour. It returns how many flags the scan raised.
func (w *World) Burst(t testing.TB, staffNo string) int {
	t.Helper()
	ctx := context.Background()
	st, err := w.Store.StaffByNo(ctx, staffNo)
	if err != nil || st.WindowID == nil {
		t.Fatalf("transcript: burst for %s: %v", staffNo, err)
	}
	now := w.Clock.Now()
	for i := range 6 {
		at := now.Add(-9*time.Minute + time.Duration(i)*100*time.Second)
		c, err := w.Store.TouchCitizen(ctx, string(bot.Web), fmt.Sprintf("burst-%s-%d", staffNo, i), "", at.Add(-time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Store.CreateRating(ctx, &models.Rating{WindowID: *st.WindowID, StaffID: &st.ID, CitizenID: c.ID, Level: 5,
			Channel: string(bot.Web), CreatedAt: at}, at.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	n, err := w.Store.ScanFraud(ctx, now.Add(-time.Hour), now.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return n
}
