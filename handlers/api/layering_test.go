package api_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports keeps the HTTP surface apart from the chat: package api reads records through
// models and never imports the chat commands (handlers), the channel adapters or the jobs.
func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		ast, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range ast.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if path == "windowbot/handlers" || strings.HasPrefix(path, "windowbot/bot/") || path == "windowbot/jobs" {
				t.Errorf("%s imports %s", f, path)
			}
		}
	}
}
