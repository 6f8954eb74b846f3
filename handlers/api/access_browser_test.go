package api_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"windowbot/handlers/api"
	"windowbot/internal/testenv"
)

// The board is accessible: axe-core finds no violation of the WCAG 2.1 A and AA rules (contrast
// included) on the page of a center and of all centers, in both languages; nothing scrolls
// sideways at 320 px, nor in a 1280 px window zoomed to 200 % (640 CSS px at twice the density),
// nor at 320 px in 大字模式; 大字模式 makes the text at least 1.5 times as large and is kept across
// a reload, until it is switched off.
func TestBoardAccessibleInBrowser(t *testing.T) {
	ctx := testenv.Browser(t)
	r := newRig(t, testenv.SQLiteURL(t))
	testenv.SeedBoard(t, r.store, r.clock.Now())
	srv := boardServer(t, r, api.BoardOptions{CacheTTL: time.Minute, StaffNames: true})
	open := func(t *testing.T, url string, width, height int64, scale float64) {
		t.Helper()
		if err := chromedp.Do(ctx,
			chromedp.EmulateViewport(width, height, chromedp.EmulateScale(scale)),
			chromedp.Navigate(url),
			chromedp.WaitVisible(chromedp.CSS("#satisfaction figure svg")),
		); err != nil {
			t.Fatal(err)
		}
	}
	fontSize := func(t *testing.T) float64 {
		t.Helper()
		px, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`parseFloat(getComputedStyle(document.body).fontSize)`))
		if err != nil {
			t.Fatal(err)
		}
		return px
	}

	for _, tc := range []struct{ name, path string }{
		{"center", "/board/DEMO?lang=zh-CN"},
		{"all", "/board?lang=zh-CN"},
		{"english", "/board/EAST?lang=en"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			open(t, srv.URL+tc.path, 390, 844, 1)
			testenv.NoAxeViolations(t, ctx, "on "+tc.path)
			for _, v := range []struct {
				name          string
				width, height int64
				scale         float64
			}{{"320px", 320, 640, 1}, {"200% zoom", 640, 400, 2}} {
				open(t, srv.URL+tc.path, v.width, v.height, v.scale)
				if over := testenv.HorizontalOverflow(t, ctx); over > 0 {
					t.Errorf("%s at %s: %d px of sideways scrolling", tc.path, v.name, over)
				}
			}
		})
	}

	t.Run("large text", func(t *testing.T) {
		open(t, srv.URL+"/board/DEMO?lang=zh-CN", 390, 844, 1)
		normal := fontSize(t)
		if err := chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS(`.tools a`)),
			chromedp.WaitVisible(chromedp.CSS(`html.large #satisfaction figure svg`)),
		); err != nil {
			t.Fatal(err)
		}
		if large := fontSize(t); large < 1.5*normal {
			t.Fatalf("大字模式: %v px, normal %v px", large, normal)
		}
		// Kept across a reload of the page's own address, without ?large.
		open(t, srv.URL+"/board/DEMO", 320, 640, 1)
		pressed, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('.tools a').getAttribute('aria-pressed')`))
		if err != nil || pressed != "true" || fontSize(t) < 1.5*normal {
			t.Fatalf("after a reload 大字模式 is %q at %v px (%v)", pressed, fontSize(t), err)
		}
		if over := testenv.HorizontalOverflow(t, ctx); over > 0 {
			t.Errorf("大字模式 at 320 px: %d px of sideways scrolling", over)
		}
		testenv.NoAxeViolations(t, ctx, "in 大字模式")
		if dir := os.Getenv("WINDOWBOT_SCREENSHOTS"); dir != "" {
			open(t, srv.URL+"/board/DEMO", 390, 844, 1)
			png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "board-large-text.png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		// Switched off, and that is remembered too.
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.tools a`)), chromedp.WaitVisible(chromedp.CSS(`html:not(.large) #satisfaction figure svg`))); err != nil {
			t.Fatal(err)
		}
		open(t, srv.URL+"/board/DEMO", 390, 844, 1)
		if px := fontSize(t); px != normal {
			t.Fatalf("after switching 大字模式 off and a reload: %v px, want %v", px, normal)
		}
	})
}
