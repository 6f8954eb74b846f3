package testenv

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// Fuzzing reports whether the test binary is fuzzing (go test -fuzz, coordinator or worker)
// rather than running the seed corpus as tests.
func Fuzzing() bool {
	for _, name := range []string{"test.fuzz", "test.fuzzworker"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" && f.Value.String() != "false" {
			return true
		}
	}
	return false
}

// FuzzDatabaseURLs returns the databases a fuzz target that needs one runs on: SQLite while
// fuzzing, for speed, and SQLite and PostgreSQL when the seed corpus runs as tests (go test, CI),
// so that every kept input is also tried on PostgreSQL, which refuses more (a NUL byte in text,
// dates outside its range). WINDOWBOT_FUZZ_POSTGRES=1 fuzzes on both.
func FuzzDatabaseURLs(f *testing.F) []string {
	f.Helper()
	urls := []string{SQLiteURL(f)}
	if !Fuzzing() || os.Getenv("WINDOWBOT_FUZZ_POSTGRES") != "" {
		urls = append(urls, PostgresURL(f))
	}
	return urls
}

// The oracles the fuzz targets share, written from the Unicode tables and from how people write
// numbers rather than from models' own lists.

// InvisibleByUnicode reports whether r is a format character (category Cf: the bidirectional
// controls, the zero-width space and joiners, the soft hyphen, the invisible operators, tags…)
// other than a prepended concatenation mark (U+0600 …, a visible sign of Arabic numbers).
func InvisibleByUnicode(r rune) bool {
	return unicode.Is(unicode.Cf, r) && !unicode.Is(unicode.Prepended_Concatenation_Mark, r)
}

// Unclean returns a reason why s is not text a person may be shown or a database may store —
// bytes that are not UTF-8, a control character other than "\n" and "\t" (NUL among them), a line
// or paragraph separator, an invisible character — or "" when it is clean.
func Unclean(s string) string {
	if !utf8.ValidString(s) {
		return "not UTF-8"
	}
	for _, r := range s {
		switch {
		case r == '\n' || r == '\t':
		case unicode.IsControl(r), r == '\u2028', r == '\u2029':
			return fmt.Sprintf("control character %U", r)
		case InvisibleByUnicode(r):
			return fmt.Sprintf("invisible character %U", r)
		}
	}
	return ""
}

// NumberSeparator reports whether people put r between the groups of a number: a space of any
// width, a hyphen or a dash of any kind (full-width ones fold to these first).
func NumberSeparator(r rune) bool {
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

// LeakedNumber reads s as a person would — width folded, separators and invisible characters
// between digits ignored — and returns a mobile number or resident ID it shows whole, or "".
func LeakedNumber(s string) string {
	var b strings.Builder
	for _, r := range width.Fold.String(s) {
		if InvisibleByUnicode(r) || NumberSeparator(r) {
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
