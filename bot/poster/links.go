package poster

import (
	"context"
	"strings"

	"windowbot/models"
)

// Target is what a poster's QR code opens: the rating of a window, or, with StaffNo set, the
// rating of a staff member's window with them already chosen (their own poster).
type Target struct {
	// WindowCode is the window rated.
	WindowCode string
	// StaffNo is the staff member rated; empty on a window's poster.
	StaffNo string
}

// windowPayload starts the deep-link payload and the WeChat scene of a window's poster. Window
// codes have no underscore, so it cannot be taken for models.StaffLinkPrefix.
const windowPayload = "w_"

// Payload returns the payload the chat channels start the rating with: "w_<window code>", or
// models.StaffLinkPrefix and the staff number.
func (t Target) Payload() string {
	if t.StaffNo != "" {
		return models.StaffLinkPrefix + t.StaffNo
	}
	return windowPayload + t.WindowCode
}

// Linker makes the link a poster's QR code holds.
type Linker interface {
	Link(ctx context.Context, t Target) (string, error)
}

// LinkerFunc adapts a function to a Linker.
type LinkerFunc func(ctx context.Context, t Target) (string, error)

// Link calls f.
func (f LinkerFunc) Link(ctx context.Context, t Target) (string, error) { return f(ctx, t) }

// Channel is where a poster's QR code leads: a chat app, or the built-in web chat.
type Channel string

// The channels a poster can open.
const (
	Telegram Channel = "telegram"
	WeChat   Channel = "wechat"
	Web      Channel = "web"
)

// Valid reports whether c is one of Telegram, WeChat and Web.
func (c Channel) Valid() bool { return c == Telegram || c == WeChat || c == Web }

// DefaultChannel is the channel of posters printed without naming one: the chat app the
// deployment runs, Telegram first, else the web chat, which needs no account at all.
func DefaultChannel(telegram, wechat bool) Channel {
	switch {
	case telegram:
		return Telegram
	case wechat:
		return WeChat
	}
	return Web
}

// WebLink returns the link of t on the built-in web chat served at publicURL:
// "/?w=<window code>", or "/?s=<staff no>" for a staff member's own poster.
func WebLink(publicURL string, t Target) string {
	base := strings.TrimSuffix(publicURL, "/")
	if t.StaffNo != "" {
		return base + "/?s=" + t.StaffNo // models.StaffLinkPattern: nothing to escape
	}
	return base + "/?w=" + t.WindowCode // models.WindowCodePattern: nothing to escape
}

// WebLinks opens the built-in web chat served at publicURL (WebLink).
func WebLinks(publicURL string) Linker {
	return LinkerFunc(func(_ context.Context, t Target) (string, error) { return WebLink(publicURL, t), nil })
}

// DeepLinker makes a Telegram deep link, https://t.me/<bot>?start=<payload>, which opens the
// bot and sends "/start <payload>". The Telegram adapter is one; it knows the bot's username.
type DeepLinker interface {
	DeepLink(ctx context.Context, payload string) (string, error)
}

// TelegramLinks opens the bot's rating dialog through a deep link with the target's payload.
func TelegramLinks(d DeepLinker) Linker {
	return LinkerFunc(func(ctx context.Context, t Target) (string, error) {
		return d.DeepLink(ctx, t.Payload())
	})
}

// QRCoder makes WeChat permanent parametric QR codes through the official account's API and
// returns the URL such a code encodes. The WeChat adapter is one.
type QRCoder interface {
	QRCodeURL(ctx context.Context, windowCode string) (string, error)
	StaffQRCodeURL(ctx context.Context, staffNo string) (string, error)
}

// WeChatLinks uses the account's permanent QR code of the target: scanning it follows the account
// if needed and opens the rating dialog. Its scene is the target's payload.
func WeChatLinks(q QRCoder) Linker {
	return LinkerFunc(func(ctx context.Context, t Target) (string, error) {
		if t.StaffNo != "" {
			return q.StaffQRCodeURL(ctx, t.StaffNo)
		}
		return q.QRCodeURL(ctx, t.WindowCode)
	})
}
