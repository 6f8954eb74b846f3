package handlers_test

import (
	"context"
	"regexp"
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
		out = r.press("500", "rate:areas:conduct")
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

// on sends text from chat on platform.
func (r *rig) on(p bot.Platform, chat, text string) []bot.Reply {
	r.t.Helper()
	out, err := r.router.Handle(context.Background(), bot.Inbound{Platform: p, ChatID: chat, Text: text})
	if err != nil {
		r.t.Fatalf("%s %q: %v", p, text, err)
	}
	if len(out) == 0 {
		r.t.Fatalf("%s %q: no reply", p, text)
	}
	return out
}

// slashCommand finds a slash command in a text: "/rate", "/help".
var slashCommand = regexp.MustCompile(`/[a-z]+`)

// TestCancelOffersAWayOn: /cancel (and 取消) answers with the buttons to start again, whether a
// conversation was under way or not.
func TestCancelOffersAWayOn(t *testing.T) {
	forEachDB(t, func(t *testing.T, r *rig) {
		r.say("c1", "/start w_W001")
		out := r.say("c1", "/cancel")
		testenv.MustContain(t, out, "已取消")
		testenv.MustNotContain(t, out, "/rate")
		if !hasButton(out, "cmd:/rate") || !hasButton(out, "cmd:/complain") {
			t.Fatalf("/cancel answers without buttons: %+v", out)
		}
		out = r.say("c1", "取消")
		testenv.MustContain(t, out, "没有进行中")
		if !hasButton(out, "cmd:/rate") {
			t.Fatalf("nothing to cancel answers without buttons: %+v", out)
		}
	})
}

// TestHelpWithoutSlashCommandsOnWeChatAndWeb: help on WeChat and the web names the words to send
// and offers buttons, never a slash command to type; on Telegram, which has a command menu, it
// names the commands. A greeting gets the same welcome, not "not understood".
func TestHelpWithoutSlashCommandsOnWeChatAndWeb(t *testing.T) {
	forEachDB(t, func(t *testing.T, r *rig) {
		for _, p := range []bot.Platform{bot.WeChat, bot.Web} {
			for _, typed := range []string{"/help", "帮助", "/start", "你好", "您好！", "在吗？"} {
				out := r.on(p, r.chat("help"), typed)
				testenv.MustContain(t, out, "这里是政务服务“好差评”", "发送“评价”", "发送“投诉”")
				if cmd := slashCommand.FindString(testenv.Text(out)); cmd != "" {
					t.Errorf("%s %q: help names the command %s:\n%s", p, typed, cmd, testenv.Text(out))
				}
				if !hasButton(out, "cmd:/rate") {
					t.Errorf("%s %q: help offers no buttons", p, typed)
				}
			}
		}
		out := r.say(r.chat("tg"), "你好")
		testenv.MustContain(t, out, "这里是政务服务“好差评”", "/rate")
		testenv.MustNotContain(t, out, "没看懂")
		out = r.send(r.chat("en"), bot.Inbound{Text: "hi", Lang: "en"})
		testenv.MustContain(t, out, "good/bad review")
	})
}

// TestGreetingDuringAConversationIsNotHelp: a greeting typed while a conversation is under way
// belongs to it (here: the comment), not to the welcome.
func TestGreetingDuringAConversationIsNotHelp(t *testing.T) {
	forEachDB(t, func(t *testing.T, r *rig) {
		r.say("g1", "/start w_W002")
		r.press("g1", "rate:level:5")
		r.press("g1", "rate:praise:done")
		out := r.say("g1", "你好")
		testenv.MustContain(t, out, "已收到", "你好")
	})
}

// TestWeChatMenuAnsweredByNumber: the buttons of help are numbered on WeChat, and the number
// starts what it stands for, with no conversation under way.
func TestWeChatMenuAnsweredByNumber(t *testing.T) {
	forEachDB(t, func(t *testing.T, r *rig) {
		r.on(bot.WeChat, "m1", "你好")
		testenv.MustContain(t, r.on(bot.WeChat, "m1", "2"), "“办不成事”反映窗口")
		r.on(bot.WeChat, "m2", "/cancel")
		testenv.MustContain(t, r.on(bot.WeChat, "m2", "1"), "请选择办事的服务中心")
	})
}
