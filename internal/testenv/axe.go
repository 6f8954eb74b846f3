package testenv

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// AxeTags are the axe-core rule tags the pages must pass: WCAG 2.0 and 2.1, levels A and AA.
var AxeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}

// axeScript returns axe-core's script, which scripts/ensure-services.sh (run by `make test`)
// fetches from npm into testdata/axe/ next to this file, or the file WINDOWBOT_TEST_AXE names;
// without it the test is skipped, and fails under CI=true.
func axeScript(t testing.TB) string {
	t.Helper()
	path := os.Getenv("WINDOWBOT_TEST_AXE")
	if path == "" {
		_, file, _, _ := runtime.Caller(0)
		path = filepath.Join(filepath.Dir(file), "testdata", "axe", "axe.min.js")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		unavailable(t, "axe-core (scripts/ensure-services.sh fetches it)", err)
	}
	return string(b)
}

// AxeViolation is one rule a page breaks, with the elements that break it.
type AxeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  []any  `json:"target"`
		HTML    string `json:"html"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

func (v AxeViolation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s", v.ID, v.Impact, v.Help)
	for _, n := range v.Nodes {
		fmt.Fprintf(&b, "\n    %v %s\n      %s", n.Target, n.HTML, strings.ReplaceAll(n.Summary, "\n", "\n      "))
	}
	return b.String()
}

// Axe runs axe-core in the page of ctx (a Browser tab) against the WCAG 2.1 A and AA rules and
// returns what it finds. The script is injected through the DevTools protocol, so the page's
// Content-Security-Policy does not stop it.
func Axe(t testing.TB, ctx context.Context) []AxeViolation {
	t.Helper()
	script := axeScript(t)
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](script+";true")); err != nil {
		t.Fatalf("testenv: inject axe-core: %v", err)
	}
	tags, _ := json.Marshal(AxeTags)
	expr := `axe.run(document, {runOnly: {type: 'tag', values: ` + string(tags) + `}, resultTypes: ['violations']})` +
		`.then(r => JSON.stringify(r.violations))`
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("testenv: run axe-core: %v", err)
	}
	var vs []AxeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		t.Fatalf("testenv: read axe-core's result: %v", err)
	}
	return vs
}

// NoAxeViolations fails the test with every violation axe-core finds in the page, saying where
// (what the page showed then).
func NoAxeViolations(t testing.TB, ctx context.Context, where string) {
	t.Helper()
	vs := Axe(t, ctx)
	if len(vs) == 0 {
		return
	}
	var b strings.Builder
	for _, v := range vs {
		b.WriteString("\n  " + v.String())
	}
	t.Errorf("axe-core: %d WCAG 2.1 AA violation(s) %s:%s", len(vs), where, b.String())
}

// HorizontalOverflow returns how many CSS pixels the page is wider than its viewport (0: no
// sideways scrolling), counting every scrolling element, not only the document.
func HorizontalOverflow(t testing.TB, ctx context.Context) int64 {
	t.Helper()
	over, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`(() => {
  const w = document.documentElement.clientWidth;
  let over = Math.max(0, document.documentElement.scrollWidth - w, document.body.scrollWidth - w);
  for (const el of document.querySelectorAll('*')) {
    const cs = getComputedStyle(el);
    if (cs.overflowX === 'auto' || cs.overflowX === 'scroll') over = Math.max(over, el.scrollWidth - el.clientWidth);
    const r = el.getBoundingClientRect();
    if (r.width > 0 && cs.visibility !== 'hidden' && !el.closest('.sr-only')) over = Math.max(over, Math.ceil(r.right) - w);
  }
  return over;
})()`))
	if err != nil {
		t.Fatalf("testenv: measure overflow: %v", err)
	}
	return over
}
