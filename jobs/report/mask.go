package report

import (
	"regexp"
	"strings"

	"windowbot/models"
)

// emailInText is an e-mail address typed into free text.
var emailInText = regexp.MustCompile(`([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*(@[A-Za-z0-9.-]+\.[A-Za-z]{2,})`)

// MaskText hides personal data in a comment before it leaves windowbot: phone and ID numbers
// as everywhere else (models.MaskPII: 13812345678 becomes 138****5678, in whatever way it was
// written), and an e-mail address down to its first letter and domain. Everything else is kept
// as written, trimmed.
func MaskText(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	return emailInText.ReplaceAllString(models.MaskPII(s), "${1}***${2}")
}
