package wechat

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/silenceper/wechat/v2/officialaccount/message"

	"windowbot/bot"
	"windowbot/models"
)

// ServiceWindow is how long after a user's last message (or follow, scan, menu click) the account
// may send customer-service messages.
const ServiceWindow = 48 * time.Hour

// serviceMargin keeps clear of the window's edge: the last-seen time is ours, WeChat's clock is
// theirs, and a push may sit in a queue for a moment.
const serviceMargin = 5 * time.Minute

// TemplateField is the template data field a push's text goes into. Template IDs are chosen per
// Reply.Kind in the configuration; the template must have this field.
const TemplateField = "content"

// maxTemplateValue bounds the text put into a template field (the API truncates or refuses
// longer values).
const maxTemplateValue = 200

// DefaultTemplate is the Templates key of the template used for a kind without one of its own,
// so a new kind of notice (the jobs' reminders, digests, announcements) still reaches a citizen
// who has been silent for more than 48 hours.
const DefaultTemplate = "default"

// ErrNoTemplate means a push falls outside the 48-hour window and neither its kind nor
// DefaultTemplate has a template.
var ErrNoTemplate = fmt.Errorf("wechat: no template for this kind of notice and no default template: %w", bot.ErrPermanent)

// Send implements bot.Sender: a customer-service text within 48 hours of the citizen's last
// contact, a template message (by msg.Kind, else DefaultTemplate) outside it or when WeChat
// answers 45015/45047. A reply's Picture goes first within the 48 hours, as an image message of
// temporary media uploaded for it; a template cannot carry one, and a picture WeChat refuses is
// left out: the text goes alone then.
// Errors wrap bot.ErrRecipientGone (unfollowed, refused: the citizen is marked inactive too),
// bot.ErrPermanent, *bot.RetryAfterError, or are retryable.
func (a *Adapter) Send(ctx context.Context, to bot.Recipient, msg bot.Reply) error {
	if to.Platform != bot.WeChat || !validOpenID(to.ChatID) {
		return errNotWeChat
	}
	text := render([]bot.Reply{msg}, a.lang)
	if text == "" {
		return fmt.Errorf("wechat: send: empty message: %w", bot.ErrPermanent)
	}
	var lastSeen time.Time
	c, err := a.opts.Citizens.CitizenByExternalID(ctx, string(bot.WeChat), to.ChatID)
	switch {
	case err == nil:
		if c.Inactive {
			return fmt.Errorf("wechat: send: citizen unsubscribed: %w", bot.ErrRecipientGone)
		}
		lastSeen = c.LastSeenAt
	case !errors.Is(err, models.ErrNotFound):
		return fmt.Errorf("wechat: send: %w", err)
	}
	if a.now().Sub(lastSeen) < ServiceWindow-serviceMargin {
		err := a.sendPicture(ctx, to.ChatID, msg)
		if err == nil {
			err = a.sendCustomer(ctx, to.ChatID, text)
		}
		switch apiCode(err) {
		case codeOutOfWindow, codeOutOfCount:
			a.log.InfoContext(ctx, "wechat: customer-service window closed, sending a template", "kind", msg.Kind, "errcode", apiCode(err))
		default:
			return a.classify(ctx, to.ChatID, err)
		}
	}
	return a.classify(ctx, to.ChatID, a.sendTemplate(ctx, to.ChatID, msg.Kind, text))
}

// sendPicture sends msg's picture, if any, as a customer-service image. A picture WeChat will
// not take is logged and left out, so the text still goes.
func (a *Adapter) sendPicture(ctx context.Context, openID string, msg bot.Reply) error {
	if msg.Picture == nil || len(msg.Picture.Data) == 0 {
		return nil
	}
	err := a.sendCustomerImage(ctx, openID, msg.Picture)
	if errors.Is(err, errPictureRefused) {
		a.log.WarnContext(ctx, "wechat: picture refused, sending the text alone", "kind", msg.Kind, "err", err)
		return nil
	}
	return err
}

// sendCustomer sends text as one or more customer-service messages.
func (a *Adapter) sendCustomer(ctx context.Context, openID, text string) error {
	for _, part := range split(text, maxPassive) {
		if err := a.sendCustomerText(ctx, openID, part); err != nil {
			return err
		}
	}
	return nil
}

func (a *Adapter) sendCustomerText(ctx context.Context, openID, text string) error {
	return a.api.call(ctx, "/cgi-bin/message/custom/send", message.NewCustomerTextMessage(openID, text), nil)
}

func (a *Adapter) sendTemplate(ctx context.Context, openID, kind, text string) error {
	id := a.opts.Templates[kind]
	if id == "" {
		id = a.opts.Templates[DefaultTemplate]
	}
	if id == "" {
		return fmt.Errorf("wechat: send %q outside the 48-hour window: %w", kind, ErrNoTemplate)
	}
	if utf8.RuneCountInString(text) > maxTemplateValue {
		text = models.Truncate(text, maxTemplateValue-1)
	}
	tm := &message.TemplateMessage{
		ToUser:     openID,
		TemplateID: id,
		Data:       map[string]*message.TemplateDataItem{TemplateField: {Value: text}},
	}
	return a.api.call(ctx, "/cgi-bin/message/template/send", tm, nil)
}

// classify maps a send error onto the classes of package bot.
func (a *Adapter) classify(ctx context.Context, openID string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, bot.ErrPermanent) || errors.Is(err, bot.ErrRecipientGone) {
		return err
	}
	var he *HTTPError
	switch code := apiCode(err); {
	case code == codeUserRefused || code == codeRequireSubscribe || code == codeInvalidOpenID:
		if e := a.opts.Citizens.SetCitizenInactive(ctx, string(bot.WeChat), openID, true); e != nil {
			a.log.WarnContext(ctx, "wechat: mark citizen inactive", "err", e)
		}
		return fmt.Errorf("%w: %w", bot.ErrRecipientGone, err)
	case code == codeMinuteQuota:
		return &bot.RetryAfterError{After: time.Minute, Err: err}
	case code == codeDailyQuota:
		return &bot.RetryAfterError{After: time.Hour, Err: err}
	case code == codeBusy || tokenRejected(err):
		return err
	case code != 0:
		return fmt.Errorf("%w: %w", bot.ErrPermanent, err)
	case errors.As(err, &he) && he.Status >= 400 && he.Status < 500 && he.Status != 429:
		return fmt.Errorf("%w: %w", bot.ErrPermanent, err)
	}
	return err // network, timeouts, 5xx: retry later
}
