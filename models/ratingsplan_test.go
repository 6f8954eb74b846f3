package models_test

import (
	"strings"
	"testing"
	"time"

	"windowbot/internal/testenv"
	"windowbot/models"
)

// TestRatingsPageIsARange checks that on SQLite a page of the ratings listing (the CSV export's
// keyset paging) starts from an index in the listing's order. SQLite's planner, left to itself on
// a province's data, started from the centers and sorted the whole remaining period for each
// page of 1,000: a month's export took 336 s instead of 10 (docs/benchmarks.md).
func TestRatingsPageIsARange(t *testing.T) {
	s := testenv.OpenStore(t, testenv.SQLiteURL(t))
	from := time.Date(2026, 10, 1, 0, 0, 0, 0, testenv.Shanghai)
	window, staff, center := uint(7), uint(9), uint(3)
	for _, c := range []struct {
		name  string
		f     models.RatingFilter
		index string
	}{
		{"a month", models.RatingFilter{From: from, To: from.AddDate(0, 1, 0)}, "idx_rating_time_cover"},
		{"a center's month", models.RatingFilter{CenterID: &center, From: from, To: from.AddDate(0, 1, 0)}, "idx_rating_time_cover"},
		{"a window's month", models.RatingFilter{WindowID: &window, From: from, To: from.AddDate(0, 1, 0)}, "idx_rating_window_time"},
		{"a staff member's month", models.RatingFilter{StaffID: &staff, From: from, To: from.AddDate(0, 1, 0)}, "idx_rating_staff_time"},
	} {
		for _, after := range []time.Time{{}, from.Add(time.Hour)} {
			c.f.AfterAt, c.f.AfterID, c.f.Limit = after, 1, 1000
			plan := testenv.Explain(t, s, s.RatingsSQL(c.f))
			// Before the ratings only single rows may be looked up (the window of a window's
			// listing); nothing may be scanned.
			for line := range strings.SplitSeq(plan, "\n") {
				if strings.HasPrefix(line, "SEARCH ratings ") {
					if !strings.Contains(line, "USING INDEX "+c.index+" ") && !strings.Contains(line, "USING COVERING INDEX "+c.index+" ") {
						t.Errorf("%s (after %v): ratings are read by %q, want by %s:\n%s", c.name, after, line, c.index, plan)
					}
					break
				}
				if !strings.Contains(line, "USING INTEGER PRIMARY KEY (rowid=?)") {
					t.Errorf("%s (after %v): %q before the ratings:\n%s", c.name, after, line, plan)
				}
			}
			if strings.Contains(plan, "USE TEMP B-TREE FOR ORDER BY") {
				t.Errorf("%s (after %v): the plan sorts every row of the period:\n%s", c.name, after, plan)
			}
		}
	}
}
