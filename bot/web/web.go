// Package web is the built-in web chat: one embedded page that a citizen opens from a window's QR
// code, and a small JSON API behind it that turns what they type or press into a bot.Inbound.
// It needs nothing but the binary itself — no build step, no CDN — so `go run .` is enough to
// rate a demo window in a browser.
package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"windowbot/bot"
	"windowbot/internal/text"
	"windowbot/models"
)

// assets holds the page and its script and style sheet. They are split into files (not one inline
// page) so the Content-Security-Policy can forbid inline script altogether.
//
//go:embed assets
var assets embed.FS

// CookieName is the cookie that carries a web visitor's id.
const CookieName = "wb_visitor"

// InboxLimit is how many pushed messages one visitor's inbox keeps; older ones are dropped first.
const InboxLimit = 50

const (
	defaultMaxBody = 64 << 10
	// visitorIDLen is the base64url length of a 128-bit id; anything else in the cookie is replaced.
	visitorIDLen = 22
	cookieMaxAge = 365 * 24 * 60 * 60
	// maxVisitors caps how many inboxes one replica holds, so pushes to visitors who never come
	// back cannot grow memory without bound.
	maxVisitors = 10000
	// multipartSlack is room for the multipart framing and a caption around a photo.
	multipartSlack = 64 << 10
)

// photoTypes are the image types accepted as uploads, decided by sniffing the bytes rather than by
// trusting the browser's declared type.
var photoTypes = []string{"image/jpeg", "image/png", "image/gif", "image/webp"}

// ErrRecipient is returned by Send when the recipient is not a web visitor. It wraps
// bot.ErrPermanent: retrying will not help.
var ErrRecipient = fmt.Errorf("recipient is not a web visitor: %w", bot.ErrPermanent)

// Options configures a Chat. Handler is required; everything else has a default.
type Options struct {
	// Handler answers every message a visitor sends.
	Handler bot.Handler
	// Logger receives errors; nil discards them.
	Logger *slog.Logger
	// Lang is the language used when the request does not say: "zh-CN" (default) or "en".
	Lang string
	// Title replaces the page's default heading in every language, e.g. a service center's name.
	Title string
	// MaxBody limits a JSON request body in bytes; default 64 KiB. Photos have their own limit.
	MaxBody int64
	// TrustedProxies are the addresses of the reverse proxies in front of the server. Only a
	// request that comes from one of them has its client taken from X-Forwarded-For; otherwise
	// anybody could name any address and slip past the limits kept per address.
	TrustedProxies []netip.Prefix
	// Inbox keeps pushes until the visitor's page takes them: the store, so that any replica
	// shows them. Nil keeps them in this process (one replica, lost on restart).
	Inbox Inbox
	// History keeps each visitor's conversation for the page to show when it is opened again:
	// the state store, shared by the replicas. Nil keeps it in this process.
	History History
	// HistoryTTL is how long a visitor's history is kept after their last message
	// (DefaultHistoryTTL when zero).
	HistoryTTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Chat serves the web chat page and its API, and implements bot.Sender for pushes to visitors.
// Pushes wait in the Inbox until the page takes them; what was said is kept in the History, so
// a reload or another replica shows the conversation as it was.
type Chat struct {
	h       bot.Handler
	log     *slog.Logger
	lang    string
	title   string
	maxBody int64
	proxies []netip.Prefix
	page    *template.Template
	static  http.Handler
	version string
	texts   map[string]pageTexts

	inbox      Inbox
	history    History
	historyTTL time.Duration
	now        func() time.Time
}

var _ bot.Sender = (*Chat)(nil)

// New builds a Chat from opts. It panics when opts.Handler is nil, a wiring mistake that should
// stop the program at start-up rather than fail every visitor later.
func New(opts Options) *Chat {
	if opts.Handler == nil {
		panic("web: New: Options.Handler is nil")
	}
	c := &Chat{
		h:       opts.Handler,
		log:     opts.Logger,
		lang:    text.Lang(opts.Lang),
		title:   strings.TrimSpace(opts.Title),
		maxBody: opts.MaxBody,
		proxies: opts.TrustedProxies,
		texts:   scriptTexts(),

		inbox:      opts.Inbox,
		history:    opts.History,
		historyTTL: opts.HistoryTTL,
		now:        opts.Now,
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.inbox == nil {
		c.inbox = newMemInbox()
	}
	if c.history == nil {
		c.history = newMemHistory(c.now)
	}
	if c.historyTTL <= 0 {
		c.historyTTL = DefaultHistoryTTL
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.maxBody <= 0 {
		c.maxBody = defaultMaxBody
	}
	c.page = template.Must(template.ParseFS(assets, "assets/index.html"))
	sub, err := fs.Sub(assets, "assets/static")
	if err != nil {
		panic(fmt.Sprintf("web: New: static assets: %v", err))
	}
	c.static = http.StripPrefix("/chat/static/", http.FileServerFS(sub))
	// The version is a hash of the assets, so the page can ask for them with ?v= and let browsers
	// cache them for a year: a new binary with new assets gets a new URL.
	h := sha256.New()
	_ = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := fs.ReadFile(sub, p)
			h.Write(b)
		}
		return nil
	})
	c.version = base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:9])
	return c
}

// Routes registers the page and the API on mux.
func (c *Chat) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", c.servePage)
	mux.HandleFunc("GET /chat", c.servePage)
	mux.HandleFunc("GET /chat/static/", c.serveStatic)
	mux.HandleFunc("POST /chat/api/message", c.serveMessage)
	mux.HandleFunc("GET /chat/api/inbox", c.serveInbox)
	mux.HandleFunc("GET /chat/api/history", c.serveHistory)
	mux.HandleFunc("POST /chat/api/restart", c.serveRestart)
}

// ValidWindowCode reports whether code may name a window in a deep link (/?w=W001): a window
// code as models.WindowCodePattern has it. Anything else never reaches the dialog engine.
func ValidWindowCode(code string) bool { return models.WindowCodePattern.MatchString(code) }

// ValidStaffNo reports whether no may name a staff member in a deep link (/?s=S001, which
// the page sends as "/start s_S001"): a staff number as models.StaffLinkPattern has it, what fits
// in a Telegram start payload after "s_". Anything else never reaches the dialog engine.
func ValidStaffNo(no string) bool { return models.StaffLinkPattern.MatchString(no) }

// messageIDPattern is what the id of a message the page shows looks like (newMessageID makes
// them); a pressed button names its message with it.
var messageIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// pageData fills assets/index.html. The page's script takes its words, the limit it checks
// before uploading and the patterns of deep links from here, so that they are the server's.
type pageData struct {
	Lang        string
	Title       string
	CustomTitle string
	Version     string
	Noscript    string
	Texts       pageTexts
	MaxPhoto    int
	MaxText     int
	WindowCode  string
	StaffNo     string
	CaseToken   string
}

// pageTexts are the words of the page's script in one language.
type pageTexts struct {
	Title       string `json:"title"`
	Subtitle    string `json:"subtitle"`
	Transcript  string `json:"transcript"`
	InputLabel  string `json:"inputLabel"`
	Placeholder string `json:"placeholder"`
	Send        string `json:"send"`
	Photo       string `json:"photo"`
	PhotoAlt    string `json:"photoAlt"`
	Choices     string `json:"choices"`
	Offline     string `json:"offline"`
	TooBig      string `json:"tooBig"`
	PhotoSent   string `json:"photoSent"`
	Restart     string `json:"restart"`
	RestartSure string `json:"restartSure"`
	Large       string `json:"large"`
	Chosen      string `json:"chosen"`
}

// scriptTexts returns the script's words in every language of the catalog, made once: they
// depend on nothing but the language.
func scriptTexts() map[string]pageTexts {
	out := make(map[string]pageTexts, len(text.Langs()))
	for _, l := range text.Langs() {
		out[l] = pageTexts{
			Title:       text.T(l, "web.title"),
			Subtitle:    text.T(l, "web.page.subtitle"),
			Transcript:  text.T(l, "web.page.transcript"),
			InputLabel:  text.T(l, "web.page.input_label"),
			Placeholder: text.T(l, "web.page.placeholder"),
			Send:        text.T(l, "web.page.send"),
			Photo:       text.T(l, "web.page.photo"),
			PhotoAlt:    text.T(l, "web.page.photo_alt"),
			Choices:     text.T(l, "web.page.choices"),
			Offline:     text.T(l, "web.page.offline"),
			TooBig:      text.T(l, "web.page.too_big", "MB", models.MaxPhotoBytes>>20),
			PhotoSent:   text.T(l, "web.page.photo_sent"),
			Restart:     text.T(l, "web.page.restart"),
			RestartSure: text.T(l, "web.page.restart_sure"),
			Large:       text.T(l, "web.page.large"),
			Chosen:      text.T(l, "web.page.chosen"),
		}
	}
	return out
}

func (c *Chat) servePage(w http.ResponseWriter, r *http.Request) {
	c.visitor(w, r)
	lang := c.requestLang(r)
	d := pageData{Lang: lang, Title: c.title, CustomTitle: c.title, Version: c.version,
		Noscript: text.T(lang, "web.page.noscript"), Texts: c.texts[lang], MaxPhoto: models.MaxPhotoBytes,
		MaxText: models.MaxDescriptionRunes, WindowCode: models.WindowCodePattern.String(),
		StaffNo: models.StaffLinkPattern.String(), CaseToken: models.CaseTokenPattern.String()}
	if d.Title == "" {
		d.Title = text.T(lang, "web.title")
	}
	var buf bytes.Buffer
	if err := c.page.Execute(&buf, d); err != nil {
		c.log.ErrorContext(r.Context(), "web: render page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; "+
		"img-src 'self' blob: data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	// The deep link's window code stays on this site.
	h.Set("Referrer-Policy", "same-origin")
	_, _ = w.Write(buf.Bytes())
}

func (c *Chat) serveStatic(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("v") == c.version {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	c.static.ServeHTTP(w, r)
}

// messageRequest is the body of POST /chat/api/message: typed text, or a pressed button.
type messageRequest struct {
	Text      string `json:"text"`
	Payload   string `json:"payload"`
	MessageID string `json:"message_id"`
}

// wireReply is a bot.Reply as the page receives it. Every field is always present so the script
// needs no null checks; ID lets a pressed button name the message it sat on.
type wireReply struct {
	ID      string         `json:"id"`
	Text    string         `json:"text"`
	Buttons [][]bot.Button `json:"buttons"`
	Edit    bool           `json:"edit"`
	// Multi marks a checklist, whose choices the page marks as chosen or not.
	Multi bool `json:"multi,omitempty"`
	// AcceptsPhoto shows the page's photo button (上传照片) while this is the question.
	AcceptsPhoto bool `json:"accepts_photo,omitempty"`
}

// repliesResponse is the body of both API answers.
type repliesResponse struct {
	Replies []wireReply `json:"replies"`
}

// errorResponse is the body of every API error: a stable code for programs and a sentence for
// people, in the visitor's language.
type errorResponse struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

func (c *Chat) serveMessage(w http.ResponseWriter, r *http.Request) {
	lang := c.requestLang(r)
	if !sameOrigin(r) {
		writeError(w, http.StatusForbidden, "cross_origin", lang)
		return
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var (
		in     bot.Inbound
		status int
		code   string
	)
	switch mt {
	case "application/json":
		in, status, code = c.readJSON(w, r)
	case "multipart/form-data":
		in, status, code = c.readPhoto(w, r)
	default:
		// A plain HTML form cannot send either type, which keeps other sites from posting here.
		status, code = http.StatusUnsupportedMediaType, "unsupported_media_type"
	}
	if status != 0 {
		writeError(w, status, code, lang)
		return
	}
	id := c.visitor(w, r)
	in = bot.CleanInbound(in)
	in.Platform, in.ChatID, in.UserID, in.Lang = bot.Web, id, id, lang
	in.ClientAddr = ClientAddr(r, c.proxies)

	replies, err := c.h.Handle(r.Context(), in)
	if err != nil {
		// The text the visitor sent stays out of the log; the kind is enough to reproduce.
		c.log.ErrorContext(r.Context(), "web: handle message", "err", fmt.Errorf("web: handle %s: %w", kind(in), err))
		writeError(w, http.StatusInternalServerError, "handler_failed", lang)
		return
	}
	out := make([]wireReply, 0, len(replies))
	for _, rp := range replies {
		out = append(out, toWire(newMessageID(), rp))
	}
	c.record(r.Context(), id, in, out)
	writeJSON(w, http.StatusOK, repliesResponse{Replies: out})
}

// historyResponse is the body of GET /chat/api/history: the conversation so far, oldest first,
// with the pushes that waited for the page at its end.
type historyResponse struct {
	Messages []entry `json:"messages"`
}

// serveHistory answers the page as it opens: the visitor's conversation as it stands, so a
// reload (or another replica) carries on where the visitor was, and the pushes that waited for
// them, shown once.
func (c *Chat) serveHistory(w http.ResponseWriter, r *http.Request) {
	// Reading takes the waiting pushes, so a cross-site navigation must not be able to trigger it.
	lang := c.requestLang(r)
	if !sameOrigin(r) {
		writeError(w, http.StatusForbidden, "cross_origin", lang)
		return
	}
	id := c.visitor(w, r)
	ctx := r.Context()
	pushes := c.takePushes(ctx, id)
	if len(pushes) > 0 {
		es, err := c.appendPushes(ctx, id, pushes)
		if err == nil {
			writeJSON(w, http.StatusOK, historyResponse{Messages: es})
			return
		}
		// The pushes are out of the inbox: shown now all the same, after what history loads.
		c.log.ErrorContext(ctx, "web: history", "err", err)
	}
	es, err := c.loadHistory(ctx, id)
	if err != nil && len(pushes) == 0 {
		c.log.ErrorContext(ctx, "web: history", "err", err)
		writeError(w, http.StatusInternalServerError, "handler_failed", lang)
		return
	}
	for _, p := range pushes {
		es = append(es, botEntry(p))
	}
	writeJSON(w, http.StatusOK, historyResponse{Messages: es})
}

// serveRestart starts over on purpose (the page's 重新开始): the history is cleared and the
// conversation under way ended, as /start does, and its welcome is the new history.
func (c *Chat) serveRestart(w http.ResponseWriter, r *http.Request) {
	lang := c.requestLang(r)
	if !sameOrigin(r) {
		writeError(w, http.StatusForbidden, "cross_origin", lang)
		return
	}
	// Like a message: JSON only, which a plain HTML form on another site cannot send.
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", lang)
		return
	}
	id := c.visitor(w, r)
	ctx := r.Context()
	if _, err := c.changeHistory(ctx, id, func([]entry) []entry { return []entry{} }); err != nil {
		c.log.ErrorContext(ctx, "web: restart", "err", err)
		writeError(w, http.StatusInternalServerError, "handler_failed", lang)
		return
	}
	in := bot.Inbound{Platform: bot.Web, ChatID: id, UserID: id, Lang: lang, Text: "/start", ClientAddr: ClientAddr(r, c.proxies)}
	replies, err := c.h.Handle(ctx, in)
	if err != nil {
		c.log.ErrorContext(ctx, "web: restart", "err", fmt.Errorf("web: handle restart: %w", err))
		writeError(w, http.StatusInternalServerError, "handler_failed", lang)
		return
	}
	out := make([]wireReply, 0, len(replies))
	for _, rp := range replies {
		out = append(out, toWire(newMessageID(), rp))
	}
	c.record(ctx, id, in, out)
	writeJSON(w, http.StatusOK, repliesResponse{Replies: out})
}

// readJSON decodes a text or button message. A non-zero status means the request is refused.
func (c *Chat) readJSON(w http.ResponseWriter, r *http.Request) (bot.Inbound, int, string) {
	if r.ContentLength > c.maxBody {
		return bot.Inbound{}, http.StatusRequestEntityTooLarge, "too_large"
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, c.maxBody))
	var req messageRequest
	err := dec.Decode(&req)
	if err == nil {
		// Exactly one JSON value: trailing bytes mean a confused or hostile client.
		if _, extra := dec.Token(); extra != io.EOF {
			err = errors.New("trailing data")
		}
	}
	if err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			return bot.Inbound{}, http.StatusRequestEntityTooLarge, "too_large"
		}
		return bot.Inbound{}, http.StatusBadRequest, "bad_json"
	}
	// Cleaned before it is judged, so a text of NUL bytes is as empty as it will be to the engine.
	cleaned := bot.CleanInbound(bot.Inbound{Text: req.Text, Payload: req.Payload})
	text := cleaned.Text
	req.Payload = cleaned.Payload
	switch {
	case req.Payload != "" && text != "":
		return bot.Inbound{}, http.StatusBadRequest, "text_and_payload"
	case req.Payload != "":
		if !validMessageID(req.MessageID) {
			return bot.Inbound{}, http.StatusBadRequest, "bad_message_id"
		}
		return bot.Inbound{Payload: req.Payload, MessageID: req.MessageID}, 0, ""
	case text == "":
		return bot.Inbound{}, http.StatusBadRequest, "empty"
	}
	if ok, code := validStart(text); !ok {
		return bot.Inbound{}, http.StatusBadRequest, code
	}
	return bot.Inbound{Text: text}, 0, ""
}

// readPhoto reads a multipart upload with a "photo" file and an optional "text" caption. It
// streams the parts instead of calling ParseMultipartForm, which would spill to temporary files.
func (c *Chat) readPhoto(w http.ResponseWriter, r *http.Request) (bot.Inbound, int, string) {
	limit := int64(models.MaxPhotoBytes) + multipartSlack
	if r.ContentLength > limit {
		return bot.Inbound{}, http.StatusRequestEntityTooLarge, "too_large"
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	mr, err := r.MultipartReader()
	if err != nil {
		return bot.Inbound{}, http.StatusBadRequest, "bad_multipart"
	}
	var in bot.Inbound
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return bot.Inbound{}, tooLargeOr(err, http.StatusBadRequest), "bad_multipart"
		}
		switch p.FormName() {
		case "photo":
			data, err := io.ReadAll(io.LimitReader(p, models.MaxPhotoBytes+1))
			if err != nil {
				return bot.Inbound{}, tooLargeOr(err, http.StatusBadRequest), "bad_multipart"
			}
			if len(data) > models.MaxPhotoBytes {
				return bot.Inbound{}, http.StatusRequestEntityTooLarge, "too_large"
			}
			ct := http.DetectContentType(data)
			if !slices.Contains(photoTypes, ct) {
				return bot.Inbound{}, http.StatusUnsupportedMediaType, "not_an_image"
			}
			in.Photo = &bot.Media{Data: data, MIMEType: ct, Size: int64(len(data))}
		case "text":
			b, err := io.ReadAll(io.LimitReader(p, c.maxBody))
			if err != nil {
				return bot.Inbound{}, tooLargeOr(err, http.StatusBadRequest), "bad_multipart"
			}
			in.Text = bot.Clean(string(b))
		}
		_ = p.Close()
	}
	if in.Photo == nil {
		return bot.Inbound{}, http.StatusBadRequest, "no_photo"
	}
	return in, 0, ""
}

// ClientAddr returns the IP address of the client that sent r: the peer of the connection, or,
// when that peer is one of the trusted proxies, the last address in X-Forwarded-For that is not
// itself a trusted proxy (the nearest hop no proxy of ours vouches for). Empty if none parses.
func ClientAddr(r *http.Request, trusted []netip.Prefix) string {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	var addr netip.Addr
	if err == nil {
		addr = peer.Addr()
	} else if a, err := netip.ParseAddr(r.RemoteAddr); err == nil {
		addr = a
	} else {
		return ""
	}
	addr = addr.Unmap()
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	if !isTrusted(addr) {
		return addr.String()
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a hop we cannot read: trust nothing before it
		}
		a = a.Unmap()
		if !isTrusted(a) {
			return a.String()
		}
		addr = a
	}
	return addr.String()
}

func tooLargeOr(err error, status int) int {
	if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge
	}
	return status
}

// validStart refuses a /start deep link whose window code or staff number is malformed, so a
// crafted link cannot hand the engine arbitrary text dressed up as one. The error code says which.
func validStart(text string) (bool, string) {
	arg, ok := strings.CutPrefix(text, "/start ")
	if !ok {
		return true, ""
	}
	arg = strings.TrimSpace(arg)
	if code, ok := strings.CutPrefix(arg, "w_"); ok && !ValidWindowCode(code) {
		return false, "bad_window_code"
	}
	if no, ok := strings.CutPrefix(arg, "s_"); ok && !ValidStaffNo(no) {
		return false, "bad_staff_no"
	}
	if token, ok := strings.CutPrefix(arg, models.CaseLinkPrefix); ok && !models.CaseTokenPattern.MatchString(token) {
		return false, "bad_case_token"
	}
	if code, ok := strings.CutPrefix(arg, models.GuideLinkPrefix); ok && !models.WindowCodePattern.MatchString(code) {
		return false, "bad_window_code"
	}
	if token, ok := strings.CutPrefix(arg, models.TicketLinkPrefix); ok && !models.CaseTokenPattern.MatchString(token) {
		return false, "bad_ticket_token"
	}
	return true, ""
}

func validMessageID(id string) bool { return messageIDPattern.MatchString(id) }

func kind(in bot.Inbound) string {
	switch {
	case in.Photo != nil:
		return "photo"
	case in.Payload != "":
		return "button"
	}
	return "text"
}

func (c *Chat) serveInbox(w http.ResponseWriter, r *http.Request) {
	// Reading the inbox empties it, so a cross-site navigation must not be able to trigger it.
	if !sameOrigin(r) {
		writeError(w, http.StatusForbidden, "cross_origin", c.requestLang(r))
		return
	}
	id := c.visitor(w, r)
	pushes := c.takePushes(r.Context(), id)
	if len(pushes) > 0 {
		if _, err := c.appendPushes(r.Context(), id, pushes); err != nil {
			// They are shown now all the same; only a reload will not show them again.
			c.log.ErrorContext(r.Context(), "web: inbox", "err", err)
		}
	}
	writeJSON(w, http.StatusOK, repliesResponse{Replies: pushes})
}

// sameOrigin refuses requests a browser marks as coming from another site, by Sec-Fetch-Site where
// the browser sends it and by comparing Origin with Host otherwise. Requests with neither header
// are not from a browser page and pass.
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false // includes "null", sent by sandboxed frames and some redirects
	}
	return strings.EqualFold(u.Host, r.Host)
}

// visitor returns the caller's id from the cookie, issuing a new one when there is none or it is
// malformed.
func (c *Chat) visitor(w http.ResponseWriter, r *http.Request) string {
	if ck, err := r.Cookie(CookieName); err == nil && validVisitorID(ck.Value) {
		return ck.Value
	}
	id := randomID(16)
	http.SetCookie(w, &http.Cookie{
		Name:     CookieName,
		Value:    id,
		Path:     "/",
		MaxAge:   cookieMaxAge,
		HttpOnly: true,
		Secure:   isHTTPS(r),
		SameSite: http.SameSiteLaxMode,
	})
	return id
}

func validVisitorID(s string) bool {
	if len(s) != visitorIDLen {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && len(b) == 16
}

// isHTTPS also trusts X-Forwarded-Proto: at worst a forged header makes the cookie Secure, which
// only stops it travelling over plain HTTP.
func isHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	p, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
	return strings.EqualFold(strings.TrimSpace(p), "https")
}

// randomID returns n random bytes in base64url. crypto/rand.Read never fails on supported systems
// (it crashes the program instead), so there is no error to return.
func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func newMessageID() string { return "m" + randomID(9) }

func toWire(id string, r bot.Reply) wireReply {
	b := r.Buttons
	if b == nil {
		b = [][]bot.Button{}
	}
	return wireReply{ID: id, Text: r.Text, Buttons: b, Edit: r.Edit, Multi: r.Multi, AcceptsPhoto: r.AcceptsPhoto}
}

// requestLang picks the visitor's language: ?lang first (the page sends the one it shows), then
// Accept-Language, then the configured default. Chinese of any region maps to "zh-CN"; any other
// named language gets English, which more foreign visitors read than Chinese.
func (c *Chat) requestLang(r *http.Request) string {
	if l, ok := text.Parse(r.URL.Query().Get("lang")); ok {
		return l
	}
	if l := acceptLang(r.Header.Get("Accept-Language")); l != "" {
		return l
	}
	return c.lang
}

// acceptLang returns text.ZH or text.EN for the highest-weighted Chinese or English entry, EN
// when the header names only other languages, and "" when it names none.
func acceptLang(header string) string {
	type entry struct {
		tag string
		q   float64
	}
	var es []entry
	for part := range strings.SplitSeq(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		tag = strings.TrimSpace(tag)
		if tag == "" || tag == "*" {
			continue
		}
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				continue
			}
			q = f
		}
		if q > 0 {
			es = append(es, entry{tag, q})
		}
	}
	slices.SortStableFunc(es, func(a, b entry) int {
		switch {
		case a.q > b.q:
			return -1
		case a.q < b.q:
			return 1
		}
		return 0
	})
	for _, e := range es {
		if l, ok := text.Parse(e.tag); ok {
			return l
		}
	}
	if len(es) > 0 {
		return text.EN
	}
	return ""
}

// errorTexts are the catalog keys of the sentence that goes with each error code.
var errorTexts = map[string]string{
	"handler_failed":         "web.error.handler_failed",
	"too_large":              "web.error.too_large",
	"bad_json":               "web.error.bad_request",
	"unsupported_media_type": "web.error.bad_request",
	"text_and_payload":       "web.error.bad_request",
	"bad_message_id":         "web.error.bad_request",
	"cross_origin":           "web.error.cross_origin",
	"empty":                  "web.error.empty",
	"bad_window_code":        "web.error.bad_window_code",
	"bad_staff_no":           "web.error.bad_staff_no",
	"bad_case_token":         "web.error.bad_case_token",
	"bad_ticket_token":       "web.error.bad_ticket_token",
	"bad_multipart":          "web.error.bad_multipart",
	"no_photo":               "web.error.no_photo",
	"not_an_image":           "web.error.not_an_image",
}

// errorText is the sentence for an error code in lang; the photo limit is the one the upload is
// held to.
func errorText(lang, code string) string {
	if code == "too_large" {
		return text.T(lang, errorTexts[code], "MB", models.MaxPhotoBytes>>20)
	}
	return text.T(lang, errorTexts[code])
}

func writeError(w http.ResponseWriter, status int, code, lang string) {
	writeJSON(w, status, errorResponse{Error: code, Message: errorText(lang, code)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Send keeps r for the web visitor to.ChatID in the inbox; the page shows it when it next asks
// (at once when it is opened, about every ten seconds while it is open), on any replica.
func (c *Chat) Send(ctx context.Context, to bot.Recipient, r bot.Reply) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("web: send: %w", err)
	}
	if to.Platform != bot.Web || !validVisitorID(to.ChatID) {
		return fmt.Errorf("web: send to %s recipient: %w", to.Platform, ErrRecipient)
	}
	wr := toWire(newMessageID(), r)
	// A push is not an answer to a pressed button, so there is nothing for it to edit.
	wr.Edit = false
	body, err := json.Marshal(wr)
	if err != nil {
		return fmt.Errorf("web: send: %w: %w", err, bot.ErrPermanent)
	}
	if err := c.inbox.PutWebPush(ctx, to.ChatID, body, c.now()); err != nil {
		return fmt.Errorf("web: send: %w", err)
	}
	return nil
}
