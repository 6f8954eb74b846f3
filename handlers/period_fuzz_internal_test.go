package handlers

import (
	"strings"
	"testing"
	"time"

	"windowbot/internal/text"
	"windowbot/models"
)

// FuzzChatPeriod reads any period argument of a chat command (/stats, /rank, /star, /mystats)
// with parsePeriod, in both languages, at a fixed moment in Shanghai. It holds that a period
// read is a whole calendar month or year in the hall's zone, with a name; that the period
// printed — as its key (2026-11, 2026) and as its Chinese name (2026年11月, 2026年) — reads back
// as the same period; and that spaces around it and full-width digits (２０２６年１１月, typed by
// a Chinese input method) read as the plain ASCII argument does.
func FuzzChatPeriod(f *testing.F) {
	for _, s := range []string{"", "month", "LAST", "year", "本月", "上月", "今年", "2026-11", "2026/1", "2026.12",
		"2026年11月", "2026年", "2026", "11月", "1月", "13月", "0999-11", "1999", "2201", "２０２６年１１月", "１１月", " 2026-11 ", "2026-00"} {
		f.Add(s, false)
	}
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, loc)
	same := func(a, b period) bool { return a.From.Equal(b.From) && a.To.Equal(b.To) && a.Year == b.Year }
	f.Fuzz(func(t *testing.T, s string, english bool) {
		lang := text.ZH
		if english {
			lang = text.EN
		}
		p, ok := parsePeriod(lang, s, now, loc)
		if q, qok := parsePeriod(lang, models.FoldWidth(strings.TrimSpace(s)), now, loc); qok != ok || (ok && !same(p, q)) {
			t.Fatalf("%q reads as %v %v, but folded and trimmed as %v %v", s, p.Period, ok, q.Period, qok)
		}
		if !ok {
			return
		}
		from := p.From.In(loc)
		want := from.AddDate(0, 1, 0)
		if p.Year {
			want = from.AddDate(1, 0, 0)
		}
		if from.Day() != 1 || from.Hour() != 0 || from.Minute() != 0 || from.Second() != 0 || from.Nanosecond() != 0 ||
			(p.Year && from.Month() != time.January) || !p.To.Equal(want) || p.label == "" {
			t.Fatalf("%q reads as %v – %v (year %v, %q): not a calendar month or year", s, p.From, p.To, p.Year, p.label)
		}
		for _, printed := range []string{p.Key(), p.label, label(text.ZH, p)} {
			if printed == p.label && lang != text.ZH {
				continue // the English name is output only: "Nov 2026" is not read
			}
			if q, ok := parsePeriod(lang, printed, now, loc); !ok || !same(p, q) {
				t.Fatalf("%q reads as %v, printed %q reads as %v %v", s, p.Period, printed, q.Period, ok)
			}
		}
	})
}

// label names p in lang as the chat does.
func label(lang string, p period) string {
	if p.Year {
		return yearOf(lang, p.From.Year(), p.From.Location()).label
	}
	return monthOf(lang, p.From.Year(), p.From.Month(), p.From.Location()).label
}

// TestParsePeriodFoldsAndBoundsYears (found by FuzzChatPeriod): a period typed in full-width
// digits or with spaces around it reads as the ASCII one, and a month of a year outside
// 2000–2200 is refused, as a year alone is: "999年11月", its name, would not read back.
func TestParsePeriodFoldsAndBoundsYears(t *testing.T) {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, loc)
	nov := models.MonthPeriod(2026, time.November, loc)
	for _, s := range []string{"２０２６年１１月", "２０２６－１１", "１１月", " 2026-11 ", "\u30002026年11月"} {
		if p, ok := parsePeriod(text.ZH, s, now, loc); !ok || !p.From.Equal(nov.From) || !p.To.Equal(nov.To) || p.Year {
			t.Errorf("parsePeriod(%q) = %v, %v; want November 2026", s, p.Period, ok)
		}
	}
	for _, s := range []string{"0999-11", "1999年12月", "2201-01", "0000-01"} {
		if p, ok := parsePeriod(text.ZH, s, now, loc); ok {
			t.Errorf("parsePeriod(%q) = %v (%s), want refused", s, p.Period, p.label)
		}
	}
}
