package models

import (
	"fmt"
	"time"
)

// Calendar says which days are working days in a service hall: Monday to Friday, except public
// holidays, plus the adjusted working weekends (调休上班) of the Chinese calendar. Deadlines of
// tickets are counted on it.
type Calendar struct {
	loc      *time.Location
	holidays map[string]bool
	workdays map[string]bool
}

// NewCalendar returns a calendar in loc. holidays are days off that would be working days;
// workdays are weekend days that are worked. Both are dates as 2006-01-02.
func NewCalendar(loc *time.Location, holidays, workdays []string) (*Calendar, error) {
	if loc == nil {
		loc = time.UTC
	}
	c := &Calendar{loc: loc, holidays: map[string]bool{}, workdays: map[string]bool{}}
	for _, d := range holidays {
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			return nil, fmt.Errorf("calendar: holiday %q: %w", d, err)
		}
		c.holidays[d] = true
	}
	for _, d := range workdays {
		t, err := time.Parse(time.DateOnly, d)
		if err != nil {
			return nil, fmt.Errorf("calendar: adjusted working day %q: %w", d, err)
		}
		if wd := t.Weekday(); wd != time.Saturday && wd != time.Sunday {
			return nil, fmt.Errorf("calendar: adjusted working day %s is a %s, not a weekend day", d, wd)
		}
		if c.holidays[d] {
			return nil, fmt.Errorf("calendar: %s is both a holiday and an adjusted working day", d)
		}
		c.workdays[d] = true
	}
	return c, nil
}

// Location is the calendar's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// IsWorkday reports whether the day containing t (in the calendar's zone) is a working day.
func (c *Calendar) IsWorkday(t time.Time) bool {
	t = t.In(c.loc)
	d := t.Format(time.DateOnly)
	if c.holidays[d] {
		return false
	}
	if c.workdays[d] {
		return true
	}
	wd := t.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// startOfDay is midnight of t's day in the calendar's zone.
func (c *Calendar) startOfDay(t time.Time) time.Time {
	t = t.In(c.loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, c.loc)
}

// Deadline is the end of the n-th working day after the day of from: "within n working days".
// The day of from never counts, whether or not it is a working day, so a complaint filed on a
// Friday evening or a Sunday is due at the end of the n-th working day that follows. The result
// is the last instant of that day (23:59:59.999999999 in the calendar's zone). n ≤ 0 is the end
// of from's own day.
func (c *Calendar) Deadline(from time.Time, n int) time.Time {
	day := c.startOfDay(from)
	for n > 0 {
		day = day.AddDate(0, 0, 1)
		if c.IsWorkday(day) {
			n--
		}
	}
	return day.AddDate(0, 0, 1).Add(-time.Nanosecond)
}

// WorkdaysLate counts the working days after deadline up to and including now's day: 0 while
// the deadline has not passed, 1 on the first working day after it, and so on.
func (c *Calendar) WorkdaysLate(deadline, now time.Time) int {
	if !now.After(deadline) {
		return 0
	}
	n := 0
	for day := c.startOfDay(deadline).AddDate(0, 0, 1); !day.After(now); day = day.AddDate(0, 0, 1) {
		if c.IsWorkday(day) {
			n++
		}
	}
	return n
}

// NextWorkday returns the start of the first working day after t's day.
func (c *Calendar) NextWorkday(t time.Time) time.Time {
	day := c.startOfDay(t).AddDate(0, 0, 1)
	for !c.IsWorkday(day) {
		day = day.AddDate(0, 0, 1)
	}
	return day
}

// PrevWorkday returns the start of the last working day before t's day.
func (c *Calendar) PrevWorkday(t time.Time) time.Time {
	day := c.startOfDay(t).AddDate(0, 0, -1)
	for !c.IsWorkday(day) {
		day = day.AddDate(0, 0, -1)
	}
	return day
}

// ChinaHolidays2026 and ChinaWorkdays2026 are the State Council's 2026 holiday arrangement
// (国务院办公厅关于2026年部分节假日安排的通知, 4 November 2025): the days off that fall on
// weekdays, and the weekend days that are worked. 2027-01-01 is added because New Year's Day is
// a statutory holiday every year; the rest of 2027 goes into the configuration once announced.
var (
	ChinaHolidays2026 = []string{
		"2026-01-01", "2026-01-02", // 元旦 (1–3 Jan; the 3rd is a Saturday)
		"2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20", "2026-02-23", // 春节 15–23 Feb
		"2026-04-06",                             // 清明 4–6 Apr
		"2026-05-01", "2026-05-04", "2026-05-05", // 劳动节 1–5 May
		"2026-06-19",                                                         // 端午 19–21 Jun
		"2026-09-25",                                                         // 中秋 25–27 Sep
		"2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07", // 国庆 1–7 Oct
		"2027-01-01", // 元旦
	}
	ChinaWorkdays2026 = []string{
		"2026-01-04",               // Sunday worked for 元旦
		"2026-02-14", "2026-02-28", // Saturdays worked for 春节
		"2026-05-09",               // Saturday worked for 劳动节
		"2026-09-20", "2026-10-10", // Sunday and Saturday worked for 国庆
	}
)
