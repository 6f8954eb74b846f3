package jobs_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestLayering keeps package jobs to models and interfaces (DESIGN.md, layout): the database
// is reached through models' methods and Redis through the interfaces declared here, so neither
// gorm nor go-redis is imported.
func TestLayering(t *testing.T) {
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
			if strings.HasPrefix(path, "gorm.io/") || strings.HasPrefix(path, "github.com/redis/") {
				t.Errorf("%s imports %s", f, path)
			}
		}
	}
}

// TestEntryPointImports keeps package main to parsing and dispatching (docs/architecture.md): it
// imports the standard library and internal/cli, which does the wiring, and nothing else.
func TestEntryPointImports(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	mains := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		ast, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		if ast.Name.Name != "main" {
			continue
		}
		mains++
		for _, imp := range ast.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			// The standard library's import paths have no dot in their first element.
			stdlib := !strings.Contains(strings.SplitN(path, "/", 2)[0], ".") && !strings.HasPrefix(path, "windowbot/")
			if !stdlib && path != "windowbot/internal/cli" {
				t.Errorf("%s imports %s: package main imports only the standard library and windowbot/internal/cli", f, path)
			}
		}
	}
	if mains == 0 {
		t.Fatal("no file of package main found at the module root")
	}
}
