package testenv

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// fieldSep splits what a person reads into its fields: lines, and the labels, brackets, dots and
// commas that set one value apart from the next.
var fieldSep = regexp.MustCompile(`[\n：（）·，、“”]+`)

// Fields returns the set of fields of texts: each value a person reads as one ("2026年11月24日
// 周二", "C-ABCDE23456", "群众提交"), trimmed, empty ones left out.
func Fields(texts ...string) map[string]bool {
	out := map[string]bool{}
	for _, t := range texts {
		for _, f := range fieldSep.Split(t, -1) {
			if f = strings.TrimSpace(f); f != "" {
				out[f] = true
			}
		}
	}
	return out
}

// JSONFields returns the set of the leaf values of the JSON documents docs, as strings.
func JSONFields(t testing.TB, docs ...[]byte) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case nil:
		default:
			out[fmt.Sprint(x)] = true
		}
	}
	for _, d := range docs {
		var v any
		if err := json.Unmarshal(d, &v); err != nil {
			t.Fatalf("testenv: JSON fields: %v", err)
		}
		walk(v)
	}
	return out
}

// Unlinked fails the test when the outputs of two filings, a and b, share a field that neither
// the outputs of filings by other people (controls) nor allowed (the window, center and category
// they share by design) hold: what any two tickets show alike (a state, a label, "false") is
// in the controls too, and anything else in common would join a to b.
func Unlinked(t testing.TB, what string, a, b map[string]bool, allowed []string, controls ...map[string]bool) {
	t.Helper()
	ok := map[string]bool{}
	for _, f := range allowed {
		ok[f] = true
	}
	for _, c := range controls {
		for f := range c {
			ok[f] = true
		}
	}
	for f := range a {
		if b[f] && !ok[f] {
			t.Errorf("%s: the anonymous filing and the real-name one both show %q", what, f)
		}
	}
}
