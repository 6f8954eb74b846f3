package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"windowbot/internal/testenv"
	catalog "windowbot/internal/text"
	"windowbot/models"
)

// choice is the XPath of the enabled button labelled label in the latest bot message that has
// one: what a visitor taps.
func choice(label string) string {
	return fmt.Sprintf(`(//li[contains(@class,"bot")]//button[contains(@class,"choice") and normalize-space()=%q and not(@disabled)])[last()]`, label)
}

// A citizen who scanned W001's poster rates it in a real browser on a phone, by taps and one
// typed comment, and the rating is in the database.
func TestWebChatRatingInBrowser(t *testing.T) {
	ctx := testenv.Browser(t)
	r := newChatRig(t, testenv.SQLiteURL(t))
	zh := catalog.ZH
	log := func() string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('log').innerText`))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tap := func(label string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Click(choice(label))); err != nil {
			t.Fatalf("tap %q: %v\n%s", label, err, log())
		}
	}
	// waitFor waits until the conversation shows s.
	waitFor := func(s string) {
		t.Helper()
		expr := fmt.Sprintf(`document.getElementById('log').innerText.includes(%q)`, s)
		if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](expr)); err != nil {
			t.Fatalf("waiting for %q: %v\n%s", s, err, log())
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
	tap("张伟")
	tap(catalog.Level(zh, int(models.Satisfied)))
	waitFor(catalog.T(zh, "ask_praise"))
	tap(catalog.Praise(zh, "warm")) // ticked in place
	tap(catalog.Praise(zh, "fast")) // and another
	tap(catalog.T(zh, "btn_done"))  // the skip button became "done"
	waitFor(strings.SplitN(catalog.T(zh, "ask_comment", "Max", models.MaxCommentRunes), "（", 2)[0])
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("text"), "取号到办完不到十分钟"),
		chromedp.Click(chromedp.ID("send")),
	); err != nil {
		t.Fatal(err)
	}
	waitFor("已收到")
	tap(catalog.T(zh, "btn_said"))
	waitFor("感谢您的评价")
	if s := log(); !strings.Contains(s, "工作人员：张伟") || !strings.Contains(s, "满意") || !strings.Contains(s, "取号到办完不到十分钟") {
		t.Errorf("conversation:\n%s", s)
	}
	width, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`document.documentElement.scrollWidth`))
	if err != nil || width > 390 {
		t.Errorf("the chat is %d px wide in a 390 px window (%v)", width, err)
	}

	var rs []models.Rating
	if err := testenv.DB(t, r.store).Find(&rs).Error; err != nil {
		t.Fatal(err)
	}
	zhang, err := r.store.StaffByNo(t.Context(), "DEMO-001")
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Level != int(models.Satisfied) || rs[0].Praise != "warm,fast" || rs[0].Comment != "取号到办完不到十分钟" ||
		rs[0].Channel != "web" || rs[0].StaffID == nil || *rs[0].StaffID != zhang.ID {
		t.Fatalf("ratings = %+v", rs)
	}
}
