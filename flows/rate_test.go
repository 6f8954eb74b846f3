package flows_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"windowbot/bot"
	"windowbot/flows"
	"windowbot/flows/state"
	"windowbot/internal/testenv"
	"windowbot/internal/testenv/statetest"
	"windowbot/internal/text"
	"windowbot/models"
)

// rig is an engine over a real database and a real state store, with a chat driver.
type rig struct {
	t      *testing.T
	store  *models.Store
	state  flows.State
	clock  *testenv.Clock
	driver driver
}

func newRig(t *testing.T, store *models.Store, st flows.State, clk *testenv.Clock) *rig {
	return newRigPeriod(t, store, st, clk, 1)
}

// newRigPeriod is newRig with a rating period of periodDays days.
func newRigPeriod(t *testing.T, store *models.Store, st flows.State, clk *testenv.Clock, periodDays int) *rig {
	eng := flows.NewEngine(flows.Options{
		State: st, Store: store, Now: clk.Now, SessionTTL: 30 * time.Minute}, flows.CitizenFlows(store, st, testenv.Shanghai, periodDays, 30*time.Minute)...)
	return &rig{t: t, store: store, state: st, clock: clk, driver: driver{eng}}
}

// openStore is the demo store, its notices in Chinese.
func openStore(t testing.TB, url string) *models.Store {
	t.Helper()
	return testenv.OpenDemoStore(t, url)
}

func newClock() *testenv.Clock { return testenv.NewClock(testenv.Monday10) }

// forEachBackend runs fn against SQLite and PostgreSQL (memory state), and SQLite with Redis.
func forEachBackend(t *testing.T, fn func(t *testing.T, r *rig)) {
	testenv.ForEachDB(t, func(t *testing.T, url string) {
		clk := newClock()
		fn(t, newRig(t, openStore(t, url), statetest.Memory(t, clk.Now), clk))
	})
	t.Run("sqlite+redis", func(t *testing.T) {
		clk := newClock()
		fn(t, newRig(t, openStore(t, testenv.SQLiteURL(t)), statetest.Redis(t), clk))
	})
}

func (r *rig) send(chat string, in bot.Inbound) []bot.Reply {
	r.t.Helper()
	return testenv.Send(r.t, r.driver, chat, in)
}

func (r *rig) say(chat, text string) []bot.Reply { return r.send(chat, bot.Inbound{Text: text}) }
func (r *rig) press(chat, payload string) []bot.Reply {
	return r.send(chat, bot.Inbound{Payload: payload, MessageID: "1"})
}

func last(rs []bot.Reply) bot.Reply { return rs[len(rs)-1] }

func buttonLabels(r bot.Reply) []string {
	var out []string
	for _, row := range r.Buttons {
		for _, b := range row {
			out = append(out, b.Label)
		}
	}
	return out
}

// staffID is the ID of the staff member numbered no, as a button payload carries it.
func (r *rig) staffID(no string) string {
	r.t.Helper()
	st, err := r.store.StaffByNo(context.Background(), no)
	if err != nil {
		r.t.Fatal(err)
	}
	return fmt.Sprint(st.ID)
}

// staffNo is the number of the staff member a rating names, or "" for none.
func (r *rig) staffNo(id *uint) string {
	r.t.Helper()
	if id == nil {
		return ""
	}
	st, err := r.store.StaffByID(context.Background(), *id)
	if err != nil {
		r.t.Fatal(err)
	}
	return st.StaffNo
}

func (r *rig) ratings() []models.Rating {
	r.t.Helper()
	return testenv.All[models.Rating](r.t, r.store)
}

func TestRateBadReviewFromDeepLink(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		out := r.say("100", "/start w_W001")
		// W001 has two staff members (and a supervisor, who is not asked about).
		if got, want := strings.Join(buttonLabels(last(out)), ","), "张伟,李娜,不确定/跳过"; got != want {
			t.Fatalf("staff buttons = %s, want %s", got, want)
		}
		testenv.MustContain(t, out, "请问为您办理业务的工作人员是？")
		out = r.press("100", "rate:staff:"+r.staffID("DEMO-001"))
		lvl := last(out)
		if got, want := strings.Join(buttonLabels(lvl), ","), "★★★★★ 非常满意,★★★★☆ 满意,★★★☆☆ 基本满意,★★☆☆☆ 不满意,★☆☆☆☆ 非常不满意"; got != want {
			t.Fatalf("level buttons = %s, want %s", got, want)
		}
		// The bad levels are set apart from the others, and every level is marked for colour.
		for i, row := range lvl.Buttons {
			if b := row[0]; b.Gap != (b.Level == 2) || b.Level != 5-i {
				t.Fatalf("level button %d = %+v", i, b)
			}
		}
		testenv.MustContain(t, out, "W001", "工作人员张伟")
		out = r.press("100", "rate:level:2")
		// First the four aspects, and nothing else.
		if got, want := strings.Join(buttonLabels(last(out)), ","), "工作效能,服务态度,服务能力,工作作风,选好了"; got != want {
			t.Fatalf("aspect question = %s, want %s", got, want)
		}
		// Done with nothing chosen is refused for a bad review.
		out = r.press("100", "rate:areas:done")
		testenv.MustContain(t, out, "至少选择一项")
		out = r.press("100", "rate:areas:conduct")
		if !last(out).Edit || !slices.Contains(buttonLabels(last(out)), flows.Checked+"工作作风") {
			t.Fatalf("toggle should edit the checklist with a tick: %+v", last(out))
		}
		r.press("100", "rate:areas:attitude")
		r.press("100", "rate:areas:attitude") // untick
		r.press("100", "rate:areas:efficiency")
		out = r.press("100", "rate:areas:done")
		// Then the problems of the aspects chosen, one aspect at a time in the catalogue's
		// order, each named once in the question and not on its buttons.
		testenv.MustContain(t, out, "【工作效能】方面（第 1/2 项）")
		if got, want := strings.Join(buttonLabels(last(out)), ","), "办事拖沓,超过承诺时限,敷衍应付,让我多跑,选好了"; got != want {
			t.Fatalf("efficiency problems = %s, want %s", got, want)
		}
		out = r.press("100", "rate:aspects:done")
		testenv.MustContain(t, out, "请至少选择一项【工作效能】方面的问题")
		out = r.press("100", "rate:aspects:efficiency.slow")
		if !last(out).Edit || !slices.Contains(buttonLabels(last(out)), flows.Checked+"办事拖沓") {
			t.Fatalf("toggle should edit the checklist with a tick: %+v", last(out))
		}
		// A problem of an aspect not asked now is stale.
		out = r.press("100", "rate:aspects:attitude.cold")
		testenv.MustContain(t, out, "已失效")
		out = r.press("100", "rate:aspects:done")
		testenv.MustContain(t, out, "【工作作风】方面（第 2/2 项）")
		if got, want := strings.Join(buttonLabels(last(out)), ","), "迟到早退,离岗脱岗,不作为,吃拿卡要,选好了"; got != want {
			t.Fatalf("conduct problems = %s, want %s", got, want)
		}
		r.press("100", "rate:aspects:conduct.away")
		out = r.press("100", "rate:aspects:done")
		if !testenv.HasButton(last(out), "rate:comment:skip") {
			t.Fatalf("comment question lacks skip: %+v", out)
		}
		out = r.say("100", "等了一个小时没人")
		testenv.MustContain(t, out, "已收到", "等了一个小时没人")
		out = r.press("100", "rate:comment:said")
		testenv.MustContain(t, out, "感谢您的评价", "工作人员：张伟", "不满意", "办事拖沓", "离岗脱岗", "等了一个小时没人", "已生成差评工单 T20261123-0001", "2026年11月24日 周二")
		rs := r.ratings()
		if len(rs) != 1 {
			t.Fatalf("ratings = %d, want 1", len(rs))
		}
		got := rs[0]
		if got.Level != 2 || got.Aspects != "efficiency.slow,conduct.away" || got.Comment != "等了一个小时没人" || got.Channel != "telegram" ||
			r.staffNo(got.StaffID) != "DEMO-001" {
			t.Fatalf("stored rating = %+v", got)
		}
		// Its ticket says what went wrong in words (the hall's records are Chinese), then the comment.
		if tk, err := r.store.TicketByNo(context.Background(), "T20261123-0001"); err != nil || tk.Description != "办事拖沓、离岗脱岗；等了一个小时没人" {
			t.Fatalf("ticket description %q, %v", tk.Description, err)
		}
		// The conversation is over: a stale button answers politely.
		out = r.press("100", "rate:level:5")
		testenv.MustContain(t, out, "超时")
	})
}

func TestRateGoodReviewWithPraiseAndSkip(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		r.say("200", "/rate")
		// One demo center: the windows are listed straight away.
		out := r.press("200", "rate:window:W002")
		// W002 has one staff member: named without asking.
		testenv.MustContain(t, out, "W002", "工作人员王芳")
		out = r.press("200", "rate:level:5")
		if !testenv.HasButton(last(out), "rate:praise:warm") {
			t.Fatalf("praise question lacks buttons: %+v", out)
		}
		r.press("200", "rate:praise:warm")
		r.press("200", "rate:praise:one_visit")
		r.press("200", "rate:praise:done")
		out = r.press("200", "rate:comment:skip")
		testenv.MustContain(t, out, "非常满意", "工作人员：王芳", "热情周到", "一次办成")
		rs := r.ratings()
		if len(rs) != 1 || rs[0].Level != 5 || rs[0].Praise != "warm,one_visit" || rs[0].Aspects != "" || rs[0].Comment != "" ||
			r.staffNo(rs[0].StaffID) != "DEMO-003" {
			t.Fatalf("stored = %+v", rs)
		}
	})
}

func TestRateTypedChoicesLikeWeChat(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		r.say("300", "/start w_W003")
		r.say("300", "2") // second staff button: 陈静
		r.say("300", "3") // level 3: 基本满意
		out := r.say("300", "1 2")
		labels := strings.Join(buttonLabels(last(out)), ",")
		if !strings.Contains(labels, flows.Checked+"工作效能") || !strings.Contains(labels, flows.Checked+"服务态度") {
			t.Fatalf("typed numbers did not tick: %s", labels)
		}
		r.say("300", "选好了")
		r.say("300", "1")   // 办事拖沓
		r.say("300", "选好了") // and on to 服务态度
		r.say("300", "1 5") // 服务不主动, and the last line: 选好了
		// Free text here, and Telegram shows no numbers: a number is a comment.
		testenv.MustContain(t, r.say("300", "1"), "已收到")
		out = r.say("300", "说完了")
		testenv.MustContain(t, out, "基本满意", "工作人员：陈静")
		rs := r.ratings()
		if len(rs) != 1 || rs[0].Level != 3 || rs[0].Aspects != "efficiency.slow,attitude.not_proactive" || rs[0].Comment != "1" ||
			r.staffNo(rs[0].StaffID) != "DEMO-005" {
			t.Fatalf("stored = %+v", rs)
		}
	})
}

// TestRateTypedLevelNumber: a typed number at the level question is the line it is on, 1 the
// first (非常满意), as WeChat shows them; a bad level typed as a number is confirmed once before
// it counts; the label works as well, with no confirmation; a number that is no line asks again.
func TestRateTypedLevelNumber(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		for i, tc := range []struct {
			typed   string
			want    int  // 0: asked again
			confirm bool // a bad level typed as a number is confirmed first
		}{
			{"1", 5, false},
			{"2", 4, false},
			{" 3 ", 3, false},
			{"4", 2, true},
			{"5", 1, true},
			{"非常满意", 5, false},
			{"非常不满意", 1, false},
			{"6", 0, false},
			{"0", 0, false},
		} {
			t.Run(tc.typed, func(t *testing.T) {
				r := &rig{t: t, store: r.store, state: r.state, clock: r.clock, driver: r.driver}
				chat := fmt.Sprintf("typed-level-%d", i)
				r.say(chat, "/start w_W002") // one staff member: the level is asked at once
				out := r.say(chat, tc.typed)
				if tc.want == 0 {
					testenv.MustContain(t, out, "请点击下方按钮选择", "满意吗")
					return
				}
				if tc.confirm {
					testenv.MustContain(t, out, "您回复的编号是“"+text.Level(text.ZH, tc.want)+"”")
					out = r.say(chat, "1")
				}
				if models.Level(tc.want).AsksAspects() {
					testenv.MustContain(t, out, "哪些方面需要改进")
					r.say(chat, "1")
					r.say(chat, "选好了")
					if out := r.say(chat, "1"); !slices.Contains(buttonLabels(last(out)), flows.Checked+"办事拖沓") {
						t.Fatalf("typing 1 did not tick the first problem: %+v", out)
					}
					r.say(chat, "选好了")
				} else {
					testenv.MustContain(t, out, "哪些方面让您满意")
					r.say(chat, "跳过")
				}
				testenv.MustContain(t, r.say(chat, "跳过"), "感谢您的评价", text.Level(text.ZH, tc.want))
				rs := r.ratings()
				if got := rs[len(rs)-1]; got.Level != tc.want {
					t.Fatalf("typed %q recorded level %d, want %d", tc.typed, got.Level, tc.want)
				}
			})
		}
	})
}

func TestRateOncePerDay(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		rateQuick(t, r, "400", "W001", "4")
		out := r.say("400", "/start w_W001")
		testenv.MustContain(t, out, "今天已经评价过")
		if n := len(r.ratings()); n != 1 {
			t.Fatalf("ratings = %d", n)
		}
		// Another window the same day is fine, and the same window the next day.
		rateQuick(t, r, "400", "W002", "4")
		r.clock.Add(24 * time.Hour)
		rateQuick(t, r, "400", "W001", "5")
		if n := len(r.ratings()); n != 3 {
			t.Fatalf("ratings = %d, want 3", n)
		}
	})
}

// rateQuick rates window at level (4 or 5) with no praise and no comment, not sure who served
// where the window asks.
func rateQuick(t *testing.T, r *rig, chat, window, level string) {
	t.Helper()
	if out := r.say(chat, "/start w_"+window); testenv.HasButton(last(out), "rate:staff:skip") {
		r.press(chat, "rate:staff:skip")
	}
	r.press(chat, "rate:level:"+level)
	r.press(chat, "rate:praise:done")
	out := r.press(chat, "rate:comment:skip")
	testenv.MustContain(t, out, "感谢您的评价")
}

// TestRateStaleButtons: a button of an earlier question (a double tap, an old keyboard) is
// answered by the engine with a note and the current question again; the dialog goes on. The
// commands around it (/cancel, unknown ones) are handlers' and tested there.
func TestRateStaleButtons(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		r.say("500", "/start w_W001")
		// A level pressed before the staff question is answered is stale.
		out := r.press("500", "rate:level:1")
		testenv.MustContain(t, out, "已失效", "请问为您办理业务的工作人员是？")
		r.press("500", "rate:staff:skip")
		r.press("500", "rate:level:1")
		// A double tap on a level while the aspects are asked: told, and asked again.
		out = r.press("500", "rate:level:5")
		testenv.MustContain(t, out, "已失效")
		if !testenv.HasButton(last(out), "rate:areas:done") {
			t.Fatalf("stale press should re-ask the current step: %+v", out)
		}
		out = r.press("500", "rate:areas:conduct")
		if !last(out).Edit {
			t.Fatalf("dialog should still be under way: %+v", out)
		}
	})
}

func TestRateSessionExpiresAfterTTL(t *testing.T) {
	clk := newClock()
	r := newRig(t, openStore(t, testenv.SQLiteURL(t)), statetest.Memory(t, clk.Now), clk)
	r.say("600", "/start w_W001")
	clk.Add(31 * time.Minute)
	out := r.press("600", "rate:level:4")
	testenv.MustContain(t, out, "超时")
	if n := len(r.ratings()); n != 0 {
		t.Fatalf("ratings = %d", n)
	}
}

func TestRateUnknownWindow(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		out := r.say("700", "/start w_NOPE")
		testenv.MustContain(t, out, "没有找到编号为“NOPE”的窗口")
		out = r.say("700", "w002") // codes are case-insensitive
		testenv.MustContain(t, out, "W002")
	})
}

func TestStaffCannotRateOwnWindow(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		ctx := context.Background()
		w, err := r.store.WindowByCode(ctx, "W001")
		if err != nil {
			t.Fatal(err)
		}
		var staff models.Staff
		if err := testenv.DB(t, r.store).Where("window_id = ?", w.ID).First(&staff).Error; err != nil {
			t.Fatal(err)
		}
		c, err := r.store.TouchCitizen(ctx, "telegram", "800", "", r.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		// Bound through the store, as /bind does: a write behind its back would not reach its
		// cache of citizens.
		code, _, err := r.store.CreateInvite(ctx, staff.StaffNo, time.Hour, r.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.store.RedeemInvite(ctx, code, c.ID, r.clock.Now()); err != nil {
			t.Fatal(err)
		}
		out := r.say("800", "/start w_W001")
		testenv.MustContain(t, out, "不能评价自己的窗口")
		// Their colleagues' windows are another matter.
		out = r.say("800", "/start w_W002")
		testenv.MustContain(t, out, "满意吗")
	})
}

// TestConcurrentDeliveriesRecordOnce: the last step of a dialog delivered five times at once
// (platform retries) records one rating.
func TestConcurrentDeliveriesRecordOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		r.say("900", "/start w_W004")
		r.press("900", "rate:level:4")
		r.press("900", "rate:praise:done")
		r.say("900", "很好")
		var wg sync.WaitGroup
		for range 5 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := r.driver.Handle(context.Background(), bot.Inbound{Platform: bot.Telegram, ChatID: "900", Text: "说完了"}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if n := len(r.ratings()); n != 1 {
			t.Fatalf("ratings = %d, want 1", n)
		}
	})
}

// TestResumeAfterRestart: a dialog carries on in a new engine (another replica, or the same
// process after a crash) because its state is in Redis.
func TestResumeAfterRestart(t *testing.T) {
	store := openStore(t, testenv.PostgresURL(t))
	st := statetest.Redis(t)
	clk := newClock()
	first := newRig(t, store, st, clk)
	first.say("1000", "/start w_W005")
	first.say("1000", "黄丽") // the staff member's name, typed
	first.press("1000", "rate:level:2")
	first.press("1000", "rate:areas:capability")
	first.press("1000", "rate:areas:done")
	first.press("1000", "rate:aspects:capability.materials")

	second := newRig(t, store, st, clk) // a fresh engine: nothing in memory
	second.press("1000", "rate:aspects:done")
	second.say("1000", "材料说了三次")
	first.say("1000", "才说全") // and back on the first replica
	out := second.press("1000", "rate:comment:said")
	testenv.MustContain(t, out, "未一次性告知材料", "材料说了三次\n才说全", "工作人员：黄丽")
	if rs := second.ratings(); len(rs) != 1 || second.staffNo(rs[0].StaffID) != "DEMO-008" {
		t.Fatalf("ratings = %+v", rs)
	}
}

func BenchmarkRateStepRedis(b *testing.B) {
	store := openStore(b, testenv.SQLiteURL(b))
	st, err := state.OpenRedis(context.Background(), testenv.RedisURL(b), testenv.KeyPrefix(b))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	clk := newClock()
	eng := flows.NewEngine(flows.Options{State: st, Store: store, Now: clk.Now},
		flows.NewRate(store, testenv.Shanghai, 1))
	d := driver{eng}
	ctx := context.Background()
	in := bot.Inbound{Platform: bot.Telegram, ChatID: "b1"}
	in.Text = "/start w_W001"
	if _, err := d.Handle(ctx, in); err != nil {
		b.Fatal(err)
	}
	for _, p := range []string{"rate:staff:skip", "rate:level:1", "rate:areas:efficiency", "rate:areas:done"} {
		in.Text, in.Payload = "", p
		if _, err := d.Handle(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
	// One step: ticking an aspect (lock, load, touch citizen, step, save, unlock).
	in.Payload = "rate:aspects:efficiency.slow"
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := d.Handle(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRateFlowRedis(b *testing.B) {
	for name, url := range map[string]string{"sqlite": testenv.SQLiteURL(b), "postgres": testenv.PostgresURL(b)} {
		b.Run(name, func(b *testing.B) {
			store := openStore(b, url)
			st, err := state.OpenRedis(context.Background(), testenv.RedisURL(b), testenv.KeyPrefix(b))
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			clk := newClock()
			eng := flows.NewEngine(flows.Options{State: st, Store: store, Now: clk.Now},
				flows.NewRate(store, testenv.Shanghai, 1))
			d := driver{eng}
			ctx := context.Background()
			steps := []bot.Inbound{
				{Text: "/start w_W001"}, {Payload: "rate:staff:skip"}, {Payload: "rate:level:2"},
				{Payload: "rate:areas:efficiency"}, {Payload: "rate:areas:done"}, {Payload: "rate:aspects:efficiency.slow"},
				{Payload: "rate:aspects:done"}, {Text: "排队太久"},
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				chat := fmt.Sprintf("bench-%d", i)
				i++
				for _, in := range steps {
					in.Platform, in.ChatID = bot.Web, chat
					if _, err := d.Handle(ctx, in); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// TestSessionOfAnOlderReleaseExpires: a session stored by a release that kept each flow's state
// in a field of its own ("rate": {…}) has no state the rating flow can load. The conversation
// gets the usual expired answer and ends, rather than failing or carrying on without its state;
// the next message starts afresh.
func TestSessionOfAnOlderReleaseExpires(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		ctx := context.Background()
		key := flows.SessionKey(bot.Telegram, "old")
		old := `{"version":3,"flow":"rate","step":"level",` +
			`"choices":[{"label":"非常满意","payload":"rate:level:5","num":5},{"label":"满意","payload":"rate:level:4","num":4}],` +
			`"rate":{"window_code":"W001","window_id":1,"window_name":"示范政务服务中心 · W001 不动产登记"},` +
			`"updated_at":"2026-11-23T01:55:00Z"}`
		for _, in := range []bot.Inbound{{Text: "5"}, {Payload: "rate:level:4"}} {
			if err := r.state.Save(ctx, key, 0, []byte(old), time.Hour); err != nil {
				t.Fatal(err)
			}
			out := r.send("old", in)
			if got, want := out, text.T(text.ZH, "expired"); len(got) != 1 || got[0].Text != want {
				t.Fatalf("%+v on an old session: %+v, want the expired answer %q", in, got, want)
			}
			if _, err := r.state.Load(ctx, key); !errors.Is(err, bot.ErrNotFound) {
				t.Fatalf("%+v: the old session is still stored: %v", in, err)
			}
		}
		if rs := r.ratings(); len(rs) != 0 {
			t.Fatalf("rated from an old session: %+v", rs)
		}
		testenv.MustContain(t, r.say("old", "/start w_W003"), "W003")
	})
}
