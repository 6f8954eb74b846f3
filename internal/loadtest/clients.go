package loadtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"windowbot/bot/wechat"
	"windowbot/flows"
)

// choice is one answer offered to the citizen: a button (Telegram, web) or a numbered line
// (WeChat).
type choice struct {
	Label    string // without the tick of a chosen item
	Selected bool   // shown with a tick: chosen already in a multiple choice
	Payload  string // the button's data; empty on WeChat
	MsgID    string // the message the button sits on (Telegram, web)
	Number   int    // the line's number on WeChat
}

// tick marks a chosen item, as the flows draw it.
const tick = flows.Checked

func newChoice(label, payload, msgID string) choice {
	l := strings.TrimSpace(label)
	sel := strings.HasPrefix(l, tick)
	l = strings.TrimSpace(strings.TrimPrefix(l, tick))
	return choice{Label: l, Selected: sel, Payload: payload, MsgID: msgID}
}

// screen is what the citizen sees after one turn: the replies' text and the choices of the last
// message that offers any.
type screen struct {
	Text    string
	Choices []choice
}

// find returns the first choice whose label is label.
func (s screen) find(label string) (choice, bool) {
	for _, c := range s.Choices {
		if c.Label == label {
			return c, true
		}
	}
	return choice{}, false
}

// errNoReply means a turn ended without any answer reaching the citizen.
var errNoReply = errors.New("no reply")

// conversation is one citizen talking to windowbot on one platform.
type conversation interface {
	platform() string
	// citizen is the citizen's identity as windowbot stores it (platform, external id); empty
	// until windowbot has named it (a web visitor's cookie).
	citizen() string
	// scan opens the window's deep link (a QR code scan).
	scan(ctx context.Context, window string) (screen, error)
	say(ctx context.Context, text string) (screen, error)
	press(ctx context.Context, c choice) (screen, error)
	// done releases what the platforms kept for this citizen.
	done()
}

// targets hands out the base URLs of the replicas in turn.
type targets struct {
	urls []string
	next atomic.Uint64
}

func (t *targets) pick() string {
	return t.urls[int(t.next.Add(1)-1)%len(t.urls)]
}

// ---- WeChat: signed safe-mode XML callbacks, as WeChat's servers send them ----

// wechatClient sends callbacks for one official account.
type wechatClient struct {
	targets *targets
	token   string
	account string
	crypto  *wechat.Crypto
	http    *http.Client
	plat    *Platforms
	msgID   atomic.Int64
	// retries counts deliveries repeated because the answer did not come within WeChat's 5 s.
	retries atomic.Int64
}

// wechatTimeout is how long WeChat waits for a passive reply before it tries again (three tries).
const wechatTimeout = 5 * time.Second

type wechatConv struct {
	c      *wechatClient
	openID string
}

func (c *wechatConv) platform() string { return "wechat" }
func (c *wechatConv) citizen() string  { return "wechat:" + c.openID }
func (c *wechatConv) done()            { c.c.plat.forget(c.openID) }

type cdata string

func (c cdata) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return e.EncodeElement(struct {
		S string `xml:",cdata"`
	}{string(c)}, start)
}

type wxMessage struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   cdata    `xml:"ToUserName"`
	FromUserName cdata    `xml:"FromUserName"`
	CreateTime   int64    `xml:"CreateTime"`
	MsgType      cdata    `xml:"MsgType"`
	Content      cdata    `xml:"Content,omitempty"`
	Event        cdata    `xml:"Event,omitempty"`
	EventKey     cdata    `xml:"EventKey,omitempty"`
	MsgID        int64    `xml:"MsgId,omitempty"`
}

func (c *wechatConv) scan(ctx context.Context, window string) (screen, error) {
	return c.send(ctx, wxMessage{MsgType: "event", Event: "SCAN", EventKey: cdata("w_" + window)})
}

func (c *wechatConv) say(ctx context.Context, text string) (screen, error) {
	return c.send(ctx, wxMessage{MsgType: "text", Content: cdata(text), MsgID: c.c.msgID.Add(1)})
}

func (c *wechatConv) press(ctx context.Context, ch choice) (screen, error) {
	if ch.Number == 0 {
		return screen{}, fmt.Errorf("wechat: choice %q has no number", ch.Label)
	}
	return c.say(ctx, strconv.Itoa(ch.Number))
}

// send delivers m as WeChat does: signed and encrypted, tried again (the same message) when no
// answer came within 5 s, three tries in all. An answer of "success" means the reply comes
// through the customer-service API: it is awaited there.
func (c *wechatConv) send(ctx context.Context, m wxMessage) (screen, error) {
	m.ToUserName, m.FromUserName, m.CreateTime = cdata(c.c.account), cdata(c.openID), time.Now().Unix()
	plain, err := xml.Marshal(m)
	if err != nil {
		return screen{}, err
	}
	mark := c.c.plat.mark(c.openID)
	var lastErr error
	for try := 0; try < 3; try++ {
		if try > 0 {
			c.c.retries.Add(1)
		}
		text, err := c.deliver(ctx, plain)
		if err != nil {
			lastErr = err
			if ctx.Err() != nil {
				return screen{}, err
			}
			continue
		}
		if text == "" { // "success": the answer goes through the customer-service API
			evs := c.c.plat.since(c.openID, mark, 20*time.Second)
			if len(evs) == 0 {
				return screen{}, fmt.Errorf("wechat: answered success, then %w through the customer-service API", errNoReply)
			}
			text = evs[0].text
		}
		return wechatScreen(text), nil
	}
	return screen{}, lastErr
}

// deliver posts one callback and returns the decrypted passive reply ("" for success).
func (c *wechatConv) deliver(ctx context.Context, plain []byte) (string, error) {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	nonce := randomHex(5)
	random := make([]byte, 16)
	_, _ = rand.Read(random)
	enc, err := c.c.crypto.Encrypt(random, plain)
	if err != nil {
		return "", err
	}
	env, err := xml.Marshal(struct {
		XMLName    xml.Name `xml:"xml"`
		ToUserName cdata    `xml:"ToUserName"`
		Encrypt    cdata    `xml:"Encrypt"`
	}{ToUserName: cdata(c.c.account), Encrypt: cdata(enc)})
	if err != nil {
		return "", err
	}
	q := url.Values{"timestamp": {ts}, "nonce": {nonce}, "signature": {wechat.Signature(c.c.token, ts, nonce)},
		"openid": {c.openID}, "encrypt_type": {"aes"}, "msg_signature": {wechat.Signature(c.c.token, ts, nonce, enc)}}
	rctx, cancel := context.WithTimeout(ctx, wechatTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, c.c.targets.pick()+"/wechat?"+q.Encode(), bytes.NewReader(env))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "text/xml")
	res, err := c.c.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("wechat: %w", err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return "", fmt.Errorf("wechat: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("wechat: status %d: %.200s", res.StatusCode, raw)
	}
	if s := strings.TrimSpace(string(raw)); s == "success" || s == "" {
		return "", nil
	}
	var renv struct {
		Encrypt      string `xml:"Encrypt"`
		MsgSignature string `xml:"MsgSignature"`
		TimeStamp    string `xml:"TimeStamp"`
		Nonce        string `xml:"Nonce"`
	}
	if err := xml.Unmarshal(raw, &renv); err != nil {
		return "", fmt.Errorf("wechat: reply envelope: %w", err)
	}
	if renv.MsgSignature != wechat.Signature(c.c.token, renv.TimeStamp, renv.Nonce, renv.Encrypt) {
		return "", errors.New("wechat: the reply's signature does not verify")
	}
	dec, err := c.c.crypto.Decrypt(renv.Encrypt)
	if err != nil {
		return "", fmt.Errorf("wechat: reply: %w", err)
	}
	var rm struct {
		MsgType string `xml:"MsgType"`
		Content string `xml:"Content"`
	}
	if err := xml.Unmarshal(dec, &rm); err != nil {
		return "", fmt.Errorf("wechat: reply: %w", err)
	}
	if rm.MsgType != "text" || rm.Content == "" {
		// An empty text shows the user "service unavailable".
		return "", fmt.Errorf("wechat: reply of type %q with %d bytes of text", rm.MsgType, len(rm.Content))
	}
	return rm.Content, nil
}

// numbered matches a choice line of a WeChat answer: "3. 基本满意".
var numbered = regexp.MustCompile(`^(\d+)\. (.+)$`)

// wechatScreen reads the choices out of a WeChat answer's numbered lines: the last run of
// consecutive numbers from 1.
func wechatScreen(text string) screen {
	s := screen{Text: text}
	for _, line := range strings.Split(text, "\n") {
		m := numbered.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		if n == 1 {
			s.Choices = s.Choices[:0]
		}
		if n != len(s.Choices)+1 {
			continue
		}
		c := newChoice(m[2], "", "")
		c.Number = n
		s.Choices = append(s.Choices, c)
	}
	return s
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ---- Telegram: webhook updates with the secret token header ----

type telegramClient struct {
	targets *targets
	secret  string
	http    *http.Client
	plat    *Platforms
	update  atomic.Int64
	// redeliveries counts updates delivered again after a failed delivery, as Telegram does.
	redeliveries atomic.Int64
}

type telegramConv struct {
	c    *telegramClient
	chat int64
	name string
}

func (c *telegramConv) platform() string { return "telegram" }
func (c *telegramConv) citizen() string  { return "telegram:" + c.name }
func (c *telegramConv) done()            { c.c.plat.forget(c.name) }

func (c *telegramConv) scan(ctx context.Context, window string) (screen, error) {
	return c.say(ctx, "/start w_"+window)
}

func (c *telegramConv) from() map[string]any {
	return map[string]any{"id": c.chat, "is_bot": false, "first_name": "市民", "language_code": "zh-hans"}
}

func (c *telegramConv) say(ctx context.Context, text string) (screen, error) {
	id := c.c.update.Add(1)
	msg := map[string]any{"message_id": id, "date": time.Now().Unix(), "text": text,
		"chat": map[string]any{"id": c.chat, "type": "private"}, "from": c.from()}
	if strings.HasPrefix(text, "/") {
		cmd, _, _ := strings.Cut(text, " ")
		msg["entities"] = []map[string]any{{"type": "bot_command", "offset": 0, "length": len([]rune(cmd))}}
	}
	return c.deliver(ctx, map[string]any{"update_id": id, "message": msg})
}

func (c *telegramConv) press(ctx context.Context, ch choice) (screen, error) {
	if ch.Payload == "" {
		return screen{}, fmt.Errorf("telegram: choice %q has no callback data", ch.Label)
	}
	id := c.c.update.Add(1)
	msgID, _ := strconv.ParseInt(ch.MsgID, 10, 64)
	return c.deliver(ctx, map[string]any{"update_id": id, "callback_query": map[string]any{
		"id": strconv.FormatInt(id, 10), "from": c.from(), "chat_instance": "ci" + c.name, "data": ch.Payload,
		"message": map[string]any{"message_id": msgID, "date": time.Now().Unix(), "text": "",
			"chat": map[string]any{"id": c.chat, "type": "private"}}}})
}

// deliver posts the update to the webhook, again after a failure as Telegram does (it keeps
// trying for a long time; here three times), and reads what the bot sent back meanwhile.
func (c *telegramConv) deliver(ctx context.Context, upd map[string]any) (screen, error) {
	body, err := json.Marshal(upd)
	if err != nil {
		return screen{}, err
	}
	mark := c.c.plat.mark(c.name)
	var lastErr error
	for try := 0; try < 3; try++ {
		if try > 0 {
			c.c.redeliveries.Add(1)
			select {
			case <-ctx.Done():
				return screen{}, ctx.Err()
			case <-time.After(time.Duration(try) * 500 * time.Millisecond):
			}
		}
		if lastErr = c.post(ctx, body); lastErr == nil {
			break
		}
	}
	if lastErr != nil {
		return screen{}, lastErr
	}
	evs := c.c.plat.since(c.name, mark, time.Second)
	if len(evs) == 0 {
		return screen{}, fmt.Errorf("telegram: %w", errNoReply)
	}
	return telegramScreen(evs), nil
}

func (c *telegramConv) post(ctx context.Context, body []byte) error {
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, c.c.targets.pick()+"/telegram", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", c.c.secret)
	res, err := c.c.http.Do(req)
	if err != nil {
		return fmt.Errorf("telegram: %w", err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("telegram: webhook status %d", res.StatusCode)
	}
	return nil
}

// telegramScreen joins the texts sent or edited in a turn; the choices are the last keyboard.
func telegramScreen(evs []event) screen {
	var s screen
	var texts []string
	for _, e := range evs {
		if e.text != "" {
			texts = append(texts, e.text)
		}
		if e.choices != nil || !e.edit {
			s.Choices = e.choices
		}
	}
	s.Text = strings.Join(texts, "\n\n")
	return s
}

// ---- Web chat: the page's JSON API with its visitor cookie ----

type webClient struct {
	targets *targets
	http    *http.Client
}

type webConv struct {
	c       *webClient
	visitor string // the wb_visitor cookie, once the server set it
}

func (c *webConv) platform() string { return "web" }
func (c *webConv) citizen() string {
	if c.visitor == "" {
		return ""
	}
	return "web:" + c.visitor
}
func (c *webConv) done() {}

func (c *webConv) scan(ctx context.Context, window string) (screen, error) {
	return c.say(ctx, "/start w_"+window)
}

func (c *webConv) say(ctx context.Context, text string) (screen, error) {
	return c.post(ctx, map[string]string{"text": text})
}

func (c *webConv) press(ctx context.Context, ch choice) (screen, error) {
	if ch.Payload == "" {
		return screen{}, fmt.Errorf("web: choice %q has no payload", ch.Label)
	}
	return c.post(ctx, map[string]string{"payload": ch.Payload, "message_id": ch.MsgID})
}

func (c *webConv) post(ctx context.Context, msg map[string]string) (screen, error) {
	body, _ := json.Marshal(msg)
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, c.c.targets.pick()+"/chat/api/message", bytes.NewReader(body))
	if err != nil {
		return screen{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Language", "zh-CN")
	if c.visitor != "" {
		req.AddCookie(&http.Cookie{Name: "wb_visitor", Value: c.visitor})
	}
	res, err := c.c.http.Do(req)
	if err != nil {
		return screen{}, fmt.Errorf("web: %w", err)
	}
	defer res.Body.Close()
	for _, ck := range res.Cookies() {
		if ck.Name == "wb_visitor" {
			c.visitor = ck.Value
		}
	}
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return screen{}, fmt.Errorf("web: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		return screen{}, fmt.Errorf("web: status %d: %.200s", res.StatusCode, raw)
	}
	var out struct {
		Replies []struct {
			ID      string `json:"id"`
			Text    string `json:"text"`
			Buttons [][]struct {
				Label   string `json:"label"`
				Payload string `json:"payload"`
			} `json:"buttons"`
		} `json:"replies"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return screen{}, fmt.Errorf("web: answer: %w", err)
	}
	if len(out.Replies) == 0 {
		return screen{}, fmt.Errorf("web: %w", errNoReply)
	}
	var s screen
	var texts []string
	for _, r := range out.Replies {
		texts = append(texts, r.Text)
		var cs []choice
		for _, row := range r.Buttons {
			for _, b := range row {
				cs = append(cs, newChoice(b.Label, b.Payload, r.ID))
			}
		}
		if len(cs) > 0 {
			s.Choices = cs
		}
	}
	s.Text = strings.Join(texts, "\n\n")
	return s, nil
}
