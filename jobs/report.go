package jobs

import (
	"context"
	"math"
	"slices"
	"time"

	"windowbot/bot/poster"
	"windowbot/internal/text"
	"windowbot/models"
)

// trendMonths is how many months the report's chart shows, the reported one last.
const trendMonths = 12

// reportCharts draws the monthly report's chart of each supervisors' scope (0: all centers):
// satisfaction month by month over the last year against the target, and the windows of the
// month below it. Without an Artist, or when drawing fails (logged), there is none and the
// report goes as text.
func (d *Deps) reportCharts(ctx context.Context, occ Occurrence, sd supervisorData, windows map[uint]models.Window, from time.Time) (map[uint]*models.Picture, error) {
	if d.Artist == nil || len(sd.sups) == 0 {
		return nil, nil
	}
	scopes := map[uint]bool{}
	for _, a := range sd.sups {
		scopes[models.SupervisorScope(a.Staff)] = true
	}
	// The window tallies of each month of the trend, oldest first.
	loc := d.loc()
	months := make([]string, trendMonths)
	tallies := make([][]models.Tally, trendMonths)
	for i := range trendMonths {
		start := time.Date(from.Year(), from.Month()-time.Month(trendMonths-1-i), 1, 0, 0, 0, 0, loc)
		months[i] = start.Format("06-01")
		if i == trendMonths-1 {
			tallies[i] = sd.tallies
			continue
		}
		ts, err := d.Store.WindowTallies(ctx, start, start.AddDate(0, 1, 0))
		if err != nil {
			return nil, err
		}
		tallies[i] = ts
	}
	hall := text.Lang(d.Lang)
	out := map[uint]*models.Picture{}
	for scope := range scopes {
		rep := poster.Report{Lang: hall, Months: months, Target: d.Target,
			Title: text.T(hall, "job.report_title", "Month", text.MonthYear(hall, from.Year(), from.Month()), "Scope", d.scopeName(hall, scope, sd.centers))}
		for _, ts := range tallies {
			sum := models.Sum(talliesIn(ts, scope))
			rate := math.NaN()
			if sum.Total() > 0 {
				rate = sum.SatisfactionRate()
			}
			rep.Rates = append(rep.Rates, rate)
		}
		for _, w := range d.rank(sd.tallies, scope).windows {
			if w.SatisfactionRate() < d.Target {
				win := windows[w.ID]
				rep.Below = append(rep.Below, poster.Bar{Code: win.Code, Name: win.Name, Rate: w.SatisfactionRate(), Count: w.Total()})
			}
		}
		slices.SortStableFunc(rep.Below, func(a, b poster.Bar) int {
			switch {
			case a.Rate < b.Rate:
				return -1
			case a.Rate > b.Rate:
				return 1
			}
			return 0
		})
		data, err := d.Artist.ReportPNG(rep)
		var pic *models.Picture
		if err == nil {
			pic, err = models.NewPicture(data)
		}
		if err != nil {
			d.Logger.WarnContext(ctx, "report chart not drawn, reporting in words", "scope", scope, "period", occ.Period, "error", err)
			continue
		}
		out[scope] = pic
	}
	return out, nil
}
