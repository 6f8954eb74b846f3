package loadtest

import (
	"strings"
	"testing"
)

// TestLeadsAreTheCatalogs checks that every message the dialogs recognise is still in the
// catalog with the fields it is rendered with: a renamed key or field would otherwise leave the
// tool unable to tell one screen from another.
func TestLeadsAreTheCatalogs(t *testing.T) {
	for name, l := range map[string]string{"thanks": leadThanks, "c_filed": leadFiled, "ask_comment": leadComment,
		"c_ask_category": leadCategory, "c_ask_desc": leadDesc, "c_ask_photos": leadPhotos, "c_desc_added": leadAdded} {
		if l == "" || l == name || strings.Contains(l, "\x1f") {
			t.Errorf("lead of %s is %q", name, l)
		}
	}
}
