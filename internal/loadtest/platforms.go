package loadtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Platforms is the other end of windowbot's outgoing calls during a run: the WeChat API (access
// token, customer-service messages, template messages) and the Telegram Bot API (sendMessage,
// editMessageText, answerCallbackQuery, setWebhook …). Point windowbot's wechat.api_url and
// telegram.api_url at it. It keeps what was sent to each chat, so that a Telegram turn's replies
// and a WeChat answer that missed the passive reply's budget reach the dialog that waits for them.
type Platforms struct {
	botToken string

	mu    sync.Mutex
	chats map[string]*chatLog // by Telegram chat id or WeChat OpenID

	nextMsg   atomic.Int64
	sent      atomic.Int64 // messages sent or edited, both platforms
	wxPushes  atomic.Int64 // WeChat customer-service and template messages
	tgPushes  atomic.Int64 // Telegram sendMessage and sendPhoto
	malformed atomic.Int64 // calls the fakes did not understand
}

// chatLog is what was sent to one chat, in order; changed is closed and replaced on each event.
type chatLog struct {
	events  []event
	changed chan struct{}
}

// event is one message sent to a chat, or an edit of one.
type event struct {
	msgID   int64
	edit    bool
	text    string
	choices []choice // the message's buttons (Telegram); nil when it has none
	at      time.Time
}

// NewPlatforms returns the fakes of the WeChat API and of the Bot API for the bot token botToken
// (its calls come to /bot<token>/<method>).
func NewPlatforms(botToken string) *Platforms {
	p := &Platforms{botToken: botToken, chats: map[string]*chatLog{}}
	p.nextMsg.Store(1000)
	return p
}

// Sent counts the messages the platforms received from windowbot (sent or edited).
func (p *Platforms) Sent() int64 { return p.sent.Load() }

// Malformed counts the calls the fakes could not read: a sign that windowbot speaks another
// wire format than the platforms'.
func (p *Platforms) Malformed() int64 { return p.malformed.Load() }

// ServeHTTP answers both APIs.
func (p *Platforms) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, "/cgi-bin/"):
		p.wechat(w, r)
	case strings.HasPrefix(r.URL.Path, "/bot"):
		p.telegram(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (p *Platforms) log(chat string) *chatLog {
	c := p.chats[chat]
	if c == nil {
		c = &chatLog{changed: make(chan struct{})}
		p.chats[chat] = c
	}
	return c
}

func (p *Platforms) record(chat string, e event) {
	e.at = time.Now()
	p.sent.Add(1)
	p.mu.Lock()
	c := p.log(chat)
	c.events = append(c.events, e)
	close(c.changed)
	c.changed = make(chan struct{})
	p.mu.Unlock()
}

// mark returns how many events chat has so far: what a turn's replies come after.
func (p *Platforms) mark(chat string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.log(chat).events)
}

// since returns chat's events after mark, waiting up to wait for the first one when there is none.
func (p *Platforms) since(chat string, mark int, wait time.Duration) []event {
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		p.mu.Lock()
		c := p.log(chat)
		if len(c.events) > mark {
			out := append([]event(nil), c.events[mark:]...)
			p.mu.Unlock()
			return out
		}
		changed := c.changed
		p.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			return nil
		}
	}
}

// forget drops a finished dialog's chat, so that a long run's memory stays flat.
func (p *Platforms) forget(chat string) {
	p.mu.Lock()
	delete(p.chats, chat)
	p.mu.Unlock()
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// wechat fakes api.weixin.qq.com: tokens, and messages recorded for their OpenID.
func (p *Platforms) wechat(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	ok := map[string]any{"errcode": 0, "errmsg": "ok"}
	switch r.URL.Path {
	case "/cgi-bin/stable_token", "/cgi-bin/token":
		writeJSON(w, map[string]any{"access_token": "loadtest-access-token", "expires_in": 7200})
	case "/cgi-bin/message/custom/send":
		var m struct {
			ToUser  string `json:"touser"`
			MsgType string `json:"msgtype"`
			Text    struct {
				Content string `json:"content"`
			} `json:"text"`
		}
		if json.Unmarshal(body, &m) != nil || m.ToUser == "" {
			p.malformed.Add(1)
			writeJSON(w, map[string]any{"errcode": 40003, "errmsg": "invalid openid"})
			return
		}
		p.wxPushes.Add(1)
		p.record(m.ToUser, event{text: m.Text.Content})
		writeJSON(w, ok)
	case "/cgi-bin/message/template/send":
		var m struct {
			ToUser string `json:"touser"`
		}
		if json.Unmarshal(body, &m) != nil || m.ToUser == "" {
			p.malformed.Add(1)
			writeJSON(w, map[string]any{"errcode": 40003, "errmsg": "invalid openid"})
			return
		}
		p.wxPushes.Add(1)
		p.record(m.ToUser, event{text: string(body)})
		writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "msgid": p.nextMsg.Add(1)})
	case "/cgi-bin/media/upload":
		writeJSON(w, map[string]any{"type": "image", "media_id": "loadtest-media-" + strconv.FormatInt(p.nextMsg.Add(1), 10), "created_at": time.Now().Unix()})
	default:
		writeJSON(w, ok)
	}
}

// telegram fakes the Bot API: every method answers ok; messages are recorded for their chat.
func (p *Platforms) telegram(w http.ResponseWriter, r *http.Request) {
	method, ok := strings.CutPrefix(r.URL.Path, "/bot"+p.botToken+"/")
	if !ok {
		w.WriteHeader(http.StatusUnauthorized)
		writeJSON(w, map[string]any{"ok": false, "error_code": 401, "description": "Unauthorized"})
		return
	}
	if err := r.ParseMultipartForm(1 << 20); err != nil && !strings.Contains(err.Error(), "not multipart") {
		p.malformed.Add(1)
	}
	chat := r.FormValue("chat_id")
	switch method {
	case "getMe":
		writeJSON(w, map[string]any{"ok": true, "result": map[string]any{"id": 424242, "is_bot": true, "first_name": "Hall", "username": "LoadTestBot"}})
	case "sendMessage", "sendPhoto":
		id := p.nextMsg.Add(1)
		p.tgPushes.Add(1)
		txt := r.FormValue("text")
		if method == "sendPhoto" {
			txt = r.FormValue("caption")
		}
		p.record(chat, event{msgID: id, text: txt, choices: keyboard(r.FormValue("reply_markup"), id, &p.malformed)})
		c, _ := strconv.ParseInt(chat, 10, 64)
		writeJSON(w, map[string]any{"ok": true, "result": map[string]any{"message_id": id, "date": time.Now().Unix(),
			"chat": map[string]any{"id": c, "type": "private"}, "text": txt}})
	case "editMessageText", "editMessageReplyMarkup", "editMessageCaption":
		id, _ := strconv.ParseInt(r.FormValue("message_id"), 10, 64)
		e := event{msgID: id, edit: true, text: r.FormValue("text"), choices: keyboard(r.FormValue("reply_markup"), id, &p.malformed)}
		if method == "editMessageReplyMarkup" {
			e.text = ""
		}
		p.record(chat, e)
		writeJSON(w, map[string]any{"ok": true, "result": true})
	default: // answerCallbackQuery, setWebhook, deleteWebhook, setMyCommands …
		writeJSON(w, map[string]any{"ok": true, "result": true})
	}
}

// keyboard reads an inline keyboard's buttons; msgID is the message they sit on.
func keyboard(markup string, msgID int64, malformed *atomic.Int64) []choice {
	if markup == "" {
		return nil
	}
	var m struct {
		InlineKeyboard [][]struct {
			Text         string `json:"text"`
			CallbackData string `json:"callback_data"`
		} `json:"inline_keyboard"`
		Keyboard [][]struct {
			Text string `json:"text"`
		} `json:"keyboard"`
	}
	if err := json.Unmarshal([]byte(markup), &m); err != nil {
		malformed.Add(1)
		return nil
	}
	var out []choice
	for _, row := range m.InlineKeyboard {
		for _, b := range row {
			out = append(out, newChoice(b.Text, b.CallbackData, fmt.Sprint(msgID)))
		}
	}
	for _, row := range m.Keyboard {
		for _, b := range row {
			out = append(out, newChoice(b.Text, "", ""))
		}
	}
	return out
}
