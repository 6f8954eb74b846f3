package models

import (
	"testing"
	"time"
)

func chinaCalendar(t *testing.T, loc *time.Location) *Calendar {
	t.Helper()
	c, err := NewCalendar(loc, ChinaHolidays2026, ChinaWorkdays2026)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCalendarWeekdaysOfTheNotice(t *testing.T) {
	// Guards the shipped list against typos: every holiday is a weekday, every worked day a weekend.
	for _, d := range ChinaHolidays2026 {
		day, _ := time.Parse(time.DateOnly, d)
		if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
			t.Errorf("holiday %s falls on %s: weekend days need not be listed", d, wd)
		}
	}
	if _, err := NewCalendar(time.UTC, nil, []string{"2026-11-24"}); err == nil {
		t.Error("a Tuesday accepted as an adjusted working day")
	}
	if _, err := NewCalendar(time.UTC, []string{"2026-13-01"}, nil); err == nil {
		t.Error("a bad date accepted")
	}
}

func TestCalendarDeadline(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	c := chinaCalendar(t, sh)
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, sh)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name string
		from string
		n    int
		due  string // the date whose end is the deadline
	}{
		{"call-back next working day", "2026-11-23 10:00", 1, "2026-11-24"},
		{"friday evening rolls over the weekend", "2026-11-27 20:00", 1, "2026-11-30"},
		{"filed on a sunday", "2026-11-29 09:00", 1, "2026-11-30"},
		{"fifteen working days", "2026-11-23 10:00", 15, "2026-12-14"},
		{"across the new year holiday", "2026-12-31 16:00", 1, "2027-01-04"},
		{"fifteen days across the new year", "2026-12-21 09:00", 15, "2027-01-12"},
		{"adjusted saturday before spring festival counts", "2026-02-13 10:00", 1, "2026-02-14"},
		{"spring festival week is skipped", "2026-02-14 10:00", 1, "2026-02-24"},
		{"adjusted saturday after spring festival", "2026-02-27 10:00", 1, "2026-02-28"},
		{"national day: adjusted sunday 20 Sep", "2026-09-18 10:00", 1, "2026-09-20"},
		{"national day week skipped, adjusted 10 Oct counts", "2026-09-30 10:00", 2, "2026-10-09"},
		{"adjusted saturday 10 Oct", "2026-10-09 10:00", 1, "2026-10-10"},
		{"may day", "2026-04-30 10:00", 1, "2026-05-06"},
		{"same day when n is 0", "2026-11-23 10:00", 0, "2026-11-23"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.Deadline(at(tt.from), tt.n)
			want := at(tt.due+" 00:00").AddDate(0, 0, 1).Add(-time.Nanosecond)
			if !got.Equal(want) {
				t.Fatalf("Deadline(%s, %d) = %s, want end of %s", tt.from, tt.n, got, tt.due)
			}
		})
	}
}

func TestCalendarTimeZones(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	c := chinaCalendar(t, sh)
	// 2026-11-27 17:00 UTC is already Saturday 01:00 in Shanghai: not a working day there.
	utc := time.Date(2026, 11, 27, 17, 0, 0, 0, time.UTC)
	if c.IsWorkday(utc) {
		t.Fatal("Saturday in Shanghai counted as a working day because the instant is Friday in UTC")
	}
	due := c.Deadline(utc, 1)
	if want := time.Date(2026, 11, 30, 23, 59, 59, 999999999, sh); !due.Equal(want) {
		t.Fatalf("deadline %s, want %s", due, want)
	}
	if due.Location() != sh {
		t.Fatalf("deadline in %s, want the calendar's zone", due.Location())
	}
}

func TestCalendarWorkdaysLate(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	c := chinaCalendar(t, sh)
	due := c.Deadline(time.Date(2026, 11, 26, 10, 0, 0, 0, sh), 1) // end of Fri 27 Nov
	tests := []struct {
		now  time.Time
		late int
	}{
		{time.Date(2026, 11, 27, 18, 0, 0, 0, sh), 0},
		{time.Date(2026, 11, 28, 9, 0, 0, 0, sh), 0}, // Saturday: late, but no working day missed yet
		{time.Date(2026, 11, 30, 9, 0, 0, 0, sh), 1},
		{time.Date(2026, 12, 2, 9, 0, 0, 0, sh), 3},
	}
	for _, tt := range tests {
		if got := c.WorkdaysLate(due, tt.now); got != tt.late {
			t.Errorf("WorkdaysLate(%s) = %d, want %d", tt.now, got, tt.late)
		}
	}
	if got := c.NextWorkday(time.Date(2026, 9, 30, 12, 0, 0, 0, sh)); got.Format(time.DateOnly) != "2026-10-08" {
		t.Errorf("NextWorkday after 30 Sep = %s", got)
	}
	if got := c.PrevWorkday(time.Date(2026, 2, 24, 12, 0, 0, 0, sh)); got.Format(time.DateOnly) != "2026-02-14" {
		t.Errorf("PrevWorkday before 24 Feb = %s", got)
	}
}
