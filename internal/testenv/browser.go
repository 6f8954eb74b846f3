package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browserNames are the Chromium commands Browser looks for, Debian's first.
var browserNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// shared is the one headless browser of a test binary: started by the first test that asks,
// reused by the others, each in its own tab. chromedp has the kernel kill it when the binary
// ends.
var shared struct {
	once    sync.Once
	browser context.Context
	err     error
}

// BrowserTimeout bounds everything one test does in its tab.
const BrowserTimeout = 60 * time.Second

// Browser returns the context of a new tab of a headless Chromium with a CJK font, closed when
// the test ends, for chromedp.Do and chromedp.Run. The browser is WINDOWBOT_TEST_CHROME if set, else the first of
// chromium, chromium-browser and google-chrome on the PATH (`make test` installs Debian's
// chromium and fonts-noto-cjk); without it, or without a font for Chinese, the test is skipped,
// and fails under CI=true. One browser serves every test of the package.
func Browser(t testing.TB) context.Context {
	t.Helper()
	path, err := browserPath()
	if err != nil {
		unavailable(t, "Chromium", err)
	}
	if err := cjkFont(); err != nil {
		unavailable(t, "a CJK font for Chromium", err)
	}
	shared.once.Do(func() {
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(path),
			chromedp.NoSandbox, // tests may run as root, where Chromium's sandbox refuses to start
			chromedp.DisableGPU,
			chromedp.Flag("lang", "zh-CN"),
			chromedp.Flag("accept-lang", "zh-CN,zh"), // what pages see in Accept-Language and navigator.languages
			chromedp.Flag("hide-scrollbars", true),
			chromedp.Flag("font-render-hinting", "none"),
		)
		alloc, _ := chromedp.NewExecAllocator(context.Background(), opts...)
		shared.browser, _ = chromedp.NewContext(alloc)
		// The first Do starts the browser, which lives as long as the context it ran with: so
		// the browser's own, never cancelled.
		shared.err = chromedp.Do(shared.browser)
	})
	if shared.err != nil {
		t.Fatalf("testenv: start %s: %v", path, shared.err)
	}
	tab, closeTab := chromedp.NewContext(shared.browser)
	ctx, cancel := context.WithTimeout(tab, BrowserTimeout)
	t.Cleanup(func() {
		cancel()
		closeTab()
	})
	return ctx
}

func browserPath() (string, error) {
	if p := os.Getenv("WINDOWBOT_TEST_CHROME"); p != "" {
		return exec.LookPath(p)
	}
	for _, name := range browserNames {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("none of %s on the PATH (set WINDOWBOT_TEST_CHROME)", strings.Join(browserNames, ", "))
}

// cjkFont checks that fontconfig, which Chromium asks, knows a font for Chinese: without one
// every Chinese character is a box and the layout measured is not the one people see.
func cjkFont() error {
	out, err := exec.Command("fc-list", ":lang=zh", "family").Output()
	if err != nil {
		return fmt.Errorf("fc-list: %w", err)
	}
	if strings.TrimSpace(string(out)) == "" {
		return errors.New("fontconfig knows no font for Chinese (install fonts-noto-cjk)")
	}
	return nil
}
