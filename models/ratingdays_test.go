package models_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"windowbot/internal/testenv"
	"windowbot/models"
)

// naiveTallies counts [from, to) from the ratings themselves, the query of the tallies before
// the daily counts.
func naiveTallies(t *testing.T, s *models.Store, staff bool, from, to time.Time) []models.Tally {
	t.Helper()
	var rows []struct {
		ID, CenterID       uint
		L1, L2, L3, L4, L5 int
	}
	if err := s.DB().Raw(s.TallySQL(staff), from.UTC(), to.UTC(), false).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := make([]models.Tally, 0, len(rows))
	for _, r := range rows {
		out = append(out, models.Tally{ID: r.ID, CenterID: r.CenterID, ByLevel: [5]int{r.L1, r.L2, r.L3, r.L4, r.L5}})
	}
	return out
}

// dayRows reads a table of daily counts, leaving out rows that count nothing.
func dayRows(t *testing.T, s *models.Store, table string) []string {
	t.Helper()
	rows, err := s.DB().Raw("SELECT * FROM " + table).Rows()
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		m := map[string]any{}
		if err := s.DB().ScanRows(rows, &m); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(m["l1"], m["l2"], m["l3"], m["l4"], m["l5"]) == "0 0 0 0 0" {
			continue
		}
		day := m["day"]
		if tm, ok := day.(time.Time); ok {
			day = tm.UTC().Format(time.DateOnly)
		} else {
			day = fmt.Sprint(day)[:10]
		}
		out = append(out, fmt.Sprint(day, m["window_id"], m["staff_id"], m["l1"], m["l2"], m["l3"], m["l4"], m["l5"]))
	}
	slices.Sort(out)
	return out
}

// TestDailyCountsAgreeWithTheRatings holds the rankings' and the board's tallies, read from the
// daily counts and the partial days at the ends, to the count of the ratings themselves: over
// random ratings (some at UTC midnight, some at the hall's midnight, some in the same instant,
// staff named or not), after exclusions, a rating moved and deletions, for random periods of
// any length and alignment, by window, by staff member, and by period as the board reads them;
// and every rating by level and channel for /metrics. A recount from scratch then gives the
// very counts the triggers kept.
func TestDailyCountsAgreeWithTheRatings(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		if err := s.SeedDemo(ctx); err != nil {
			t.Fatal(err)
		}
		db := s.DB()
		var windows []models.Window
		db.Order("id").Find(&windows)
		staffOf := map[uint][]uint{}
		var staff []models.Staff
		db.Where("window_id IS NOT NULL").Find(&staff)
		for _, st := range staff {
			staffOf[*st.WindowID] = append(staffOf[*st.WindowID], st.ID)
		}
		c, err := s.TouchCitizen(ctx, "web", "counter", "zh-CN", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(12, 34))
		start := time.Date(2026, 9, 20, 0, 0, 0, 0, time.UTC)
		moment := func() time.Time {
			day := start.AddDate(0, 0, r.IntN(45))
			switch r.IntN(5) {
			case 0:
				return day // UTC midnight
			case 1:
				return day.Add(16 * time.Hour) // midnight in Shanghai
			case 2:
				return day.Add(time.Duration(r.IntN(86400)) * time.Second) // whole seconds: ties
			}
			return day.Add(time.Duration(r.Int64N(int64(24 * time.Hour))))
		}
		var ratings []models.Rating
		for range 1500 {
			w := windows[r.IntN(len(windows))]
			rt := models.Rating{WindowID: w.ID, CitizenID: c.ID, Level: 1 + r.IntN(5), Channel: []string{"web", "wechat", "telegram"}[r.IntN(3)], CreatedAt: moment()}
			if ids := staffOf[w.ID]; len(ids) > 0 && r.IntN(3) > 0 {
				rt.StaffID = &ids[r.IntN(len(ids))]
			}
			ratings = append(ratings, rt)
		}
		if err := db.CreateInBatches(ratings, 100).Error; err != nil {
			t.Fatal(err)
		}
		// Exclusions after appeals (the one change the program makes), one taken back, one
		// rating moved to another window and day, and deletions: the triggers follow each.
		for i := range 60 {
			if err := db.Model(&models.Rating{}).Where("id = ?", ratings[i*20].ID).Update("excluded", true).Error; err != nil {
				t.Fatal(err)
			}
		}
		db.Model(&models.Rating{}).Where("id = ?", ratings[40].ID).Update("excluded", false)
		db.Model(&models.Rating{}).Where("id = ?", ratings[7].ID).Updates(map[string]any{"window_id": windows[0].ID, "staff_id": nil,
			"created_at": start.AddDate(0, 0, 3), "channel": "paper", "level": 2})
		db.Where("id IN ?", []uint{ratings[3].ID, ratings[5].ID, ratings[9].ID}).Delete(&models.Rating{})

		check := func(name string, from, to time.Time) {
			t.Helper()
			for _, staff := range []bool{false, true} {
				var got []models.Tally
				var err error
				if staff {
					got, err = s.StaffTallies(ctx, from, to)
				} else {
					got, err = s.WindowTallies(ctx, from, to)
				}
				if err != nil {
					t.Fatal(err)
				}
				if want := naiveTallies(t, s, staff, from, to); !slices.Equal(got, want) {
					t.Errorf("%s [%s, %s) staff=%v:\n got %v\nwant %v", name, from, to, staff, got, want)
				}
			}
		}
		sh := testenv.Shanghai
		check("October in Shanghai", time.Date(2026, 10, 1, 0, 0, 0, 0, sh), time.Date(2026, 11, 1, 0, 0, 0, 0, sh))
		check("whole UTC days", start.AddDate(0, 0, 2), start.AddDate(0, 0, 30))
		check("everything", start.AddDate(0, 0, -1), start.AddDate(0, 0, 50))
		check("within a day", start.AddDate(0, 0, 5).Add(3*time.Hour), start.AddDate(0, 0, 5).Add(20*time.Hour))
		check("across one midnight", start.AddDate(0, 0, 5).Add(20*time.Hour), start.AddDate(0, 0, 6).Add(4*time.Hour))
		check("empty", start.AddDate(0, 0, 5), start.AddDate(0, 0, 5))
		for i := range 40 {
			from := moment().Add(-time.Duration(r.IntN(3)) * time.Hour)
			check(fmt.Sprint("random ", i), from, from.Add(time.Duration(r.Int64N(int64(30*24*time.Hour)))))
		}

		// The board's periods: months of the hall and odd ones, in one query.
		bounds := []time.Time{start.Add(-time.Hour)}
		for i := range 9 {
			bounds = append(bounds, bounds[i].Add(time.Duration(1+r.IntN(3*24*60))*time.Minute))
		}
		bounds = append(bounds, time.Date(2026, 11, 1, 0, 0, 0, 0, sh), time.Date(2026, 12, 1, 0, 0, 0, 0, sh))
		periods, err := s.WindowTalliesByPeriod(ctx, bounds)
		if err != nil {
			t.Fatal(err)
		}
		for i := range len(bounds) - 1 {
			want := naiveTallies(t, s, false, bounds[i], bounds[i+1])
			if len(want) == 0 {
				want = nil
			}
			if !slices.Equal(periods[i], want) {
				t.Errorf("period %d [%s, %s):\n got %v\nwant %v", i, bounds[i], bounds[i+1], periods[i], want)
			}
		}

		// Every rating on record, excluded ones too, by level and channel (/metrics).
		ratingCounts := func() {
			t.Helper()
			var want []models.RatingCount
			if err := db.Raw("SELECT level, channel, COUNT(*) AS n FROM ratings GROUP BY level, channel ORDER BY level, channel").Scan(&want).Error; err != nil {
				t.Fatal(err)
			}
			got, err := s.RatingCounts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) < 10 || !slices.Equal(got, want) {
				t.Errorf("rating counts:\n got %v\nwant %v", got, want)
			}
		}
		ratingCounts()

		kept := [][]string{dayRows(t, s, "rating_window_days"), dayRows(t, s, "rating_staff_days")}
		if len(kept[0]) < 100 || len(kept[1]) < 100 {
			t.Fatalf("daily counts hold %d and %d rows", len(kept[0]), len(kept[1]))
		}
		if err := s.RecountRatingDays(ctx); err != nil {
			t.Fatal(err)
		}
		for i, table := range []string{"rating_window_days", "rating_staff_days"} {
			if got := dayRows(t, s, table); !slices.Equal(got, kept[i]) {
				t.Errorf("%s recounted differs from what the triggers kept:\n got %v\nwant %v", table, got, kept[i])
			}
		}
		ratingCounts()
	})
}
