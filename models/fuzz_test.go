package models_test

import (
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"

	"windowbot/internal/testenv"
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

// checkClean fails when s is not clean (testenv.Unclean).
func checkClean(t *testing.T, in, s string) {
	t.Helper()
	if why := testenv.Unclean(s); why != "" {
		t.Fatalf("clean(%q) = %q: %s", in, s, why)
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
			case unicode.IsControl(r), testenv.InvisibleByUnicode(r):
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

// maskable is what MaskPII may replace by "*": a digit, or a separator among the digits.
func maskable(r rune) bool {
	f := []rune(width.Fold.String(string(r)))
	return unicode.IsDigit(r) || (len(f) == 1 && testenv.NumberSeparator(f[0]))
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
		if n := testenv.LeakedNumber(out); n != "" {
			t.Fatalf("MaskPII(%q) = %q still shows %s", s, out, n)
		}
		if again := models.MaskPII(out); again != out {
			t.Fatalf("MaskPII is not idempotent: %q → %q → %q", s, out, again)
		}
		var visible []rune
		for _, r := range s {
			if !testenv.InvisibleByUnicode(r) {
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
