package models

import (
	"slices"
	"strings"
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

// notice2026 is the State Council's notice on the 2026 holiday arrangements
// (国务院办公厅关于2026年部分节假日安排的通知, 4 November 2025), written out by hand from its
// text and not from ChinaHolidays2026: each holiday as the whole stretch of days off the notice
// gives, weekends included, and the weekend days it makes working days.
var notice2026 = []struct {
	name     string
	off      [2]string // first and last day off
	worked   []string  // weekend days worked (上班)
	weekdays int       // how many of the days off fall on Monday to Friday
}{
	{"元旦: 1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。", [2]string{"2026-01-01", "2026-01-03"}, []string{"2026-01-04"}, 2},
	{"春节: 2月15日（周日）至23日（周一）放假调休，共9天。2月14日（周六）、2月28日（周六）上班。", [2]string{"2026-02-15", "2026-02-23"}, []string{"2026-02-14", "2026-02-28"}, 6},
	{"清明节: 4月4日（周六）至6日（周一）放假，共3天。", [2]string{"2026-04-04", "2026-04-06"}, nil, 1},
	{"劳动节: 5月1日（周五）至5日（周二）放假调休，共5天。5月9日（周六）上班。", [2]string{"2026-05-01", "2026-05-05"}, []string{"2026-05-09"}, 3},
	{"端午节: 6月19日（周五）至21日（周日）放假，共3天。", [2]string{"2026-06-19", "2026-06-21"}, nil, 1},
	{"中秋节: 9月25日（周五）至27日（周日）放假，共3天。", [2]string{"2026-09-25", "2026-09-27"}, nil, 1},
	{"国庆节: 10月1日（周四）至7日（周三）放假调休，共7天。9月20日（周日）、10月10日（周六）上班。", [2]string{"2026-10-01", "2026-10-07"}, []string{"2026-09-20", "2026-10-10"}, 5},
}

// TestCalendarFollowsTheNotice2026 asks the shipped calendar about every day of 2026: a day the
// notice gives off is not a working day, a weekend day it makes worked is one, and every other
// day is a working day exactly when it is Monday to Friday. A date of the shipped lists moved,
// dropped or added by a day fails here with the notice's sentence.
func TestCalendarFollowsTheNotice2026(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	c := chinaCalendar(t, sh)
	parse := func(s string) time.Time {
		d, err := time.ParseInLocation(time.DateOnly, s, sh)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	why := map[string]string{} // date → the notice's sentence that decides it
	off := map[string]bool{}
	for _, h := range notice2026 {
		weekdays := 0
		for d := parse(h.off[0]); !d.After(parse(h.off[1])); d = d.AddDate(0, 0, 1) {
			key := d.Format(time.DateOnly)
			off[key], why[key] = true, h.name
			if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
				weekdays++
			}
		}
		if weekdays != h.weekdays { // guards the hand-written table itself against a typo
			t.Errorf("%s: %d weekdays off in the table, the notice's stretch has %d", h.name, h.weekdays, weekdays)
		}
		for _, w := range h.worked {
			if wd := parse(w).Weekday(); wd != time.Saturday && wd != time.Sunday {
				t.Errorf("%s: worked day %s is a %s in the table", h.name, w, wd)
			}
			why[w] = h.name
		}
	}
	worked := map[string]bool{}
	for _, h := range notice2026 {
		for _, w := range h.worked {
			worked[w] = true
		}
	}
	workdays := 0
	for d := parse("2026-01-01"); d.Year() == 2026; d = d.AddDate(0, 0, 1) {
		key := d.Format(time.DateOnly)
		wd := d.Weekday()
		want := (wd != time.Saturday && wd != time.Sunday && !off[key]) || worked[key]
		// At several hours of the day, so a day boundary taken in the wrong zone shows too.
		for _, h := range []int{0, 7, 12, 23} {
			at := d.Add(time.Duration(h)*time.Hour + 30*time.Minute)
			if got := c.IsWorkday(at); got != want {
				reason := why[key]
				if reason == "" {
					reason = "an ordinary " + wd.String()
				}
				t.Errorf("%s %02d:30 (%s): working day %v, want %v — %s", key, h, wd, got, want, reason)
			}
		}
		if want {
			workdays++
		}
	}
	// 2026 has 261 weekdays; the notice takes 19 of them off and adds 6 weekend days.
	if workdays != 248 {
		t.Errorf("the table gives %d working days in 2026, want 248", workdays)
	}
	// New Year's Day 2027 is the only 2027 date shipped: a statutory holiday every year.
	if c.IsWorkday(parse("2027-01-01")) || !c.IsWorkday(parse("2026-12-31")) || !c.IsWorkday(parse("2027-01-04")) {
		t.Error("the turn of 2026 to 2027: want 31 Dec and 4 Jan working, 1 Jan off")
	}
}

// TestCalendarShippedListsMatchTheNotice checks the lists themselves against the notice table:
// exactly the weekdays off, exactly the weekend days worked, and no date twice.
func TestCalendarShippedListsMatchTheNotice(t *testing.T) {
	var wantOff, wantWorked []string
	for _, h := range notice2026 {
		first, _ := time.Parse(time.DateOnly, h.off[0])
		last, _ := time.Parse(time.DateOnly, h.off[1])
		for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
			if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
				wantOff = append(wantOff, d.Format(time.DateOnly))
			}
		}
		wantWorked = append(wantWorked, h.worked...)
	}
	wantOff = append(wantOff, "2027-01-01")
	sorted := func(s []string) string { s = slices.Clone(s); slices.Sort(s); return strings.Join(s, " ") }
	if got, want := sorted(ChinaHolidays2026), sorted(wantOff); got != want {
		t.Errorf("ChinaHolidays2026 = %s\nwant %s", got, want)
	}
	if got, want := sorted(ChinaWorkdays2026), sorted(wantWorked); got != want {
		t.Errorf("ChinaWorkdays2026 = %s\nwant %s", got, want)
	}
	for _, l := range [][]string{ChinaHolidays2026, ChinaWorkdays2026} {
		if len(slices.Compact(slices.Sorted(slices.Values(l)))) != len(l) {
			t.Errorf("a date is listed twice: %v", l)
		}
	}
}
