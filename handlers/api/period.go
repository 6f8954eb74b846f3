package api

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"windowbot/models"
)

// The admin API reads time in two forms, both strict: a span of dates (?from=&to=) for lists and
// a window's statistics, and a calendar period (?period=) for the statistics of every center.
// Neither accepts the chat's wordings (本月, 11月, 2026年): a script that sends a typo gets 400,
// not another month.

// dates reads ?from=&to= as dates (2006-01-02, in the hall's zone; to is inclusive) or RFC 3339
// times. A missing bound is zero: open, from the first record or until now.
func (a *Admin) dates(r *http.Request) (from, to time.Time, err error) {
	parse := func(s string, end bool) (time.Time, error) {
		if s == "" {
			return time.Time{}, nil
		}
		t, err := time.ParseInLocation(time.DateOnly, s, a.loc)
		if err == nil && end {
			t = t.AddDate(0, 0, 1)
		} else if err != nil {
			if t, err = time.Parse(time.RFC3339, s); err != nil {
				return time.Time{}, errors.New("from/to must be YYYY-MM-DD or RFC 3339")
			}
		}
		// A bound is written back in the answer, and JSON has no year past 9999 (to=9999-12-31
		// ends at the start of year 10000).
		if t.Year() < 1 || t.Year() > 9999 {
			return time.Time{}, errors.New("from/to must be between 0001-01-01 and 9999-12-30")
		}
		return t, nil
	}
	if from, err = parse(r.URL.Query().Get("from"), false); err != nil {
		return
	}
	to, err = parse(r.URL.Query().Get("to"), true)
	return
}

// calendarPeriod reads ?period= at now: 2026-11 (a month), 2026 (a year), month (the current
// one, also when absent), last (the month before) or year (the current one).
func (a *Admin) calendarPeriod(r *http.Request, now time.Time) (models.Period, error) {
	n := now.In(a.loc)
	switch raw := r.URL.Query().Get("period"); strings.ToLower(raw) {
	case "", "month":
		return models.MonthPeriod(n.Year(), n.Month(), a.loc), nil
	case "last":
		return models.MonthPeriod(n.Year(), n.Month()-1, a.loc), nil
	case "year":
		return models.YearPeriod(n.Year(), a.loc), nil
	default:
		p, err := models.ParsePeriodKey(raw, a.loc)
		if err != nil {
			return models.Period{}, badRequest("period must be YYYY-MM, YYYY, month, last or year")
		}
		return p, nil
	}
}
