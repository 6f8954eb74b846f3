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
