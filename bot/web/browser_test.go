package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"windowbot/internal/testenv"
	"windowbot/internal/testenv/statetest"
	catalog "windowbot/internal/text"
	"windowbot/models"
)

// choice is the XPath of the enabled button labelled label (its words, without stars or tick) in the latest bot message that has
// one: what a visitor taps.
func choice(label string) string {
	return fmt.Sprintf(`(//li[contains(@class,"bot")]//button[contains(@class,"choice") and (normalize-space()=%q or normalize-space(.//*[@class="words"])=%q) and not(@disabled)])[last()]`, label, label)
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

// A visitor who reloads the page in the middle of a bad review finds the conversation as it
// was — the address no longer asks to start over — and finishes it there; 重新开始, tapped twice,
// starts over on purpose.
func TestWebChatReloadKeepsTheDialogInBrowser(t *testing.T) {
	ctx := testenv.Browser(t)
	store := testenv.OpenDemoStore(t, testenv.SQLiteURL(t))
	r := newReplica(t, store, statetest.Memory(t, nil))
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
	waitFor := func(s string) {
		t.Helper()
		expr := fmt.Sprintf(`document.getElementById('log').innerText.includes(%q)`, s)
		if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](expr)); err != nil {
			t.Fatalf("waiting for %q: %v\n%s", s, err, log())
		}
	}
	askAspects := strings.SplitN(catalog.T(zh, "ask_aspects"), "？", 2)[0]

	if err := chromedp.Do(ctx, chromedp.Navigate(r.srv.URL+"/?w=W001")); err != nil {
		t.Fatal(err)
	}
	waitFor("W001")
	tap("张伟")
	tap(catalog.Level(zh, 2))
	waitFor(askAspects)
	search, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.search`))
	if err != nil || strings.Contains(search, "w=") {
		t.Fatalf("after the deep link the address still asks for it: %q (%v)", search, err)
	}

	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	waitFor(askAspects)
	used, err := chromedp.Run(ctx, chromedp.Evaluate[bool](
		`Array.from(document.querySelectorAll('#log button.choice')).some(b => b.textContent === '张伟' && b.disabled && b.classList.contains('chosen'))`))
	if err != nil || !used {
		t.Fatalf("the staff button pressed before the reload is not shown as used (%v)\n%s", err, log())
	}
	if n := strings.Count(log(), "请问为您办理业务的工作人员是？"); n != 1 {
		t.Fatalf("the first question is shown %d times after the reload:\n%s", n, log())
	}
	tap(catalog.T(zh, "aspect.efficiency"))
	tap(catalog.T(zh, "btn_done"))
	tap(catalog.T(zh, "aspect.efficiency.slow"))
	tap(catalog.T(zh, "btn_done"))
	waitFor(strings.SplitN(catalog.T(zh, "ask_comment", "Max", models.MaxCommentRunes), "（", 2)[0])
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("text"), "叫号后二十分钟没人"),
		chromedp.Click(chromedp.ID("send")),
	); err != nil {
		t.Fatal(err)
	}
	waitFor("已收到")
	tap(catalog.T(zh, "btn_said"))
	waitFor("已生成差评工单")
	rs := testenv.All[models.Rating](t, store)
	if len(rs) != 1 || rs[0].Level != 2 || rs[0].Aspects != "efficiency.slow" || rs[0].Comment != "叫号后二十分钟没人" {
		t.Fatalf("ratings = %+v", rs)
	}

	// 重新开始: the first tap asks, the second clears the conversation and greets.
	if err := chromedp.Do(ctx, chromedp.Click(`#restart`)); err != nil {
		t.Fatal(err)
	}
	label, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('restart').textContent`))
	if err != nil || label != catalog.T(zh, "web.page.restart_sure") {
		t.Fatalf("after one tap the button says %q (%v)", label, err)
	}
	if !strings.Contains(log(), "已生成差评工单") {
		t.Fatal("one tap cleared the conversation")
	}
	if err := chromedp.Do(ctx, chromedp.Click(`#restart`)); err != nil {
		t.Fatal(err)
	}
	waitFor("这里是政务服务“好差评”")
	if s := log(); strings.Contains(s, "已生成差评工单") {
		t.Fatalf("the conversation is still shown after 重新开始:\n%s", s)
	}
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	waitFor("这里是政务服务“好差评”")
	if s := log(); strings.Contains(s, "已生成差评工单") || strings.Count(s, "这里是政务服务“好差评”") != 1 {
		t.Fatalf("after 重新开始 and a reload:\n%s", s)
	}
}
