package testenv_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestEveryTestBinaryDefinesUpdate keeps `go test ./... -update` working: the go command passes
// -update to every test binary of the module, and one that does not define the flag fails. A
// package's tests define it by importing testenv, directly or through another helper.
func TestEveryTestBinaryDefinesUpdate(t *testing.T) {
	const testenv = "windowbot/internal/testenv"
	out, err := exec.Command("go", "list", "-test", "-f", "{{.ImportPath}} {{join .Deps \" \"}}", "windowbot/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	binaries := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, ok := strings.CutSuffix(fields[0], ".test")
		if !ok {
			continue
		}
		binaries++
		if pkg != testenv && !slices.Contains(fields[1:], testenv) {
			t.Errorf("the tests of %s do not import %s, so `go test ./... -update` fails there: add\n\timport _ %q\nto a test file of the package", pkg, testenv, testenv)
		}
	}
	if binaries == 0 {
		t.Fatalf("go list found no test binaries:\n%s", out)
	}
}
