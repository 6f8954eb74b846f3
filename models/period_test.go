package models_test

import (
	"testing"
	"time"

	"windowbot/internal/testenv"
	"windowbot/models"
)

func TestPeriods(t *testing.T) {
	loc := testenv.Shanghai
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, loc) }
	for _, tc := range []struct {
		name     string
		p        models.Period
		from, to time.Time
		key      string
	}{
		{"a month", models.MonthPeriod(2026, time.November, loc), day(2026, 11, 1), day(2026, 12, 1), "2026-11"},
		{"December ends with the year", models.MonthPeriod(2026, time.December, loc), day(2026, 12, 1), day(2027, 1, 1), "2026-12"},
		{"the month before January", models.MonthPeriod(2027, time.January-1, loc), day(2026, 12, 1), day(2027, 1, 1), "2026-12"},
		{"a year", models.YearPeriod(2026, loc), day(2026, 1, 1), day(2027, 1, 1), "2026"},
		// Found by FuzzPeriodKey: a year before 1000 has four digits in its key, as it is read.
		{"an early year", models.YearPeriod(999, loc), day(999, 1, 1), day(1000, 1, 1), "0999"},
		{"an early month", models.MonthPeriod(999, time.March, loc), day(999, 3, 1), day(999, 4, 1), "0999-03"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.p.From.Equal(tc.from) || !tc.p.To.Equal(tc.to) || tc.p.From.Location() != loc || tc.p.Key() != tc.key {
				t.Fatalf("period = %v – %v %q, want %v – %v %q", tc.p.From, tc.p.To, tc.p.Key(), tc.from, tc.to, tc.key)
			}
			back, err := models.ParsePeriodKey(tc.key, loc)
			if err != nil || back != tc.p {
				t.Fatalf("ParsePeriodKey(%q) = %+v, %v; want %+v", tc.key, back, err, tc.p)
			}
		})
	}
	// The key is strict: the chat's ways of writing a month are not keys.
	for _, s := range []string{"", "2026-1", "2026-13", "2026/11", "2026.11", "2026年", "2026年11月", "11月", "26", "2026-11-01", " 2026"} {
		if p, err := models.ParsePeriodKey(s, loc); err == nil {
			t.Errorf("ParsePeriodKey(%q) = %+v, want an error", s, p)
		}
	}
}
