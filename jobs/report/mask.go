package report

import (
	"regexp"
	"strings"
)

// Personal data that citizens and staff type into free text and that must not leave the hall:
// mainland mobile numbers, 18-character resident ID numbers and e-mail addresses. The patterns
// refuse to start or end inside a longer run of digits, so a case number is left alone.
var (
	idNumberInText = regexp.MustCompile(`(^|[^0-9])([1-9]\d{5})(\d{8})(\d{3}[0-9Xx])($|[^0-9])`)
	mobileInText   = regexp.MustCompile(`(^|[^0-9])(?:\+?86[ -]?)?(1[3-9]\d)(\d{4})(\d{4})($|[^0-9])`)
	emailInText    = regexp.MustCompile(`([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*(@[A-Za-z0-9.-]+\.[A-Za-z]{2,})`)
)

// MaskText hides personal data in a comment before it leaves windowbot: 13812345678 becomes
// 138****5678, an ID number keeps its first six and last four characters, an e-mail address its
// first letter and domain. Everything else is kept as written, trimmed.
func MaskText(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	// Each pattern consumes the character on either side of a match, so two numbers separated by
	// one character need a second pass.
	for range 2 {
		s = idNumberInText.ReplaceAllString(s, "${1}${2}********${4}${5}")
		s = mobileInText.ReplaceAllString(s, "${1}${2}****${4}${5}")
	}
	return emailInText.ReplaceAllString(s, "${1}***${2}")
}
