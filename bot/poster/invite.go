package poster

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/skip2/go-qrcode"

	"windowbot/bot"
	"windowbot/models"
)

// CaseLinks are the links of one case's rating invitation (一事一评), one per channel; a
// channel that is not configured has none.
type CaseLinks struct {
	Web      string `json:"web"`
	Telegram string `json:"telegram,omitempty"`
	// WeChat is what the account's temporary QR code of the invitation encodes.
	WeChat string `json:"wechat,omitempty"`
}

// TempQRCoder makes WeChat temporary parametric QR codes (QR_STR_SCENE), valid for expire,
// and returns the URL such a code encodes. The WeChat adapter is one.
type TempQRCoder interface {
	CaseQRCodeURL(ctx context.Context, token string, expire time.Duration) (string, error)
}

// CaseLinker makes the links of invitations.
type CaseLinker struct {
	// PublicURL serves the web chat: its link is PublicURL/?c=TOKEN.
	PublicURL string
	// Telegram makes the deep link t.me/BOT?start=c_TOKEN; nil without a bot username.
	Telegram DeepLinker
	// WeChat makes the temporary QR code; nil without a WeChat account.
	WeChat TempQRCoder
	// Now is the clock the WeChat code's lifetime is counted from (default time.Now).
	Now func() time.Time
}

// WebGuideLink returns the web chat's link of a matter's guide (一次性告知), which staff show
// a citizen as a QR code (handlers' /sendguide).
func WebGuideLink(publicURL, matterCode string) string {
	return strings.TrimSuffix(publicURL, "/") + "/?g=" + url.QueryEscape(matterCode)
}

// WebTicketLink returns the web chat's link of a ticket, the one texted to its complainant
// (models.WithTicketSMS): it opens the ticket in the web chat, bound to whoever opens it.
func WebTicketLink(publicURL, token string) string {
	return strings.TrimSuffix(publicURL, "/") + "/?k=" + token // models.CaseTokenPattern: nothing to escape
}

// WebCaseLink returns the web chat's link of an invitation.
func WebCaseLink(publicURL, token string) string {
	return strings.TrimSuffix(publicURL, "/") + "/?c=" + token // models.CaseTokenPattern: nothing to escape
}

// Links returns every configured channel's link of c's invitation. The WeChat code lives until
// the invitation expires (WeChat keeps temporary codes 30 days at most).
func (l CaseLinker) Links(ctx context.Context, c *models.Case) (CaseLinks, error) {
	out := CaseLinks{Web: WebCaseLink(l.PublicURL, c.Token)}
	for _, ch := range []Channel{Telegram, WeChat} {
		link, err := l.Link(ctx, ch, c)
		if err != nil {
			return out, err
		}
		if ch == Telegram {
			out.Telegram = link
		} else {
			out.WeChat = link
		}
	}
	return out, nil
}

// Link returns the link of c's invitation on channel ch, "" when ch is not configured.
func (l CaseLinker) Link(ctx context.Context, ch Channel, c *models.Case) (string, error) {
	switch ch {
	case Web:
		return WebCaseLink(l.PublicURL, c.Token), nil
	case Telegram:
		if l.Telegram == nil {
			return "", nil
		}
		return l.Telegram.DeepLink(ctx, models.CaseLinkPrefix+c.Token)
	case WeChat:
		if l.WeChat == nil {
			return "", nil
		}
		now := time.Now
		if l.Now != nil {
			now = l.Now
		}
		life := min(c.ExpiresAt.Sub(now()), 30*24*time.Hour)
		if life < time.Minute {
			return "", fmt.Errorf("poster: invitation of case %d has expired", c.ID)
		}
		return l.WeChat.CaseQRCodeURL(ctx, c.Token, life)
	}
	return "", fmt.Errorf("poster: unknown channel %q", ch)
}

// QRPNG returns a plain QR code of link as a PNG picture, size pixels square: what a staff
// member shows a citizen at the counter (亮码评价).
func QRPNG(link string, size int) ([]byte, error) {
	q, err := qrcode.New(link, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("poster: QR code: %w", err)
	}
	var buf bytes.Buffer
	png, err := q.PNG(size)
	if err != nil {
		return nil, fmt.Errorf("poster: QR code: %w", err)
	}
	buf.Write(png)
	return buf.Bytes(), nil
}

// CounterQR draws the QR codes staff show at the counter (/invite): for the platform a staff
// member asks from, the link of that platform, else the web chat's.
type CounterQR struct {
	Links CaseLinker
	// Size is the picture's side in pixels (default 600).
	Size int
}

// Picture returns the QR code of c's invitation for platform, and the link it holds.
func (q CounterQR) Picture(ctx context.Context, platform bot.Platform, c *models.Case) (*bot.Picture, string, error) {
	ch := Web
	switch platform {
	case bot.Telegram:
		ch = Telegram
	case bot.WeChat:
		ch = WeChat
	}
	link, err := q.Links.Link(ctx, ch, c)
	if err != nil {
		return nil, "", err
	}
	if link == "" {
		link = WebCaseLink(q.Links.PublicURL, c.Token)
	}
	pic, err := q.png(link, "invite.png")
	return pic, link, err
}

// GuidePicture returns the QR code of a matter's guide on the web chat, and the link it holds:
// any phone's camera or WeChat's scanner opens it.
func (q CounterQR) GuidePicture(_ context.Context, matterCode string) (*bot.Picture, string, error) {
	link := WebGuideLink(q.Links.PublicURL, matterCode)
	pic, err := q.png(link, "guide.png")
	return pic, link, err
}

// png is the QR code of link as a picture named name.
func (q CounterQR) png(link, name string) (*bot.Picture, error) {
	size := q.Size
	if size <= 0 {
		size = 600
	}
	data, err := QRPNG(link, size)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	return &bot.Picture{Key: hex.EncodeToString(sum[:]), MIMEType: "image/png", Name: name, Data: data}, nil
}
