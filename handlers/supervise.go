package handlers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"windowbot/bot"
	"windowbot/flows"
	"windowbot/internal/text"
	"windowbot/models"
)

// period is a month or a year in the hall's zone, named in the chat's language.
type period struct {
	models.Period
	label string
}

// The periods a supervisor may type: Chinese forms are input vocabulary, read here, never shown.
var (
	monthRE     = regexp.MustCompile(`^(\d{4})[-/.年](\d{1,2})月?$`)
	yearRE      = regexp.MustCompile(`^(\d{4})年?$`)
	monthOnlyRE = regexp.MustCompile(`^(\d{1,2})月$`)
)

func monthOf(lang string, y int, m time.Month, loc *time.Location) period {
	p := models.MonthPeriod(y, m, loc)
	return period{Period: p, label: text.MonthYearShort(lang, p.From.Year(), p.From.Month())}
}

func yearOf(lang string, y int, loc *time.Location) period {
	return period{Period: models.YearPeriod(y, loc), label: text.Year(lang, y)}
}

// parsePeriod reads the period argument of a chat command: month (the default), last, year, 2026-11, 2026 or 11月.
// Full-width digits (２０２６年１１月, as a Chinese input method types them) read as ASCII ones. A
// year is one of 2000–2200, so that every period read is printed in a form that reads back.
func parsePeriod(lang, s string, now time.Time, loc *time.Location) (period, bool) {
	s = strings.TrimSpace(models.FoldWidth(s))
	n := now.In(loc)
	switch strings.ToLower(s) {
	case "", "month", "this", "本月":
		return monthOf(lang, n.Year(), n.Month(), loc), true
	case "last", "上月", "上个月":
		return monthOf(lang, n.Year(), n.Month()-1, loc), true
	case "year", "本年", "今年", "全年", "本年度":
		return yearOf(lang, n.Year(), loc), true
	}
	if m := monthRE.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		if y >= 2000 && y <= 2200 && mo >= 1 && mo <= 12 {
			return monthOf(lang, y, time.Month(mo), loc), true
		}
	}
	if m := yearRE.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		if y >= 2000 && y <= 2200 {
			return yearOf(lang, y, loc), true
		}
	}
	if m := monthOnlyRE.FindStringSubmatch(s); m != nil {
		mo, _ := strconv.Atoi(m[1])
		if mo >= 1 && mo <= 12 {
			return monthOf(lang, n.Year(), time.Month(mo), loc), true
		}
	}
	return period{}, false
}

func (d *Desk) loc() *time.Location { return d.o.Store.TicketRules().Location() }

func pct(r float64) string { return fmt.Sprintf("%.1f%%", r*100) }

// statsText renders rating figures, and ticket and inspection figures where given.
func (d *Desk) statsText(c *call, head string, st models.Tally, tc *models.TicketCount, insp *models.InspectionSummary) string {
	var b strings.Builder
	b.WriteString(head)
	if st.Total() == 0 {
		b.WriteString(c.T("stats_none"))
	} else {
		var levels []string
		for _, l := range models.Levels {
			levels = append(levels, fmt.Sprintf("%s %d", text.Level(c.lang(), int(l)), st.Count(l)))
		}
		b.WriteString(c.T("stats_total", "Count", st.Total(), "Levels", strings.Join(levels, " · ")))
		verdict := c.T("target_missed")
		if st.MeetsTarget(d.o.Target) {
			verdict = c.T("target_met")
		}
		b.WriteString(c.T("stats_rate", "Rate", pct(st.SatisfactionRate()), "Target", pct(d.o.Target), "Verdict", verdict))
		b.WriteString(c.T("stats_good", "Rate", pct(st.GoodRate())))
		b.WriteString(c.T("stats_bad", "Count", st.Bad()))
	}
	if tc != nil {
		b.WriteString(c.T("stats_tickets", "Open", tc.Open, "Overdue", tc.Overdue))
	}
	if insp != nil && insp.Count > 0 {
		b.WriteString(c.T("stats_inspect", "Count", insp.Count, "Average", fmt.Sprintf("%.1f", insp.AverageScore)))
	}
	return b.String()
}

func (d *Desk) mystats(ctx context.Context, c *call) ([]bot.Reply, error) {
	per, ok := parsePeriod(c.lang(), c.args, c.t.Now, d.loc())
	if !ok {
		return c.reply(c.T("bad_period", "Period", models.Truncate(c.args, 20))), nil
	}
	st := c.acct.staff
	w := st.Window
	if w == nil {
		return c.reply(c.T("todo_none")), nil
	}
	stats, err := d.o.Store.StatsIn(ctx, models.Scope{WindowID: &w.ID}, per.From, per.To)
	if err != nil {
		return nil, fmt.Errorf("handlers: mystats: %w", err)
	}
	counts, err := d.o.Store.TicketCounts(ctx, &w.CenterID, c.t.Now)
	if err != nil {
		return nil, fmt.Errorf("handlers: mystats: %w", err)
	}
	tc := models.SumTicketCounts(counts, &w.ID)
	out := d.statsText(c, c.T("mystats_head", "Window", w.Code+" "+w.Name, "Period", per.label), stats, &tc, nil)
	named, err := d.o.Store.StatsIn(ctx, models.Scope{StaffID: &st.ID}, per.From, per.To)
	if err != nil {
		return nil, fmt.Errorf("handlers: mystats: %w", err)
	}
	if named.Total() > 0 {
		out += c.T("mystats_named", "Count", named.Total(), "Rate", pct(named.SatisfactionRate()))
	}
	// The bad reviews naming the person, read only: when, how, what, and the ticket to appeal;
	// never who rated.
	bad, err := d.o.Store.Ratings(ctx, models.RatingFilter{StaffID: &st.ID, BadOnly: true, From: per.From, To: per.To, Limit: 20})
	if err != nil {
		return nil, fmt.Errorf("handlers: mystats: %w", err)
	}
	if len(bad) > 0 {
		var b strings.Builder
		b.WriteString(out + c.T("mystats_bad_head"))
		for _, r := range bad {
			var aspects []string
			for _, k := range models.SplitKeys(r.Aspects) {
				aspects = append(aspects, text.Aspect(c.lang(), k))
			}
			state := "—"
			if r.TicketState != "" {
				state = text.State(c.lang(), string(r.TicketState))
			}
			b.WriteString(c.T("mystats_bad_line", "Day", flows.StampLabel(c.lang(), r.CreatedAt, d.loc()), "Level", text.Level(c.lang(), r.Level),
				"Aspects", strings.Join(aspects, c.T("list_sep")), "No", r.TicketNo, "State", state))
			if r.Comment != "" {
				b.WriteString(c.T("mystats_bad_comment", "Comment", models.Truncate(models.MaskPII(r.Comment), 100)))
			}
		}
		b.WriteString(c.T("mystats_appeal"))
		out = b.String()
	}
	return c.reply(out), nil
}

// covers reports whether a supervisor's scope includes the center.
func covers(a models.Actor, centerID uint) bool { return a.CenterID == nil || *a.CenterID == centerID }

// scopeName names the account's whole scope: their center, or all centers.
func (d *Desk) scopeName(ctx context.Context, c *call) (string, error) {
	if c.acct.actor.CenterID == nil {
		return c.T("all_centers"), nil
	}
	cs, err := d.o.Store.Centers(ctx)
	if err != nil {
		return "", fmt.Errorf("handlers: %s: %w", c.name, err)
	}
	for _, ct := range cs {
		if ct.ID == *c.acct.actor.CenterID {
			return ct.Name, nil
		}
	}
	return c.T("all_centers"), nil
}

func (d *Desk) stats(ctx context.Context, c *call) ([]bot.Reply, error) {
	per, _ := parsePeriod(c.lang(), "", c.t.Now, d.loc())
	code := ""
	for _, arg := range strings.Fields(c.args) {
		if p, ok := parsePeriod(c.lang(), arg, c.t.Now, d.loc()); ok {
			per = p
			continue
		}
		if code != "" {
			return c.reply(c.T("bad_period", "Period", models.Truncate(arg, 20))), nil
		}
		code = arg
	}
	scope := models.Scope{CenterID: c.acct.actor.CenterID}
	var title string
	switch {
	case code != "":
		w, err := d.o.Store.WindowByCode(ctx, code)
		switch {
		case err == nil && covers(c.acct.actor, w.CenterID):
			scope, title = models.Scope{CenterID: &w.CenterID, WindowID: &w.ID}, w.Place()
		case err == nil || errors.Is(err, models.ErrNotFound):
			ct, err := d.o.Store.CenterByCode(ctx, code)
			if errors.Is(err, models.ErrNotFound) || (err == nil && !covers(c.acct.actor, ct.ID)) {
				return c.reply(c.T("code_unknown", "Code", models.Truncate(code, 40))), nil
			}
			if err != nil {
				return nil, fmt.Errorf("handlers: stats: %w", err)
			}
			scope, title = models.Scope{CenterID: &ct.ID}, ct.Name
		default:
			return nil, fmt.Errorf("handlers: stats: %w", err)
		}
	default:
		var err error
		if title, err = d.scopeName(ctx, c); err != nil {
			return nil, err
		}
	}
	st, err := d.o.Store.StatsIn(ctx, scope, per.From, per.To)
	if err != nil {
		return nil, fmt.Errorf("handlers: stats: %w", err)
	}
	counts, err := d.o.Store.TicketCounts(ctx, scope.CenterID, c.t.Now)
	if err != nil {
		return nil, fmt.Errorf("handlers: stats: %w", err)
	}
	tc := models.SumTicketCounts(counts, scope.WindowID)
	insp, err := d.o.Store.Inspections(ctx, scope, per.From, per.To)
	if err != nil {
		return nil, fmt.Errorf("handlers: stats: %w", err)
	}
	return c.reply(d.statsText(c, c.T("stats_head", "Scope", title, "Period", per.label), st, &tc, &insp)), nil
}

// rankWords are the words that choose the top or the bottom of a ranking; a Chinese one may
// carry the count: 前十, 后十, 前5, 十佳, 十差.
var rankWordRE = regexp.MustCompile(`^(前|后)(\d+|[一二三四五六七八九十]+)?(名|位)?$`)

// rankWord reads the first argument of /rank: top or bottom (前, 后, 十佳, 十差), with the count it
// names, 0 if none.
func rankWord(s string) (bottom bool, n int, ok bool) {
	switch a := strings.ToLower(s); a {
	case "top", "十佳":
		return false, 0, true
	case "bottom", "十差":
		return true, 0, true
	}
	m := rankWordRE.FindStringSubmatch(s)
	if m == nil {
		return false, 0, false
	}
	bottom = m[1] == "后"
	if m[2] == "" {
		return bottom, 0, true
	}
	if k, err := strconv.Atoi(m[2]); err == nil {
		return bottom, k, true
	}
	k := chineseNumber(m[2])
	return bottom, k, k > 0
}

// chineseNumber reads a small number in Chinese numerals (一 … 九十九); 0 if it is not one.
func chineseNumber(s string) int {
	digits := map[rune]int{'一': 1, '二': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}
	r := []rune(s)
	switch {
	case len(r) == 1 && r[0] == '十':
		return 10
	case len(r) == 1:
		return digits[r[0]]
	case len(r) == 2 && r[0] == '十':
		return 10 + digits[r[1]]
	case len(r) == 2 && r[1] == '十':
		return digits[r[0]] * 10
	case len(r) == 3 && r[1] == '十' && digits[r[0]] > 0 && digits[r[2]] > 0:
		return digits[r[0]]*10 + digits[r[2]]
	}
	return 0
}

func (d *Desk) rank(ctx context.Context, c *call) ([]bot.Reply, error) {
	bottom, n := false, 10
	per, _ := parsePeriod(c.lang(), "", c.t.Now, d.loc())
	for i, arg := range strings.Fields(c.args) {
		if b, k, ok := rankWord(arg); i == 0 && ok {
			bottom = b
			if k > 0 {
				n = min(k, maxRank)
			}
			continue
		}
		if k, err := strconv.Atoi(arg); err == nil && k > 0 {
			n = min(k, maxRank)
			continue
		}
		p, ok := parsePeriod(c.lang(), arg, c.t.Now, d.loc())
		if !ok {
			return c.reply(c.T("usage_rank")), nil
		}
		per = p
	}
	ws, err := d.o.Store.Windows(ctx, c.acct.actor.CenterID)
	if err != nil {
		return nil, fmt.Errorf("handlers: rank: %w", err)
	}
	windows := make(map[uint]models.Window, len(ws))
	for _, w := range ws {
		windows[w.ID] = w
	}
	all, err := d.o.Store.WindowTallies(ctx, per.From, per.To)
	if err != nil {
		return nil, fmt.Errorf("handlers: rank: %w", err)
	}
	// The ranking of the monthly report and the yearly announcement, within the scope.
	var tallies []models.Tally
	small := 0
	for _, t := range all {
		if _, ok := windows[t.ID]; ok {
			tallies = append(tallies, t)
			if t.Total() < d.o.MinRatings {
				small++
			}
		}
	}
	ranked := models.Rank(tallies, d.o.MinRatings)
	if len(ranked) == 0 {
		return c.reply(c.T("rank_none", "Min", d.o.MinRatings)), nil
	}
	if bottom {
		slices.Reverse(ranked)
	}
	ranked = ranked[:min(n, len(ranked))]
	scope, err := d.scopeName(ctx, c)
	if err != nil {
		return nil, err
	}
	head := c.T("rank_head_top", "Scope", scope, "Period", per.label, "Count", len(ranked))
	if bottom {
		head = c.T("rank_head_bot", "Scope", scope, "Period", per.label, "Count", len(ranked))
	}
	items := make([]listItem, len(ranked))
	for i, r := range ranked {
		w := windows[r.ID]
		name := w.Name
		if c.acct.actor.CenterID == nil && w.Center != nil {
			name = w.Center.Name + " · " + name
		}
		items[i] = listItem{line: c.T("rank_line", "Rank", r.Rank, "Code", w.Code, "Name", name, "Score", pct(r.Score),
			"Rate", pct(r.SatisfactionRate()), "Count", r.Total())}
	}
	foot := c.T("rank_note", "Min", d.o.MinRatings, "Target", pct(d.o.Target))
	if small > 0 {
		foot = c.T("rank_small", "Count", small, "Min", d.o.MinRatings) + "\n" + foot
	}
	return d.list(ctx, c, head, items, foot)
}

func (d *Desk) overdue(ctx context.Context, c *call) ([]bot.Reply, error) {
	ts, err := d.o.Store.Tickets(ctx, models.TicketFilter{
		States: models.OpenStates(), CenterID: c.acct.actor.CenterID, OverdueAt: c.t.Now, Limit: listFetchLimit,
	})
	if err != nil {
		return nil, fmt.Errorf("handlers: overdue: %w", err)
	}
	if len(ts) == 0 {
		return c.reply(c.T("overdue_none")), nil
	}
	rules := d.o.Store.TicketRules()
	late := make(map[uint]int, len(ts))
	for _, tk := range ts {
		late[tk.ID] = lateDays(rules, tk.Due(), c.t.Now)
	}
	slices.SortStableFunc(ts, func(a, b models.Ticket) int {
		if c := cmp.Compare(late[b.ID], late[a.ID]); c != 0 {
			return c
		}
		return urgency(a, b)
	})
	items := make([]listItem, len(ts))
	for i, tk := range ts {
		owner, err := d.owner(ctx, c.lang(), &tk)
		if err != nil {
			return nil, err
		}
		line := c.T("overdue_line", "N", i+1, "No", tk.No, "State", text.State(c.lang(), string(tk.State)),
			"Place", models.Truncate(flows.TicketPlace(c.lang(), &tk), 30), "Owner", owner,
			"Due", flows.DayLabel(c.lang(), tk.Due(), rules.Location()), "Days", late[tk.ID])
		items[i] = listItem{line: line, button: &bot.Button{Label: tk.No, Payload: "cmd:/ticket " + tk.No}}
	}
	return d.list(ctx, c, c.T("overdue_head", "Count", len(ts)), items, c.T("list_hint"))
}

func (d *Desk) assign(ctx context.Context, c *call) ([]bot.Reply, error) {
	no, staffNo := noAndText(c.args)
	if no == "" || staffNo == "" || strings.Contains(staffNo, " ") {
		return c.reply(c.T("usage_assign")), nil
	}
	st, err := d.o.Store.StaffByNo(ctx, staffNo)
	if errors.Is(err, models.ErrNotFound) {
		return c.reply(c.T("err_no_staff", "StaffNo", models.Truncate(staffNo, 40))), nil
	}
	if err != nil {
		return nil, fmt.Errorf("handlers: assign: %w", err)
	}
	return d.actSaying(ctx, c, no, models.Change{Action: models.ActAssign, AssignTo: &st.ID, Note: st.StaffNo}, func(tk *models.Ticket) string {
		return c.T("ok_assign", "No", tk.No, "Name", st.Name, "StaffNo", st.StaffNo)
	})
}

// verify decides whether a ticket is taken up: valid (有效, 属实) accepts it, invalid (无效, 不属实)
// with a reason rejects it; the reject button, which carries no reason, asks for it.
func (d *Desk) verify(ctx context.Context, c *call) ([]bot.Reply, error) {
	no, rest := noAndText(c.args)
	verdict, reason := noAndText(rest)
	switch strings.ToLower(verdict) {
	case "valid", "属实", "有效":
		if r := c.tooLong(reason, models.MaxReasonRunes); r != nil {
			return r, nil
		}
		return d.act(ctx, c, no, models.Change{Action: models.ActAccept, Note: reason})
	case "invalid", "不属实", "无效":
		if reason == "" {
			if c.pressed {
				return d.ask(ctx, c, no, models.ActReject)
			}
			break
		}
		if r := c.tooLong(reason, models.MaxReasonRunes); r != nil {
			return r, nil
		}
		return d.act(ctx, c, no, models.Change{Action: models.ActReject, Note: reason})
	}
	return c.reply(c.T("usage_verify")), nil
}

// reviewOutcomes reads the decision on an appeal. 撤销 revokes what was appealed (the bad
// review, or the rejection): the appeal is upheld; 维持 keeps it: the appeal is dismissed, as in
// an administrative review (行政复议) where 维持 and 撤销 speak of the decision under review.
var reviewOutcomes = map[string]string{
	models.ReviewUphold: models.ReviewUphold, "支持": models.ReviewUphold, "撤销": models.ReviewUphold, "支持申诉": models.ReviewUphold,
	models.ReviewDismiss: models.ReviewDismiss, "驳回": models.ReviewDismiss, "维持": models.ReviewDismiss, "驳回申诉": models.ReviewDismiss,
}

func (d *Desk) review(ctx context.Context, c *call) ([]bot.Reply, error) {
	no, rest := noAndText(c.args)
	verdict, note := noAndText(rest)
	outcome, ok := reviewOutcomes[strings.ToLower(verdict)]
	if !ok {
		return c.reply(c.T("usage_review")), nil
	}
	if r := c.tooLong(note, models.MaxReasonRunes); r != nil {
		return r, nil
	}
	return d.actSaying(ctx, c, no, models.Change{Action: models.ActReview, Outcome: outcome, Note: note}, func(tk *models.Ticket) string {
		switch {
		case outcome == models.ReviewDismiss:
			return c.T("ok_review_dismiss", "No", tk.No)
		case tk.AppealBy == models.RoleStaff:
			return c.T("ok_review_staff", "No", tk.No)
		}
		return c.T("ok_review_citizen", "No", tk.No)
	})
}

func (d *Desk) escalate(ctx context.Context, c *call) ([]bot.Reply, error) {
	no, note := noAndText(c.args)
	if no == "" {
		return c.reply(c.T("usage_escalate")), nil
	}
	if r := c.tooLong(note, models.MaxReasonRunes); r != nil {
		return r, nil
	}
	return d.actSaying(ctx, c, no, models.Change{Action: models.ActEscalate, Note: note}, func(tk *models.Ticket) string {
		return c.T("ok_escalate", "No", tk.No)
	})
}

func (d *Desk) publish(ctx context.Context, c *call) ([]bot.Reply, error) {
	no, _ := noAndText(c.args)
	if no == "" {
		return c.reply(c.T("usage_publish")), nil
	}
	return d.actSaying(ctx, c, no, models.Change{Action: models.ActPublish}, func(tk *models.Ticket) string {
		return c.T("ok_publish", "No", tk.No)
	})
}

func (d *Desk) inspect(ctx context.Context, c *call) ([]bot.Reply, error) {
	code, rest := noAndText(c.args)
	score, findings := noAndText(rest)
	if code == "" || score == "" || findings == "" {
		return c.reply(c.T("usage_inspect")), nil
	}
	n, err := strconv.Atoi(score)
	if err != nil || n < 0 || n > 100 {
		return c.reply(c.T("score_bad")), nil
	}
	if r := c.tooLong(findings, models.MaxNoteRunes); r != nil {
		return r, nil
	}
	w, err := d.o.Store.WindowByCode(ctx, code)
	if errors.Is(err, models.ErrNotFound) || (err == nil && !covers(c.acct.actor, w.CenterID)) {
		return c.reply(c.T("window_scope", "Code", models.Truncate(code, 40))), nil
	}
	if err != nil {
		return nil, fmt.Errorf("handlers: inspect: %w", err)
	}
	by := c.acct.actor.StaffID
	if err := d.o.Store.RecordInspection(ctx, &models.Inspection{WindowID: w.ID, StaffID: &by, Score: n, Findings: findings, CreatedAt: c.t.Now}); err != nil {
		return nil, fmt.Errorf("handlers: inspect: %w", err)
	}
	return c.reply(c.T("inspect_ok", "Window", w.Place(), "Score", n)), nil
}

func (d *Desk) star(ctx context.Context, c *call) ([]bot.Reply, error) {
	per, ok := parsePeriod(c.lang(), strings.TrimSpace(c.args), c.t.Now, d.loc())
	if !ok || per.Year {
		return c.reply(c.T("bad_period", "Period", models.Truncate(c.args, 20))), nil
	}
	picks, err := d.o.Store.ServiceStarPreview(ctx, c.acct.actor.CenterID, per.From, per.To, d.o.MinRatings)
	if err != nil {
		return nil, fmt.Errorf("handlers: star: %w", err)
	}
	byCenter := make(map[uint]models.StarPick, len(picks))
	for _, p := range picks {
		byCenter[p.CenterID] = p
	}
	centers, err := d.o.Store.Centers(ctx)
	if err != nil {
		return nil, fmt.Errorf("handlers: star: %w", err)
	}
	var items []listItem
	for _, ct := range centers {
		if !covers(c.acct.actor, ct.ID) {
			continue
		}
		p, ok := byCenter[ct.ID]
		if !ok {
			items = append(items, listItem{line: strings.TrimPrefix(c.T("star_nobody", "Center", ct.Name, "Min", d.o.MinRatings), "\n")})
			continue
		}
		where := p.Staff.StaffNo
		if p.Staff.Window != nil {
			where = p.Staff.Window.Code + " " + p.Staff.Window.Name
		}
		line := c.T("star_line", "Center", ct.Name, "Name", p.Staff.Name, "Window", where, "Score", pct(p.Score), "Count", p.Total())
		items = append(items, listItem{line: strings.TrimPrefix(line, "\n")})
	}
	return d.list(ctx, c, c.T("star_head", "Period", per.label), items, strings.TrimSpace(c.T("star_note")))
}

// ban stops the account behind a pseudonym (a citizen's, or an anonymous filing's) from rating
// and complaining. The answers name the pseudonym typed and say nothing of the account's
// earlier state, so that banning by one pseudonym and then by another cannot tell whether the
// two are one person: an anonymous filing stays unlinkable.
func (d *Desk) ban(ctx context.Context, c *call) ([]bot.Reply, error) {
	ref, reason := noAndText(c.args)
	if ref == "" || reason == "" {
		return c.reply(c.T("usage_ban")), nil
	}
	if r := c.tooLong(reason, models.MaxReasonRunes); r != nil {
		return r, nil
	}
	cit, reply, err := d.citizenByRef(ctx, c, ref)
	if cit == nil {
		return reply, err
	}
	ref = models.NormRef(ref)
	err = d.o.Store.BanCitizen(ctx, cit.ID, c.acct.actor.StaffID, reason, c.t.Now)
	if err != nil && !errors.Is(err, models.ErrAlreadyBanned) {
		return nil, fmt.Errorf("handlers: ban: %w", err)
	}
	d.o.Logger.InfoContext(ctx, "citizen banned", "citizen_ref", ref, "staff_id", c.acct.actor.StaffID)
	return c.reply(c.T("ban_ok", "Citizen", ref, "Reason", reason)), nil
}

// unban lifts the ban on the account behind a pseudonym; like ban, its answer does not tell
// whether there was one.
func (d *Desk) unban(ctx context.Context, c *call) ([]bot.Reply, error) {
	ref, _ := noAndText(c.args)
	if ref == "" {
		return c.reply(c.T("usage_unban")), nil
	}
	cit, reply, err := d.citizenByRef(ctx, c, ref)
	if cit == nil {
		return reply, err
	}
	ref = models.NormRef(ref)
	err = d.o.Store.UnbanCitizen(ctx, cit.ID, c.acct.actor.StaffID, c.t.Now)
	if err != nil && !errors.Is(err, models.ErrNotBanned) {
		return nil, fmt.Errorf("handlers: unban: %w", err)
	}
	d.o.Logger.InfoContext(ctx, "citizen unbanned", "citizen_ref", ref, "staff_id", c.acct.actor.StaffID)
	return c.reply(c.T("unban_ok", "Citizen", ref)), nil
}

// citizenByRef finds a citizen by pseudonym within the account's scope; with a nil citizen it
// returns the reply to give instead.
func (d *Desk) citizenByRef(ctx context.Context, c *call, ref string) (*models.Citizen, []bot.Reply, error) {
	cit, err := d.o.Store.CitizenByRef(ctx, d.o.Pseudonyms, ref, c.acct.actor.CenterID)
	if errors.Is(err, models.ErrNotFound) {
		return nil, c.reply(c.T("ref_unknown", "Citizen", models.Truncate(ref, 20))), nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("handlers: %s: %w", c.name, err)
	}
	return cit, nil, nil
}
