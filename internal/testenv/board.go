package testenv

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"windowbot/models"
)

// BoardCenter is the second center SeedBoard adds next to the demo center, with its windows
// E001–E004; E004 is never rated.
const BoardCenter = "EAST"

const boardWindowsCSV = models.WindowsCSVHeader + `
EAST,东城便民服务中心,E001,社保医保,人力资源和社会保障局
EAST,东城便民服务中心,E002,户籍办理,公安局
EAST,东城便民服务中心,E003,民政事务,民政局
EAST,东城便民服务中心,E004,残疾人服务,残联
`

const boardStaffCSV = models.StaffCSVHeader + `
EAST-001,孙悦,E001,staff
EAST-002,周杰,E002,staff
EAST-003,吴敏,E003,staff
`

// boardQuality is each rated window's share of bad (levels 1–2) and of merely basic (3) ratings,
// in thousandths, and how many ratings it gets a month: different enough that a ranking has
// something to rank. W005 gets too few to be ranked.
var boardQuality = map[string]struct{ bad, basic, perMonth int }{
	"W001": {8, 40, 46}, "W002": {30, 60, 38}, "W003": {15, 50, 52}, "W004": {55, 70, 30}, "W005": {10, 30, 9},
	"E001": {20, 50, 41}, "E002": {40, 80, 27}, "E003": {5, 20, 24},
}

// SeedBoard fills a demo store (OpenDemoStore) with what the public board shows, as a hall
// would have it at now: a second center (BoardCenter), ratings of the thirteen months up to now
// (now's month partly), tickets handled on time and late, re-rated and still open, two published
// rectification notices and the service star of the month before now's. It returns the
// numbers of the published tickets.
func SeedBoard(t testing.TB, s *models.Store, now time.Time) []string {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Import(ctx, strings.NewReader(boardWindowsCSV), "board windows", strings.NewReader(boardStaffCSV), "board staff"); err != nil {
		t.Fatalf("testenv: seed board: %v", err)
	}
	loc := now.Location()
	rater, err := s.TouchCitizen(ctx, "web", "board-rater", "zh-CN", now)
	if err != nil {
		t.Fatalf("testenv: seed board: %v", err)
	}
	channels := []string{"web", "wechat", "telegram"}
	seed := uint32(7)
	next := func(n int) int { // a small deterministic generator, so pages and screenshots repeat
		seed = seed*1664525 + 1013904223
		return int(seed>>8) % n
	}
	var ratings []models.Rating
	codes := slices.Sorted(maps.Keys(boardQuality))
	for _, code := range codes {
		q := boardQuality[code]
		w, err := s.WindowByCode(ctx, code)
		if err != nil {
			t.Fatalf("testenv: seed board: %v", err)
		}
		var staff []models.Staff
		if err := DB(t, s).Where("window_id = ? AND role = ?", w.ID, models.RoleStaff).Order("id").Find(&staff).Error; err != nil {
			t.Fatalf("testenv: seed board: %v", err)
		}
		for m := 12; m >= 0; m-- {
			from := time.Date(now.Year(), now.Month()-time.Month(m), 1, 8, 0, 0, 0, loc)
			span := from.AddDate(0, 1, 0).Sub(from)
			if m == 0 {
				span = now.Sub(from)
			}
			n := q.perMonth + next(9)
			if m == 0 {
				n = max(1, n*int(span/time.Hour)/(30*24))
				if code == "W005" {
					n = min(n, 6)
				}
			}
			// Seasonal drift: early months a little worse, so the trend is not flat.
			bad := q.bad + (m%4)*6
			for range n {
				p := next(1000)
				level := 4 + next(2)
				switch {
				case p < bad:
					level = 1 + next(2)
				case p < bad+q.basic:
					level = 3
				}
				r := models.Rating{WindowID: w.ID, CitizenID: rater.ID, Level: level, Channel: channels[next(len(channels))],
					CreatedAt: from.Add(time.Duration(next(int(span/time.Minute))) * time.Minute).UTC()}
				if len(staff) > 0 {
					r.StaffID = &staff[next(len(staff))].ID
				}
				ratings = append(ratings, r)
			}
		}
	}
	if err := DB(t, s).CreateInBatches(ratings, 500).Error; err != nil {
		t.Fatalf("testenv: seed board ratings: %v", err)
	}

	// Tickets: finished on time and re-rated, finished late, turned down, open and overdue.
	admin := models.Actor{Role: models.RoleAdmin}
	fixes := []struct {
		window, category, plan, result, rerate string
		late, publish                          bool
	}{
		{"W002", "attitude", "窗口人员服务礼仪培训，每日晨会提醒文明用语", "已完成全员培训，窗口设置服务评价提醒牌", models.RerateSatisfied, false, true},
		{"W004", "efficiency", "增设企业开办帮办专员，高峰时段增开窗口", "已增设帮办专员2名，平均等候时间缩短至15分钟", models.RerateBasic, false, true},
		{"E002", "capability", "梳理户籍业务一次性告知清单", "清单已上墙并在政务网站和窗口同步公布", models.RerateUnsatisfied, false, false},
		{"W003", "conduct", "约谈当事人，纳入月度考核", "已约谈当事人并在全中心通报批评", "", true, false},
		{"E001", "efficiency", "优化叫号流程", "已调整叫号系统，高峰时段自动分流", models.RerateSatisfied, false, false},
	}
	var published []string
	for i, f := range fixes {
		w, err := s.WindowByCode(ctx, f.window)
		if err != nil {
			t.Fatalf("testenv: seed board: %v", err)
		}
		c, err := s.TouchCitizen(ctx, "web", fmt.Sprint("board-complainer-", i), "zh-CN", now)
		if err != nil {
			t.Fatalf("testenv: seed board: %v", err)
		}
		opened := now.AddDate(0, 0, -40+i*3)
		tk, err := s.CreateComplaint(ctx, models.NewComplaint{CitizenID: c.ID, WindowID: &w.ID, Category: f.category,
			Description: "（测试数据）", Channel: "web", At: opened})
		if err != nil {
			t.Fatalf("testenv: seed board complaint: %v", err)
		}
		done := opened.AddDate(0, 0, 3)
		if f.late {
			done = tk.RectifyDue.Add(48 * time.Hour)
		}
		steps := []models.Change{
			{Action: models.ActAccept, Actor: admin, At: opened.Add(2 * time.Hour)},
			{Action: models.ActPlan, Actor: admin, Note: f.plan, At: opened.Add(4 * time.Hour)},
			{Action: models.ActDone, Actor: admin, Note: f.result, At: done.Add(-time.Hour)},
			{Action: models.ActApprove, Actor: admin, At: done},
		}
		if f.rerate != "" {
			steps = append(steps, models.Change{Action: models.ActRerate, Outcome: f.rerate,
				Actor: models.Actor{Role: models.RoleCitizen, CitizenID: c.ID}, At: done.Add(24 * time.Hour)})
		}
		if f.publish {
			steps = append(steps, models.Change{Action: models.ActPublish, Actor: admin, At: done.Add(48 * time.Hour)})
		}
		for _, ch := range steps {
			if _, _, err := s.Transition(ctx, tk.No, ch); err != nil {
				t.Fatalf("testenv: seed board %s %s: %v", tk.No, ch.Action, err)
			}
		}
		if f.publish {
			published = append(published, tk.No)
		}
	}
	for i, code := range []string{"W004", "E002"} { // open, and overdue by now
		w, _ := s.WindowByCode(ctx, code)
		c, err := s.TouchCitizen(ctx, "web", fmt.Sprint("board-open-", i), "zh-CN", now)
		if err != nil {
			t.Fatalf("testenv: seed board: %v", err)
		}
		if _, err := s.CreateComplaint(ctx, models.NewComplaint{CitizenID: c.ID, WindowID: &w.ID, Category: models.CategoryNotDone,
			Description: "（测试数据）", Channel: "wechat", At: now.AddDate(0, 0, -3-30*i)}); err != nil {
			t.Fatalf("testenv: seed board: %v", err)
		}
	}

	// The star of the month before, as the monthly-star job stores it.
	prev := models.MonthPeriod(now.Year(), now.Month()-1, loc)
	star, err := s.StaffByNo(ctx, "DEMO-001")
	if err != nil {
		t.Fatalf("testenv: seed board: %v", err)
	}
	if err := DB(t, s).Create(&models.ServiceStar{Period: prev.Key(), CenterID: *centerOf(t, s, star), StaffID: star.ID, WindowID: star.WindowID,
		Ratings: 48, SatisfactionRate: 0.979, GoodRate: 0.938, Score: 0.971, CreatedAt: prev.To}).Error; err != nil {
		t.Fatalf("testenv: seed board star: %v", err)
	}
	return published
}

// centerOf returns the center of a staff member's window.
func centerOf(t testing.TB, s *models.Store, st *models.Staff) *uint {
	t.Helper()
	var w models.Window
	if err := DB(t, s).First(&w, *st.WindowID).Error; err != nil {
		t.Fatalf("testenv: window of %s: %v", st.StaffNo, err)
	}
	return &w.CenterID
}
