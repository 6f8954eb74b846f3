package api_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"windowbot/handlers/api"
	"windowbot/internal/testenv"
)

// The board in a real browser at a phone's width and a desktop's: the chart is drawn with its
// series, and nothing is wider than the screen. With WINDOWBOT_SCREENSHOTS set to a folder, the
// pages are photographed into it (docs/screenshots holds the ones the README shows).
func TestBoardInBrowser(t *testing.T) {
	ctx := testenv.Browser(t)
	r := newRig(t, testenv.SQLiteURL(t))
	testenv.SeedBoard(t, r.store, r.clock.Now())
	srv := boardServer(t, r, api.BoardOptions{CacheTTL: time.Minute, StaffNames: true})
	shots := os.Getenv("WINDOWBOT_SCREENSHOTS")

	for _, tc := range []struct {
		name          string
		path          string
		width, height int64
		lang          string
	}{
		{"phone", "/board/DEMO", 390, 844, "zh-CN"},
		{"phone-all", "/board", 390, 844, "zh-CN"},
		{"phone-en", "/board/EAST", 390, 844, "en"},
		{"desktop", "/board/DEMO", 1280, 900, "zh-CN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := chromedp.Do(ctx,
				chromedp.EmulateViewport(tc.width, tc.height),
				chromedp.Navigate(srv.URL+tc.path+"?lang="+tc.lang),
				chromedp.WaitVisible(chromedp.CSS("#satisfaction figure svg")),
			)
			if err != nil {
				t.Fatal(err)
			}
			count := func(sel string) int {
				t.Helper()
				n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+strconv.Quote(sel)+`).length`))
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			// The series: one dot per month with ratings; the target: the dashed line.
			svgs, points, dashed := count("#satisfaction svg"), count("#satisfaction svg circle"), count("#satisfaction svg path[stroke-dasharray]")
			scrollWidth, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`document.documentElement.scrollWidth`))
			if err != nil {
				t.Fatal(err)
			}
			title, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
			if err != nil {
				t.Fatal(err)
			}
			if svgs != 1 || points != 13 || dashed != 1 {
				t.Errorf("chart: %d svg, %d points, %d dashed lines; want 1, 13, 1", svgs, points, dashed)
			}
			if scrollWidth > tc.width {
				t.Errorf("the page is %d px wide in a %d px window", scrollWidth, tc.width)
			}
			drawn, err := chromedp.Run(ctx, chromedp.Evaluate[struct{ Width, Height float64 }](
				`(() => { const b = document.querySelector('#satisfaction svg').getBoundingClientRect(); return {Width: b.width, Height: b.height}; })()`))
			if err != nil {
				t.Fatal(err)
			}
			if drawn.Width < 300 || drawn.Height < 150 || drawn.Width > float64(tc.width) {
				t.Errorf("chart drawn %vx%v px", drawn.Width, drawn.Height)
			}
			if want := map[string]string{"zh-CN": "政务服务“好差评”公示", "en": "Government service ratings"}[tc.lang]; title != want {
				t.Errorf("title = %q, want %q", title, want)
			}
			if shots != "" && (tc.name == "phone" || tc.name == "desktop") {
				png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
				if err != nil {
					t.Fatal(err)
				}
				name := filepath.Join(shots, fmt.Sprintf("board-%s.png", tc.name))
				if err := os.WriteFile(name, png, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("wrote %s (%d KB)", name, len(png)/1024)
			}
		})
	}

	// Printed (A4 is 794 px wide at 96 dpi): no navigation, nothing wider than the paper.
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(794, 1123), chromedp.Navigate(srv.URL+"/board/DEMO")); err != nil {
		t.Fatal(err)
	}
	printed, err := chromedp.Run(ctx, chromedp.Evaluate[struct {
		Nav    string
		Width  int64
		Points int
	}](`({Nav: getComputedStyle(document.querySelector('nav')).display, Width: document.documentElement.scrollWidth,
		Points: document.querySelectorAll('#satisfaction svg circle').length})`))
	if err != nil {
		t.Fatal(err)
	}
	if printed.Nav != "none" || printed.Width > 794 || printed.Points != 13 {
		t.Errorf("printed: %+v", printed)
	}
}
