package handlers_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"windowbot/bot"
	"windowbot/bot/poster"
	"windowbot/flows"
	"windowbot/handlers"
	"windowbot/internal/testenv"
	"windowbot/internal/testenv/statetest"
	"windowbot/models"
)

// A second center, a city-wide administrator, on top of the demo data: the roles of the table.
const (
	cityWindowsCSV = models.WindowsCSVHeader + "\nCITY,城区便民服务中心,X001,社保,人社局\n"
	cityStaffCSV   = models.StaffCSVHeader + "\nCITY-001,钱进,X001,staff\nCITY-S01,孙督查,X001,supervisor\nADMIN-1,吴管理,,admin\n"
)

// rig is a router with the desk over a real database and state store.
type rig struct {
	t      *testing.T
	store  *models.Store
	state  flows.State
	clock  *testenv.Clock
	router *handlers.Router
	refs   *models.Pseudonyms
	logs   *testenv.LogBuffer
	seq    int
}

// openStore is the demo store with the city's center and administrator on top.
func openStore(t testing.TB, url string) *models.Store {
	t.Helper()
	s := testenv.OpenDemoStore(t, url)
	ctx := context.Background()
	if _, err := s.Import(ctx, strings.NewReader(cityWindowsCSV), "city windows", strings.NewReader(cityStaffCSV), "city staff"); err != nil {
		t.Fatalf("import: %v", err)
	}
	// A citizen inspector, INSP-001.
	if _, _, err := s.CreateInspector(ctx, "郑督察", "13900009999", 0, time.Now()); err != nil {
		t.Fatalf("inspector: %v", err)
	}
	return s
}

func newRig(t *testing.T, store *models.Store, st flows.State, clk *testenv.Clock) *rig {
	eng := flows.NewEngine(flows.Options{
		State: st, Store: store, Now: clk.Now, SessionTTL: 30 * time.Minute,
	}, flows.NewRate(store, testenv.Shanghai, 1), flows.NewComplain(store, st, 30*time.Minute),
		flows.NewTrack(store), flows.NewRerate(store), flows.NewAppeal(store), flows.NewDeskNote(store, st, 30*time.Minute),
		flows.NewGuide(store), flows.NewCard(store), flows.NewVisit(store, st, 30*time.Minute))
	logs := &testenv.LogBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	refs := models.NewPseudonyms([]byte("test secret"))
	desk := handlers.NewDesk(handlers.DeskOptions{Store: store, State: st, Pseudonyms: refs, Logger: logger, Target: 0.95, MinRatings: 3, PageSize: 5,
		Invitations: poster.CounterQR{Links: poster.CaseLinker{PublicURL: "https://hall.example.cn"}}})
	return &rig{t: t, store: store, state: st, clock: clk, refs: refs, logs: logs,
		router: handlers.NewRouter(eng, logger, handlers.WithDesk(desk), handlers.WithSubscriptions(store))}
}

func newClock() *testenv.Clock { return testenv.NewClock(testenv.Monday10) }

// forEachBackend runs fn against SQLite and PostgreSQL (in-process state), and SQLite with Redis.
func forEachBackend(t *testing.T, fn func(t *testing.T, r *rig)) {
	forEachDB(t, fn)
	t.Run("sqlite+redis", func(t *testing.T) {
		clk := newClock()
		fn(t, newRig(t, openStore(t, testenv.SQLiteURL(t)), statetest.Redis(t), clk))
	})
}

// forEachDB runs fn against SQLite and PostgreSQL, with in-process state.
func forEachDB(t *testing.T, fn func(t *testing.T, r *rig)) {
	testenv.ForEachDB(t, func(t *testing.T, url string) {
		clk := newClock()
		fn(t, newRig(t, openStore(t, url), statetest.Memory(t, clk.Now), clk))
	})
}

func (r *rig) send(chat string, in bot.Inbound) []bot.Reply {
	r.t.Helper()
	return testenv.Send(r.t, r.router, chat, in)
}

func (r *rig) say(chat, text string) []bot.Reply { return r.send(chat, bot.Inbound{Text: text}) }
func (r *rig) press(chat, payload string) []bot.Reply {
	return r.send(chat, bot.Inbound{Payload: payload, MessageID: "1"})
}

// hasButton reports whether any of rs offers a button with payload.
func hasButton(rs []bot.Reply, payload string) bool {
	return slices.ContainsFunc(rs, func(r bot.Reply) bool { return testenv.HasButton(r, payload) })
}

// chat returns a new chat id.
func (r *rig) chat(prefix string) string {
	r.seq++
	return fmt.Sprintf("%s-%d", prefix, r.seq)
}

// citizen returns the citizen row of a Telegram chat, creating it.
func (r *rig) citizen(chat string) *models.Citizen {
	r.t.Helper()
	c, err := r.store.TouchCitizen(context.Background(), string(bot.Telegram), chat, "", r.clock.Now())
	if err != nil {
		r.t.Fatal(err)
	}
	return c
}

// bind makes a new chat act as staffNo through an invitation and /bind, and returns the chat.
func (r *rig) bind(staffNo string) string {
	r.t.Helper()
	code, _, err := r.store.CreateInvite(context.Background(), staffNo, 0, r.clock.Now())
	if err != nil {
		r.t.Fatal(err)
	}
	chat := r.chat(staffNo)
	testenv.MustContain(r.t, r.say(chat, "/bind "+code), "绑定成功")
	return chat
}

// badReview files a level-1 review of window by a new citizen and returns the ticket number and
// the citizen's chat.
func (r *rig) badReview(window string) (no, chat string) {
	r.t.Helper()
	ctx := context.Background()
	chat = r.chat("rater")
	c := r.citizen(chat)
	w, err := r.store.WindowByCode(ctx, window)
	if err != nil {
		r.t.Fatal(err)
	}
	rt := &models.Rating{WindowID: w.ID, CitizenID: c.ID, Level: 1, Aspects: "attitude.cold", Comment: "态度差", Channel: "telegram", CreatedAt: r.clock.Now()}
	if err := r.store.CreateRating(ctx, rt, r.clock.Now().Add(-time.Hour)); err != nil {
		r.t.Fatal(err)
	}
	return rt.Ticket.No, chat
}

// move applies changes as an administrator (or as actor), failing the test on a refusal.
func (r *rig) move(no string, changes ...models.Change) *models.Ticket {
	r.t.Helper()
	var tk *models.Ticket
	for _, c := range changes {
		if c.Actor.Role == "" {
			c.Actor = models.Actor{Role: models.RoleAdmin}
		}
		c.At = r.clock.Now()
		var err error
		if tk, _, err = r.store.Transition(context.Background(), no, c); err != nil {
			r.t.Fatalf("%s %s: %v", no, c.Action, err)
		}
	}
	return tk
}

func (r *rig) ticket(no string) *models.Ticket {
	r.t.Helper()
	tk, err := r.store.TicketByNo(context.Background(), no)
	if err != nil {
		r.t.Fatal(err)
	}
	return tk
}

func (r *rig) staff(no string) *models.Staff {
	r.t.Helper()
	st, err := r.store.StaffByNo(context.Background(), no)
	if err != nil {
		r.t.Fatal(err)
	}
	return st
}
