package jobs_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"windowbot/bot/poster"
	"windowbot/bot/wechat/wechattest"
	"windowbot/internal/testenv"
	"windowbot/jobs"
	"windowbot/models"
)

// fakeArtist draws every picture as the same small PNG and remembers what it was asked for.
type fakeArtist struct {
	mu      sync.Mutex
	stars   []poster.Star
	reports []poster.Report
}

func (a *fakeArtist) StarPNG(s poster.Star) ([]byte, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.stars = append(a.stars, s)
	return wechattest.PNG(), nil
}

func (a *fakeArtist) ReportPNG(r poster.Report) ([]byte, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.reports = append(a.reports, r)
	return wechattest.PNG(), nil
}

// TestStarsWithPostersAndRunnersUp: with an artist, each star's announcement carries their
// poster; the runners-up are named on it and in the words, and told themselves. The year's ten
// best get their own poster with the yearly ranking, everybody else the list.
func TestStarsWithPostersAndRunnersUp(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		newStarFixture(t, s)
		// 李娜 and 陈静 qualify too, behind 张伟.
		for i := range 10 {
			level := 5
			if i < 3 {
				level = 2
			}
			rate(t, s, "W001", "DEMO-002", level, time.Date(2026, 10, 3+i, 10, 0, 0, 0, testenv.Shanghai), "")
			if i < 2 {
				level = 2
			}
			rate(t, s, "W003", "DEMO-005", level, time.Date(2026, 10, 3+i, 11, 0, 0, 0, testenv.Shanghai), "")
		}
		li := staffAccount(t, s, "telegram", "s002", "DEMO-002")
		art := &fakeArtist{}
		deps := testDeps(s)
		deps.Artist, deps.StarsPerCenter, deps.RunnersUp, deps.YearlyStars = art, 1, 2, 10
		at := time.Date(2026, 11, 1, 9, 0, 0, 0, testenv.Shanghai)
		sch := newScheduler(t, s, nil, jobs.Catalog(deps), func() time.Time { return at })
		runJob(t, sch, jobs.MonthlyStar, "", at, false)

		if len(art.stars) != 1 || art.stars[0].Name != "张伟" || art.stars[0].Heading != "2026年10月 服务之星" || len(art.stars[0].RunnersUp) != 2 || len(art.stars[0].Quotes) != 3 {
			t.Fatalf("posters drawn: %+v", art.stars)
		}
		var withPicture, runnerNote int
		for _, p := range queued(t, s, jobs.KindMonthlyStar) {
			if p.PictureHash != "" {
				withPicture++
				if _, err := s.Picture(ctxT(t), p.PictureHash); err != nil {
					t.Errorf("push %s: picture not stored: %v", p.DedupeKey, err)
				}
				if !strings.Contains(p.Text, "提名：") && p.Citizen.ExternalID != "s001" {
					t.Errorf("announcement to %s does not name the runners-up:\n%s", p.Citizen.ExternalID, p.Text)
				}
			}
			if p.CitizenID == li.ID && strings.Contains(p.Text, "您获得") {
				runnerNote++
			}
		}
		if withPicture == 0 || runnerNote != 1 {
			t.Errorf("%d announcements with the poster, %d notes to the runner-up 李娜; want some and one", withPicture, runnerNote)
		}
		places, err := s.ServiceStars(ctxT(t), "2026-10")
		if err != nil || len(places) != 1 {
			t.Fatalf("stars = %+v, %v", places, err)
		}

		// The yearly ranking on 2 January names the year's best staff.
		jan2 := time.Date(2027, 1, 2, 10, 0, 0, 0, testenv.Shanghai)
		runJob(t, sch, jobs.YearlyRanking, "", jan2, false)
		year, err := s.ServiceStars(ctxT(t), "2026")
		if err != nil || len(year) < 2 || year[0].Place != 1 {
			t.Fatalf("year's stars = %+v, %v", year, err)
		}
		starStaff := map[uint]int{}
		for _, p := range year {
			starStaff[p.StaffID] = p.Place
		}
		var self, list *models.Push
		for _, p := range queued(t, s, jobs.KindYearlyRanking) {
			if !strings.Contains(p.DedupeKey, ":stars:") {
				continue
			}
			switch {
			case p.Citizen.StaffID != nil && starStaff[*p.Citizen.StaffID] > 0:
				self = &p
			case p.Citizen.ExternalID == "fan":
				list = &p
			}
		}
		if self == nil || self.PictureHash == "" || !strings.Contains(self.Text, "恭喜您获评2026年度十佳服务明星") {
			t.Errorf("a star of the year gets %+v", self)
		}
		if list == nil || list.PictureHash != "" || !strings.Contains(list.Text, "1. "+year[0].Staff.Name) {
			t.Errorf("a subscriber gets %+v", list)
		}
		if got := art.stars[len(art.stars)-1].Heading; !strings.HasPrefix(got, "2026年度 十佳服务明星") {
			t.Errorf("yearly poster heading %q", got)
		}
	})
}

// TestMonthlyReportChart: each scope's report carries a chart of the last twelve months against
// the target, with the windows below it, worst first.
func TestMonthlyReportChart(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		newStarFixture(t, s)
		// A poor September on W005, inside the trend.
		for i := range 6 {
			rate(t, s, "W005", "DEMO-007", 2, time.Date(2026, 9, 10+i, 10, 0, 0, 0, testenv.Shanghai), "")
		}
		art := &fakeArtist{}
		deps := testDeps(s)
		deps.Artist = art
		at := time.Date(2026, 11, 1, 9, 30, 0, 0, testenv.Shanghai)
		sch := newScheduler(t, s, nil, jobs.Catalog(deps), func() time.Time { return at })
		runJob(t, sch, jobs.MonthlyReport, "", at, false)
		if len(art.reports) != 1 {
			t.Fatalf("charts drawn %d, want one for the demo center's supervisor", len(art.reports))
		}
		r := art.reports[0]
		if len(r.Months) != 12 || r.Months[0] != "25-11" || r.Months[11] != "26-10" || r.Target != 0.95 {
			t.Fatalf("months %v, target %v", r.Months, r.Target)
		}
		if fmt.Sprintf("%.2f", r.Rates[10]) != "0.00" || r.Rates[11] < 0.9 {
			t.Errorf("rates %v: want September at 0 and October high", r.Rates)
		}
		for i := 1; i < len(r.Below); i++ {
			if r.Below[i].Rate < r.Below[i-1].Rate {
				t.Errorf("windows below target not worst first: %+v", r.Below)
			}
		}
		for _, p := range queued(t, s, jobs.KindMonthlyReport) {
			if p.PictureHash == "" {
				t.Errorf("report to %s without its chart", p.Citizen.ExternalID)
			}
		}
	})
}
