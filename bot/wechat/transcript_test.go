package wechat_test

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"windowbot/bot"
	"windowbot/bot/wechat"
	"windowbot/bot/wechat/wechattest"
	"windowbot/internal/testenv/transcript"
)

// TestTranscripts plays the main dialogs through signed callbacks, the way a WeChat user does
// them: a press is the number (or the command) the account showed, typed back. It writes down the
// passive replies exactly as the user reads them, and what went out through the API: the
// customer-service messages the dispatcher sent, and any template message.
func TestTranscripts(t *testing.T) {
	transcript.Run(t, func(t *testing.T, w *transcript.World) transcript.Channel {
		e := newEnv(t, false, func(o *wechat.Options) {
			o.Handler, o.State, o.Citizens, o.Now = w.Handler, w.State, w.Store, w.Clock.Now
			// A passive reply whatever the machine's load: the budget is not what is recorded.
			o.ReplyBudget = 30 * time.Second
		})
		e.client.Now = w.Clock.Now
		return &wxChannel{env: e, now: w.Clock.Now}
	})
}

// wxChannel is transcript.Channel on WeChat.
type wxChannel struct {
	*env
	now    func() time.Time
	screen transcript.Screen
	// msgs numbers messages (MsgId) and events (their CreateTime is the dedupe key with the user).
	msgs int64
	// custom and templates count the API's messages already written down.
	custom, templates int
}

func (c *wxChannel) Platform() bot.Platform { return bot.WeChat }
func (c *wxChannel) Sender() bot.Sender     { return c.a }

// Account is an OpenID of 28 characters, like WeChat's.
func (c *wxChannel) Account(a transcript.Actor) string {
	return "o" + fmt.Sprintf("%027s", strings.ToUpper(a.Key))
}

// Open is a scan of the window's QR code by a follower: a SCAN event carrying the scene.
func (c *wxChannel) Open(t *testing.T, tr *transcript.Transcript, who transcript.Actor, window string) {
	scene := wechat.Scene(window)
	tr.User(who, "scans the QR code of scene "+scene+" (event SCAN)")
	c.msgs++
	c.deliver(t, tr, who, c.client.Event(c.Account(who), "SCAN", scene, c.now().Unix()+c.msgs))
}

func (c *wxChannel) Say(t *testing.T, tr *transcript.Transcript, who transcript.Actor, text string) {
	tr.User(who, text)
	c.text(t, tr, who, text)
}

// Offers reports whether the newest message to who with choices offers label.
func (c *wxChannel) Offers(who transcript.Actor, label string) bool {
	return c.screen.Offers(c.Account(who), label)
}

// Press types what the account showed for the choice: its number, or the command to send.
func (c *wxChannel) Press(t *testing.T, tr *transcript.Transcript, who transcript.Actor, label string) {
	_, typed := c.screen.Find(t, c.Account(who), label)
	tr.User(who, fmt.Sprintf("%s (for %s)", typed, label))
	c.text(t, tr, who, typed)
}

// Photo is an image message; WeChat images carry no caption.
func (c *wxChannel) Photo(t *testing.T, tr *transcript.Transcript, who transcript.Actor, _ string) {
	c.msgs++
	media := "MEDIA-" + strconv.FormatInt(c.msgs, 10)
	c.api.AddMedia(media, transcript.PNG())
	tr.User(who, "sends an image (MediaId "+media+")")
	c.deliver(t, tr, who, c.client.Image(c.Account(who), media, c.msgs))
}

func (c *wxChannel) Pushed(t *testing.T, tr *transcript.Transcript) { c.sent(tr) }

func (c *wxChannel) text(t *testing.T, tr *transcript.Transcript, who transcript.Actor, text string) {
	c.msgs++
	c.deliver(t, tr, who, c.client.Text(c.Account(who), text, c.msgs))
}

// deliver sends the callback and writes down the passive reply, then what went out through the
// API meanwhile.
func (c *wxChannel) deliver(t *testing.T, tr *transcript.Transcript, who transcript.Actor, m wechattest.Message) {
	t.Helper()
	rep := c.send(t, m)
	switch {
	case rep.Passive:
		c.show(tr, c.Account(who), "passive reply", rep.Text)
	default:
		tr.Bot(c.Account(who), fmt.Sprintf("answer %d", rep.Status), rep.Text)
	}
	c.sent(tr)
}

// sent writes down the customer-service and template messages the fake API accepted since the
// last call.
func (c *wxChannel) sent(tr *transcript.Transcript) {
	custom, templates := c.api.Custom(), c.api.Templates()
	for _, m := range custom[c.custom:] {
		c.show(tr, m.ToUser, "customer-service message", m.Text)
	}
	for _, m := range templates[c.templates:] {
		keys := make([]string, 0, len(m.Data))
		for k := range m.Data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&b, "%s: %s\n", k, m.Data[k])
		}
		tr.Bot(m.ToUser, "template message "+m.TemplateID, b.String())
	}
	c.custom, c.templates = len(custom), len(templates)
}

// Lines of a rendered text that answer a choice: "3. label" (type 3), and "• label：发送 /cmd"
// (type /cmd).
var (
	numberedLine = regexp.MustCompile(`^(\d+)\. (.+)$`)
	commandLine  = regexp.MustCompile(`^• (.+)：发送 (.+)$`)
)

// show writes text and remembers what it offers to type.
func (c *wxChannel) show(tr *transcript.Transcript, to, head, text string) {
	tr.Bot(to, head, text)
	var choices []transcript.Choice
	for _, l := range strings.Split(text, "\n") {
		if m := numberedLine.FindStringSubmatch(l); m != nil {
			choices = append(choices, transcript.Choice{Label: m[2], Value: m[1]})
		} else if m := commandLine.FindStringSubmatch(l); m != nil {
			choices = append(choices, transcript.Choice{Label: m[1], Value: m[2]})
		}
	}
	c.screen.Show(to, "", choices)
}
