package jobs_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// importsOf returns the import paths of each non-test Go file in dir of the package named pkg
// ("" for any), by file.
func importsOf(t *testing.T, dir, pkg string) map[string][]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	out := map[string][]string{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		ast, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		if pkg != "" && ast.Name.Name != pkg {
			continue
		}
		out[f] = []string{}
		for _, imp := range ast.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			out[f] = append(out[f], path)
		}
	}
	return out
}

// TestLayering keeps package jobs to models and interfaces (DESIGN.md, layout): the database
// is reached through models' methods and Redis through the interfaces declared here, so neither
// gorm nor go-redis is imported.
func TestLayering(t *testing.T) {
	for f, paths := range importsOf(t, ".", "") {
		for _, path := range paths {
			if strings.HasPrefix(path, "gorm.io/") || strings.HasPrefix(path, "github.com/redis/") {
				t.Errorf("%s imports %s", f, path)
			}
		}
	}
}

// TestEntryPointImports keeps package main to parsing and dispatching (docs/architecture.md): it
// imports the standard library and internal/cli, which does the wiring, and nothing else.
func TestEntryPointImports(t *testing.T) {
	mains := importsOf(t, "..", "main")
	if len(mains) == 0 {
		t.Fatal("no file of package main found at the module root")
	}
	for f, paths := range mains {
		for _, path := range paths {
			// The standard library's import paths have no dot in their first element.
			stdlib := !strings.Contains(strings.SplitN(path, "/", 2)[0], ".") && !strings.HasPrefix(path, "windowbot/")
			if !stdlib && path != "windowbot/internal/cli" {
				t.Errorf("%s imports %s: package main imports only the standard library and windowbot/internal/cli", f, path)
			}
		}
	}
}

// TestHTTPApartFromChat keeps the HTTP surface (handlers/api) apart from the chat
// (docs/architecture.md): it reads records through models and texts through the catalog, and
// imports neither the chat commands in handlers, nor the dialogs in flows, nor a channel
// adapter, nor the jobs.
func TestHTTPApartFromChat(t *testing.T) {
	files := importsOf(t, filepath.Join("..", "handlers", "api"), "")
	if len(files) == 0 {
		t.Fatal("no file found in handlers/api")
	}
	for f, paths := range files {
		for _, path := range paths {
			if path == "windowbot/handlers" || path == "windowbot/flows" || strings.HasPrefix(path, "windowbot/bot/") || path == "windowbot/jobs" {
				t.Errorf("%s imports %s", f, path)
			}
		}
	}
}
