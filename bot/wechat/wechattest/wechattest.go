// Package wechattest fakes both ends of the WeChat official account platform for tests: API is
// the outgoing API (token, customer-service text and image messages, template messages, QR
// codes, the menu, temporary media uploads and downloads) on an httptest server, and Client sends callbacks signed, and in safe mode encrypted, as WeChat does.
package wechattest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"windowbot/bot/wechat"
)

// Sent is one message the fake API accepted.
type Sent struct {
	ToUser string
	// Text is the content of a customer-service text message.
	Text string
	// TemplateID and Data are set for a template message.
	TemplateID string
	Data       map[string]string
	// MediaID and Image are set for a customer-service image message: the temporary media it
	// names and the bytes uploaded under it.
	MediaID string
	Image   []byte
}

// API is a fake WeChat API. Its fields are guarded by its lock: read them through the methods.
type API struct {
	Server *httptest.Server
	AppID  string
	Secret string

	mu        sync.Mutex
	token     string
	tokenSeq  int
	fetches   int
	stableOff bool
	custom    []Sent
	templates []Sent
	menus     []json.RawMessage
	scenes    []string
	media     map[string]media
	mediaGets int
	uploads   int
	// errors answers errcode for a path (and optionally one user), once or always.
	failures []failure
	delay    time.Duration
}

// media is a temporary media file the fake serves: data, or size bytes of a JPEG-looking body
// generated on the fly.
type media struct {
	data     []byte
	size     int64
	declared bool // send Content-Length (otherwise the body is chunked)
}

type failure struct {
	path, openID string
	code         int64
	times        int // 0 = always
}

// NewAPI starts a fake API for the account appID/secret, closed when the test ends.
func NewAPI(t testing.TB, appID, secret string) *API {
	f := &API{AppID: appID, Secret: secret, media: map[string]media{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /cgi-bin/stable_token", f.stableToken)
	mux.HandleFunc("GET /cgi-bin/token", f.classicToken)
	mux.HandleFunc("POST /cgi-bin/message/custom/send", f.authed(f.customSend))
	mux.HandleFunc("POST /cgi-bin/message/template/send", f.authed(f.templateSend))
	mux.HandleFunc("POST /cgi-bin/qrcode/create", f.authed(f.qrCreate))
	mux.HandleFunc("POST /cgi-bin/menu/create", f.authed(f.menuCreate))
	mux.HandleFunc("POST /cgi-bin/media/upload", func(w http.ResponseWriter, r *http.Request) {
		ct, typ := r.Header.Get("Content-Type"), r.URL.Query().Get("type")
		f.authed(func(w http.ResponseWriter, body []byte) { f.mediaUpload(w, ct, typ, body) })(w, r)
	})
	mux.HandleFunc("GET /cgi-bin/media/get", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.mediaGets++
		f.mu.Unlock()
		id := r.URL.Query().Get("media_id")
		f.authed(func(w http.ResponseWriter, _ []byte) { f.mediaGet(w, id) })(w, r)
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Server.Close)
	return f
}

// URL is the base to configure as the API URL.
func (f *API) URL() string { return f.Server.URL }

// ExpireToken makes the current token invalid (errcode 40001), as when it expired or another
// party refreshed it; the next fetch gets a new one.
func (f *API) ExpireToken() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.token = ""
}

// DisableStableToken makes /cgi-bin/stable_token answer 48001 (not authorised).
func (f *API) DisableStableToken() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stableOff = true
}

// Fail makes path (e.g. "/cgi-bin/message/custom/send") answer errcode code for openID (any user
// when empty), times times (always when 0).
func (f *API) Fail(path, openID string, code int64, times int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures = append(f.failures, failure{path: path, openID: openID, code: code, times: times})
}

// SetDelay makes every call made with an access token (message sends, media downloads) take d.
func (f *API) SetDelay(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delay = d
}

// AddMedia makes media_id id download as data, declared as image/jpeg whatever data is (WeChat
// names the type by the upload; the receiver should look at the bytes). Unknown ids answer
// errcode 40007, as expired temporary media does.
func (f *API) AddMedia(id string, data []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.media[id] = media{data: bytes.Clone(data)}
}

// AddOversizedMedia makes media_id id download as size bytes of a JPEG-looking body, generated
// as it is sent. With declared the answer carries its Content-Length; without, it is chunked and
// the receiver learns the size only by reading.
func (f *API) AddOversizedMedia(id string, size int64, declared bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.media[id] = media{size: size, declared: declared}
}

// MediaGets counts media downloads, answered or not.
func (f *API) MediaGets() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.mediaGets
}

// PNG returns a small valid PNG image.
func PNG() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 4, 3))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// TokenFetches counts token fetches.
func (f *API) TokenFetches() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fetches
}

// Custom returns the customer-service messages sent so far.
func (f *API) Custom() []Sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Sent(nil), f.custom...)
}

// Templates returns the template messages sent so far.
func (f *API) Templates() []Sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Sent(nil), f.templates...)
}

// Menus returns the bodies of menu/create calls.
func (f *API) Menus() []json.RawMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]json.RawMessage(nil), f.menus...)
}

// Scenes returns the scene strings of the QR codes created.
func (f *API) Scenes() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.scenes...)
}

// QRURL is the URL the fake returns for a scene's QR code.
func QRURL(scene string) string { return "https://weixin.qq.com/q/fake-" + scene }

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func errcode(w http.ResponseWriter, code int64, msg string) {
	writeJSON(w, map[string]any{"errcode": code, "errmsg": msg})
}

func (f *API) issue(w http.ResponseWriter, appID, secret string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fetches++
	if appID != f.AppID || secret != f.Secret {
		errcode(w, 40125, "invalid appsecret")
		return
	}
	if f.token == "" {
		f.tokenSeq++
		f.token = fmt.Sprintf("TOKEN-%d-%s", f.tokenSeq, randomHex(4))
	}
	writeJSON(w, map[string]any{"access_token": f.token, "expires_in": 7200})
}

func (f *API) stableToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		GrantType string `json:"grant_type"`
		AppID     string `json:"appid"`
		Secret    string `json:"secret"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.GrantType != "client_credential" {
		errcode(w, 47001, "data format error")
		return
	}
	f.mu.Lock()
	off := f.stableOff
	f.mu.Unlock()
	if off {
		errcode(w, 48001, "api unauthorized")
		return
	}
	f.issue(w, req.AppID, req.Secret)
}

func (f *API) classicToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("grant_type") != "client_credential" {
		errcode(w, 40002, "invalid grant_type")
		return
	}
	f.issue(w, q.Get("appid"), q.Get("secret"))
}

// authed checks the access token of a call and the scripted failures, then decodes the body.
func (f *API) authed(next func(w http.ResponseWriter, body []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			errcode(w, 44002, "empty post data")
			return
		}
		var who struct {
			ToUser string `json:"touser"`
		}
		_ = json.Unmarshal(body, &who)
		f.mu.Lock()
		tok, delay := f.token, f.delay
		var fail int64
		if got := r.URL.Query().Get("access_token"); got == "" || got != tok {
			fail = 40001
		} else {
			for i := range f.failures {
				fl := &f.failures[i]
				if fl.path == r.URL.Path && (fl.openID == "" || fl.openID == who.ToUser) && fl.times >= 0 {
					fail = fl.code
					if fl.times > 0 {
						if fl.times--; fl.times == 0 {
							fl.times = -1
						}
					}
					break
				}
			}
		}
		f.mu.Unlock()
		if delay > 0 {
			time.Sleep(delay)
		}
		if fail != 0 {
			errcode(w, fail, "scripted failure")
			return
		}
		next(w, body)
	}
}

// maxImageUpload is WeChat's limit on an image uploaded as temporary media.
const maxImageUpload = 10 << 20

// mediaUpload takes a temporary image as WeChat does: multipart/form-data with the file in the
// field "media", type=image in the query, a JPEG, PNG, GIF or BMP of at most 10 MB.
func (f *API) mediaUpload(w http.ResponseWriter, contentType, typ string, body []byte) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "multipart/form-data" {
		errcode(w, 41005, "media data missing")
		return
	}
	if typ != "image" {
		errcode(w, 40004, "invalid media type")
		return
	}
	form, err := multipart.NewReader(bytes.NewReader(body), params["boundary"]).ReadForm(32 << 20)
	if err != nil || len(form.File["media"]) == 0 {
		errcode(w, 41005, "media data missing")
		return
	}
	file, err := form.File["media"][0].Open()
	if err != nil {
		errcode(w, 41005, "media data missing")
		return
	}
	data, _ := io.ReadAll(file)
	file.Close()
	switch sniffed := http.DetectContentType(data); {
	case len(data) > maxImageUpload:
		errcode(w, 40006, "invalid media size")
		return
	case sniffed != "image/jpeg" && sniffed != "image/png" && sniffed != "image/gif" && sniffed != "image/bmp":
		errcode(w, 40005, "invalid file type")
		return
	}
	f.mu.Lock()
	f.uploads++
	id := fmt.Sprintf("MEDIA-%d-%s", f.uploads, randomHex(4))
	f.media[id] = media{data: bytes.Clone(data)}
	f.mu.Unlock()
	writeJSON(w, map[string]any{"type": "image", "media_id": id, "created_at": time.Now().Unix()})
}

// Uploads counts the temporary media uploaded.
func (f *API) Uploads() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.uploads
}

// ForgetMedia drops every temporary media, as WeChat does after three days: sending one answers
// errcode 40007.
func (f *API) ForgetMedia() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.media)
}

func (f *API) customSend(w http.ResponseWriter, body []byte) {
	var m struct {
		ToUser  string `json:"touser"`
		MsgType string `json:"msgtype"`
		Text    struct {
			Content string `json:"content"`
		} `json:"text"`
		Image struct {
			MediaID string `json:"media_id"`
		} `json:"image"`
	}
	if json.Unmarshal(body, &m) == nil && m.MsgType == "image" && m.ToUser != "" {
		f.mu.Lock()
		md, ok := f.media[m.Image.MediaID]
		if ok {
			f.custom = append(f.custom, Sent{ToUser: m.ToUser, MediaID: m.Image.MediaID, Image: md.data})
		}
		f.mu.Unlock()
		if !ok {
			errcode(w, 40007, "invalid media_id")
			return
		}
		errcode(w, 0, "ok")
		return
	}
	if json.Unmarshal(body, &m) != nil || m.MsgType != "text" || m.ToUser == "" {
		errcode(w, 47001, "data format error")
		return
	}
	if m.Text.Content == "" {
		errcode(w, 44003, "empty news data")
		return
	}
	f.mu.Lock()
	f.custom = append(f.custom, Sent{ToUser: m.ToUser, Text: m.Text.Content})
	f.mu.Unlock()
	errcode(w, 0, "ok")
}

func (f *API) templateSend(w http.ResponseWriter, body []byte) {
	var m struct {
		ToUser     string `json:"touser"`
		TemplateID string `json:"template_id"`
		Data       map[string]struct {
			Value string `json:"value"`
		} `json:"data"`
	}
	if json.Unmarshal(body, &m) != nil || m.ToUser == "" {
		errcode(w, 47001, "data format error")
		return
	}
	if m.TemplateID == "" {
		errcode(w, 40037, "invalid template_id")
		return
	}
	s := Sent{ToUser: m.ToUser, TemplateID: m.TemplateID, Data: map[string]string{}}
	for k, v := range m.Data {
		s.Data[k] = v.Value
	}
	f.mu.Lock()
	f.templates = append(f.templates, s)
	n := len(f.templates)
	f.mu.Unlock()
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "msgid": n})
}

func (f *API) qrCreate(w http.ResponseWriter, body []byte) {
	var req struct {
		ActionName string `json:"action_name"`
		ActionInfo struct {
			Scene struct {
				SceneStr string `json:"scene_str"`
			} `json:"scene"`
		} `json:"action_info"`
	}
	if json.Unmarshal(body, &req) != nil || req.ActionName != "QR_LIMIT_STR_SCENE" {
		errcode(w, 40052, "invalid action name")
		return
	}
	scene := req.ActionInfo.Scene.SceneStr
	if scene == "" || len(scene) > 64 {
		errcode(w, 40053, "invalid action info")
		return
	}
	f.mu.Lock()
	f.scenes = append(f.scenes, scene)
	f.mu.Unlock()
	writeJSON(w, map[string]any{"ticket": "T-" + scene, "url": QRURL(scene)})
}

// jpegHead starts the generated body of oversized media, so its first bytes sniff as an image.
var jpegHead = []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00}

func (f *API) mediaGet(w http.ResponseWriter, id string) {
	f.mu.Lock()
	m, ok := f.media[id]
	f.mu.Unlock()
	if !ok {
		// WeChat answers errors of media/get as JSON under text/plain.
		w.Header().Set("Content-Type", "text/plain")
		_ = json.NewEncoder(w).Encode(map[string]any{"errcode": 40007, "errmsg": "invalid media_id"})
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Content-Disposition", `attachment; filename="`+id+`.jpg"`)
	if m.data != nil {
		w.Header().Set("Content-Length", strconv.Itoa(len(m.data)))
		_, _ = w.Write(m.data)
		return
	}
	if m.declared {
		w.Header().Set("Content-Length", strconv.FormatInt(m.size, 10))
	}
	body := io.MultiReader(bytes.NewReader(jpegHead), io.LimitReader(zeros{}, m.size-int64(len(jpegHead))))
	// A receiver that stops reading ends the copy with an error; nothing to do about it.
	_, _ = io.Copy(w, body)
}

// zeros reads as endless zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func (f *API) menuCreate(w http.ResponseWriter, body []byte) {
	var m struct {
		Button []struct {
			Type string `json:"type"`
			Name string `json:"name"`
			Key  string `json:"key"`
		} `json:"button"`
	}
	if json.Unmarshal(body, &m) != nil || len(m.Button) == 0 || len(m.Button) > 3 {
		errcode(w, 40016, "invalid button size")
		return
	}
	for _, b := range m.Button {
		if b.Type != "click" || b.Key == "" || len(b.Name) > 16 {
			errcode(w, 40018, "invalid button name size")
			return
		}
	}
	f.mu.Lock()
	f.menus = append(f.menus, json.RawMessage(bytes.Clone(body)))
	f.mu.Unlock()
	errcode(w, 0, "ok")
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Client sends callbacks to a /wechat endpoint the way WeChat does.
type Client struct {
	// URL is the callback endpoint, e.g. server URL + "/wechat".
	URL   string
	Token string
	AppID string
	// Crypto is set for safe mode; nil sends plaintext callbacks.
	Crypto *wechat.Crypto
	// Account is the official account's original id (ToUserName), e.g. "gh_123456789abc".
	Account string
	HTTP    *http.Client
	// Now is the clock for timestamps; nil means time.Now.
	Now func() time.Time
}

// Reply is the answer to one callback.
type Reply struct {
	Status int
	// Text is the passive reply's content (decrypted and its signature checked in safe mode),
	// "success" when the server said so, or the raw body otherwise.
	Text string
	// Passive is true when Text came from a text reply.
	Passive bool
}

// Message is a callback's plaintext XML.
type Message struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   cdata    `xml:"ToUserName"`
	FromUserName cdata    `xml:"FromUserName"`
	CreateTime   int64    `xml:"CreateTime"`
	MsgType      cdata    `xml:"MsgType"`
	Content      cdata    `xml:"Content,omitempty"`
	MediaID      cdata    `xml:"MediaId,omitempty"`
	PicURL       cdata    `xml:"PicUrl,omitempty"`
	Event        cdata    `xml:"Event,omitempty"`
	EventKey     cdata    `xml:"EventKey,omitempty"`
	Format       cdata    `xml:"Format,omitempty"`
	Recognition  cdata    `xml:"Recognition,omitempty"`
	MsgID        int64    `xml:"MsgId,omitempty"`
}

type cdata string

func (c cdata) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return e.EncodeElement(struct {
		S string `xml:",cdata"`
	}{string(c)}, start)
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Text builds a text message.
func (c *Client) Text(openID, text string, msgID int64) Message {
	return Message{ToUserName: cdata(c.Account), FromUserName: cdata(openID), CreateTime: c.now().Unix(),
		MsgType: "text", Content: cdata(text), MsgID: msgID}
}

// Image builds an image message.
func (c *Client) Image(openID, mediaID string, msgID int64) Message {
	return Message{ToUserName: cdata(c.Account), FromUserName: cdata(openID), CreateTime: c.now().Unix(),
		MsgType: "image", MediaID: cdata(mediaID), PicURL: "http://mmbiz.qpic.cn/fake", MsgID: msgID}
}

// Voice builds a voice message in AMR, with the text WeChat's speech recognition heard
// (Recognition, for accounts that turned it on), or none when recognised is empty.
func (c *Client) Voice(openID, mediaID, recognised string, msgID int64) Message {
	return Message{ToUserName: cdata(c.Account), FromUserName: cdata(openID), CreateTime: c.now().Unix(),
		MsgType: "voice", MediaID: cdata(mediaID), Format: "amr", Recognition: cdata(recognised), MsgID: msgID}
}

// Event builds an event; createTime tells retries of one event apart from a new one.
func (c *Client) Event(openID, event, key string, createTime int64) Message {
	return Message{ToUserName: cdata(c.Account), FromUserName: cdata(openID), CreateTime: createTime,
		MsgType: "event", Event: cdata(event), EventKey: cdata(key)}
}

// Send posts m, signed and (with Crypto) encrypted.
func (c *Client) Send(ctx context.Context, m Message) (Reply, error) {
	body, err := xml.Marshal(m)
	if err != nil {
		return Reply{}, err
	}
	return c.SendRaw(ctx, body)
}

// SendRaw posts a plaintext body, signed and (with Crypto) encrypted.
func (c *Client) SendRaw(ctx context.Context, body []byte) (Reply, error) {
	req, err := c.Request(ctx, body)
	if err != nil {
		return Reply{}, err
	}
	return c.Do(req)
}

// Request builds the signed callback request for a plaintext body.
func (c *Client) Request(ctx context.Context, plain []byte) (*http.Request, error) {
	ts := strconv.FormatInt(c.now().Unix(), 10)
	nonce := randomHex(5)
	q := url.Values{"timestamp": {ts}, "nonce": {nonce}, "signature": {wechat.Signature(c.Token, ts, nonce)},
		"openid": {"o"}}
	body := plain
	if c.Crypto != nil {
		random := make([]byte, 16)
		_, _ = rand.Read(random)
		enc, err := c.Crypto.Encrypt(random, plain)
		if err != nil {
			return nil, err
		}
		env := struct {
			XMLName    xml.Name `xml:"xml"`
			ToUserName cdata    `xml:"ToUserName"`
			Encrypt    cdata    `xml:"Encrypt"`
		}{ToUserName: cdata(c.Account), Encrypt: cdata(enc)}
		if body, err = xml.Marshal(env); err != nil {
			return nil, err
		}
		q.Set("encrypt_type", "aes")
		q.Set("msg_signature", wechat.Signature(c.Token, ts, nonce, enc))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL+"?"+q.Encode(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "text/xml")
	return req, nil
}

// Do sends a callback request and reads the answer.
func (c *Client) Do(req *http.Request) (Reply, error) {
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	res, err := hc.Do(req)
	if err != nil {
		return Reply{}, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return Reply{}, err
	}
	rep := Reply{Status: res.StatusCode, Text: string(raw)}
	if res.StatusCode != http.StatusOK || rep.Text == "success" {
		return rep, nil
	}
	if c.Crypto != nil {
		var env struct {
			Encrypt      string `xml:"Encrypt"`
			MsgSignature string `xml:"MsgSignature"`
			TimeStamp    string `xml:"TimeStamp"`
			Nonce        string `xml:"Nonce"`
		}
		if err := xml.Unmarshal(raw, &env); err != nil {
			return rep, fmt.Errorf("wechattest: reply envelope: %w", err)
		}
		if env.MsgSignature != wechat.Signature(c.Token, env.TimeStamp, env.Nonce, env.Encrypt) {
			return rep, errors.New("wechattest: reply signature does not verify")
		}
		if raw, err = c.Crypto.Decrypt(env.Encrypt); err != nil {
			return rep, fmt.Errorf("wechattest: reply: %w", err)
		}
	}
	var m struct {
		ToUserName   string `xml:"ToUserName"`
		FromUserName string `xml:"FromUserName"`
		MsgType      string `xml:"MsgType"`
		Content      string `xml:"Content"`
	}
	if err := xml.Unmarshal(raw, &m); err != nil {
		return rep, fmt.Errorf("wechattest: reply: %w", err)
	}
	if m.MsgType != "text" || m.FromUserName != c.Account || m.ToUserName == "" {
		return rep, fmt.Errorf("wechattest: unexpected reply %s", raw)
	}
	if m.Content == "" {
		return rep, errors.New("wechattest: empty text reply (WeChat shows it as an error)")
	}
	rep.Text, rep.Passive = m.Content, true
	return rep, nil
}
