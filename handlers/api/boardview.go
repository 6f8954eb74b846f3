package api

import (
	"cmp"
	"context"
	"fmt"
	"html/template"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"windowbot/internal/chart"
	"windowbot/internal/text"
	"windowbot/models"
)

// boardMonths is how many months the board shows: this one and the twelve before.
const boardMonths = 13

// boardListLimit is the longest ranking or list shown whole; a longer one shows its best and its
// worst ten and points to the centers' pages.
const boardListLimit = 30

// boardStats is what every page of the board is made of: the figures of all centers, read
// together once per cache period.
type boardStats struct {
	at time.Time
	// months are this month and the twelve before, oldest first; tallies[i] are the window
	// tallies of months[i].
	months  []models.Period
	tallies [][]models.Tally
	centers []models.Center
	windows []models.Window
	// tickets are the open and overdue tickets at the time of reading.
	tickets []models.TicketCount
	// handling is this year's so far, by center.
	handling []models.TicketHandling
	// stars are the service stars announced this month: those of the month before.
	stars []models.ServiceStar
	// inspections are this year's so far, by window.
	inspections []models.WindowInspections
}

// loadStats reads the board's figures for every center: one pass over thirteen months of
// ratings, the open tickets, this year's handling, the stars, the centers and windows.
func (b *Board) loadStats(ctx context.Context) (*boardStats, error) {
	now := b.o.Now().In(b.o.Location)
	st := &boardStats{at: now}
	bounds := make([]time.Time, 0, boardMonths+1)
	for i := range boardMonths {
		p := models.MonthPeriod(now.Year(), now.Month()-time.Month(boardMonths-1-i), b.o.Location)
		st.months = append(st.months, p)
		bounds = append(bounds, p.From)
	}
	bounds = append(bounds, st.months[boardMonths-1].To)
	var err error
	if st.tallies, err = b.o.Store.WindowTalliesByPeriod(ctx, bounds); err != nil {
		return nil, err
	}
	if st.centers, err = b.o.Store.Centers(ctx); err != nil {
		return nil, err
	}
	if st.windows, err = b.o.Store.Windows(ctx, nil); err != nil {
		return nil, err
	}
	if st.tickets, err = b.o.Store.TicketCounts(ctx, nil, now); err != nil {
		return nil, err
	}
	year := models.YearPeriod(now.Year(), b.o.Location)
	if st.handling, err = b.o.Store.TicketHandlings(ctx, year.From, year.To); err != nil {
		return nil, err
	}
	if st.stars, err = b.o.Store.ServiceStars(ctx, st.months[boardMonths-2].Key()); err != nil {
		return nil, err
	}
	if st.inspections, err = b.o.Store.InspectionsByWindow(ctx, year.From, year.To); err != nil {
		return nil, err
	}
	return st, nil
}

// boardView fills the page template.
type boardView struct {
	Lang string
	// Large is 大字模式: text half as large again, chosen with ?large=1 and remembered in a
	// cookie (the page has no script).
	Large   bool
	W       map[string]string
	Title   string
	Scope   string
	Month   string
	Centers []boardLink
	// AllView is the page of all centers.
	AllView bool

	HasRatings bool
	Rate, Good string
	Count      int
	Target     string
	Met        bool
	Chart      template.HTML
	Months     []boardMonth

	Ranked       []boardRow
	RankedCut    bool
	Few          []boardRow
	FewHidden    int
	CenterRanked []boardRow
	CenterFew    []boardRow

	StarsTitle string
	Stars      []boardStar

	Year       string
	YearTop    []boardRow
	YearBottom []boardRow

	Open, Overdue        int
	OnTime, RerateRate   string
	Resolved, Rerated    int
	HasResolved, HasRate bool

	// Inspections are this year's inspections of the windows in scope, most findings first.
	Inspections []boardInspection

	Notices []Notice
	Updated string
}

// boardInspections is how many inspected windows the board lists.
const boardInspections = 10

// boardInspection is one window's inspections of the year and their findings.
type boardInspection struct {
	Code, Name    string
	Count, Failed int
}

type boardLink struct {
	Href, Name string
	Current    bool
}

type boardMonth struct {
	Label string
	Count int
	Rate  string
	Met   bool
}

// boardRow is a ranked window or center, or one too little rated to rank (Rank 0).
type boardRow struct {
	Rank  int
	Code  string
	Name  string
	Where string
	Count int
	// Counted is Count in words: "129条".
	Counted string
	Rate    string
	Met     bool
	// Gap marks the first row after the cut between the best and the worst of a long ranking.
	Gap bool
}

type boardStar struct {
	Center, Name, Window string
	Rate                 string
	Count                int
}

// boardWords are the catalog's words the template uses as they are, by template name.
func boardWords(lang string, minN int, target string) map[string]string {
	return map[string]string{
		"Nav":           text.T(lang, "board.nav"),
		"Large":         text.T(lang, "board.large"),
		"AllCenters":    text.T(lang, "all_centers"),
		"Satisfaction":  text.T(lang, "board.satisfaction"),
		"GoodRate":      text.T(lang, "board.good_rate"),
		"Ratings":       text.T(lang, "board.ratings"),
		"Met":           text.T(lang, "job.met"),
		"Missed":        text.T(lang, "job.missed"),
		"NoRatings":     text.T(lang, "board.no_ratings"),
		"TrendCaption":  text.T(lang, "board.trend_caption", "Target", target),
		"TrendTable":    text.T(lang, "board.trend_table"),
		"Month":         text.T(lang, "board.month"),
		"Ranking":       text.T(lang, "board.ranking"),
		"RankingNote":   text.T(lang, "board.ranking_note", "Min", minN),
		"CenterRanking": text.T(lang, "board.centers_ranking"),
		"Rank":          text.T(lang, "board.rank"),
		"Window":        text.T(lang, "board.window"),
		"Center":        text.T(lang, "board.center"),
		"TooFew":        text.T(lang, "board.too_few", "Min", minN),
		"NoneRanked":    text.T(lang, "board.none_ranked"),
		"MoreInCenters": text.T(lang, "board.more_in_centers"),
		"NoStars":       text.T(lang, "board.no_stars"),
		"YearNote":      text.T(lang, "board.year_note"),
		"Open":          text.T(lang, "board.open"),
		"Overdue":       text.T(lang, "board.overdue"),
		"OnTime":        text.T(lang, "board.on_time"),
		"RerateRate":    text.T(lang, "board.rerate_rate"),
		"Inspected":     text.T(lang, "board.inspected"),
		"Findings":      text.T(lang, "board.findings"),
		"NoInspections": text.T(lang, "board.no_inspections"),
		"Notices":       text.T(lang, "board.notices"),
		"NoticesEmpty":  text.T(lang, "board.notices_empty"),
		"Plan":          text.T(lang, "board.plan"),
		"Result":        text.T(lang, "board.result"),
		"Privacy":       text.T(lang, "board.privacy"),
	}
}

// view builds the page of center (nil: all centers) in lang from the snapshot.
func (b *Board) view(st *boardStats, lang string, center *models.Center, notices []Notice, large bool) (*boardView, error) {
	minN := b.o.MinRatings
	this := st.months[boardMonths-1]
	target := pct0(b.o.Target)
	v := &boardView{
		Lang: lang, Large: large, W: boardWords(lang, minN, target), Title: text.T(lang, "board.title"),
		Month:  text.MonthYear(lang, this.From.Year(), this.From.Month()),
		Target: target, AllView: center == nil, Notices: notices,
		Year:    text.Year(lang, this.From.Year()),
		Updated: text.T(lang, "board.updated", "Time", text.Stamp(lang, st.at)),
	}
	v.Scope = text.T(lang, "all_centers")
	if center != nil {
		v.Scope = center.Name
	}
	v.Centers = append(v.Centers, boardLink{Href: "/board", Name: text.T(lang, "all_centers"), Current: center == nil})
	for _, c := range st.centers {
		v.Centers = append(v.Centers, boardLink{Href: "/board/" + c.Code, Name: c.Name, Current: center != nil && c.ID == center.ID})
	}
	inScope := func(centerID uint) bool { return center == nil || centerID == center.ID }
	scoped := func(ts []models.Tally) []models.Tally {
		var out []models.Tally
		for _, t := range ts {
			if inScope(t.CenterID) {
				out = append(out, t)
			}
		}
		return out
	}
	windows := map[uint]models.Window{}
	for _, w := range st.windows {
		windows[w.ID] = w
	}
	centers := map[uint]models.Center{}
	for _, c := range st.centers {
		centers[c.ID] = c
	}

	// This month and the trend.
	now := scoped(st.tallies[boardMonths-1])
	total := models.Sum(now)
	v.HasRatings, v.Count = total.Total() > 0, total.Total()
	v.Rate, v.Good, v.Met = pct(total.SatisfactionRate()), pct(total.GoodRate()), total.MeetsTarget(b.o.Target)
	tr := chart.Trend{Target: b.o.Target}
	for i, p := range st.months {
		t := models.Sum(scoped(st.tallies[i]))
		rate := math.NaN()
		if t.Total() > 0 {
			rate = t.SatisfactionRate()
		}
		tr.Labels = append(tr.Labels, strconv.Itoa(int(p.From.Month())))
		tr.Values = append(tr.Values, rate)
		m := boardMonth{Label: text.MonthYearShort(lang, p.From.Year(), p.From.Month()), Count: t.Total(), Met: t.MeetsTarget(b.o.Target)}
		if t.Total() > 0 {
			m.Rate = pct(t.SatisfactionRate())
		}
		v.Months = append(v.Months, m)
	}
	var svg strings.Builder
	if err := tr.SVG(&svg); err != nil {
		return nil, err
	}
	v.Chart = template.HTML(svg.String()) // go-chart's output with labels escaped by package chart

	// The windows of this month: ranked, and those with too few ratings apart.
	windowRow := func(r models.Ranked, t models.Tally) boardRow {
		w := windows[t.ID]
		row := boardRow{Rank: r.Rank, Code: w.Code, Name: w.Name, Count: t.Total(), Rate: pct(t.SatisfactionRate()), Met: t.MeetsTarget(b.o.Target),
			Counted: text.T(lang, "board.count", "Count", t.Total())}
		if center == nil {
			row.Where = centers[w.CenterID].Name
		}
		if t.Total() == 0 {
			row.Rate = ""
		}
		return row
	}
	ranked := models.Rank(now, minN)
	v.Ranked, v.RankedCut = cut(ranked, func(r models.Ranked) boardRow { return windowRow(r, r.Tally) })
	counted := map[uint]models.Tally{}
	for _, t := range now {
		counted[t.ID] = t
	}
	var few []boardRow
	for _, w := range st.windows { // by code
		if !inScope(w.CenterID) {
			continue
		}
		if t := counted[w.ID]; t.Total() < max(minN, 1) {
			t.ID = w.ID
			few = append(few, windowRow(models.Ranked{}, t))
		}
	}
	if len(few) > boardListLimit {
		v.FewHidden = len(few)
	} else {
		v.Few = few
	}

	// All centers: the centers ranked too.
	if center == nil && len(st.centers) > 1 {
		byCenter := map[uint]*models.Tally{}
		for _, t := range now {
			c := byCenter[t.CenterID]
			if c == nil {
				c = &models.Tally{ID: t.CenterID, CenterID: t.CenterID}
				byCenter[t.CenterID] = c
			}
			c.Add(t)
		}
		var cs []models.Tally
		for _, c := range byCenter {
			cs = append(cs, *c)
		}
		slices.SortFunc(cs, func(a, b models.Tally) int { return cmp.Compare(a.ID, b.ID) })
		centerRow := func(r models.Ranked, t models.Tally) boardRow {
			c := centers[t.ID]
			row := boardRow{Rank: r.Rank, Code: c.Code, Name: c.Name, Count: t.Total(), Rate: pct(t.SatisfactionRate()), Met: t.MeetsTarget(b.o.Target)}
			if t.Total() == 0 {
				row.Rate = ""
			}
			return row
		}
		for _, r := range models.Rank(cs, minN) {
			v.CenterRanked = append(v.CenterRanked, centerRow(r, r.Tally))
		}
		for _, c := range st.centers {
			if t := byCenter[c.ID]; t == nil || t.Total() < max(minN, 1) {
				var tt models.Tally
				if t != nil {
					tt = *t
				}
				tt.ID = c.ID
				v.CenterFew = append(v.CenterFew, centerRow(models.Ranked{}, tt))
			}
		}
	}

	// The stars announced this month.
	prev := st.months[boardMonths-2]
	v.StarsTitle = text.T(lang, "board.stars", "Month", text.MonthYear(lang, prev.From.Year(), prev.From.Month()))
	for _, s := range st.stars {
		if !inScope(s.CenterID) {
			continue
		}
		bs := boardStar{Rate: pct(s.SatisfactionRate), Count: s.Ratings}
		if s.Center != nil {
			bs.Center = s.Center.Name
		}
		if s.Staff != nil {
			if b.o.StaffNames {
				bs.Name = s.Staff.Name
			}
			if s.Staff.Window != nil {
				bs.Window = s.Staff.Window.Code + " " + s.Staff.Window.Name
			}
		}
		if s.WindowID != nil {
			if w, ok := windows[*s.WindowID]; ok {
				bs.Window = w.Code + " " + w.Name
			}
		}
		v.Stars = append(v.Stars, bs)
	}

	// The year so far: 十佳 and 十差.
	yearByWindow := map[uint]*models.Tally{}
	var yearIDs []uint
	for i, p := range st.months {
		if p.From.Year() != this.From.Year() {
			continue
		}
		for _, t := range scoped(st.tallies[i]) {
			y := yearByWindow[t.ID]
			if y == nil {
				y = &models.Tally{ID: t.ID, CenterID: t.CenterID}
				yearByWindow[t.ID] = y
				yearIDs = append(yearIDs, t.ID)
			}
			y.Add(t)
		}
	}
	slices.Sort(yearIDs)
	year := make([]models.Tally, 0, len(yearIDs))
	for _, id := range yearIDs {
		year = append(year, *yearByWindow[id])
	}
	top, bottom := models.TopBottom(models.Rank(year, minN), 10)
	for _, r := range top {
		v.YearTop = append(v.YearTop, windowRow(r, r.Tally))
	}
	for _, r := range bottom {
		v.YearBottom = append(v.YearBottom, windowRow(r, r.Tally))
	}

	// Handling of bad reviews and complaints.
	var h models.TicketHandling
	for _, x := range st.handling {
		if inScope(x.CenterID) {
			h.Add(x)
		}
	}
	for _, c := range st.tickets {
		if inScope(c.CenterID) {
			v.Open += c.Open
			v.Overdue += c.Overdue
		}
	}
	names := map[uint]models.Window{}
	for _, w := range st.windows {
		names[w.ID] = w
	}
	for _, in := range st.inspections {
		if inScope(in.CenterID) && len(v.Inspections) < boardInspections {
			w := names[in.WindowID]
			v.Inspections = append(v.Inspections, boardInspection{Code: w.Code, Name: w.Name, Count: in.Count, Failed: in.Failed})
		}
	}
	v.W["InspectionsTitle"] = text.T(lang, "board.inspections", "Year", v.Year)
	v.Resolved, v.Rerated = h.Resolved, h.Rerated
	v.HasResolved, v.HasRate = h.Resolved > 0, h.Rerated > 0
	v.OnTime, v.RerateRate = pct(h.OnTimeRate()), pct(h.RerateRate())
	v.W["HandlingTitle"] = text.T(lang, "board.handling", "Year", v.Year)
	v.W["OnTimeOf"] = text.T(lang, "board.of_count", "Count", h.Resolved)
	v.W["RerateOf"] = text.T(lang, "board.of_count", "Count", h.Rerated)
	v.W["YearTop"] = text.T(lang, "board.year_top", "Year", v.Year)
	v.W["YearBottom"] = text.T(lang, "board.year_bottom", "Year", v.Year)
	v.W["MonthHeading"] = text.T(lang, "board.month_heading", "Month", v.Month)
	v.W["TargetLine"] = text.T(lang, "board.target")
	if v.FewHidden > 0 {
		v.W["FewHidden"] = text.T(lang, "board.too_few_count", "Count", v.FewHidden, "Min", minN)
	}
	return v, nil
}

// cut turns a ranking into rows: whole when it is short, else its best and its worst ten with a
// gap between (true).
func cut(rs []models.Ranked, row func(models.Ranked) boardRow) ([]boardRow, bool) {
	var out []boardRow
	if len(rs) <= boardListLimit {
		for _, r := range rs {
			out = append(out, row(r))
		}
		return out, false
	}
	for _, r := range rs[:10] {
		out = append(out, row(r))
	}
	for i, r := range rs[len(rs)-10:] {
		x := row(r)
		x.Gap = i == 0
		out = append(out, x)
	}
	return out, true
}

// pct writes a rate as a percentage with one decimal, as the reports do.
func pct(r float64) string { return fmt.Sprintf("%.1f%%", r*100) }

// pct0 writes a target as a whole percentage.
func pct0(r float64) string { return fmt.Sprintf("%d%%", int(math.Round(r*100))) }
