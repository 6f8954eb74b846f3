package jobs_test

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// pkg is what go list says of one package of the module.
type pkg struct {
	ImportPath string
	Imports    []string
	Standard   bool
	Module     *struct{ Path string }
}

// graph is the import graph of the module's packages (tests left out), from
// `go list -deps -json ./...` at the module's root.
type graph struct {
	module  string
	imports map[string][]string // our packages → their direct imports
}

func loadGraph(t *testing.T) graph {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-json", "./...")
	cmd.Dir = ".."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	g := graph{imports: map[string][]string{}}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if p.Standard || p.Module == nil {
			continue
		}
		if g.module == "" && !strings.Contains(p.Module.Path, ".") {
			g.module = p.Module.Path
		}
		if p.Module.Path == g.module {
			g.imports[p.ImportPath] = p.Imports
		}
	}
	if g.module == "" || len(g.imports) < 20 {
		t.Fatalf("go list found %d packages of module %q: the scan is wrong", len(g.imports), g.module)
	}
	return g
}

// path returns a chain of imports from a to a package that bad matches, or nil when a reaches
// none. Only our packages are followed; the chain's last element may be any package.
func (g graph) path(a string, bad func(string) bool) []string {
	prev := map[string]string{a: ""}
	queue := []string{a}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, imp := range g.imports[p] {
			if _, seen := prev[imp]; seen {
				continue
			}
			prev[imp] = p
			if bad(imp) {
				chain := []string{imp}
				for q := p; q != ""; q = prev[q] {
					chain = append([]string{q}, chain...)
				}
				return chain
			}
			if _, ours := g.imports[imp]; ours {
				queue = append(queue, imp)
			}
		}
	}
	return nil
}

// under reports whether p is the package root or one below it.
func under(root string) func(string) bool {
	return func(p string) bool { return p == root || strings.HasPrefix(p, root+"/") }
}

func anyOf(fs ...func(string) bool) func(string) bool {
	return func(p string) bool { return slices.ContainsFunc(fs, func(f func(string) bool) bool { return f(p) }) }
}

// TestLayering holds the direction of the whole import graph (docs/architecture.md, "Layers"):
// models ← flows ← handlers ← the channel adapters, with jobs beside them on models, the HTTP
// surface apart from the chat, and only internal/cli wiring them together. It fails with every
// offending chain of imports, each read from its package to what it must not reach.
func TestLayering(t *testing.T) {
	g := loadGraph(t)
	m := g.module
	ours := func(rel string) string { return m + "/" + rel }
	gormOrRedis := func(p string) bool {
		return strings.HasPrefix(p, "gorm.io/") || strings.HasPrefix(p, "github.com/redis/")
	}
	adapters := []string{"bot/telegram", "bot/wechat", "bot/web", "bot/sms"}
	rules := []struct {
		from  []string
		why   string
		bad   func(string) bool
		deps  bool // the rule holds for what the package reaches through others too
		exact bool // the rule is for the package itself, not the packages below it
	}{
		{from: []string{"models"}, why: "models is the innermost layer: it imports no layer above it", deps: true,
			bad: anyOf(under(ours("flows")), under(ours("handlers")), under(ours("jobs")), under(ours("bot")), under(ours("internal/cli")))},
		{from: []string{"flows"}, exact: true, why: "flows is called by handlers and never calls back; it reaches Redis and the database only through interfaces and models", deps: true,
			bad: anyOf(under(ours("handlers")), under(ours("jobs")), under(ours("internal/cli")), under(ours("bot/telegram")), under(ours("bot/wechat")), under(ours("bot/web")), under(ours("bot/sms")))},
		{from: []string{"flows"}, exact: true, why: "flows declares interfaces for what it keeps outside the database",
			bad: gormOrRedis},
		{from: []string{"handlers"}, exact: true, why: "handlers is called by the channel adapters and calls flows; it knows no channel and no job", deps: true,
			bad: anyOf(under(ours("bot/telegram")), under(ours("bot/wechat")), under(ours("bot/web")), under(ours("bot/sms")), under(ours("jobs")), under(ours("internal/cli")))},
		{from: adapters, why: "a channel adapter imports bot and the text catalog; it reaches the dialogs only through bot.Handler", deps: true,
			bad: anyOf(under(ours("flows")), under(ours("handlers")), under(ours("jobs")), under(ours("internal/cli")))},
		{from: []string{"jobs"}, why: "jobs reaches the database through models and Redis through its own interfaces",
			bad: gormOrRedis},
		{from: []string{"jobs"}, why: "jobs works on records and sends through bot.Sender, apart from the chat", deps: true,
			bad: anyOf(under(ours("flows")), under(ours("handlers")), under(ours("internal/cli")))},
		{from: []string{"handlers/api"}, why: "the HTTP surface is apart from the chat: it reads records through models and texts through the catalog", deps: true,
			bad: anyOf(under(ours("handlers")), under(ours("flows")), under(ours("jobs")), under(ours("bot/telegram")), under(ours("bot/wechat")), under(ours("bot/web")), under(ours("bot/sms")))},
		{from: []string{""}, exact: true, why: "package main parses and dispatches: it imports the standard library and internal/cli, which does the wiring",
			bad: func(p string) bool {
				return p != ours("internal/cli") && (p == m || strings.HasPrefix(p, m+"/") || strings.Contains(strings.Split(p, "/")[0], "."))
			}},
	}
	var offending []string
	for _, r := range rules {
		for _, from := range r.from {
			root := m
			if from != "" {
				root = ours(from)
			}
			var pkgs []string
			for p := range g.imports {
				if p == root || (!r.exact && strings.HasPrefix(p, root+"/")) {
					pkgs = append(pkgs, p)
				}
			}
			if len(pkgs) == 0 {
				t.Errorf("no package %s in the module: the rule %q checks nothing", root, r.why)
			}
			slices.Sort(pkgs)
			for _, p := range pkgs {
				if r.deps {
					// what is below the rule's own root is the rule's, not an offence
					bad := func(q string) bool { return r.bad(q) && !(q == root || strings.HasPrefix(q, root+"/")) }
					if chain := g.path(p, bad); chain != nil {
						offending = append(offending, strings.Join(chain, " → ")+"\n      "+r.why)
					}
					continue
				}
				for _, imp := range g.imports[p] {
					if r.bad(imp) {
						offending = append(offending, p+" → "+imp+"\n      "+r.why)
					}
				}
			}
		}
	}
	if len(offending) > 0 {
		t.Errorf("imports against the layers (docs/architecture.md):\n  %s", strings.Join(offending, "\n  "))
	}
}
