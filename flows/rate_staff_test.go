package flows_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"windowbot/bot"
	"windowbot/internal/testenv"
	"windowbot/models"
)

// importStaff applies a staff CSV (and optionally windows) the way an administrator does.
func (r *rig) importStaff(windowsCSV, staffCSV string) {
	r.t.Helper()
	var windows *strings.Reader
	if windowsCSV != "" {
		windows = strings.NewReader(models.WindowsCSVHeader + "\n" + windowsCSV)
	}
	staff := strings.NewReader(models.StaffCSVHeader + "\n" + staffCSV)
	var err error
	if windows != nil {
		_, err = r.store.Import(context.Background(), windows, "windows.csv", staff, "staff.csv")
	} else {
		_, err = r.store.Import(context.Background(), nil, "", staff, "staff.csv")
	}
	if err != nil {
		r.t.Fatal(err)
	}
}

// answer is one message of a dialog: typed text, or a button press. A press "rate:staff:#NO"
// stands for the button of the staff member numbered NO.
type answer struct{ text, press string }

func (r *rig) answer(chat string, a answer) []bot.Reply {
	r.t.Helper()
	if no, ok := strings.CutPrefix(a.press, "rate:staff:#"); ok {
		a.press = "rate:staff:" + r.staffID(no)
	}
	if a.press != "" {
		return r.press(chat, a.press)
	}
	return r.say(chat, a.text)
}

// finishGood answers the level question with 5 and skips praise and comment.
func (r *rig) finishGood(chat string) []bot.Reply {
	r.t.Helper()
	r.press(chat, "rate:level:5")
	r.press(chat, "rate:praise:done")
	return r.press(chat, "rate:comment:skip")
}

// TestRateAsksWhoServed: the staff question by window size and by the way it is answered.
func TestRateAsksWhoServed(t *testing.T) {
	cases := []struct {
		name    string
		window  string
		asks    string // the staff buttons shown, "" when not asked
		answers []answer
		want    string // staff number the rating names, "" for none
	}{
		{name: "one staff member named silently", window: "W002", want: "DEMO-003"},
		{name: "one staff member W004", window: "W004", want: "DEMO-006"},
		{name: "two by button", window: "W001", asks: "张伟,李娜,不确定/跳过",
			answers: []answer{{press: "rate:staff:#DEMO-002"}}, want: "DEMO-002"},
		{name: "two by typed number", window: "W001", asks: "张伟,李娜,不确定/跳过",
			answers: []answer{{text: "2"}}, want: "DEMO-002"},
		{name: "two by typed label", window: "W003", asks: "刘洋,陈静,不确定/跳过",
			answers: []answer{{text: "陈静"}}, want: "DEMO-005"},
		{name: "skip button", window: "W005", asks: "赵敏,黄丽,不确定/跳过",
			answers: []answer{{press: "rate:staff:skip"}}},
		{name: "skip by typed number", window: "W005", asks: "赵敏,黄丽,不确定/跳过",
			answers: []answer{{text: "3"}}},
		{name: "skip by typed word", window: "W005", asks: "赵敏,黄丽,不确定/跳过",
			answers: []answer{{text: "不确定"}}},
		{name: "unknown name asks again", window: "W003", asks: "刘洋,陈静,不确定/跳过",
			answers: []answer{{text: "王五"}, {text: "刘洋"}}, want: "DEMO-004"},
		// W006 has only a supervisor: supervisors are never a window's staff.
		{name: "no staff member", window: "W006"},
		// Two people called 张伟 at W007: told apart by staff number.
		{name: "same names", window: "W007", asks: "张伟（X-1）,张伟（X-2）,不确定/跳过",
			answers: []answer{{text: "张伟（X-2）"}}, want: "X-2"},
	}
	forEachBackend(t, func(t *testing.T, r *rig) {
		r.importStaff("DEMO,示范政务服务中心,W006,税务,税务局\nDEMO,示范政务服务中心,W007,医保,医保局",
			"S-06,孙主任,W006,supervisor\nX-1,张伟,W007,staff\nX-2,张伟,W007,staff")
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				chat := fmt.Sprint("who-", i)
				out := r.say(chat, "/start w_"+tc.window)
				asked := strings.Join(buttonLabels(last(out)), ",")
				if tc.asks == "" && testenv.HasButton(last(out), "rate:staff:skip") || tc.asks != "" && asked != tc.asks {
					t.Fatalf("first question offers %q, want %q", asked, tc.asks)
				}
				for _, a := range tc.answers {
					out = r.answer(chat, a)
				}
				if !testenv.HasButton(last(out), "rate:level:5") {
					t.Fatalf("level not asked after the answers: %+v", out)
				}
				out = r.finishGood(chat)
				rs := r.ratings()
				got := rs[len(rs)-1]
				if r.staffNo(got.StaffID) != tc.want {
					t.Fatalf("rating names %q, want %q", r.staffNo(got.StaffID), tc.want)
				}
				if tc.want == "" {
					testenv.MustNotContain(t, out, "工作人员：")
					return
				}
				st, _ := r.store.StaffByNo(context.Background(), tc.want)
				testenv.MustContain(t, out, "工作人员："+st.Name)
			})
		}
	})
}

// TestRateStaffMovedAway: a staff member transferred to another window while the citizen is in
// the dialog is not credited at their old window.
func TestRateStaffMovedAway(t *testing.T) {
	cases := []struct {
		name string
		// moveBefore is the answer before which 李娜 (DEMO-002) moves from W001 to W002.
		moveBefore string
		want       []string
	}{
		{name: "before the answer", moveBefore: "staff", want: []string{"已失效", "张伟,不确定/跳过"}},
		{name: "before the rating is stored", moveBefore: "end", want: []string{"李娜 已不在该窗口工作，本次评价只计入窗口"}},
	}
	forEachBackend(t, func(t *testing.T, r *rig) {
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r.importStaff("", "DEMO-002,李娜,W001,staff") // back at W001
				chat := fmt.Sprint("moved-", i)
				r.say(chat, "/start w_W001")
				press := "rate:staff:" + r.staffID("DEMO-002")
				if tc.moveBefore == "staff" {
					r.importStaff("", "DEMO-002,李娜,W002,staff")
					out := r.press(chat, press)
					testenv.MustContain(t, out, tc.want[0])
					if got := strings.Join(buttonLabels(last(out)), ","); got != tc.want[1] {
						t.Fatalf("asked again with %s, want %s", got, tc.want[1])
					}
					r.press(chat, "rate:staff:skip")
				} else {
					out := r.press(chat, press)
					testenv.MustContain(t, out, "工作人员李娜")
					r.importStaff("", "DEMO-002,李娜,W002,staff")
				}
				out := r.finishGood(chat)
				testenv.MustContain(t, out, "感谢您的评价")
				if tc.moveBefore == "end" {
					testenv.MustContain(t, out, tc.want[0])
				}
				testenv.MustNotContain(t, out, "工作人员：李娜")
				rs := r.ratings()
				if got := rs[len(rs)-1]; got.StaffID != nil {
					t.Fatalf("rating names %s, want nobody", r.staffNo(got.StaffID))
				}
			})
		}
	})
}

// TestRateStaffDeepLink: /start s_<staff no> rates the staff member's window with them chosen.
func TestRateStaffDeepLink(t *testing.T) {
	cases := []struct {
		name, link string
		want       []string
		staff      string // rated staff number, "" when the link leads to choosing a window
	}{
		{name: "staff member", link: "s_DEMO-002", want: []string{"W001", "工作人员李娜"}, staff: "DEMO-002"},
		{name: "lower case and underscore", link: "s_ab_1", want: []string{"W004", "工作人员马超"}, staff: "ab_1"},
		{name: "unknown number", link: "s_NOPE", want: []string{"没有找到工号为“NOPE”的窗口工作人员", "请选择窗口"}},
		{name: "supervisor", link: "s_" + models.DemoSupervisorNo, want: []string{"没有找到工号为“" + models.DemoSupervisorNo + "”"}},
		{name: "empty", link: "s_", want: []string{"没有找到工号为“”"}},
		{name: "not a link charset", link: "s_王/1", want: []string{"没有找到工号"}},
	}
	forEachBackend(t, func(t *testing.T, r *rig) {
		r.importStaff("", "ab_1,马超,W004,staff\nDEMO-006,杨磊,W004,staff")
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				chat := fmt.Sprint("link-", i)
				out := r.say(chat, "/start "+tc.link)
				testenv.MustContain(t, out, tc.want...)
				if tc.staff == "" {
					if !testenv.HasButton(last(out), "rate:window:W001") {
						t.Fatalf("no window list after a bad link: %+v", out)
					}
					return
				}
				if testenv.HasButton(last(out), "rate:staff:skip") || !testenv.HasButton(last(out), "rate:level:5") {
					t.Fatalf("a personal link asks the level straight away: %+v", out)
				}
				out = r.finishGood(chat)
				rs := r.ratings()
				if got := r.staffNo(rs[len(rs)-1].StaffID); got != tc.staff {
					t.Fatalf("rating names %q, want %q", got, tc.staff)
				}
			})
		}
		// Staff scanning their own badge cannot rate their window.
		c, err := r.store.TouchCitizen(context.Background(), "telegram", "own-badge", "", r.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		// Bound through the store, as /bind does: a write behind its back would not reach its
		// cache of citizens.
		code, _, err := r.store.CreateInvite(context.Background(), "DEMO-001", time.Hour, r.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.store.RedeemInvite(context.Background(), code, c.ID, r.clock.Now()); err != nil {
			t.Fatal(err)
		}
		testenv.MustContain(t, r.say("own-badge", "/start s_DEMO-002"), "不能评价自己的窗口")
	})
}

// TestServiceStarFromDialogs: ratings given through the engine, naming staff by button, typed
// name, personal link and silently, make models.ServiceStars find the staff member citizens
// rated best.
func TestServiceStarFromDialogs(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		rate := func(chat string, first []answer, level string) {
			t.Helper()
			for _, a := range first {
				r.answer(chat, a)
			}
			r.press(chat, "rate:level:"+level)
			if level == "5" || level == "4" {
				r.press(chat, "rate:praise:done")
			} else {
				r.press(chat, "rate:areas:efficiency")
				r.press(chat, "rate:areas:done")
				r.press(chat, "rate:aspects:efficiency.slow")
				r.press(chat, "rate:aspects:done")
			}
			testenv.MustContain(t, r.press(chat, "rate:comment:skip"), "感谢您的评价")
		}
		for i := range 4 {
			chat := fmt.Sprint("fan-", i)
			switch i % 3 {
			case 0:
				rate(chat, []answer{{text: "/start w_W001"}, {press: "rate:staff:#DEMO-002"}}, "5")
			case 1:
				rate(chat, []answer{{text: "/start w_W001"}, {text: "李娜"}}, "5")
			default:
				rate(chat, []answer{{text: "/start s_DEMO-002"}}, "5")
			}
			other := fmt.Sprint("other-", i)                                   // one rating per citizen, window and day
			rate(other, []answer{{text: "/start w_W001"}, {text: "1"}}, "2")   // 张伟: a bad review
			rate(other, []answer{{text: "/start w_W003"}, {text: "不确定"}}, "5") // nobody named
		}
		for i := range 2 {
			rate(fmt.Sprint("few-", i), []answer{{text: "/start w_W002"}}, "5") // 王芳, silently
		}
		ctx := context.Background()
		from, to := time.Date(2026, 11, 1, 0, 0, 0, 0, testenv.Shanghai), time.Date(2026, 12, 1, 0, 0, 0, 0, testenv.Shanghai)
		tallies, err := r.store.StaffTallies(ctx, from, to)
		if err != nil {
			t.Fatal(err)
		}
		byNo := map[string]int{}
		for _, tl := range tallies {
			id := tl.ID
			byNo[r.staffNo(&id)] = tl.Total()
		}
		if want := map[string]int{"DEMO-001": 4, "DEMO-002": 4, "DEMO-003": 2}; fmt.Sprint(byNo) != fmt.Sprint(want) {
			t.Fatalf("staff tallies = %v, want %v", byNo, want)
		}
		barred, err := r.store.StaffWithUpheldComplaints(ctx, from, to)
		if err != nil {
			t.Fatal(err)
		}
		stars := models.ServiceStars(tallies, barred, 3)
		w, _ := r.store.WindowByCode(ctx, "W001")
		star, ok := stars[w.CenterID]
		if !ok || r.staffNo(&star.ID) != "DEMO-002" || star.Total() != 4 {
			t.Fatalf("stars = %+v, want 李娜 with 4 ratings", stars)
		}
	})
}
