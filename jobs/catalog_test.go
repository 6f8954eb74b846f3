package jobs_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"windowbot/bot"
	"windowbot/internal/testenv"
	"windowbot/jobs"
	"windowbot/models"
)

var raterSeq atomic.Int64

// rate records a rating of window by a new web visitor at `at` (hall time), naming staffNo when
// given. A level 1–2 rating opens its bad-review ticket.
func rate(t testing.TB, s *models.Store, window, staffNo string, level int, at time.Time, comment string) *models.Rating {
	t.Helper()
	ctx := context.Background()
	w, err := s.WindowByCode(ctx, window)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.TouchCitizen(ctx, "web", fmt.Sprint("rater", raterSeq.Add(1)), "zh-CN", at)
	if err != nil {
		t.Fatal(err)
	}
	r := &models.Rating{WindowID: w.ID, CitizenID: c.ID, Level: level, Channel: "web", CreatedAt: at, Comment: comment}
	if staffNo != "" {
		var st models.Staff
		if err := testenv.DB(t, s).Where("staff_no = ?", staffNo).First(&st).Error; err != nil {
			t.Fatal(err)
		}
		r.StaffID = &st.ID
	}
	if err := s.CreateRating(ctx, r, at.Add(time.Nanosecond)); err != nil {
		t.Fatal(err)
	}
	return r
}

func ticketOfRating(t testing.TB, s *models.Store, r *models.Rating) *models.Ticket {
	t.Helper()
	var tk models.Ticket
	if err := testenv.DB(t, s).Where("rating_id = ?", r.ID).First(&tk).Error; err != nil {
		t.Fatalf("ticket of rating %d: %v", r.ID, err)
	}
	return &tk
}

// transition applies a as an administrator. ActDone stands for a rectification finished and
// signed off: the result recorded (done) and approved, which resolves the ticket.
func transition(t testing.TB, s *models.Store, no string, a models.Action, at time.Time) {
	t.Helper()
	steps := []models.Action{a}
	if a == models.ActDone {
		steps = append(steps, models.ActApprove)
	}
	for _, a := range steps {
		ch := models.Change{Action: a, Actor: models.Actor{Role: models.RoleAdmin}, Note: "note: the rectification as recorded", At: at}
		if _, _, err := s.Transition(context.Background(), no, ch); err != nil {
			t.Fatalf("%s %s: %v", a, no, err)
		}
	}
}

// starFixture is October 2026 in the demo center: who rated whom, and who hears of the star.
type starFixture struct {
	recipients []*models.Citizen
	fan        *models.Citizen
}

func newStarFixture(t testing.TB, s *models.Store) *starFixture {
	t.Helper()
	ctx := context.Background()
	if err := s.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	oct := func(d, h, m int) time.Time { return time.Date(2026, 10, d, h, m, 0, 0, testenv.Shanghai) }
	// 张伟 (DEMO-001, W001): 29 good ratings of 30, four with comments.
	comments := []string{"办事快，一次办好", "态度热情", "非常专业", "耐心解答"}
	for i := range 30 {
		level, comment := 5, ""
		if i < len(comments) {
			comment = comments[i]
		}
		if i == 29 {
			level = 2 // a bad review whose ticket is never verified: it does not bar him
		}
		rate(t, s, "W001", "DEMO-001", level, oct(1+i%28, 10, i), comment)
	}
	// 王芳 (DEMO-003): perfect but only three ratings, fewer than the minimum.
	for i := range 3 {
		rate(t, s, "W002", "DEMO-003", 5, oct(5+i, 11, 0), "很好")
	}
	// 杨磊 (DEMO-006): better than 张伟, but a complaint against him was upheld (verified valid).
	for i := range 40 {
		rate(t, s, "W004", "DEMO-006", 5, oct(1+i%28, 14, i), "")
	}
	bad := rate(t, s, "W004", "DEMO-006", 1, oct(20, 15, 0), "")
	transition(t, s, ticketOfRating(t, s, bad).No, models.ActAccept, oct(21, 9, 0))
	// 刘洋 (DEMO-004): perfect ratings just after midnight of 1 November in the hall, which
	// is still 31 October in UTC: they belong to November and must not make him October's star.
	rate(t, s, "W003", "DEMO-004", 5, oct(31, 23, 59), "")
	for i := range 40 {
		rate(t, s, "W003", "DEMO-004", 5, time.Date(2026, 11, 1, 0, 30, i, 0, testenv.Shanghai), "")
	}

	fx := &starFixture{}
	for _, b := range []struct {
		platform bot.Platform
		chat     string
		staffNo  string
	}{{bot.Telegram, "s001", "DEMO-001"}, {bot.WeChat, "o003", "DEMO-003"}, {bot.Telegram, "s006", "DEMO-006"}, {bot.Telegram, "sup", models.DemoSupervisorNo}} {
		fx.recipients = append(fx.recipients, staffAccount(t, s, b.platform, b.chat, b.staffNo))
	}
	gone := staffAccount(t, s, bot.Telegram, "s007", "DEMO-007")
	testenv.DB(t, s).Model(gone).Update("inactive", true)
	// A subscriber who rated in the center gets it; one who did not, and a rater who did not
	// subscribe, do not.
	fx.fan = citizen(t, s, bot.Telegram, "fan")
	far := citizen(t, s, bot.Telegram, "far")
	quiet := citizen(t, s, bot.Telegram, "quiet")
	w1, _ := s.WindowByCode(ctx, "W001")
	for _, c := range []*models.Citizen{fx.fan, quiet} {
		if err := s.CreateRating(ctx, &models.Rating{WindowID: w1.ID, CitizenID: c.ID, Level: 4, Channel: "telegram", CreatedAt: oct(9, 9, 0)}, oct(9, 9, 0)); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []*models.Citizen{fx.fan, far} {
		if err := s.SetSubscribed(ctx, c.ID, true, oct(1, 0, 0)); err != nil {
			t.Fatal(err)
		}
	}
	fx.recipients = append(fx.recipients, fx.fan)
	return fx
}

func queued(t testing.TB, s *models.Store, kind string) []models.Push {
	t.Helper()
	var ps []models.Push
	if err := testenv.DB(t, s).Preload("Citizen").Where("kind = ?", kind).Order("citizen_id").Find(&ps).Error; err != nil {
		t.Fatal(err)
	}
	return ps
}

func runJob(t testing.TB, sch *jobs.Scheduler, name, period string, at time.Time, force bool) jobs.Result {
	t.Helper()
	occ, err := sch.Occurrence(name, period, at)
	if err != nil {
		t.Fatal(err)
	}
	res, err := sch.Execute(ctxT(t), occ, force)
	if err != nil {
		t.Fatalf("%s %s: %v", name, occ.Period, err)
	}
	return res
}

func TestMonthlyStar(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		fx := newStarFixture(t, s)
		at := time.Date(2026, 11, 1, 9, 0, 0, 0, testenv.Shanghai)
		sch := newScheduler(t, s, nil, jobs.Catalog(testDeps(s)), func() time.Time { return at })
		res := runJob(t, sch, jobs.MonthlyStar, "", at, false)
		if res.Items != len(fx.recipients) {
			t.Errorf("queued %d, want %d", res.Items, len(fx.recipients))
		}
		stars, err := s.ServiceStars(ctxT(t), "2026-10")
		if err != nil || len(stars) != 1 {
			t.Fatalf("stars = %+v, %v", stars, err)
		}
		st := stars[0]
		if st.Staff.StaffNo != "DEMO-001" || st.Ratings != 30 || fmt.Sprintf("%.3f", st.SatisfactionRate) != "0.967" {
			t.Errorf("star = %s with %d ratings at %.3f; want DEMO-001, 30, 0.967", st.Staff.StaffNo, st.Ratings, st.SatisfactionRate)
		}
		ps := queued(t, s, jobs.KindMonthlyStar)
		var got []string
		for _, p := range ps {
			got = append(got, p.Citizen.ExternalID)
			wants := []string{"示范政务服务中心", "2026年10月", "96.7%", "共 30 条", "“耐心解答”", "“非常专业”", "“态度热情”"}
			// Each reads words written for them: the star is thanked for their service, a
			// colleague is given an example, a citizen is thanked for rating.
			switch p.Citizen.ExternalID {
			case "s001": // 张伟 himself
				wants = append(wants, "恭喜您当选", "感谢您的优质服务")
			case "fan":
				wants = append(wants, "张伟", "W001", "感谢您的每一次评价")
			default:
				wants = append(wants, "张伟", "W001", "榜样")
			}
			for _, want := range wants {
				if !strings.Contains(p.Text, want) {
					t.Errorf("announcement to %s lacks %q:\n%s", p.Citizen.ExternalID, want, p.Text)
				}
			}
			if p.Citizen.ExternalID != "s001" && strings.Contains(p.Text, "优质服务") {
				t.Errorf("%s is thanked for the star's service:\n%s", p.Citizen.ExternalID, p.Text)
			}
			if strings.Contains(p.Text, "办事快") { // the oldest of four
				t.Errorf("more than three praises quoted:\n%s", p.Text)
			}
			if !p.NotBefore.Equal(at) {
				t.Errorf("due %s, want %s", p.NotBefore, at)
			}
		}
		slices.Sort(got)
		if fmt.Sprint(got) != "[fan o003 s001 s006 sup]" {
			t.Errorf("recipients = %v, want the center's active staff accounts and the subscriber who rated there", got)
		}
		// A forced re-run after late ratings keeps the stored star and queues nothing new.
		rate(t, s, "W002", "DEMO-003", 5, time.Date(2026, 10, 30, 9, 0, 0, 0, testenv.Shanghai), "")
		rate(t, s, "W002", "DEMO-003", 5, time.Date(2026, 10, 30, 9, 1, 0, 0, testenv.Shanghai), "")
		runJob(t, sch, jobs.MonthlyStar, "2026-10", time.Time{}, true)
		if n := len(queued(t, s, jobs.KindMonthlyStar)); n != len(fx.recipients) {
			t.Errorf("after a forced re-run %d announcements, want %d", n, len(fx.recipients))
		}
		// November: only 刘洋's after-midnight ratings and one; December across the new year has none.
		runJob(t, sch, jobs.MonthlyStar, "2026-11", time.Time{}, false)
		nov, _ := s.ServiceStars(ctxT(t), "2026-11")
		if len(nov) != 1 || nov[0].Staff.StaffNo != "DEMO-004" || nov[0].Ratings != 40 {
			t.Errorf("November star = %+v", nov)
		}
		res = runJob(t, sch, jobs.MonthlyStar, "", time.Date(2027, 1, 1, 9, 0, 0, 0, testenv.Shanghai), false)
		if dec, _ := s.ServiceStars(ctxT(t), "2026-12"); len(dec) != 0 || res.Items != 0 {
			t.Errorf("December star = %+v, queued %d", dec, res.Items)
		}
	})
}

func TestMonthlyReportAndYearlyRanking(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		fx := newStarFixture(t, s)
		w004Staff := fx.recipients[2] // s006, DEMO-006 of W004
		ctx := ctxT(t)
		// A second center with a supervisor of its own and one of all centers.
		if _, err := s.Import(ctx, strings.NewReader(models.WindowsCSVHeader+"\nEAST,东区便民服务中心,E01,综合受理,\n"), "w.csv",
			strings.NewReader(models.StaffCSVHeader+"\nE-001,孙悦,E01,staff\nE-S01,钱进,E01,supervisor\nCITY-S,吴敏,,supervisor\n"), "s.csv"); err != nil {
			t.Fatal(err)
		}
		staffAccount(t, s, bot.Telegram, "east-sup", "E-S01")
		city := staffAccount(t, s, bot.Telegram, "city-sup", "CITY-S")
		eastStaff := staffAccount(t, s, bot.Telegram, "east-staff", "E-001")
		var eastBad *models.Rating
		for i := range 10 {
			level := 5
			if i < 3 {
				level = 2
			}
			r := rate(t, s, "E01", "E-001", level, time.Date(2026, 10, 12, 10, i, 0, 0, testenv.Shanghai), "")
			if eastBad == nil && level == 2 {
				eastBad = r
			}
		}
		// One of them fixed and closed in October as the citizen was satisfied.
		fixed := ticketOfRating(t, s, eastBad).No
		for _, a := range []models.Action{models.ActAccept, models.ActPlan, models.ActDone} {
			transition(t, s, fixed, a, time.Date(2026, 10, 13, 9, 0, 0, 0, testenv.Shanghai))
		}
		if _, _, err := s.Transition(ctx, fixed, models.Change{Action: models.ActRerate, Actor: models.Actor{Role: models.RoleCitizen, CitizenID: eastBad.CitizenID},
			Outcome: models.RerateSatisfied, At: time.Date(2026, 10, 14, 9, 0, 0, 0, testenv.Shanghai)}); err != nil {
			t.Fatal(err)
		}
		// Two unannounced inspections of the east center in October, one in November.
		e01, err := s.WindowByCode(ctx, "E01")
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range []models.Inspection{
			{WindowID: e01.ID, Score: 80, Findings: "未亮牌上岗", CreatedAt: time.Date(2026, 10, 9, 15, 0, 0, 0, testenv.Shanghai)},
			{WindowID: e01.ID, Score: 95, Findings: "良好", CreatedAt: time.Date(2026, 10, 31, 23, 30, 0, 0, testenv.Shanghai)},
			{WindowID: e01.ID, Score: 10, Findings: "十一月的", CreatedAt: time.Date(2026, 11, 1, 0, 30, 0, 0, testenv.Shanghai)},
		} {
			if err := s.RecordInspection(ctx, &in); err != nil {
				t.Fatal(err)
			}
		}
		at := time.Date(2026, 11, 1, 9, 30, 0, 0, testenv.Shanghai)
		sch := newScheduler(t, s, nil, jobs.Catalog(testDeps(s)), func() time.Time { return at })
		res := runJob(t, sch, jobs.MonthlyReport, "", at, false)
		if res.Items != 3 {
			t.Fatalf("reports queued %d, want 3 (demo, east and city supervisors)", res.Items)
		}
		byChat := map[string]string{}
		for _, p := range queued(t, s, jobs.KindMonthlyReport) {
			byChat[p.Citizen.ExternalID] = p.Text
		}
		contains := func(chat string, wants ...string) {
			t.Helper()
			for _, w := range wants {
				if !strings.Contains(byChat[chat], w) {
					t.Errorf("report to %s lacks %q:\n%s", chat, w, byChat[chat])
				}
			}
		}
		// Demo center, October: 30+3+41+1 ratings named in the fixture plus the two citizens'.
		contains("sup", "月度好差评报告", "2026年10月", "示范政务服务中心", "评价 77 条", "目标 95%", "已达标", "十佳窗口", "1. W004", "后十位窗口", "2. W001", "差评工单 2 件：已受理 1，待受理 1")
		contains("sup", "本月无明察暗访记录")
		contains("east-sup", "东区便民服务中心", "评价 10 条", "满意率 70.0%", "未达标", "差评工单 3 件", "已关闭（满意） 1", "明察暗访及检查 2 次，平均 87.5 分：\n· E01 综合受理：检查 2 次，发现问题 0 项")
		contains("city-sup", "全部服务中心", "评价 87 条", "服务中心排名", "DEMO", "EAST", "明察暗访及检查 2 次，平均 87.5 分：\n· E01 综合受理：检查 2 次，发现问题 0 项")
		if strings.Contains(byChat["east-sup"], "W00") {
			t.Errorf("a center supervisor sees another center's windows:\n%s", byChat["east-sup"])
		}

		jan2 := time.Date(2027, 1, 2, 10, 0, 0, 0, testenv.Shanghai)
		res = runJob(t, sch, jobs.YearlyRanking, "", jan2, false)
		ys := queued(t, s, jobs.KindYearlyRanking)
		var cityText, eastNote, w004Note string
		for _, p := range ys {
			switch p.CitizenID {
			case city.ID:
				cityText = p.Text
			case eastStaff.ID:
				eastNote = p.Text
			case w004Staff.ID:
				w004Note = p.Text
			}
		}
		for _, w := range []string{"年度十佳/十差窗口", "2026年度", "全部服务中心", "十佳窗口", "后十位窗口"} {
			if !strings.Contains(cityText, w) {
				t.Errorf("yearly ranking lacks %q:\n%s", w, cityText)
			}
		}
		// E01 is the worst ranked window of the year: its staff are told so.
		if !strings.Contains(eastNote, "E01") || !strings.Contains(eastNote, "后十位") {
			t.Errorf("E01 staff note = %q", eastNote)
		}
		// W004 is among the year's best: its staff are congratulated.
		if !strings.Contains(w004Note, "祝贺") || !strings.Contains(w004Note, "W004") || !strings.Contains(w004Note, "十佳窗口") {
			t.Errorf("W004 staff note = %q", w004Note)
		}
		// Each of the ten worst windows gets a rectification ticket, routed like one naming a
		// person and pushed to its handlers and supervisors (通报); a second run opens none.
		var rects []models.Ticket
		testenv.DB(t, s).Where("kind = ?", models.KindRectification).Order("id").Find(&rects)
		if len(rects) == 0 || rects[0].State != models.StateSubmitted || !strings.Contains(rects[0].Description, "2026年度群众评价满意率") {
			t.Fatalf("rectification tickets: %+v", rects)
		}
		var e01Rect *models.Ticket
		for i := range rects {
			if *rects[i].WindowID == e01.ID {
				e01Rect = &rects[i]
			}
		}
		if e01Rect == nil || e01Rect.Route == models.RouteWindow {
			t.Fatalf("E01, the worst window, has no rectification routed past its staff: %+v", rects)
		}
		var notices []models.Push
		testenv.DB(t, s).Preload("Citizen").Where("kind = ? AND dedupe_key LIKE ?", models.KindTicketNew, "ticket:"+e01Rect.No+":%").Find(&notices)
		told := map[string]bool{}
		for _, p := range notices {
			told[p.Citizen.ExternalID] = true
		}
		if !told["east-sup"] || !told["city-sup"] || told["east-staff"] {
			t.Errorf("the rectification of E01 was pushed to %v", told)
		}
		if res.Items != len(ys)+len(rects) {
			t.Errorf("yearly items %d, queued %d and %d rectifications", res.Items, len(ys), len(rects))
		}
		if again := runJob(t, sch, jobs.YearlyRanking, "", jan2, true); again.Items != 0 {
			t.Errorf("a second run did %d more", again.Items)
		}
		var after int64
		testenv.DB(t, s).Model(&models.Ticket{}).Where("kind = ?", models.KindRectification).Count(&after)
		if int(after) != len(rects) {
			t.Errorf("a second run opened %d more rectifications", int(after)-len(rects))
		}
	})
}
