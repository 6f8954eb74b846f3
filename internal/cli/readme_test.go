package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"windowbot/bot/poster"
	"windowbot/models"
)

// readmeCommand is a `windowbot …` command the README shows, and the CSV files its code blocks
// give for `import`.
type readmeCommand struct {
	line string
	args []string
}

// readmeExamples returns the windowbot commands of the README in the order they appear: the
// lines of its code blocks and its inline code spans that start with "windowbot ", trailing
// comments dropped, synopses with placeholders ([…], <…>, NAME, FILE) left out. It also returns
// the CSV examples, by their header line.
func readmeExamples(t *testing.T, readme string) ([]readmeCommand, map[string]string) {
	t.Helper()
	raw, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	var (
		cmds    []readmeCommand
		csvs    = map[string]string{}
		inBlock bool
		block   []string
		para    []string
	)
	add := func(line string) {
		line = strings.TrimSpace(line)
		if i := strings.Index(line, " #"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if !strings.HasPrefix(line, "windowbot ") || strings.ContainsAny(line, "[]<>…|") ||
			regexp.MustCompile(`\b(NAME|FILE|CODE|NO|DIR|TIME)\b`).MatchString(line) {
			return
		}
		cmds = append(cmds, readmeCommand{line: line, args: strings.Fields(line)[1:]})
	}
	inline := regexp.MustCompile("`(windowbot [^`]+)`")
	flush := func() {
		for _, m := range inline.FindAllStringSubmatch(strings.Join(para, " "), -1) {
			add(m[1])
		}
		para = nil
	}
	for _, line := range strings.Split(string(raw), "\n") {
		switch {
		case strings.HasPrefix(line, "```") && !inBlock:
			flush()
			inBlock, block = true, nil
		case strings.HasPrefix(line, "```"):
			inBlock = false
			if len(block) > 0 && strings.Contains(block[0], ",") && !strings.Contains(block[0], " ") {
				csvs[block[0]] = strings.Join(block, "\n") + "\n"
			}
			for _, l := range block {
				add(l)
			}
		case inBlock:
			block = append(block, line)
		case strings.TrimSpace(line) == "":
			flush()
		default:
			para = append(para, strings.TrimSpace(line))
		}
	}
	flush()
	return cmds, csvs
}

// readmeNeedsService are the README's commands that need something outside the test: a running
// server (serve itself, healthcheck), or the WeChat or Telegram platform.
func readmeNeedsService(c readmeCommand) bool {
	return c.args[0] == "serve" || c.args[0] == "healthcheck" || c.args[0] == "wechat" ||
		strings.Contains(c.line, "--channel wechat") || strings.Contains(c.line, "--channel telegram")
}

// TestREADMEExamples runs the README's example commands, as written, on the demo data of
// `go run .` through cli.Run, so that an example naming a code the demo does not have (a staff
// number, a window) fails here instead of for a reader. The import example runs on the CSV files
// the README shows.
func TestREADMEExamples(t *testing.T) {
	readme, err := filepath.Abs(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	cmds, csvs := readmeExamples(t, readme)
	if len(cmds) < 8 {
		t.Fatalf("found only %d commands in the README: %v", len(cmds), cmds)
	}
	dir := t.TempDir()
	t.Chdir(dir)
	for header, name := range map[string]string{models.WindowsCSVHeader: "windows.csv", models.StaffCSVHeader: "staff.csv", models.MattersCSVHeader: "matters.csv"} {
		body, ok := csvs[header]
		if !ok {
			t.Fatalf("the README shows no example of %s (header %s)", name, header)
		}
		if err := os.WriteFile(name, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	_, fontErr := poster.FindFont("")
	e := baseEnv(t, map[string]string{
		"WINDOWBOT_DATABASE_URL": "sqlite:" + filepath.Join(dir, "windowbot.db"),
		// The README says to set it before printing posters.
		"WINDOWBOT_PUBLIC_URL": "https://hall.example.cn",
	})
	if code, _, errs := runCmd(t, e, "seed", "--demo"); code != 0 {
		t.Fatalf("seed --demo: %s", errs)
	}
	ran := 0
	for _, c := range cmds {
		if readmeNeedsService(c) {
			continue
		}
		if c.args[0] == "qr" && fontErr != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("no CJK font under CI: %v", fontErr)
			}
			t.Logf("skipped %q: no CJK font", c.line)
			continue
		}
		code, out, errs := runCmd(t, e, c.args...)
		if code != 0 {
			t.Errorf("%s: exit %d\nstdout: %s\nstderr: %s", c.line, code, out, errs)
		}
		ran++
	}
	t.Logf("ran %d of the README's %d commands", ran, len(cmds))
	// The links the README tells a reader to open name a window and a staff member of the demo.
	raw, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	s, err := models.Open(t.Context(), e["WINDOWBOT_DATABASE_URL"], nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, m := range regexp.MustCompile(`\?w=([A-Za-z0-9-]+)`).FindAllStringSubmatch(string(raw), -1) {
		if _, err := s.WindowByCode(t.Context(), m[1]); err != nil {
			t.Errorf("the README links %s: %v", m[0], err)
		}
	}
	for _, m := range regexp.MustCompile(`\?s=([A-Za-z0-9_-]+)`).FindAllStringSubmatch(string(raw), -1) {
		if _, err := s.StaffByNo(t.Context(), m[1]); err != nil {
			t.Errorf("the README links %s: %v", m[0], err)
		}
	}
	for _, f := range []string{"W001.png", "DEMO-001.png", filepath.Join("posters", "W001.png")} {
		if _, err := os.Stat(f); err != nil && fontErr == nil {
			t.Errorf("the README's qr example left no %s: %v", f, err)
		}
	}
}
