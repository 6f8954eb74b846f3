package text

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"windowbot/models"

	// The go command passes -update to every test binary of the module; testenv defines it.
	_ "windowbot/internal/testenv"
)

// dynamicKeys are the families of keys the program builds from a prefix and a domain code,
// rather than writing them out: the labels of levels, aspects, states and so on. Each family
// lists its codes from the domain's own lists, so a new code without its label fails, and a label
// left over from a code that is gone is unused.
var dynamicKeys = []struct {
	prefix string
	codes  func() []string
}{
	{"level.", func() []string {
		var out []string
		for _, l := range models.Levels {
			out = append(out, strconv.Itoa(int(l)))
		}
		return out
	}},
	{"aspect.", func() []string {
		var out []string
		for _, a := range models.Aspects {
			out = append(append(out, a.Key), a.Problems...)
		}
		return out
	}},
	{"praise.", func() []string { return models.PraiseTags }},
	{"category.", func() []string { return models.Categories }},
	{"state.", func() []string {
		var out []string
		for _, s := range models.TicketStates {
			out = append(out, string(s))
		}
		return out
	}},
	{"close.", func() []string { return models.CloseReasons }},
	{"route.", func() []string { return models.RouteNames }},
	{"kind_", func() []string { return models.TicketKinds }},
	{"role_", func() []string { return append(append([]string{}, models.StaffRoles...), models.RoleInspector) }},
	{"check.", func() []string {
		var out []string
		for _, c := range models.DefaultChecklist() {
			out = append(out, c.Key)
		}
		return out
	}},
	{"inspect_kind.", func() []string { return models.InspectionKinds }},
	{"v_result.", func() []string { return models.CheckResults }},
	{"actor_", func() []string { return models.Roles }},
	{"rerate_", func() []string { return models.RerateOutcomes }},
	{"month.", func() []string { return numbers(1, 12) }},
	{"month_short.", func() []string { return numbers(1, 12) }},
	{"weekday.", func() []string { return numbers(0, 6) }},
}

func numbers(from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, strconv.Itoa(i))
	}
	return out
}

// Every message is used: its key is a string literal somewhere in the program (tests do not
// count), or a member of a family in dynamicKeys whose prefix the program writes. And every
// member of a family has its message.
func TestEveryKeyIsUsed(t *testing.T) {
	literals := programLiterals(t)
	if len(literals) < 1000 {
		t.Fatalf("found only %d string literals: the scan is wrong", len(literals))
	}
	if err := unusedKeys(catalog, literals); err != nil {
		t.Error(err)
	}
}

// unusedKeys checks b against the literals of a program.
func unusedKeys(b *book, literals map[string]bool) error {
	var errs []string
	built := map[string]bool{}
	for _, d := range dynamicKeys {
		if !literals[d.prefix] {
			errs = append(errs, "no program builds keys with the prefix "+strconv.Quote(d.prefix))
		}
		for _, c := range d.codes() {
			built[d.prefix+c] = true
			if _, ok := b.messages[ZH][d.prefix+c]; !ok {
				errs = append(errs, strconv.Quote(d.prefix+c)+" is missing: code "+strconv.Quote(c)+" has no label")
			}
		}
	}
	for key := range b.messages[ZH] {
		if !literals[key] && !built[key] {
			errs = append(errs, strconv.Quote(key)+" is never used")
		}
	}
	return joined(errs)
}

// Every lookup the program writes out — text.T(lang, "key", "Name", v, …) or a turn's or a
// command's t.T("key", …) — names a message that exists and passes exactly its fields. Lookups
// with a key or a field name held in a variable are left to the strict mode of T at run time.
func TestCallsMatchMessages(t *testing.T) {
	calls := programCalls(t)
	if len(calls) < 300 {
		t.Fatalf("found only %d lookups: the scan is wrong", len(calls))
	}
	if err := mismatchedCalls(catalog, calls); err != nil {
		t.Error(err)
	}
}

// call is one lookup with a literal key: where it is, and the field names it passes (nil when
// one of them is not a literal).
type call struct {
	pos    string
	key    string
	fields []string
}

func mismatchedCalls(b *book, calls []call) error {
	var errs []string
	for _, c := range calls {
		m, ok := b.messages[ZH][c.key]
		if !ok {
			errs = append(errs, c.pos+": no message "+strconv.Quote(c.key))
			continue
		}
		if c.fields == nil && len(m.fields) > 0 {
			continue // names not all literal: checked at run time
		}
		got := slices.Clone(c.fields)
		slices.Sort(got)
		if !slices.Equal(got, m.fields) && !(len(got) == 0 && len(m.fields) == 0) {
			errs = append(errs, fmt.Sprintf("%s: %s passes %v, the message has %v", c.pos, c.key, c.fields, m.fields))
		}
	}
	return joined(errs)
}

// programCalls finds the lookups with a literal key in the module's Go files outside tests.
func programCalls(t *testing.T) []call {
	t.Helper()
	var out []call
	walkProgram(t, func(fset *token.FileSet, f *ast.File) {
		ast.Inspect(f, func(n ast.Node) bool {
			c, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := c.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "T" {
				return true
			}
			keyAt := 0 // t.T("key", …), c.T("key", …)
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == "text" {
				keyAt = 1 // text.T(lang, "key", …)
			}
			if len(c.Args) <= keyAt {
				return true
			}
			lit, ok := c.Args[keyAt].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			key, _ := strconv.Unquote(lit.Value)
			cl := call{pos: position(fset, c.Pos()), key: key, fields: []string{}}
			kv := c.Args[keyAt+1:]
			if c.Ellipsis.IsValid() || len(kv)%2 != 0 {
				cl.fields = nil
			}
			for i := 0; cl.fields != nil && i < len(kv); i += 2 {
				name, ok := kv[i].(*ast.BasicLit)
				if !ok || name.Kind != token.STRING {
					cl.fields = nil
					break
				}
				s, _ := strconv.Unquote(name.Value)
				cl.fields = append(cl.fields, s)
			}
			out = append(out, cl)
			return true
		})
	})
	return out
}

// position is a place in the module's sources, relative to the module's root.
func position(fset *token.FileSet, p token.Pos) string {
	pos := fset.Position(p)
	if root, err := filepath.Abs(filepath.Join("..", "..")); err == nil {
		if rel, err := filepath.Rel(root, pos.Filename); err == nil {
			pos.Filename = rel
		}
	}
	return pos.String()
}

// programLiterals returns every string literal of the module's Go files outside tests.
func programLiterals(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	walkProgram(t, func(_ *token.FileSet, f *ast.File) {
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil {
					out[s] = true
				}
			}
			return true
		})
	})
	return out
}

// walkProgram parses every Go file of the module outside tests and hands it to visit.
func walkProgram(t *testing.T, visit func(*token.FileSet, *ast.File)) {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root: %v", err)
	}
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		visit(fset, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
