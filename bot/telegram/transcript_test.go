package telegram

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"windowbot/bot"
	"windowbot/internal/testenv"
	"windowbot/internal/testenv/transcript"
)

// TestTranscripts plays the main dialogs through the adapter in webhook mode, which handles an
// update before it answers, against the fake Bot API, and writes down every call the bot made:
// messages with their inline keyboards, edits, and the pushes the dispatcher sent.
func TestTranscripts(t *testing.T) {
	transcript.Run(t, func(t *testing.T, w *transcript.World) transcript.Channel {
		api := newFakeAPI(t)
		const secret = "transcript-secret"
		ad, err := New(Options{
			Token: api.token, APIURL: api.URL(), Mode: ModeWebhook, WebhookSecret: secret, Username: api.username,
			Handler: w.Handler, Dedupe: w.State, Logger: testenv.Logger(),
		})
		if err != nil {
			t.Fatal(err)
		}
		return &tgChannel{api: api, ad: ad, hook: ad.WebhookHandler(), secret: secret}
	})
}

// tgChannel is transcript.Channel on Telegram.
type tgChannel struct {
	api    *fakeAPI
	ad     *Adapter
	hook   http.Handler
	secret string
	screen transcript.Screen
	// seen is how many calls of the fake API are written down already.
	seen    int
	updates int64
}

// users are the actors' Telegram accounts, private chats whose id is the user's.
var users = map[string]tgUser{
	transcript.Citizen.Key:    {ID: 7001, Lang: "zh-hans"},
	transcript.Neighbour.Key:  {ID: 7002, Lang: "zh-hans"},
	transcript.Staff.Key:      {ID: 8001, Lang: "zh-hans"},
	transcript.Lead.Key:       {ID: 8003, Lang: "zh-hans"},
	transcript.Supervisor.Key: {ID: 8002, Lang: "zh-hans"},
}

func (c *tgChannel) Platform() bot.Platform            { return bot.Telegram }
func (c *tgChannel) Sender() bot.Sender                { return c.ad }
func (c *tgChannel) Account(a transcript.Actor) string { return fmt.Sprint(users[a.Key].ID) }

// Open is the deep link https://t.me/<bot>?start=w_<window>: Telegram sends "/start w_<window>".
func (c *tgChannel) Open(t *testing.T, tr *transcript.Transcript, who transcript.Actor, window string) {
	text := "/start w_" + window
	tr.User(who, "opens t.me/"+c.api.username+"?start=w_"+window+", which sends "+text)
	c.deliver(t, tr, users[who.Key].textUpdate(text))
}

func (c *tgChannel) Say(t *testing.T, tr *transcript.Transcript, who transcript.Actor, text string) {
	tr.User(who, text)
	c.deliver(t, tr, users[who.Key].textUpdate(text))
}

// Offers reports whether the newest message to who with choices offers label.
func (c *tgChannel) Offers(who transcript.Actor, label string) bool {
	return c.screen.Offers(c.Account(who), label)
}

func (c *tgChannel) Press(t *testing.T, tr *transcript.Transcript, who transcript.Actor, label string) {
	msg, data := c.screen.Find(t, c.Account(who), label)
	tr.User(who, fmt.Sprintf("presses [%s] on #%s (callback data %s)", label, msg, data))
	id, err := strconv.Atoi(msg)
	if err != nil {
		t.Fatal(err)
	}
	c.deliver(t, tr, users[who.Key].pressUpdate(id, data))
}

func (c *tgChannel) Photo(t *testing.T, tr *transcript.Transcript, who transcript.Actor, caption string) {
	tr.User(who, fmt.Sprintf("sends a photo captioned %q", caption))
	c.deliver(t, tr, users[who.Key].photoUpdate(caption))
}

func (c *tgChannel) Pushed(t *testing.T, tr *transcript.Transcript) { c.record(t, tr) }

// deliver posts upd to the webhook, which answers once the update is handled, and writes down
// the calls the bot made meanwhile.
func (c *tgChannel) deliver(t *testing.T, tr *transcript.Transcript, upd map[string]any) {
	t.Helper()
	c.updates++
	upd["update_id"] = c.updates
	body, err := json.Marshal(upd)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/telegram", bytes.NewReader(body))
	req.Header.Set(SecretHeader, c.secret)
	rec := httptest.NewRecorder()
	c.hook.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("webhook answered %d: %s", rec.Code, rec.Body)
	}
	c.record(t, tr)
}

// record writes down the fake API's calls since the last record.
func (c *tgChannel) record(t *testing.T, tr *transcript.Transcript) {
	t.Helper()
	calls := c.api.since(c.seen)
	c.seen = c.api.count()
	for _, call := range calls {
		p := call.Params
		switch call.Method {
		case "sendMessage":
			id := fmt.Sprint(call.MsgID)
			c.show(t, tr, p["chat_id"], id, "#"+id, p)
		case "editMessageText":
			c.show(t, tr, p["chat_id"], p["message_id"], "#"+p["message_id"]+" edited", p)
		case "answerCallbackQuery":
			// The press is acknowledged; only a notification text would be shown.
			if p["text"] != "" {
				tr.Bot(p["chat_id"], "callback answer", p["text"])
			}
		default:
			tr.Bot(p["chat_id"], call.Method, fmt.Sprint(p))
		}
	}
}

// show writes a message with its inline keyboard, a row of buttons a line, each button as
// [label] and its callback data, and remembers the keyboard for presses.
func (c *tgChannel) show(t *testing.T, tr *transcript.Transcript, chat, id, head string, p map[string]string) {
	var rows []string
	var choices []transcript.Choice
	for _, row := range keyboard(t, p["reply_markup"]) {
		var bs []string
		for _, btn := range row {
			bs = append(bs, fmt.Sprintf("[%s] %s", btn[0], btn[1]))
			choices = append(choices, transcript.Choice{Label: btn[0], Value: btn[1]})
		}
		rows = append(rows, strings.Join(bs, "   "))
	}
	tr.Bot(chat, head, p["text"], rows...)
	c.screen.Show(chat, id, choices)
}
