// Package bot holds the platform-neutral message types that every channel adapter speaks:
// an Inbound comes in from a platform, Replies go back out. Only the adapters under bot/
// import a platform SDK; everything inward of them sees these types alone.
package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"windowbot/models"
)

// Platform names a chat channel. The value is stored with citizens and sessions, so it never changes.
type Platform string

// The channels windowbot speaks.
const (
	Telegram Platform = "telegram"
	WeChat   Platform = "wechat"
	Web      Platform = "web"
	SMS      Platform = "sms" // a phone number: pushes only, nobody chats over it
)

// NumbersChoices reports whether the platform shows choices as numbered lines that a typed
// number answers, having no buttons in its chat (WeChat's passive replies). There a bare number
// typed at a step that takes free text still picks a choice the step lists ("1. 跳过").
func (p Platform) NumbersChoices() bool { return p == WeChat }

// HasCommands reports whether people on the platform use slash commands: Telegram offers them
// in its own menu. Elsewhere help speaks of buttons and keywords (评价, 投诉, 查询).
func (p Platform) HasCommands() bool { return p == Telegram }

// Media is an attachment a user sent (a photo, for now). FileID is the platform's own reference;
// Data holds the bytes where the adapter has them (the web upload, a WeChat image it downloaded
// because WeChat keeps it for three days only). A Media with neither FileID nor Data is a photo
// the adapter could not receive (a failed download, not an image); one with only a Size over the
// limit is a photo too large to fetch.
type Media struct {
	FileID   string `json:"file_id,omitempty"`
	MIMEType string `json:"mime_type,omitempty"`
	Size     int64  `json:"size,omitempty"`
	Data     []byte `json:"-"`
}

// Location is a point the user shared.
type Location struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// Inbound is one thing a user did: typed text, pressed a button, sent a photo.
// Adapters fill it from a platform update; the engine never sees the platform's own types.
type Inbound struct {
	Platform Platform
	// ChatID is where replies go (a Telegram chat id, a WeChat OpenID, a web visitor id).
	ChatID string
	// UserID identifies the person on that platform; for private chats it equals ChatID.
	UserID string
	// UserName is the display name the platform gave, if any. Never logged.
	UserName string
	// Lang is the platform's language hint ("zh-CN", "en"); empty means the configured default.
	Lang string
	// Text is what the user typed, trimmed. Empty for a button press.
	Text string
	// Payload is the opaque data of a pressed button; empty for typed text.
	Payload string
	// MessageID is the platform's id of the message that carried a pressed button, so an adapter
	// can edit it in place. Empty for typed text.
	MessageID string
	Photo     *Media
	// Voice is a voice message: kept as a complaint's attachment where one is taken, else
	// answered with how to go on. Where the platform recognised the speech (WeChat's
	// Recognition), Text holds what it heard and Spoken is set.
	Voice *Media
	// Spoken means Text was heard, not typed: the dialog confirms it once before it becomes
	// a description or a comment, unless it names an offered choice exactly.
	Spoken   bool
	Location *Location
	// ClientAddr is the network address the message came from, where the channel knows it (the
	// web chat: the visitor's IP address, taken from X-Forwarded-For only behind a trusted
	// proxy); empty for channels whose updates come from the platform's servers.
	ClientAddr string
}

// Clean makes a text a person sent safe to store and to show (models.CleanText: no NUL or other
// control characters but newline and tab, no bidirectional or zero-width characters, broken
// UTF-8 repaired) and trims it. Each adapter calls it once, through CleanInbound, where it
// builds an Inbound; nothing inward of the adapters sees raw platform text.
func Clean(s string) string { return strings.TrimSpace(models.CleanText(s)) }

// Fold folds full-width digits and letters to ASCII (models.FoldWidth): use it wherever a code or
// a number a person typed is matched.
func Fold(s string) string { return models.FoldWidth(s) }

// CleanInbound returns in with its Text, Payload and UserName cleaned (Clean). A Text that is all
// code — every character ASCII once folded, like "Ｗ００１", "１３７１２３４５６７８" or "５" — is
// folded too, so the dialogs that match a window code, a phone number or a choice's number
// understand what a Chinese input method typed. Other text keeps its full-width punctuation.
func CleanInbound(in Inbound) Inbound {
	in.Text = Clean(in.Text)
	if f := Fold(in.Text); f != in.Text && ascii(f) {
		in.Text = f
	}
	in.Payload = Clean(in.Payload)
	in.UserName = Clean(in.UserName)
	return in
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Button is one choice offered to the user. Payload comes back in Inbound.Payload when pressed.
type Button struct {
	Label   string `json:"label"`
	Payload string `json:"payload"`
	// On marks a chosen option of a checklist (Reply.Multi); its label carries the mark too.
	// Pages show it in words and shape as well.
	On bool `json:"on,omitempty"`
	// Level marks one of the five rating levels (1–5), whose label carries its stars and its word:
	// pages add the level's own colour and face, never the only cue.
	Level int `json:"level,omitempty"`
	// Gap marks the first choice of a new group (the bad levels after the good ones): channels
	// set it apart with space or a line, and number it on as usual.
	Gap bool `json:"gap,omitempty"`
}

// marks are the signs a label may begin with besides its words: the tick of a chosen option
// (and the emoji of earlier releases), a level's stars.
const marks = "√✅★☆ "

// LabelWords returns the words of a label without the marks it begins with ("√ 办事拖沓",
// "★★☆☆☆ 不满意"): what a person types or says to name it.
func LabelWords(label string) string {
	if w := strings.TrimLeft(label, marks); w != "" {
		return w
	}
	return label
}

// ChoiceNumbers returns the number that answers each of choices where they are shown as numbered
// lines (WeChat): its place in the list, from 1, rows flattened. The number is always the line's
// place, never a meaning of the choice's own (the rating level 1 is 非常不满意, shown last): a
// person who replies 1 means the first line. Adapters that number choices and the engine that
// matches typed numbers both use it, so the number shown is the number understood.
func ChoiceNumbers(choices []Button) []int {
	nums := make([]int, len(choices))
	for i := range choices {
		nums[i] = i + 1
	}
	return nums
}

// ChoiceByNumber returns the choice that a typed number n answers (see ChoiceNumbers).
func ChoiceByNumber(choices []Button, n int) (Button, bool) {
	if n < 1 || n > len(choices) {
		return Button{}, false
	}
	return choices[n-1], true
}

// Reply is one message back to the user: text and optional rows of buttons.
type Reply struct {
	Text    string     `json:"text"`
	Buttons [][]Button `json:"buttons,omitempty"`
	// Kind names the notice a push carries ("ticket_status", "monthly_star", …). Platforms that
	// need a pre-registered template per notice (WeChat template messages) pick it by Kind.
	Kind string `json:"kind,omitempty"`
	// Edit asks the adapter to replace the message whose button was pressed instead of sending a new
	// one (a multi-select toggling its ticks). Adapters that cannot edit send it as a new message.
	Edit bool `json:"edit,omitempty"`
	// Pick means the conversation remembers these choices, so a typed number or label answers
	// them as well as a press does. Adapters without buttons (WeChat) number the choices only
	// then, and otherwise show a button that carries a command as the command to type.
	Pick bool `json:"pick,omitempty"`
	// AcceptsPhoto means the question takes a photo now (a complaint's photos, a rectification's
	// evidence): pages offer their photo button (上传照片) only then.
	AcceptsPhoto bool `json:"accepts_photo,omitempty"`
	// Multi marks a checklist: several choices may be picked, one message at a time or together,
	// before the last one finishes. Adapters without buttons say so (WeChat: "1 3").
	Multi bool `json:"multi,omitempty"`
	// Picture is an image sent with Text, which becomes its caption where the platform has
	// captions (Telegram) or follows it as a message of its own (WeChat). A channel that cannot
	// show pictures (SMS), or whose platform refuses this one, sends the text alone.
	Picture *Picture `json:"-"`
}

// Picture is an image a message carries: a star's poster, a report's chart.
type Picture struct {
	// Key identifies the content (its SHA-256 in hex): adapters may reuse an upload of the
	// same picture for the next recipient.
	Key string
	// MIMEType is image/png or image/jpeg.
	MIMEType string
	// Name is the file name offered with it, e.g. "star.png".
	Name string
	Data []byte
}

// Recipient is somebody a push is addressed to, outside any conversation.
type Recipient struct {
	Platform Platform `json:"platform"`
	ChatID   string   `json:"chat_id"`
}

// Handler turns one Inbound into the replies to show. The handlers package implements it;
// adapters call it.
type Handler interface {
	Handle(ctx context.Context, in Inbound) ([]Reply, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, in Inbound) ([]Reply, error)

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, in Inbound) ([]Reply, error) { return f(ctx, in) }

// Sender delivers a message to a recipient outside a conversation (pushes). Each platform adapter
// implements it; the push pipeline in jobs uses it.
type Sender interface {
	Send(ctx context.Context, to Recipient, msg Reply) error
}

// Column lays out buttons one per row, the way choices read best on a phone.
func Column(buttons ...Button) [][]Button {
	rows := make([][]Button, len(buttons))
	for i, b := range buttons {
		rows[i] = []Button{b}
	}
	return rows
}

// Send errors every Sender classifies its platform's failures into, so the push pipeline can
// decide without knowing the platform. Adapters wrap them with %w around the platform's error.
var (
	// ErrRecipientGone means the user blocked the bot, unsubscribed or refused messages: mark the
	// recipient inactive and do not retry.
	ErrRecipientGone = errors.New("bot: recipient gone")
	// ErrPermanent means the message will never be accepted as it is (bad request, no template):
	// do not retry.
	ErrPermanent = errors.New("bot: permanent send failure")
)

// RetryAfterError means the platform asked to wait before sending again (Telegram 429,
// WeChat frequency limits). Other errors are retried with backoff.
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("bot: retry after %s: %v", e.After, e.Err)
}

// Unwrap returns the platform's error.
func (e *RetryAfterError) Unwrap() error { return e.Err }
