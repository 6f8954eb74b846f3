package handlers_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"windowbot/bot"
	"windowbot/bot/poster"
	"windowbot/flows"
	"windowbot/handlers"
	"windowbot/internal/testenv"
	"windowbot/internal/testenv/statetest"
	"windowbot/models"
)

// The accounts of the command fuzz: chats bound to a member of staff of W001, the demo center's
// supervisor and the city's administrator, and a citizen.
var fuzzChats = []string{"fz-staff", "fz-sup", "fz-admin", "fz-citizen"}

// commandTemplate builds, once, a database holding the demo data and the city's center, the
// fuzz accounts bound, a bad review's ticket, a complaint and an accepted ticket, and returns the
// path of a copy of it (VACUUM INTO: consistent while the store is open).
func commandTemplate(f *testing.F) string {
	f.Helper()
	ctx := context.Background()
	clk := newClock()
	store := openStore(f, testenv.SQLiteURL(f))
	st := statetest.Memory(f, clk.Now)
	router := fuzzRouter(store, st, clk)
	for i, staffNo := range []string{"DEMO-001", models.DemoSupervisorNo, "ADMIN-1"} {
		code, _, err := store.CreateInvite(ctx, staffNo, 0, clk.Now())
		if err != nil {
			f.Fatal(err)
		}
		out, err := router.Handle(ctx, bot.Inbound{Platform: bot.Telegram, ChatID: fuzzChats[i], UserID: fuzzChats[i], Text: "/bind " + code})
		if err != nil || len(out) == 0 || !strings.Contains(out[0].Text, "绑定成功") {
			f.Fatalf("bind %s: %+v, %v", staffNo, out, err)
		}
	}
	c, err := store.TouchCitizen(ctx, string(bot.Telegram), fuzzChats[3], "", clk.Now())
	if err != nil {
		f.Fatal(err)
	}
	w1, err := store.WindowByCode(ctx, "W001")
	if err != nil {
		f.Fatal(err)
	}
	for level, code := range []string{1: "W001", 2: "W002"} {
		if code == "" {
			continue
		}
		w, err := store.WindowByCode(ctx, code)
		if err != nil {
			f.Fatal(err)
		}
		r := &models.Rating{WindowID: w.ID, CitizenID: c.ID, Level: level, Aspects: "attitude.cold", Comment: "态度差 电话13812345678", Channel: "telegram", CreatedAt: clk.Now()}
		if err := store.CreateRating(ctx, r, clk.Now().Add(-time.Hour)); err != nil {
			f.Fatal(err)
		}
	}
	if _, err := store.CreateComplaint(ctx, models.NewComplaint{CitizenID: c.ID, WindowID: &w1.ID, Category: models.CategoryNotDone,
		Description: "材料不全 身份证 110105 19491231 002X", Channel: "telegram", At: clk.Now()}); err != nil {
		f.Fatal(err)
	}
	path := filepath.Join(f.TempDir(), "template.db")
	if err := testenv.DB(f, store).Exec("VACUUM INTO ?", path).Error; err != nil {
		f.Fatal(err)
	}
	return path
}

func fuzzRouter(store *models.Store, st flows.State, clk *testenv.Clock) *handlers.Router {
	eng := flows.NewEngine(flows.Options{State: st, Store: store, Now: clk.Now, SessionTTL: 30 * time.Minute},
		flows.CitizenFlows(store, st, testenv.Shanghai, 1, 30*time.Minute)...)
	desk := handlers.NewDesk(handlers.DeskOptions{Store: store, State: st, Pseudonyms: models.NewPseudonyms([]byte("test secret")),
		Target: 0.95, MinRatings: 3, PageSize: 5,
		Invitations: poster.CounterQR{Links: poster.CaseLinker{PublicURL: "https://hall.example.cn"}}})
	return handlers.NewRouter(eng, nil, handlers.WithDesk(desk), handlers.WithSubscriptions(store))
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// FuzzCommand sends any message — a command with any arguments, a keyword, a pressed button's
// payload (press) — as a member of staff, a supervisor, an administrator or a citizen (who) to
// the router with the desk, each input on a fresh copy of the same database (demo data, the
// accounts bound, three tickets) and fresh state, as a channel would: cleaned first
// (bot.CleanInbound). It holds that:
//   - the router answers without an error (an error means "busy" to the person: no message a
//     person can type may cause one);
//   - there is at least one reply, and every reply is text a channel can show: not empty, valid
//     UTF-8, no control (but "\n" and "\t") or invisible character;
//   - every button has a label and a payload of at most 64 bytes, Telegram's limit on a
//     button's data (a longer one makes Telegram refuse the whole message).
func FuzzCommand(f *testing.F) {
	for _, s := range []struct {
		who   byte
		text  string
		press bool
	}{
		{0, "/todo", false}, {0, "/mystats 上月", false}, {0, "/ticket T20261123-0001", false},
		{0, "/accept T20261123-0001", false}, {0, "/plan T20261123-0001 明天补齐材料", false},
		{0, "/done T20261123-0001 已补齐", false}, {0, "/unbind", false}, {0, "待办", false},
		{1, "/stats", false}, {1, "/stats 2026年11月", false}, {1, "/stats ２０２６年１１月", false}, {1, "/stats 11月", false},
		{1, "/rank 2026", false}, {1, "/rank last", false}, {1, "/overdue", false}, {1, "/star 2026-10", false},
		{1, "/assign T20261123-0001 DEMO-001", false}, {1, "/verify T20261123-0001 valid", false},
		{1, "/review T20261123-0001 uphold", false}, {1, "/escalate T20261123-0001", false},
		{1, "/inspect W001 90 窗口整洁", false}, {1, "/publish T20261123-0001", false},
		{1, "/ban T20261123-0001 恶意差评", false}, {1, "/unban T20261123-0001", false}, {1, "统计", false},
		{2, "/stats CITY", false}, {2, "/rank 0999", false}, {2, "/todo", false},
		{3, "/rate", false}, {3, "/start w_W001", false}, {3, "/complain W004", false}, {3, "/track T20261123-0001", false},
		{3, "/appeal", false}, {3, "/bind ABCD-EFGH-JKMN", false}, {3, "/help", false}, {3, "/subscribe", false}, {3, "投诉", false},
		{0, "cmd:/ticket T20261123-0001", true}, {1, "page:2:/overdue", true}, {3, "rate:level:5", true}, {3, "cmd:/rate", true},
	} {
		f.Add(s.who, s.text, s.press)
	}
	template := commandTemplate(f)
	db := filepath.Join(f.TempDir(), "input.db")
	f.Fuzz(func(t *testing.T, who byte, text string, press bool) {
		copyFile(t, template, db)
		ctx := context.Background()
		store, err := models.Open(ctx, "sqlite:"+db, nil, models.WithTicketRules(models.DefaultTicketRules(testenv.Shanghai)))
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		clk := newClock()
		st := statetest.Memory(t, clk.Now)
		router := fuzzRouter(store, st, clk)
		chat := fuzzChats[int(who)%len(fuzzChats)]
		in := bot.Inbound{Platform: bot.Telegram, ChatID: chat, UserID: chat, Lang: "zh-CN", Text: text}
		if press {
			in = bot.Inbound{Platform: bot.Telegram, ChatID: chat, UserID: chat, Lang: "zh-CN", Payload: text, MessageID: "1"}
		}
		in = bot.CleanInbound(in)
		if in.Text == "" && in.Payload == "" {
			return // the adapters drop an empty message
		}
		out, err := router.Handle(ctx, in)
		if err != nil {
			t.Fatalf("%s %+v: %v", chat, in, err)
		}
		if len(out) == 0 {
			t.Fatalf("%s %+v: no reply", chat, in)
		}
		for _, r := range out {
			if strings.TrimSpace(r.Text) == "" || !utf8.ValidString(r.Text) {
				t.Fatalf("%s %+v: reply %q", chat, in, r.Text)
			}
			for _, c := range r.Text {
				if (unicode.IsControl(c) && c != '\n' && c != '\t') || models.Invisible(c) {
					t.Fatalf("%s %+v: reply %q holds %U", chat, in, r.Text, c)
				}
			}
			for _, row := range r.Buttons {
				for _, b := range row {
					if b.Label == "" || b.Payload == "" || len(b.Payload) > 64 {
						t.Fatalf("%s %+v: button %+v", chat, in, b)
					}
				}
			}
		}
	})
}
