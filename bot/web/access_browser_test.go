package web_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"windowbot/internal/testenv"
	catalog "windowbot/internal/text"
	"windowbot/models"
)

// The web chat is accessible: axe-core finds no WCAG 2.1 A/AA violation at the level question
// and at a checklist with an option chosen (marked by aria-pressed, a ticked box and the word
// 已选); bot messages are read out through the live region; the level buttons have their own
// colour, face and stars, the bad ones set apart; a rating is completed with the keyboard
// alone; nothing scrolls sideways at 320 px, at 200 % zoom or in 大字模式, which is at least
// 1.5 times as large and kept across a reload. With WINDOWBOT_SCREENSHOTS set to a folder, the
// level buttons and 大字模式 are photographed into it (docs/screenshots).
func TestWebChatAccessibleInBrowser(t *testing.T) {
	ctx := testenv.Browser(t)
	r := newChatRig(t, testenv.SQLiteURL(t))
	zh := catalog.ZH
	eval := func(expr string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return s
	}
	waitFor := func(s string) {
		t.Helper()
		expr := fmt.Sprintf(`document.getElementById('log').innerText.includes(%q)`, s)
		if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](expr)); err != nil {
			t.Fatalf("waiting for %q: %v\n%s", s, err, eval(`document.getElementById('log').innerText`))
		}
	}
	focused := func() string {
		return eval(`(document.activeElement.querySelector('.words') || document.activeElement).textContent.trim()`)
	}
	// key presses Tab (or Shift+Tab) until the focused control is labelled label, then Enter.
	key := func(label string, back bool) {
		t.Helper()
		for range 40 {
			if focused() == label {
				if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Enter)); err != nil {
					t.Fatal(err)
				}
				return
			}
			k := kb.Tab
			var opts []chromedp.KeyOption
			if back {
				opts = append(opts, chromedp.KeyModifiers(8)) // Shift
			}
			if err := chromedp.Do(ctx, chromedp.KeyEvent(k, opts...)); err != nil {
				t.Fatal(err)
			}
		}
		t.Fatalf("no control labelled %q reached with the keyboard", label)
	}
	shot := func(name string) {
		t.Helper()
		dir := os.Getenv("WINDOWBOT_SCREENSHOTS")
		if dir == "" {
			return
		}
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(r.srv.URL+"/?w=W001"),
		chromedp.Poll[chromedp.Void](`document.querySelector('#log button.choice') !== null`),
	); err != nil {
		t.Fatal(err)
	}
	waitFor("W001")
	// Keyboard only from here: the first choice has the focus after a press, Tab moves on.
	if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS(`#log button.choice`))); err != nil {
		t.Fatal(err)
	}
	key("张伟", false)
	waitFor("满意吗")
	if got := eval(`Array.from(document.querySelectorAll('#log li:last-child button.level')).map(b => b.className + '|' + b.querySelectorAll('svg.face').length + '|' + b.textContent.trim()).join(';')`); !strings.Contains(got, "lvl-5|1|★★★★★非常满意") || !strings.Contains(got, "lvl-1|1|★☆☆☆☆非常不满意") {
		t.Fatalf("level buttons: %s", got)
	}
	if n := eval(`String(document.querySelectorAll('#log li:last-child .sep').length)`); n != "1" {
		t.Fatalf("%s separators between the good and the bad levels, want 1", n)
	}
	if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](`document.getElementById('live').textContent.includes('满意吗')`)); err != nil {
		t.Errorf("the live region does not read the question out: %v (it says %q)", err, eval(`document.getElementById('live').textContent`))
	}
	if eval(`String(document.getElementById('photo-btn').hidden)`) != "true" {
		t.Error("the photo button is offered at the level question")
	}
	testenv.NoAxeViolations(t, ctx, "at the level question")
	shot("webchat-levels.png")

	key(catalog.Level(zh, 3), false)
	waitFor(catalog.T(zh, "ask_aspects")[:12])
	key(catalog.T(zh, "aspect.attitude"), false)
	if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](`document.querySelector('#log button.check[aria-pressed="true"] .badge') !== null`)); err != nil {
		t.Fatal(err)
	}
	if got := eval(`document.querySelector('#log button.check[aria-pressed="true"]').textContent`); !strings.Contains(got, "服务态度") || !strings.Contains(got, catalog.T(zh, "web.page.chosen")) {
		t.Fatalf("chosen option reads %q", got)
	}
	testenv.NoAxeViolations(t, ctx, "at a checklist with an option chosen")
	key(catalog.T(zh, "btn_done"), false)
	waitFor("【服务态度】")
	key(catalog.T(zh, "aspect.attitude.cold"), false)
	key(catalog.T(zh, "btn_done"), false)
	waitFor(strings.SplitN(catalog.T(zh, "ask_comment", "Max", models.MaxCommentRunes), "（", 2)[0])
	key(catalog.T(zh, "btn_skip"), false)
	waitFor("感谢您的评价")
	rs := testenv.All[models.Rating](t, r.store)
	if len(rs) != 1 || rs[0].Level != 3 || rs[0].Aspects != "attitude.cold" {
		t.Fatalf("ratings = %+v", rs)
	}

	// 大字模式, kept across a reload; no sideways scrolling at 320 px, at 200 % zoom (a 640 px
	// window: 320 CSS px at twice the density), nor in 大字模式 at 320 px.
	normal := eval(`getComputedStyle(document.body).fontSize`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#large`))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Reload(), chromedp.Poll[chromedp.Void](`document.querySelector('#log li') !== null`)); err != nil {
		t.Fatal(err)
	}
	large := eval(`getComputedStyle(document.body).fontSize`)
	var n, l float64
	fmt.Sscanf(normal, "%fpx", &n)
	fmt.Sscanf(large, "%fpx", &l)
	if l < 1.5*n || eval(`document.getElementById('large').getAttribute('aria-pressed')`) != "true" {
		t.Fatalf("after a reload 大字模式 gives %s (normal %s)", large, normal)
	}
	testenv.NoAxeViolations(t, ctx, "in 大字模式")
	shot("webchat-large-text.png")
	for _, v := range []struct {
		name   string
		w, h   int64
		scale  float64
		larger bool
	}{{"320px", 320, 640, 1, true}, {"200% zoom", 320, 450, 2, true}} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(v.w, v.h, chromedp.EmulateScale(v.scale))); err != nil {
			t.Fatal(err)
		}
		if over := testenv.HorizontalOverflow(t, ctx); over > 0 {
			t.Errorf("大字模式 at %s: %d px of sideways scrolling", v.name, over)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#large`))); err != nil {
		t.Fatal(err)
	}
	for _, v := range []struct {
		name  string
		w, h  int64
		scale float64
	}{{"320px", 320, 640, 1}, {"200% zoom", 640, 400, 2}} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(v.w, v.h, chromedp.EmulateScale(v.scale))); err != nil {
			t.Fatal(err)
		}
		if over := testenv.HorizontalOverflow(t, ctx); over > 0 {
			t.Errorf("at %s: %d px of sideways scrolling", v.name, over)
		}
	}
}
