package testenv

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Update is the -update flag: golden tests write what they produce to their files under
// testdata/ instead of comparing. `go test ./... -update` passes the flag to every test binary,
// and a binary that does not define it fails, so every package with tests imports this package
// (a test in this package checks that).
var Update = flag.Bool("update", false, "rewrite the golden files under testdata/ with what the tests produce")

// Golden compares got with the golden file at path byte for byte and fails the test with a line
// diff when they differ; with -update it writes got to path instead.
func Golden(t testing.TB, path string, got []byte) {
	t.Helper()
	if *Update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatalf("testenv: golden: %v", err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("testenv: golden: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("testenv: golden: %v (run the test with -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from what the test produced (- golden, + now); if the change is meant, rerun with -update and review the diff:\n%s",
			path, LineDiff(string(want), string(got)))
	}
}

// LineDiff returns the lines that differ between a and b, each group with up to two lines of
// context around it and the line numbers where it starts: "-" for a line of a only, "+" for one
// of b only. It is a longest-common-subsequence diff, fine for files of a few thousand lines.
func LineDiff(a, b string) string {
	x, y := lines(a), lines(b)
	// lcs[i][j] is the length of the longest common subsequence of x[i:] and y[j:].
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type line struct {
		op   byte // ' ', '-' or '+'
		text string
		i, j int // line numbers (from 1) in a and b
	}
	var ops []line
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			ops = append(ops, line{' ', x[i], i + 1, j + 1})
			i, j = i+1, j+1
		case i < len(x) && (j == len(y) || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, line{'-', x[i], i + 1, j + 1})
			i++
		default:
			ops = append(ops, line{'+', y[j], i + 1, j + 1})
			j++
		}
	}
	const context = 2
	var out strings.Builder
	last := -1 // index of the last op written
	for k, op := range ops {
		if op.op == ' ' || k <= last {
			continue
		}
		from := max(k-context, last+1)
		if from > last+1 || last == -1 {
			fmt.Fprintf(&out, "@@ golden line %d, now line %d @@\n", ops[from].i, ops[from].j)
		}
		to := k
		for n := k; n < len(ops) && n <= to+context; n++ {
			if ops[n].op != ' ' {
				to = n
			}
		}
		to = min(to+context, len(ops)-1)
		for n := from; n <= to; n++ {
			if n > last {
				text := strings.TrimSuffix(ops[n].text, "\n")
				fmt.Fprintf(&out, "%c %s\n", ops[n].op, text)
				last = n
			}
		}
	}
	return out.String()
}

// lines splits s after each newline; a last line without one is a line too.
func lines(s string) []string {
	l := strings.SplitAfter(s, "\n")
	if l[len(l)-1] == "" {
		l = l[:len(l)-1]
	}
	return l
}
