package models_test

import (
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"

	"windowbot/models"
)

// Texts as citizens type them, for the seeds of the text targets: complaints with numbers in the
// ways people write them, and what outside testing slipped through.
var textSeeds = []string{
	"",
	"窗口人员态度冷漠，排队两个小时",
	"打我电话13812345678谢谢",
	"电话：+86 139 1234 5678。",
	"0086-138-1234-5678",
	"手机１３７-１２３４-５６７８",
	"1\u200b3\u200b8\u200b1\u200b2\u200b3\u200b4\u200b5\u200b6\u200b7\u200b8",
	"身份证 110105 19491231 002X 已提交",
	"１１０１０５１９４９１２３１００２Ｘ",
	"座机 0755 8123 4567 找王科长",
	"排队\x00两个\u202e小时\u200b",
	"差评\u202e好评\u202c \u2066x\u2069",
	"第一行\r\n第二行\r第三行\u2028第四行\t完",
	"ab\xff\xfecd",
	"很好😀👍",
	"订单号 2026112312345678901 不是电话",
}

// invisibleByUnicode is the Unicode tables' idea of an invisible character, not models' own
// list: a format character (category Cf: the bidirectional controls, the zero-width space and
// joiners, the soft hyphen, the invisible operators, tags…), except the prepended concatenation
// marks (U+0600 …), which are visible signs of Arabic numbers.
func invisibleByUnicode(r rune) bool {
	return unicode.Is(unicode.Cf, r) && !unicode.Is(unicode.Prepended_Concatenation_Mark, r)
}

// checkClean fails when s holds what cleaned text must not: bytes that are not UTF-8, a control
// character other than "\n" and "\t" (NUL and "\r" included), a line or paragraph separator, or an
// invisible character.
func checkClean(t *testing.T, in, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("clean(%q) = %q: not UTF-8", in, s)
	}
	for _, r := range s {
		switch {
		case r == '\n' || r == '\t':
		case unicode.IsControl(r), r == '\u2028', r == '\u2029':
			t.Fatalf("clean(%q) = %q holds control %U", in, s, r)
		case invisibleByUnicode(r), unicode.Is(unicode.Bidi_Control, r), unicode.Is(unicode.Join_Control, r):
			t.Fatalf("clean(%q) = %q holds invisible %U", in, s, r)
		}
	}
}

// FuzzCleanText: whatever a person sends, models.CleanText returns valid UTF-8 without NUL, other
// control characters (but "\n" and "\t"), line separators, bidirectional controls or zero-width
// characters; cleaning twice is cleaning once; nothing else changes: the output is the input with
// those characters taken out by hand (line ends made "\n"). FoldWidth of a cleaned text is still
// clean, and folding twice is folding once.
func FuzzCleanText(f *testing.F) {
	for _, s := range textSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := models.CleanText(s)
		checkClean(t, s, out)
		if again := models.CleanText(out); again != out {
			t.Fatalf("CleanText is not idempotent: %q → %q → %q", s, out, again)
		}
		var want strings.Builder
		in := strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\r\n", "\n")
		for _, r := range in {
			switch {
			case r == '\r' || r == '\u2028' || r == '\u2029':
				want.WriteRune('\n')
			case r == '\n' || r == '\t':
				want.WriteRune(r)
			case unicode.IsControl(r), invisibleByUnicode(r):
			default:
				want.WriteRune(r)
			}
		}
		if want.String() != out {
			t.Fatalf("CleanText(%q) = %q, want %q", s, out, want.String())
		}
		folded := models.FoldWidth(out)
		checkClean(t, out, folded)
		if again := models.FoldWidth(folded); again != folded {
			t.Fatalf("FoldWidth is not idempotent: %q → %q → %q", out, folded, again)
		}
	})
}

// numberSeparator: what people put between the groups of a number — spaces of every width,
// hyphens and dashes of every kind (full-width ones are folded to these first).
func numberSeparator(r rune) bool {
	switch {
	case r == ' ', r == '\u00a0', r >= '\u2000' && r <= '\u200a', r == '\u202f', r == '\u205f',
		r == '-', r >= '\u2010' && r <= '\u2015', r == '\u2212', r == '\ufe58', r == '\ufe63':
		return true
	}
	return false
}

// A mobile number (with its country code written or not) or a resident ID as one run of digits.
var (
	digitRun     = regexp.MustCompile(`[0-9]+[Xx]?`)
	mobileNumber = regexp.MustCompile(`^(?:00)?(?:86)?1[3-9][0-9]{9}$`)
	residentID   = regexp.MustCompile(`^[1-9][0-9]{16}[0-9Xx]$`)
)

// leakedNumber reads s as a person would (width folded, separators and invisible characters
// between digits ignored) and returns a mobile number or resident ID it still shows whole.
func leakedNumber(s string) string {
	var b strings.Builder
	for _, r := range width.Fold.String(s) {
		if invisibleByUnicode(r) || numberSeparator(r) {
			continue
		}
		b.WriteRune(r)
	}
	for _, run := range digitRun.FindAllString(b.String(), -1) {
		if mobileNumber.MatchString(run) || residentID.MatchString(run) {
			return run
		}
	}
	return ""
}

// maskable is what MaskPII may replace by "*": a digit, or a separator among the digits.
func maskable(r rune) bool {
	f := []rune(width.Fold.String(string(r)))
	return unicode.IsDigit(r) || (len(f) == 1 && numberSeparator(f[0]))
}

// FuzzMaskPII: models.MaskPII leaves no mobile number (13812345678, with +86, 86 or 0086 in front)
// and no resident ID readable in any spelling — spaces or hyphens between the digits, full-width
// digits, invisible characters among them. The output is checked by folding it, dropping every
// separator and invisible character and searching what is left. Masking twice is masking once;
// and nothing but digits and the separators among them changes: the output is the input without
// its invisible characters, some digits and separators replaced by "*".
func FuzzMaskPII(f *testing.F) {
	for _, s := range textSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return // MaskPII reads stored text, which the store keeps valid (cleanForStore)
		}
		out := models.MaskPII(s)
		if n := leakedNumber(out); n != "" {
			t.Fatalf("MaskPII(%q) = %q still shows %s", s, out, n)
		}
		if again := models.MaskPII(out); again != out {
			t.Fatalf("MaskPII is not idempotent: %q → %q → %q", s, out, again)
		}
		var visible []rune
		for _, r := range s {
			if !invisibleByUnicode(r) {
				visible = append(visible, r)
			}
		}
		got := []rune(out)
		if len(got) != len(visible) {
			t.Fatalf("MaskPII(%q) = %q: %d characters, want %d", s, out, len(got), len(visible))
		}
		for i, r := range got {
			if was := visible[i]; r != was && (r != '*' || !maskable(was)) {
				t.Fatalf("MaskPII(%q) = %q changed %q at %d into %q", s, out, was, i, r)
			}
		}
	})
}

// FuzzPeriodKey reads any period key as the admin API and the jobs do (models.ParsePeriodKey). A
// key read is a whole calendar month or year in the hall's zone, and it is the period's own key:
// printed again (Period.Key) it is the same text, and reads as the same period.
func FuzzPeriodKey(f *testing.F) {
	for _, s := range []string{"2026-11", "2026", "2026-1", "2026-13", "0999", "0000-01", "9999-12", "20261", "２０２６", ""} {
		f.Add(s)
	}
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := models.ParsePeriodKey(s, loc)
		if err != nil {
			return
		}
		want := p.From.AddDate(0, 1, 0)
		if p.Year {
			want = p.From.AddDate(1, 0, 0)
		}
		if p.From.Location() != loc || p.From.Day() != 1 || p.From.Hour() != 0 || (p.Year && p.From.Month() != time.January) || !p.To.Equal(want) {
			t.Fatalf("%q reads as %v – %v (year %v): not a calendar month or year", s, p.From, p.To, p.Year)
		}
		if p.Key() != s {
			t.Fatalf("%q reads as a period whose key is %q", s, p.Key())
		}
		if q, err := models.ParsePeriodKey(p.Key(), loc); err != nil || !q.From.Equal(p.From) || !q.To.Equal(p.To) || q.Year != p.Year {
			t.Fatalf("%q: its key %q reads as %v, %v", s, p.Key(), q, err)
		}
	})
}
