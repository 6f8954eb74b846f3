package models

import (
	"fmt"
	"time"
)

// Period is a calendar month or year in the hall's zone: what was created in [From, To) belongs
// to it. Reports, rankings and statistics count by periods; the chat and the admin API only
// read them differently.
type Period struct {
	From, To time.Time
	// Year is set for a whole year, clear for a month.
	Year bool
}

// MonthPeriod is the month of year in loc. A month outside 1–12 rolls into the year around it
// (month 0 is the December before), so "the month before" needs no special case.
func MonthPeriod(year int, month time.Month, loc *time.Location) Period {
	from := time.Date(year, month, 1, 0, 0, 0, 0, loc)
	return Period{From: from, To: from.AddDate(0, 1, 0)}
}

// YearPeriod is the calendar year in loc.
func YearPeriod(year int, loc *time.Location) Period {
	from := time.Date(year, time.January, 1, 0, 0, 0, 0, loc)
	return Period{From: from, To: from.AddDate(1, 0, 0), Year: true}
}

// Key names the period the way the jobs and the admin API do: 2026-11 for a month, 2026 for a
// year.
func (p Period) Key() string {
	if p.Year {
		return fmt.Sprintf("%04d", p.From.Year()) // four digits, as ParsePeriodKey reads it (0999)
	}
	return p.From.Format("2006-01")
}

// ParsePeriodKey reads a Key in loc: exactly YYYY-MM (two-digit month) or YYYY.
func ParsePeriodKey(s string, loc *time.Location) (Period, error) {
	if len(s) == len("2006") {
		if t, err := time.ParseInLocation("2006", s, loc); err == nil {
			return YearPeriod(t.Year(), loc), nil
		}
	}
	if len(s) == len("2006-01") {
		if t, err := time.ParseInLocation("2006-01", s, loc); err == nil {
			return MonthPeriod(t.Year(), t.Month(), loc), nil
		}
	}
	return Period{}, fmt.Errorf("models: period %q is not a month such as 2026-11 or a year such as 2026", s)
}
