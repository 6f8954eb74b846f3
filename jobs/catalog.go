package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"windowbot/internal/text"
	"windowbot/models"
)

// The jobs' names, as configured and run by hand.
const (
	DeadlineReminders = "deadline-reminders"
	OverdueEscalation = "overdue-escalation"
	DailyDigest       = "daily-digest"
	Rerating          = "rerating"
	MonthlyStar       = "monthly-star"
	MonthlyReport     = "monthly-report"
	YearlyRanking     = "yearly-ranking"
)

// Push kinds the jobs queue (models.PushKinds lists them all); WeChat picks a template by kind.
const (
	KindMonthlyStar      = models.KindMonthlyStar
	KindMonthlyReport    = models.KindMonthlyReport
	KindYearlyRanking    = models.KindYearlyRanking
	KindDeadlineReminder = models.KindDeadlineReminder
	KindDailyDigest      = models.KindDailyDigest
	KindRerateReminder   = models.KindRerateReminder
)

// Announcements are the kinds a citizen receives only while subscribed (the mute stage drops
// them for one who opted out since they were queued).
var Announcements = []string{KindMonthlyStar, models.KindRectificationNotice}

// Deps is what the jobs read and write.
type Deps struct {
	Store *models.Store
	// Calendar says which days are working days; its zone is the hall's.
	Calendar *models.Calendar
	// Lang is the language of recipients who have none.
	Lang string
	// MinRatings is the smallest sample ranked, and the weight of the prior (models.Rank).
	MinRatings int
	// Target is the campaign's satisfaction target, e.g. 0.95.
	Target float64
	// RerateReminderDays is when, after resolution, citizens are reminded to re-rate the fix.
	RerateReminderDays int
	// StarsPerCenter is how many service stars each center gets a month (0: one), RunnersUp
	// how many staff members after them are named, YearlyStars how many make the year's best
	// (十佳服务明星; 0: none).
	StarsPerCenter, RunnersUp, YearlyStars int
	// Artist draws the star posters and the report charts; nil sends the texts alone.
	Artist Artist
	Logger *slog.Logger
}

// Catalog returns every job with its period and doc line.
func Catalog(d *Deps) []Job {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return []Job{
		{Name: DeadlineReminders, Period: Day, Run: d.deadlineReminders, Workdays: true,
			Doc: "working days: remind the owning staff of tickets due the next working day and today"},
		{Name: OverdueEscalation, Period: Day, Run: d.overdueEscalation, Workdays: true,
			Doc: "working days: escalate tickets past their deadline to supervisors, chase (催办) the escalated ones"},
		{Name: DailyDigest, Period: Day, Run: d.dailyDigest, Workdays: true,
			Doc: "working days: supervisors' digest of new bad reviews, overdue tickets, satisfaction"},
		{Name: Rerating, Period: Day, Run: d.rerating,
			Doc: "remind citizens to re-rate resolved tickets; close unanswered ones as no reply"},
		{Name: MonthlyStar, Period: PreviousMonth, Run: d.monthlyStar,
			Doc: "each center's service stars (服务之星) and runners-up of the previous month, with posters, to its staff and subscribers"},
		{Name: MonthlyReport, Period: PreviousMonth, Run: d.monthlyReport,
			Doc: "supervisors' report on the previous month: satisfaction, top and bottom windows, bad reviews, with a chart"},
		{Name: YearlyRanking, Period: PreviousYear, Run: d.yearlyRanking,
			Doc: "the previous year's top-ten and bottom-ten windows (十佳/十差) and centers, and its ten best staff (十佳服务明星)"},
	}
}

func (d *Deps) loc() *time.Location { return d.Calendar.Location() }

// langOf is the language of the catalog a recipient reads: theirs, else the hall's.
func (d *Deps) langOf(c models.Citizen) string {
	if c.Lang != "" {
		return text.Lang(c.Lang)
	}
	return text.Lang(d.Lang)
}

// enqueue queues pushes in one transaction and returns how many were new (a re-run's are not).
func (d *Deps) enqueue(ctx context.Context, at time.Time, pushes []*models.Push) (int, error) {
	return d.Store.EnqueueNewPushes(ctx, at, pushes...)
}

func startOfDay(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
}

// ranking is the windows and centers of one scope ranked for a period.
type ranking struct {
	total            models.Tally
	windows, centers []models.Ranked
}

// rank ranks the windows of scope (a center, or 0 for all) and, for all, the centers.
func (d *Deps) rank(tallies []models.Tally, scope uint) ranking {
	scoped := talliesIn(tallies, scope)
	r := ranking{total: models.Sum(scoped), windows: models.Rank(scoped, d.MinRatings)}
	if scope != 0 {
		return r
	}
	byCenter := map[uint]*models.Tally{}
	for _, t := range tallies {
		c := byCenter[t.CenterID]
		if c == nil {
			c = &models.Tally{ID: t.CenterID, CenterID: t.CenterID}
			byCenter[t.CenterID] = c
		}
		c.Add(t)
	}
	if len(byCenter) > 1 {
		var cs []models.Tally
		for _, c := range byCenter {
			cs = append(cs, *c)
		}
		r.centers = models.Rank(cs, d.MinRatings)
	}
	return r
}

// talliesIn returns the tallies of scope (a center, or 0 for all).
func talliesIn(tallies []models.Tally, scope uint) []models.Tally {
	if scope == 0 {
		return tallies
	}
	var out []models.Tally
	for _, t := range tallies {
		if t.CenterID == scope {
			out = append(out, t)
		}
	}
	return out
}

// topBottom splits a ranking into its best and its worst (worst first), at most ten each and
// never overlapping.
func topBottom(rs []models.Ranked) (top, bottom []models.Ranked) {
	nt, nb := min(10, (len(rs)+1)/2), min(10, len(rs)/2)
	top = rs[:nt]
	for i := len(rs) - 1; i >= len(rs)-nb; i-- {
		bottom = append(bottom, rs[i])
	}
	return top, bottom
}

// rankingText writes the figures and the lists of a ranking.
func (d *Deps) rankingText(lang string, r ranking, windows map[uint]models.Window, centers map[uint]models.Center) string {
	if r.total.Total() == 0 {
		return text.T(lang, "job.no_ratings")
	}
	var b strings.Builder
	verdict := text.T(lang, "job.missed")
	if r.total.MeetsTarget(d.Target) {
		verdict = text.T(lang, "job.met")
	}
	b.WriteString(text.T(lang, "job.summary", "Count", r.total.Total(), "Rate", percent(r.total.SatisfactionRate()),
		"Target", int(d.Target*100+0.5), "Verdict", verdict, "Good", percent(r.total.GoodRate()), "Bad", r.total.Bad()))
	list := func(title string, rs []models.Ranked, name func(id uint) (string, string)) {
		if len(rs) == 0 {
			return
		}
		b.WriteString("\n\n" + text.T(lang, title))
		for _, x := range rs {
			code, n := name(x.ID)
			b.WriteString("\n" + text.T(lang, "job.rank_line", "Rank", x.Rank, "Code", code, "Name", n,
				"Rate", percent(x.SatisfactionRate()), "Count", x.Total()))
		}
	}
	windowName := func(id uint) (string, string) { w := windows[id]; return w.Code, w.Name }
	centerName := func(id uint) (string, string) { c := centers[id]; return c.Code, c.Name }
	top, bottom := topBottom(r.windows)
	list("job.top_windows", top, windowName)
	list("job.bottom_windows", bottom, windowName)
	ctop, cbottom := topBottom(r.centers)
	list("job.top_centers", ctop, centerName)
	list("job.bottom_centers", cbottom, centerName)
	if len(r.windows) > 0 {
		b.WriteString("\n" + text.T(lang, "job.too_few", "Min", d.MinRatings))
	}
	return b.String()
}

func (d *Deps) scopeName(lang string, scope uint, centers map[uint]models.Center) string {
	if scope == 0 {
		return text.T(lang, "all_centers")
	}
	return centers[scope].Name
}

// supervisorData is what the supervisors' messages are made of: the window tallies of a
// period, the centers by ID, and the supervisor accounts.
type supervisorData struct {
	tallies []models.Tally
	centers map[uint]models.Center
	sups    []models.Account
}

// loadSupervisorData reads the window tallies of [from, to), the centers and the supervisors.
func (d *Deps) loadSupervisorData(ctx context.Context, from, to time.Time) (supervisorData, error) {
	var sd supervisorData
	tallies, err := d.Store.WindowTallies(ctx, from, to)
	if err != nil {
		return sd, err
	}
	cs, err := d.Store.Centers(ctx)
	if err != nil {
		return sd, err
	}
	sups, err := d.Store.SupervisorAccounts(ctx)
	if err != nil {
		return sd, err
	}
	sd = supervisorData{tallies: tallies, centers: make(map[uint]models.Center, len(cs)), sups: sups}
	for _, c := range cs {
		sd.centers[c.ID] = c
	}
	return sd, nil
}

// monthlyReport sends each supervisor the month of their scope: satisfaction against the target,
// the best and worst windows (and centers, for supervisors of all centers), and how the month's
// bad reviews ended.
func (d *Deps) monthlyReport(ctx context.Context, occ Occurrence) (int, error) {
	from, to, err := PreviousMonth.Bounds(occ.Period, d.loc())
	if err != nil {
		return 0, err
	}
	outcomes, err := d.Store.BadReviewOutcomes(ctx, from, to)
	if err != nil {
		return 0, err
	}
	// Unannounced inspections (明察暗访) of the month, for the whole city and per center.
	inspections := map[uint]models.InspectionSummary{}
	if inspections[0], err = d.Store.Inspections(ctx, models.Scope{}, from, to); err != nil {
		return 0, err
	}
	sd, err := d.loadSupervisorData(ctx, from, to)
	if err != nil {
		return 0, err
	}
	for id := range sd.centers {
		if inspections[id], err = d.Store.Inspections(ctx, models.Scope{CenterID: &id}, from, to); err != nil {
			return 0, err
		}
	}
	windows, err := d.Store.WindowsByID(ctx)
	if err != nil {
		return 0, err
	}
	byWindow, err := d.Store.InspectionsByWindow(ctx, from, to)
	if err != nil {
		return 0, err
	}
	extra := func(lang string, scope uint) string {
		return badOutcomes(lang, scope, outcomes) + inspectionLine(lang, inspections[scope]) +
			inspectedWindows(lang, scope, byWindow, windows)
	}
	title := func(lang, scope string) string {
		return text.T(lang, "job.report_title", "Month", text.MonthYear(lang, from.Year(), from.Month()), "Scope", scope)
	}
	charts, err := d.reportCharts(ctx, occ, sd, windows, from)
	if err != nil {
		return 0, err
	}
	return d.sendRankings(ctx, occ, KindMonthlyReport, sd, windows, title, extra, charts)
}

// inspectionLine reports the month's inspections, or says there were none.
func inspectionLine(lang string, s models.InspectionSummary) string {
	if s.Count == 0 {
		return "\n\n" + text.T(lang, "job.inspections_none")
	}
	return "\n\n" + text.T(lang, "job.inspections", "Count", s.Count, "Average", fmt.Sprintf("%.1f", s.AverageScore))
}

// reportInspectedWindows is how many inspected windows a monthly report names.
const reportInspectedWindows = 5

// inspectedWindows names the windows in scope (0: all centers) inspected in the month, those with
// the most findings first, with their inspections and findings.
func inspectedWindows(lang string, scope uint, byWindow []models.WindowInspections, windows map[uint]models.Window) string {
	var b strings.Builder
	n := 0
	for _, in := range byWindow {
		if (scope != 0 && in.CenterID != scope) || n == reportInspectedWindows {
			continue
		}
		n++
		w := windows[in.WindowID]
		b.WriteString("\n" + text.T(lang, "job.inspected_window", "Window", w.Code+" "+w.Name, "Count", in.Count, "Failed", in.Failed))
	}
	return b.String()
}

// badOutcomes says how the period's bad reviews in scope (0: all centers) ended.
func badOutcomes(lang string, scope uint, outcomes []models.TicketOutcome) string {
	var parts []string
	n := 0
	counts := map[string]int{}
	var order []string
	for _, o := range outcomes {
		if scope != 0 && o.CenterID != scope {
			continue
		}
		l := outcomeLabel(lang, o)
		if _, ok := counts[l]; !ok {
			order = append(order, l)
		}
		counts[l] += o.N
		n += o.N
	}
	if n == 0 {
		return ""
	}
	for _, l := range order {
		parts = append(parts, text.T(lang, "job.outcome_line", "Outcome", l, "Count", counts[l]))
	}
	return "\n\n" + text.T(lang, "job.bad_outcomes", "Count", n, "Outcomes", strings.Join(parts, text.T(lang, "job.outcome_sep")))
}

// yearlyRanking sends supervisors the year's best and worst windows and centers, and tells the
// staff of the city-wide top-ten and bottom-ten windows where their window stands.
func (d *Deps) yearlyRanking(ctx context.Context, occ Occurrence) (int, error) {
	from, to, err := PreviousYear.Bounds(occ.Period, d.loc())
	if err != nil {
		return 0, err
	}
	title := func(lang, scope string) string {
		return text.T(lang, "job.yearly_title", "Year", text.T(lang, "job.year", "Year", from.Year()), "Scope", scope)
	}
	sd, err := d.loadSupervisorData(ctx, from, to)
	if err != nil {
		return 0, err
	}
	windows, err := d.Store.WindowsByID(ctx)
	if err != nil {
		return 0, err
	}
	n, err := d.sendRankings(ctx, occ, KindYearlyRanking, sd, windows, title, nil, nil)
	if err != nil {
		return n, err
	}
	stars, err := d.yearStars(ctx, occ, from, to)
	if err != nil {
		return n, fmt.Errorf("jobs: yearly stars: %w", err)
	}
	n += stars
	top, bottom := topBottom(d.rank(sd.tallies, 0).windows)
	var pushes []*models.Push
	notify := func(rs []models.Ranked, key string) error {
		for _, r := range rs {
			accs, err := d.Store.WindowStaffAccounts(ctx, r.ID)
			if err != nil {
				return err
			}
			w := windows[r.ID]
			for _, a := range accs {
				lang := d.langOf(a.Citizen)
				pushes = append(pushes, &models.Push{
					DedupeKey: fmt.Sprintf("%s:%s:%s:w%d:c%d", KindYearlyRanking, occ.Period, key, r.ID, a.Citizen.ID),
					Kind:      KindYearlyRanking, CitizenID: a.Citizen.ID, Text: yearlyText(lang, key, w, r, from.Year()),
				})
			}
		}
		return nil
	}
	if err := notify(top, "yearly_top"); err != nil {
		return n, err
	}
	if err := notify(bottom, "yearly_bottom"); err != nil {
		return n, err
	}
	m, err := d.enqueue(ctx, occ.At, pushes)
	n += m
	if err != nil {
		return n, err
	}
	// Each of the ten worst gets a rectification ticket (通报·限期整改), pushed as it opens.
	lang := text.Lang(d.Lang)
	for _, r := range bottom {
		w := windows[r.ID]
		desc := text.T(lang, "job.rectify_description", "Year", text.T(lang, "job.year", "Year", from.Year()),
			"Rate", percent(r.SatisfactionRate()), "Bad", r.Bad(), "Total", r.Total())
		if _, opened, err := d.Store.OpenRectification(ctx, w.ID, from.Year(), desc, occ.At); err != nil {
			return n, err
		} else if opened {
			n++
		}
	}
	return n, nil
}

// yearlyText congratulates the staff of a window among the year's best ("yearly_top") or warns
// those of one among the worst; only the best are told their place.
func yearlyText(lang, which string, w models.Window, r models.Ranked, year int) string {
	name, yr, rate := w.Code+" "+w.Name, text.T(lang, "job.year", "Year", year), percent(r.SatisfactionRate())
	if which == "yearly_top" {
		return text.T(lang, "job.yearly_top", "Window", name, "Center", w.Center.Name, "Year", yr, "Rank", r.Rank, "Rate", rate)
	}
	return text.T(lang, "job.yearly_bottom", "Window", name, "Center", w.Center.Name, "Year", yr, "Rate", rate)
}

// sendRankings queues one ranking message per supervisor account, for the supervisor's scope,
// with the scope's chart when charts has one.
func (d *Deps) sendRankings(ctx context.Context, occ Occurrence, kind string, sd supervisorData, windows map[uint]models.Window,
	title func(lang, scope string) string, extra func(lang string, scope uint) string, charts map[uint]*models.Picture) (int, error) {
	texts := map[string]string{} // scope and language → text: supervisors of one scope share it
	var pushes []*models.Push
	for _, a := range sd.sups {
		scope := models.SupervisorScope(a.Staff)
		lang := d.langOf(a.Citizen)
		k := fmt.Sprint(scope, "/", lang)
		text, ok := texts[k]
		if !ok {
			text = title(lang, d.scopeName(lang, scope, sd.centers)) + "\n" + d.rankingText(lang, d.rank(sd.tallies, scope), windows, sd.centers)
			if extra != nil {
				text += extra(lang, scope)
			}
			texts[k] = text
		}
		p := &models.Push{
			DedupeKey: fmt.Sprintf("%s:%s:c%d", kind, occ.Period, a.Citizen.ID),
			Kind:      kind, CitizenID: a.Citizen.ID, Text: text,
		}
		if c := charts[scope]; c != nil {
			p.PictureHash = c.Hash
		}
		pushes = append(pushes, p)
	}
	var pictures []*models.Picture
	for _, c := range charts {
		if c != nil {
			pictures = append(pictures, c)
		}
	}
	return d.Store.EnqueueWithPictures(ctx, occ.At, pictures, pushes)
}
