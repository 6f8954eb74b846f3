package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"windowbot/bot/poster"
	"windowbot/internal/text"
	"windowbot/models"
)

// Artist draws the pictures the jobs send; *poster.Renderer is one.
type Artist interface {
	StarPNG(s poster.Star) ([]byte, error)
	ReportPNG(r poster.Report) ([]byte, error)
}

var _ Artist = (*poster.Renderer)(nil)

// maxQuote bounds one citizen's praise quoted in an announcement, in runes.
const maxQuote = 120

// monthlyStar picks each center's service stars of the month (models.StarPlaces; /star previews
// the first): the staff members with the best adjusted satisfaction among those with enough
// ratings and no upheld complaint in the month, then the runners-up. The places are stored once
// per center and month; the announcement is built from what is stored, so a re-run announces the
// same people even if late ratings arrived meanwhile. Each star is announced with a poster: to
// the star, to their colleagues and to the center's subscribers, each in words of their own.
func (d *Deps) monthlyStar(ctx context.Context, occ Occurrence) (int, error) {
	from, to, err := PreviousMonth.Bounds(occ.Period, d.loc())
	if err != nil {
		return 0, err
	}
	tallies, err := d.Store.StaffTallies(ctx, from, to)
	if err != nil {
		return 0, err
	}
	barred, err := d.Store.StaffWithUpheldComplaints(ctx, from, to)
	if err != nil {
		return 0, err
	}
	// The posters and charts of three months ago were sent long since: only a staff photo or a
	// push still queued keeps a picture longer.
	if n, err := d.Store.PrunePictures(ctx, occ.At.AddDate(0, -3, 0)); err != nil {
		d.Logger.WarnContext(ctx, "monthly star: old pictures not pruned", "error", err)
	} else if n > 0 {
		d.Logger.InfoContext(ctx, "monthly star: old pictures pruned", "pictures", n)
	}
	stars := max(d.StarsPerCenter, 1)
	places := models.StarPlaces(tallies, barred, d.MinRatings, stars+max(d.RunnersUp, 0))
	centers, err := d.Store.Centers(ctx)
	if err != nil {
		return 0, err
	}
	queued := 0
	for _, c := range centers {
		ranked := places[c.ID]
		if len(ranked) == 0 {
			d.Logger.InfoContext(ctx, "monthly star: no staff member qualifies", "center", c.Code, "period", occ.Period)
			continue
		}
		n, err := d.announceStars(ctx, occ, c, ranked, stars, from, to)
		if err != nil {
			return queued, fmt.Errorf("jobs: monthly star of %s: %w", c.Code, err)
		}
		queued += n
	}
	return queued, nil
}

// praiseOf returns up to three citizens' praise of a staff member in [from, to), masked (it is
// quoted to the whole center and to subscribers) and shortened, as JSON.
func (d *Deps) praiseOf(ctx context.Context, staffID uint, from, to time.Time) (string, error) {
	praise, err := d.Store.PraiseComments(ctx, staffID, from, to, 3)
	if err != nil {
		return "", err
	}
	for i, p := range praise {
		p = models.MaskPII(p)
		if r := []rune(p); len(r) > maxQuote {
			p = string(r[:maxQuote-1]) + "…"
		}
		praise[i] = p
	}
	b, _ := json.Marshal(praise)
	return string(b), nil
}

// placesOf turns a ranking into the places to store: the first stars are stars, the rest
// runners-up; only stars are quoted.
func (d *Deps) placesOf(ctx context.Context, period string, ranked []models.Ranked, stars int, from, to time.Time, center func(models.Ranked) uint) ([]*models.ServiceStar, error) {
	var out []*models.ServiceStar
	for i, r := range ranked {
		st, err := d.Store.StaffByID(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		p := &models.ServiceStar{
			Period: period, CenterID: center(r), Place: i + 1, RunnerUp: i >= stars, StaffID: r.ID, WindowID: st.WindowID,
			Ratings: r.Total(), SatisfactionRate: r.SatisfactionRate(), GoodRate: r.GoodRate(), Score: r.Score,
		}
		if !p.RunnerUp {
			if p.Praise, err = d.praiseOf(ctx, r.ID, from, to); err != nil {
				return nil, err
			}
		}
		out = append(out, p)
	}
	return out, nil
}

func windowName(st *models.Staff) string {
	if st.Window == nil {
		return ""
	}
	return st.Window.Code + " " + st.Window.Name
}

func quotesOf(p models.ServiceStar) []string {
	var quotes []string
	_ = json.Unmarshal([]byte(p.Praise), &quotes)
	return quotes
}

// withQuotes appends the praise to an announcement.
func withQuotes(lang, msg string, quotes []string) string {
	if len(quotes) == 0 {
		return msg
	}
	msg += "\n" + text.T(lang, "job.star_praise")
	for _, q := range quotes {
		msg += "\n“" + q + "”"
	}
	return msg
}

// poster draws a star's poster and returns it as a picture to store, or nil (logged) when there
// is no Artist or it cannot draw: the announcement then goes as text.
func (d *Deps) poster(ctx context.Context, s poster.Star, p models.ServiceStar) *models.Picture {
	if d.Artist == nil {
		return nil
	}
	if p.Staff != nil && p.Staff.PhotoHash != "" {
		if pic, err := d.Store.Picture(ctx, p.Staff.PhotoHash); err == nil {
			s.Photo, _ = poster.DecodePhoto(pic.Data)
		}
	}
	data, err := d.Artist.StarPNG(s)
	if err == nil {
		var pic *models.Picture
		if pic, err = models.NewPicture(data); err == nil {
			return pic
		}
	}
	d.Logger.WarnContext(ctx, "star poster not drawn, announcing in words", "staff_id", p.StaffID, "period", p.Period, "error", err)
	return nil
}

// announceStars stores the places of a center's month and queues the announcements: each star's
// poster with words for the star ("thank you for your service"), for their colleagues and for
// the citizens who subscribed; a runner-up is told they were named.
func (d *Deps) announceStars(ctx context.Context, occ Occurrence, c models.Center, ranked []models.Ranked, stars int, from, to time.Time) (int, error) {
	rows, err := d.placesOf(ctx, occ.Period, ranked, stars, from, to, func(models.Ranked) uint { return c.ID })
	if err != nil {
		return 0, err
	}
	// An earlier run may have chosen others (late ratings since): the store hands back that
	// choice, and it is what is announced.
	stored, err := d.Store.StoreServiceStars(ctx, occ.Period, &c.ID, rows)
	if err != nil {
		return 0, err
	}
	staffAcc, err := d.Store.CenterStaffAccounts(ctx, c.ID)
	if err != nil {
		return 0, err
	}
	subs, err := d.Store.SubscribersOfCenter(ctx, c.ID, to.AddDate(-1, 0, 0))
	if err != nil {
		return 0, err
	}
	var starRows, runners []models.ServiceStar
	for _, p := range stored {
		if p.RunnerUp {
			runners = append(runners, p)
		} else {
			starRows = append(starRows, p)
		}
	}
	runnerNames := func(lang string) []string {
		var out []string
		for _, p := range runners {
			code := ""
			if p.Staff.Window != nil {
				code = p.Staff.Window.Code
			}
			out = append(out, text.T(lang, "job.star_runner_up", "Name", p.Staff.Name, "Window", code))
		}
		return out
	}
	hall := text.Lang(d.Lang)
	month := func(lang string) string { return text.MonthYear(lang, from.Year(), from.Month()) }
	var pushes []*models.Push
	var pictures []*models.Picture
	for _, p := range starRows {
		st := p.Staff
		pic := d.poster(ctx, poster.Star{
			Lang: hall, Heading: text.T(hall, "job.star_heading", "Month", month(hall)), Center: c.Name,
			Name: st.Name, Window: windowName(st), Rate: p.SatisfactionRate, Ratings: p.Ratings,
			Quotes: quotesOf(p), RunnersUp: runnerNames(hall),
		}, p)
		hash := ""
		if pic != nil {
			pictures, hash = append(pictures, pic), pic.Hash
		}
		words := func(lang, key string) string {
			kv := []any{"Center", c.Name, "Month", month(lang), "Rate", percent(p.SatisfactionRate), "Count", p.Ratings}
			if key != "job.star_self" {
				kv = append(kv, "Name", st.Name, "Window", windowName(st))
			}
			msg := text.T(lang, key, kv...)
			msg = withQuotes(lang, msg, quotesOf(p))
			if len(runners) > 0 && key != "job.star_self" {
				msg += "\n" + text.T(lang, "job.star_runners_up", "Names", strings.Join(runnerNames(lang), text.T(lang, "poster.name_sep")))
			}
			return msg
		}
		add := func(r models.Citizen, key string) {
			pushes = append(pushes, &models.Push{
				DedupeKey: fmt.Sprintf("%s:%s:%s:p%d:c%d", KindMonthlyStar, occ.Period, c.Code, p.Place, r.ID),
				Kind:      KindMonthlyStar, CitizenID: r.ID, Text: words(d.langOf(r), key), PictureHash: hash,
			})
		}
		for _, a := range staffAcc {
			key := "job.star_staff"
			if a.Staff.ID == p.StaffID {
				key = "job.star_self"
			}
			add(a.Citizen, key)
		}
		for _, r := range subs {
			add(r, "job.star")
		}
	}
	for _, p := range runners {
		for _, a := range staffAcc {
			if a.Staff.ID != p.StaffID {
				continue
			}
			lang := d.langOf(a.Citizen)
			pushes = append(pushes, &models.Push{
				DedupeKey: fmt.Sprintf("%s:%s:%s:p%d:c%d", KindMonthlyStar, occ.Period, c.Code, p.Place, a.Citizen.ID),
				Kind:      KindMonthlyStar, CitizenID: a.Citizen.ID,
				Text: text.T(lang, "job.star_runner_up_self", "Center", c.Name, "Month", month(lang), "Place", p.Place,
					"Rate", percent(p.SatisfactionRate)),
			})
		}
	}
	queued, err := d.Store.EnqueueWithPictures(ctx, occ.At, pictures, pushes)
	if err != nil {
		return 0, err
	}
	d.Logger.InfoContext(ctx, "monthly stars announced", "center", c.Code, "period", occ.Period, "stars", len(starRows),
		"runners_up", len(runners), "posters", len(pictures), "queued", queued)
	return queued, nil
}

// yearStars announces the year's ten best staff members across every center (十佳服务明星):
// each star gets their own poster with a thank-you, and every center's staff and subscribers
// the list. The places are stored once under the year.
func (d *Deps) yearStars(ctx context.Context, occ Occurrence, from, to time.Time) (int, error) {
	if d.YearlyStars <= 0 {
		return 0, nil
	}
	tallies, err := d.Store.StaffTallies(ctx, from, to)
	if err != nil {
		return 0, err
	}
	barred, err := d.Store.StaffWithUpheldComplaints(ctx, from, to)
	if err != nil {
		return 0, err
	}
	ranked := models.YearStars(tallies, barred, d.MinRatings, d.YearlyStars)
	if len(ranked) == 0 {
		d.Logger.InfoContext(ctx, "yearly stars: no staff member qualifies", "period", occ.Period)
		return 0, nil
	}
	centerOf := map[uint]uint{}
	for _, t := range tallies {
		centerOf[t.ID] = t.CenterID
	}
	rows, err := d.placesOf(ctx, occ.Period, ranked, len(ranked), from, to, func(r models.Ranked) uint { return centerOf[r.ID] })
	if err != nil {
		return 0, err
	}
	stored, err := d.Store.StoreServiceStars(ctx, occ.Period, nil, rows)
	if err != nil {
		return 0, err
	}
	hall := text.Lang(d.Lang)
	year := func(lang string) string { return text.T(lang, "job.year", "Year", from.Year()) }
	list := func(lang string) string {
		var b strings.Builder
		b.WriteString(text.T(lang, "job.year_stars", "Year", year(lang)))
		for _, p := range stored {
			b.WriteString("\n" + text.T(lang, "job.year_star_line", "Place", p.Place, "Name", p.Staff.Name,
				"Center", p.Center.Name, "Window", windowName(p.Staff), "Rate", percent(p.SatisfactionRate)))
		}
		return b.String()
	}
	var pushes []*models.Push
	var pictures []*models.Picture
	starOf := map[uint]models.ServiceStar{}
	for _, p := range stored {
		starOf[p.StaffID] = p
	}
	centers, err := d.Store.Centers(ctx)
	if err != nil {
		return 0, err
	}
	for _, c := range centers {
		accs, err := d.Store.CenterStaffAccounts(ctx, c.ID)
		if err != nil {
			return 0, err
		}
		for _, a := range accs {
			lang := d.langOf(a.Citizen)
			push := &models.Push{
				DedupeKey: fmt.Sprintf("%s:%s:stars:c%d", KindYearlyRanking, occ.Period, a.Citizen.ID),
				Kind:      KindYearlyRanking, CitizenID: a.Citizen.ID, Text: list(lang),
			}
			if p, ok := starOf[a.Staff.ID]; ok {
				// The star's own poster and thanks.
				if pic := d.poster(ctx, poster.Star{
					Lang: hall, Heading: text.T(hall, "job.year_star_heading", "Year", year(hall), "Place", p.Place),
					Center: p.Center.Name, Name: p.Staff.Name, Window: windowName(p.Staff), Rate: p.SatisfactionRate,
					Ratings: p.Ratings, Quotes: quotesOf(p),
				}, p); pic != nil {
					pictures, push.PictureHash = append(pictures, pic), pic.Hash
				}
				push.Text = withQuotes(lang, text.T(lang, "job.year_star_self", "Year", year(lang), "Place", p.Place,
					"Rate", percent(p.SatisfactionRate), "Count", p.Ratings), quotesOf(p))
			}
			pushes = append(pushes, push)
		}
		subs, err := d.Store.SubscribersOfCenter(ctx, c.ID, to.AddDate(-1, 0, 0))
		if err != nil {
			return 0, err
		}
		for _, r := range subs {
			pushes = append(pushes, &models.Push{
				DedupeKey: fmt.Sprintf("%s:%s:stars:c%d", KindYearlyRanking, occ.Period, r.ID),
				Kind:      KindYearlyRanking, CitizenID: r.ID, Text: list(d.langOf(r)),
			})
		}
	}
	return d.Store.EnqueueWithPictures(ctx, occ.At, pictures, pushes)
}
