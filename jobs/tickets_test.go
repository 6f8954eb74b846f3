package jobs_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"windowbot/bot"
	"windowbot/internal/testenv"
	"windowbot/internal/testenv/pushtest"
	"windowbot/jobs"
	"windowbot/models"
)

// ticketRig is the demo center on the 2026 Chinese calendar with chat accounts for the staff of
// W001, the center's supervisor and a supervisor of all centers; ticket events queue their
// notices, as in production.
type ticketRig struct {
	s     *models.Store
	deps  *jobs.Deps
	clock *clock
	sch   *jobs.Scheduler
	cit   *models.Citizen
	w1    *models.Window
}

func newTicketRig(t *testing.T, s *models.Store) *ticketRig {
	t.Helper()
	ctx := context.Background()
	deps := testDeps(s)
	if err := s.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Import(ctx, nil, "", strings.NewReader(models.StaffCSVHeader+"\nCITY-S,吴敏,,supervisor\n"), "s.csv"); err != nil {
		t.Fatal(err)
	}
	staffAccount(t, s, bot.Telegram, "s001", "DEMO-001")
	staffAccount(t, s, bot.Telegram, "s002", "DEMO-002")
	staffAccount(t, s, bot.Telegram, "s003", "DEMO-003") // W002: never concerned here
	staffAccount(t, s, bot.Telegram, "sup", models.DemoSupervisorNo)
	staffAccount(t, s, bot.WeChat, "city", "CITY-S")
	r := &ticketRig{s: s, deps: deps, clock: newClock(time.Time{})}
	r.sch = newScheduler(t, s, nil, jobs.Catalog(deps), r.clock.Now)
	r.cit = citizen(t, s, bot.Telegram, "citizen")
	r.w1, _ = s.WindowByCode(ctx, "W001")
	return r
}

// complain files a complaint on W001 (or the whole center) at `at`.
func (r *ticketRig) complain(t *testing.T, at time.Time, wholeCenter bool) *models.Ticket {
	t.Helper()
	in := models.NewComplaint{CitizenID: r.cit.ID, CenterID: r.w1.CenterID, WindowID: &r.w1.ID, Category: "attitude",
		Description: "态度冷漠", Channel: "telegram", At: at}
	if wholeCenter {
		in.WindowID = nil
	}
	tk, err := r.s.CreateComplaint(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// run runs a job's occurrence at `at` (hall time) and returns the pushes of kind it queued.
func (r *ticketRig) run(t *testing.T, job string, at time.Time, force bool, kind string) []models.Push {
	t.Helper()
	var before []uint
	testenv.DB(t, r.s).Model(&models.Push{}).Where("kind = ?", kind).Pluck("id", &before)
	r.clock.Set(at)
	runJob(t, r.sch, job, "", at, force)
	var out []models.Push
	q := testenv.DB(t, r.s).Preload("Citizen").Where("kind = ?", kind)
	if len(before) > 0 {
		q = q.Where("id NOT IN ?", before)
	}
	q.Order("id").Find(&out)
	return pushtest.Worded(t, out...)
}

var ticketNoRE = regexp.MustCompile(`T\d{8}-\d{4,}`)

// summary lists pushes as "chat:ticket" for comparison.
func summary(ps []models.Push) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Citizen.ExternalID+":"+ticketNoRE.FindString(p.Text))
	}
	slices.Sort(out)
	return out
}

func day(m time.Month, d, h, min int) time.Time {
	return time.Date(2026, m, d, h, min, 0, 0, testenv.Shanghai)
}

// TestDeadlineReminders walks the reminder job over National Day 2026 (1–7 October off, Saturday
// 10 October worked) and the new year: each day it reminds exactly the tickets due that day or
// on the next working day, and only on working days.
func TestDeadlineReminders(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		r := newTicketRig(t, s)
		a := r.complain(t, day(9, 29, 8, 0), false) // call back due Wed 30 Sep
		b := r.complain(t, day(9, 30, 8, 0), false) // due Thu 8 Oct, the next working day
		e := r.complain(t, day(9, 29, 8, 5), true)  // the whole center: supervisors handle it
		c := r.complain(t, day(10, 9, 8, 0), false) // due Sat 10 Oct, a worked Saturday
		d := r.complain(t, day(12, 31, 8, 0), false)
		for _, tc := range []struct {
			tk  *models.Ticket
			due string
		}{{a, "2026-09-30"}, {b, "2026-10-08"}, {e, "2026-09-30"}, {c, "2026-10-10"}, {d, "2027-01-04"}} {
			if got := dateIn(tc.tk.CallbackDue); got != tc.due {
				t.Fatalf("%s due %s, want %s", tc.tk.No, got, tc.due)
			}
		}
		staff := func(no string) []string { return []string{"s001:" + no, "s002:" + no} }
		sups := func(no string) []string { return []string{"city:" + no, "sup:" + no} }
		join := func(ls ...[]string) []string {
			var out []string
			for _, l := range ls {
				out = append(out, l...)
			}
			slices.Sort(out)
			return out
		}
		steps := []struct {
			at   time.Time
			want []string
			text string
		}{
			{day(9, 30, 9, 0), join(staff(a.No), staff(b.No), sups(e.No)), ""},
			{day(10, 1, 9, 0), nil, ""},
			{day(10, 3, 9, 0), nil, ""},
			{day(10, 7, 9, 0), nil, ""},
			{day(10, 8, 9, 0), staff(b.No), "期限是今天 2026-10-08"},
			{day(10, 9, 9, 0), staff(c.No), "下一个工作日 2026-10-10"},
			{day(10, 10, 9, 0), staff(c.No), "期限是今天 2026-10-10"},
			{day(10, 11, 9, 0), nil, ""},
			{day(12, 31, 9, 0), staff(d.No), "下一个工作日 2027-01-04"},
		}
		for _, st := range steps {
			got := r.run(t, jobs.DeadlineReminders, st.at, false, jobs.KindDeadlineReminder)
			if fmt.Sprint(summary(got)) != fmt.Sprint(st.want) {
				t.Errorf("%s: reminders %v, want %v", st.at.Format(time.DateOnly), summary(got), st.want)
			}
			for _, p := range got {
				if st.text != "" && !strings.Contains(p.Text, st.text) {
					t.Errorf("%s: text %q lacks %q", st.at.Format(time.DateOnly), p.Text, st.text)
				}
			}
		}
		// The reminder of 30 September about b names the deadline and the window, not the citizen.
		var p models.Push
		testenv.DB(t, s).Where("dedupe_key LIKE ?", "deadline_reminder:"+b.No+":2026-10-08:remind_next:%").First(&p)
		if !strings.Contains(p.Text, "下一个工作日 2026-10-08") || !strings.Contains(p.Text, "W001") || !strings.Contains(p.Text, "回访") {
			t.Errorf("reminder text = %q", p.Text)
		}
		// The whole-center complaint is described as such to the supervisors, not as a window.
		var pe models.Push
		testenv.DB(t, s).Where("dedupe_key LIKE ?", "deadline_reminder:"+e.No+":2026-09-30:remind_today:%").First(&pe)
		if !strings.Contains(pe.Text, "（整个服务中心 · 服务态度）") {
			t.Errorf("reminder of the whole-center complaint = %q, want it named 整个服务中心 · 服务态度", pe.Text)
		}
		// A forced re-run of a day queues nothing new.
		if got := r.run(t, jobs.DeadlineReminders, day(9, 30, 9, 0), true, jobs.KindDeadlineReminder); len(got) != 0 {
			t.Errorf("forced re-run queued %d", len(got))
		}
	})
}

func dateIn(t time.Time) string { return t.In(testenv.Shanghai).Format(time.DateOnly) }

// TestOverdueEscalation: a ticket due on 30 September is escalated on the first working day
// after National Day, chased every working day after (the worked Saturday too, not the Sunday),
// never twice a day, and left alone once accepted.
func TestOverdueEscalation(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		r := newTicketRig(t, s)
		a := r.complain(t, day(9, 29, 8, 0), false)
		run := func(at time.Time, force bool) (esc, chase []models.Push) {
			t.Helper()
			var before []uint
			testenv.DB(t, s).Model(&models.Push{}).Where("kind = ?", models.KindTicketAlert).Pluck("id", &before)
			r.clock.Set(at)
			res := runJob(t, r.sch, jobs.OverdueEscalation, "", at, force)
			var ps []models.Push
			q := testenv.DB(t, s).Preload("Citizen").Where("kind = ?", models.KindTicketAlert)
			if len(before) > 0 {
				q = q.Where("id NOT IN ?", before)
			}
			q.Order("id").Find(&ps)
			for _, p := range pushtest.Worded(t, ps...) {
				switch {
				case strings.Contains(p.Text, "升级督办"):
					esc = append(esc, p)
				case strings.Contains(p.Text, "催办"):
					chase = append(chase, p)
				default:
					t.Errorf("unexpected alert %q", p.Text)
				}
			}
			// The job reports the tickets it escalated or chased: here one or none.
			if want := min(len(esc)+len(chase), 1); res.Items != want {
				t.Errorf("%s: the job reports %d items, want %d", at.Format(time.DateTime), res.Items, want)
			}
			return esc, chase
		}
		all := []string{"city:" + a.No, "s001:" + a.No, "s002:" + a.No, "sup:" + a.No}
		if e, c := run(day(9, 30, 9, 15), false); len(e)+len(c) > 0 {
			t.Errorf("escalated before the deadline passed: %v %v", summary(e), summary(c))
		}
		for d := 1; d <= 7; d++ {
			if e, c := run(day(10, d, 9, 15), false); len(e)+len(c) > 0 {
				t.Errorf("acted on holiday 10-%02d: %v %v", d, summary(e), summary(c))
			}
		}
		e, c := run(day(10, 8, 9, 15), false)
		if fmt.Sprint(summary(e)) != fmt.Sprint(all) || len(c) != 0 {
			t.Fatalf("8 Oct: escalations %v, chases %v; want escalation to %v", summary(e), summary(c), all)
		}
		if !strings.Contains(e[0].Text, "已超过回访期限 1 个工作日") || !e[0].Urgent {
			t.Errorf("escalation = %+v", e[0])
		}
		tk, _ := s.TicketByNo(ctxT(t), a.No)
		if !tk.Escalated || tk.State != models.StateSubmitted {
			t.Errorf("after escalation: escalated %v, state %s", tk.Escalated, tk.State)
		}
		var toCitizen []models.Push
		testenv.DB(t, s).Where("kind = ? AND citizen_id = ?", models.KindTicketStatus, r.cit.ID).Find(&toCitizen)
		if !slices.ContainsFunc(pushtest.Worded(t, toCitizen...), func(p models.Push) bool { return strings.Contains(p.Text, "督办") }) {
			t.Errorf("the citizen was not told of the escalation: %+v", toCitizen)
		}
		evs, _ := s.TicketEvents(ctxT(t), a.ID, false)
		if last := evs[len(evs)-1]; last.Action != models.ActEscalate || last.ActorRole != models.RoleSystem {
			t.Errorf("last event = %+v, want a system escalation", last)
		}
		if e, c := run(day(10, 8, 11, 0), true); len(e)+len(c) > 0 {
			t.Errorf("forced re-run on the day of escalation: %v %v", summary(e), summary(c))
		}
		for _, st := range []struct {
			at   time.Time
			late string
		}{{day(10, 9, 9, 15), "2 个工作日"}, {day(10, 10, 9, 15), "3 个工作日"}, {day(10, 12, 9, 15), "4 个工作日"}} {
			e, c := run(st.at, false)
			if len(e) != 0 || fmt.Sprint(summary(c)) != fmt.Sprint(all) || !strings.Contains(c[0].Text, st.late) || !strings.Contains(c[0].Text, "催办") {
				t.Errorf("%s: escalations %v, chases %v", st.at.Format(time.DateOnly), summary(e), summary(c))
			}
		}
		if e, c := run(day(10, 11, 9, 15), false); len(e)+len(c) > 0 {
			t.Errorf("chased on Sunday 11 Oct: %v", summary(c))
		}
		if _, c := run(day(10, 12, 16, 0), true); len(c) != 0 {
			t.Errorf("chased twice on 12 Oct: %v", summary(c))
		}
		transition(t, s, a.No, models.ActAccept, day(10, 12, 17, 0))
		if e, c := run(day(10, 13, 9, 15), false); len(e)+len(c) > 0 {
			t.Errorf("chased an accepted ticket within its rectification deadline: %v", summary(c))
		}
	})
}

// TestDailyDigest: on Monday 12 October the digest covers the worked Saturday and the Sunday
// (since the previous working day began), the overdue tickets, and Saturday's satisfaction; it
// is headed with those days, not with the Monday. Tuesday's covers Monday and says so.
func TestDailyDigest(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		r := newTicketRig(t, s)
		overdue := r.complain(t, day(9, 29, 8, 0), false)
		fri := rate(t, s, "W002", "", 1, day(10, 9, 15, 0), "") // Saturday's digest had it; due Saturday, overdue now
		sat := rate(t, s, "W002", "", 1, day(10, 10, 14, 0), "")
		sun := rate(t, s, "W003", "", 2, day(10, 11, 10, 0), "")
		rate(t, s, "W001", "", 5, day(10, 10, 9, 0), "")
		rate(t, s, "W001", "", 5, day(10, 10, 9, 1), "")
		if got := r.run(t, jobs.DailyDigest, day(10, 11, 8, 30), false, jobs.KindDailyDigest); len(got) != 0 {
			t.Errorf("digest on Sunday: %d", len(got))
		}
		got := r.run(t, jobs.DailyDigest, day(10, 12, 8, 30), false, jobs.KindDailyDigest)
		if len(got) != 2 {
			t.Fatalf("digests %d, want 2 (center and city supervisors)", len(got))
		}
		for _, p := range got {
			if strings.Contains(p.Text, "2026-10-12") {
				t.Errorf("Monday's digest is headed with the day it is sent:\n%s", p.Text)
			}
			for _, want := range []string{"【每日简报】2026-10-10 至 2026-10-11 · ", "新增差评 2 件", ticketOfRating(t, s, sat).No, ticketOfRating(t, s, sun).No,
				"超期工单 2 件", overdue.No + " W001 不动产登记 · 服务态度 超期 4 个工作日", ticketOfRating(t, s, fri).No + " W002 社保医保 · 其他 超期 1 个工作日",
				"2026-10-10 满意率 66.7%（3 条评价）"} {
				if !strings.Contains(p.Text, want) {
					t.Errorf("digest to %s lacks %q:\n%s", p.Citizen.ExternalID, want, p.Text)
				}
			}
		}
		for _, p := range r.run(t, jobs.DailyDigest, day(10, 13, 8, 30), false, jobs.KindDailyDigest) {
			if !strings.Contains(p.Text, "【每日简报】2026-10-12 · ") || strings.Contains(p.Text, "2026-10-13") {
				t.Errorf("Tuesday's digest is not headed with Monday alone:\n%s", p.Text)
			}
		}
	})
}

// TestRerating: the citizen (and who joined the ticket) is reminded once, two days after the
// fix, and the ticket closes as "no reply" seven days after it; a re-rated ticket is left alone.
func TestRerating(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		r := newTicketRig(t, s)
		ctx := ctxT(t)
		resolve := func(tk *models.Ticket, at time.Time) {
			for _, a := range []models.Action{models.ActAccept, models.ActPlan, models.ActDone} {
				transition(t, s, tk.No, a, at)
			}
		}
		a := r.complain(t, day(11, 20, 9, 0), false)
		b := r.complain(t, day(11, 20, 9, 30), false)
		joiner := citizen(t, s, bot.WeChat, "joiner")
		if _, err := s.JoinTicket(ctx, a.No, joiner.ID, "我也遇到了", nil, day(11, 20, 12, 0)); err != nil {
			t.Fatal(err)
		}
		resolve(a, day(11, 23, 9, 0))
		resolve(b, day(11, 23, 9, 0))
		if _, _, err := s.Transition(ctx, b.No, models.Change{Action: models.ActRerate, Actor: models.Actor{Role: models.RoleCitizen, CitizenID: r.cit.ID},
			Outcome: models.RerateSatisfied, At: day(11, 24, 8, 0)}); err != nil {
			t.Fatal(err)
		}
		if got := r.run(t, jobs.Rerating, day(11, 24, 10, 0), false, jobs.KindRerateReminder); len(got) != 0 {
			t.Errorf("reminded after one day: %v", summary(got))
		}
		got := r.run(t, jobs.Rerating, day(11, 25, 10, 0), false, jobs.KindRerateReminder)
		if fmt.Sprint(summary(got)) != fmt.Sprint([]string{"citizen:" + a.No, "joiner:" + a.No}) {
			t.Errorf("reminders = %v", summary(got))
		}
		for _, p := range got {
			if !strings.Contains(p.Text, "2026-11-30 09:00") || !strings.Contains(p.Text, "/rerate "+a.No) {
				t.Errorf("reminder = %q, want the command and the closing time", p.Text)
			}
			// Only who filed it gives the verdict: the joiner gets no button.
			if hasButton := strings.Contains(p.Buttons, "cmd:/rerate "+a.No); hasButton != (p.CitizenID == r.cit.ID) {
				t.Errorf("reminder to %s: buttons %q", p.Citizen.ExternalID, p.Buttons)
			}
		}
		if got := r.run(t, jobs.Rerating, day(11, 26, 10, 0), false, jobs.KindRerateReminder); len(got) != 0 {
			t.Errorf("reminded twice: %v", summary(got))
		}
		r.run(t, jobs.Rerating, day(11, 30, 8, 59), false, jobs.KindRerateReminder)
		if tk, _ := s.TicketByNo(ctx, a.No); tk.State != models.StateResolved {
			t.Errorf("closed before seven days: %s", tk.State)
		}
		r.run(t, jobs.Rerating, day(12, 1, 10, 0), false, jobs.KindRerateReminder)
		tk, _ := s.TicketByNo(ctx, a.No)
		if tk.State != models.StateClosed || tk.CloseReason != models.CloseNoReply {
			t.Errorf("after seven days: %s %s, want closed no_reply", tk.State, tk.CloseReason)
		}
		if tb, _ := s.TicketByNo(ctx, b.No); tb.CloseReason != models.CloseSatisfied {
			t.Errorf("re-rated ticket: %s", tb.CloseReason)
		}
	})
}

// TestRerateCycleInvitesAndRemindsAgain: a fix the citizen finds wanting reopens the ticket, and
// its second resolution is a new round — a second invitation to re-rate, a second reminder two
// days after it (not swallowed as a duplicate of the first), a closing time counted from the
// second resolution, and the "no reply" close only seven days after that.
func TestRerateCycleInvitesAndRemindsAgain(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		r := newTicketRig(t, s)
		ctx := ctxT(t)
		tk := r.complain(t, day(11, 16, 9, 0), false)
		invites := func() []models.Push {
			t.Helper()
			var ps []models.Push
			if err := testenv.DB(t, s).Where("kind = ? AND citizen_id = ?", models.KindRerateInvite, r.cit.ID).Order("id").Find(&ps).Error; err != nil {
				t.Fatal(err)
			}
			return pushtest.Worded(t, ps...)
		}
		for _, a := range []models.Action{models.ActAccept, models.ActPlan, models.ActDone} {
			transition(t, s, tk.No, a, day(11, 17, 9, 0))
		}
		if n := len(invites()); n != 1 {
			t.Fatalf("first resolution: %d invitations, want 1", n)
		}
		first := r.run(t, jobs.Rerating, day(11, 19, 10, 0), false, jobs.KindRerateReminder)
		if fmt.Sprint(summary(first)) != fmt.Sprint([]string{"citizen:" + tk.No}) {
			t.Fatalf("first reminder: %v, want one to the citizen", summary(first))
		}
		if !strings.Contains(first[0].Text, "2026-11-24 09:00") {
			t.Errorf("first reminder %q, want the closing time 2026-11-24 09:00", first[0].Text)
		}
		if _, _, err := s.Transition(ctx, tk.No, models.Change{Action: models.ActRerate, Actor: models.Actor{Role: models.RoleCitizen, CitizenID: r.cit.ID},
			Outcome: models.RerateUnsatisfied, At: day(11, 19, 12, 0)}); err != nil {
			t.Fatal(err)
		}
		// Reopened: nothing to re-rate, so no reminder while it is being fixed again.
		if got := r.run(t, jobs.Rerating, day(11, 20, 10, 0), false, jobs.KindRerateReminder); len(got) != 0 {
			t.Errorf("reminded of a reopened ticket: %v", summary(got))
		}
		transition(t, s, tk.No, models.ActPlan, day(11, 20, 11, 0))
		transition(t, s, tk.No, models.ActDone, day(11, 23, 9, 0))
		inv := invites()
		if len(inv) != 2 || inv[0].DedupeKey == inv[1].DedupeKey || !strings.Contains(inv[1].Text, tk.No) || !strings.Contains(inv[1].Buttons, tk.No) {
			t.Fatalf("second resolution: invitations %+v, want a second one with its buttons", inv)
		}
		if got := r.run(t, jobs.Rerating, day(11, 24, 10, 0), false, jobs.KindRerateReminder); len(got) != 0 {
			t.Errorf("second round reminded one day after the fix: %v", summary(got))
		}
		second := r.run(t, jobs.Rerating, day(11, 25, 10, 0), false, jobs.KindRerateReminder)
		if fmt.Sprint(summary(second)) != fmt.Sprint([]string{"citizen:" + tk.No}) {
			t.Fatalf("second reminder: %v, want one to the citizen", summary(second))
		}
		if second[0].DedupeKey == first[0].DedupeKey || !strings.Contains(second[0].Text, "2026-11-30 09:00") {
			t.Errorf("second reminder %q (key %s), want its own key and the closing time of the second round", second[0].Text, second[0].DedupeKey)
		}
		if got := r.run(t, jobs.Rerating, day(11, 26, 10, 0), false, jobs.KindRerateReminder); len(got) != 0 {
			t.Errorf("second round reminded twice: %v", summary(got))
		}
		// The first round's closing time has passed: the ticket waits for the second round's.
		r.run(t, jobs.Rerating, day(11, 27, 10, 0), false, jobs.KindRerateReminder)
		if got, _ := s.TicketByNo(ctx, tk.No); got.State != models.StateResolved {
			t.Fatalf("closed by the first round's clock: %s %s", got.State, got.CloseReason)
		}
		r.run(t, jobs.Rerating, day(11, 30, 9, 0), false, jobs.KindRerateReminder)
		got, _ := s.TicketByNo(ctx, tk.No)
		if got.State != models.StateClosed || got.CloseReason != models.CloseNoReply || !got.ClosedAt.Equal(day(11, 30, 9, 0)) {
			t.Errorf("after the second round: %s %s at %v, want closed no_reply at 2026-11-30 09:00", got.State, got.CloseReason, got.ClosedAt)
		}
	})
}

// TestReratingDefaultsAndOverdueFirst: rules that leave RerateDays unset close after the default
// seven days, and a ticket already past its closing time (resolved first, so listed first) is
// closed without keeping the others waiting from their reminder.
func TestReratingDefaultsAndOverdueFirst(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		rules := s.TicketRules()
		rules.RerateDays = 0
		s = testenv.Reopen(t, s, append(storeOptions(), models.WithTicketRules(rules))...)
		r := newTicketRig(t, s)
		old := r.complain(t, day(11, 9, 9, 0), false)
		fresh := r.complain(t, day(11, 9, 9, 30), false)
		for _, a := range []models.Action{models.ActAccept, models.ActPlan, models.ActDone} {
			transition(t, s, old.No, a, day(11, 10, 9, 0))
			transition(t, s, fresh.No, a, day(11, 16, 9, 0))
		}
		r.clock.Set(day(11, 18, 10, 0))
		res := runJob(t, r.sch, jobs.Rerating, "", day(11, 18, 10, 0), false)
		got := queued(t, s, jobs.KindRerateReminder)
		if fmt.Sprint(summary(got)) != fmt.Sprint([]string{"citizen:" + fresh.No}) {
			t.Fatalf("reminders %v, want one for %s only", summary(got), fresh.No)
		}
		if res.Items != 2 {
			t.Errorf("the job reports %d items, want 2: one reminder queued, one ticket closed", res.Items)
		}
		if !strings.Contains(got[0].Text, "2026-11-23 09:00") {
			t.Errorf("reminder %q, want the default closing time seven days after the fix, 2026-11-23 09:00", got[0].Text)
		}
		if tk, _ := s.TicketByNo(ctxT(t), old.No); tk.State != models.StateClosed || tk.CloseReason != models.CloseNoReply {
			t.Errorf("the ticket resolved on 10 November: %s %s, want closed no_reply", tk.State, tk.CloseReason)
		}
	})
}

// TestRerateReminderTexted: a complainant on the web chat who left a phone with consent is also
// texted the re-rating reminder, once, with the ticket's link; one on Telegram is not texted.
func TestRerateReminderTexted(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, url string) {
		s := openStore(t, url, models.WithTicketSMS(func(token string) string { return "https://hall.example.cn/?k=" + token }))
		r := newTicketRig(t, s)
		ctx := ctxT(t)
		webCit := citizen(t, s, bot.Web, "closed-page")
		var nos []string
		for _, c := range []*models.Citizen{webCit, r.cit} {
			tk, err := s.CreateComplaint(ctx, models.NewComplaint{CitizenID: c.ID, CenterID: r.w1.CenterID, WindowID: &r.w1.ID,
				Category: "attitude", Description: "态度冷漠", Channel: string(bot.Web), Phone: "13900139000", CallbackConsent: true,
				At: day(11, 20, 9, 0)})
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range []models.Action{models.ActAccept, models.ActPlan, models.ActDone} { // done is approved too
				transition(t, s, tk.No, a, day(11, 23, 9, 0))
			}
			nos = append(nos, tk.No)
		}
		got := r.run(t, jobs.Rerating, day(11, 25, 10, 0), false, jobs.KindRerateReminder)
		var texts []models.Push
		for _, p := range got {
			if p.Citizen.Platform == models.PlatformSMS {
				texts = append(texts, p)
			}
		}
		if len(texts) != 1 || texts[0].Citizen.ExternalID != "+8613900139000" || !strings.Contains(texts[0].Text, nos[0]) ||
			!strings.Contains(texts[0].Text, "2026-11-30 09:00") || !strings.Contains(texts[0].Text, "https://hall.example.cn/?k=") {
			t.Fatalf("texts %+v (all %v)", texts, summary(got))
		}
		if again := r.run(t, jobs.Rerating, day(11, 26, 10, 0), false, jobs.KindRerateReminder); len(again) != 0 {
			t.Errorf("reminded twice: %v", summary(again))
		}
	})
}
