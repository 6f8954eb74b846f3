package handlers_test

import (
	"context"
	"testing"

	"windowbot/bot"
	"windowbot/internal/testenv"
)

// TestRateCancelExpiryAndUnknownCommands: /cancel ends a rating; a button pressed after its
// conversation ended is told so and offered to start again; an unknown command gets help and
// keeps the dialog under way.
func TestRateCancelExpiryAndUnknownCommands(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		r.say("500", "/start w_W001")
		out := r.say("500", "/cancel")
		testenv.MustContain(t, out, "已取消")
		out = r.press("500", "rate:level:1")
		testenv.MustContain(t, out, "超时")
		if !hasButton(out, "cmd:/rate") {
			t.Fatalf("expired answer should offer to start again: %+v", out)
		}
		out = r.say("500", "/cancel")
		testenv.MustContain(t, out, "没有进行中")

		r.say("500", "/start w_W001")
		r.press("500", "rate:staff:skip")
		r.press("500", "rate:level:1")
		out = r.say("500", "/frobnicate")
		testenv.MustContain(t, out, "没有“/frobnicate”这个指令", "/rate")
		out = r.press("500", "rate:aspects:conduct.late")
		if !out[len(out)-1].Edit {
			t.Fatalf("dialog should still be under way: %+v", out)
		}
	})
}

// TestHelp: /help and text that is no command or answer offer what the bot can do, in the
// user's language.
func TestHelp(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		out := r.say("700", "/help")
		testenv.MustContain(t, out, "/rate", "/cancel")
		out = r.say("701", "hello")
		testenv.MustContain(t, out, "/rate")
		out = r.send("702", bot.Inbound{Text: "/start", Lang: "en"})
		testenv.MustContain(t, out, "Scan the QR code")
	})
}

// TestSubscribeCommands: /subscribe and /unsubscribe, or 订阅 and 退订 typed, record a citizen's
// opt-in to announcements.
func TestSubscribeCommands(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		testenv.MustContain(t, r.say("sub", "订阅"), "已订阅")
		testenv.MustContain(t, r.say("gone", "/subscribe"), "已订阅")
		testenv.MustContain(t, r.say("gone", "退订"), "已退订")
		for chat, want := range map[string]bool{"sub": true, "gone": false} {
			c, err := r.store.CitizenByExternalID(context.Background(), string(bot.Telegram), chat)
			if err != nil {
				t.Fatal(err)
			}
			if c.Subscribed != want {
				t.Errorf("%s: subscribed %v, want %v", chat, c.Subscribed, want)
			}
		}
	})
}

// TestKeywordsStandForCommands: a citizen on WeChat types 投诉 rather than /complain; a message
// that is exactly one of the words runs its command.
func TestKeywordsStandForCommands(t *testing.T) {
	forEachDB(t, func(t *testing.T, r *rig) {
		for word, want := range map[string]string{
			"投诉": "“办不成事”反映窗口", "评价": "请选择办事的服务中心", "查询": "您还没有提交过", "追评": "没有待评价的工单",
		} {
			testenv.MustContain(t, r.say(r.chat("kw"), word), want)
		}
	})
}
