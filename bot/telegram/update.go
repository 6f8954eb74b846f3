package telegram

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	tgbot "github.com/go-telegram/bot"
	tgmodels "github.com/go-telegram/bot/models"

	"windowbot/bot"
	"windowbot/internal/text"
)

// onPolled receives each polled update from the library and queues it behind the same chat's
// earlier updates: the engine's lock keeps two turns of one chat from overlapping, but only a
// queue keeps them in the order the user sent them.
func (a *Adapter) onPolled(ctx context.Context, _ *tgbot.Bot, upd *tgmodels.Update) {
	key := chatKey(upd)
	if !a.serial.do(key, func() {
		// Shutdown stops polling, not the turn under way.
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.opts.HandleTimeout)
		defer cancel()
		a.handle(hctx, upd)
	}) {
		a.log.Warn("telegram: too many updates queued for one chat, dropping", "update_id", upd.ID)
	}
}

// chatKey orders updates: per chat, or per update when there is no chat.
func chatKey(upd *tgmodels.Update) string {
	switch {
	case upd.Message != nil:
		return strconv.FormatInt(upd.Message.Chat.ID, 10)
	case upd.CallbackQuery != nil:
		return strconv.FormatInt(upd.CallbackQuery.From.ID, 10)
	}
	return "u" + strconv.FormatInt(upd.ID, 10)
}

// handle runs one update: dedupe, translate, ask the handler, deliver the replies, and answer a
// callback query whatever happened, so the user's button stops spinning.
func (a *Adapter) handle(ctx context.Context, upd *tgmodels.Update) {
	if a.afterFn != nil {
		defer a.afterFn(upd.ID)
	}
	if a.opts.Dedupe != nil {
		key := "tg:update:" + a.botKey + ":" + strconv.FormatInt(upd.ID, 10)
		first, err := a.opts.Dedupe.Claim(ctx, key, DedupeTTL)
		if err != nil {
			// Handling twice is better than losing the update.
			a.log.Warn("telegram: dedupe failed, handling anyway", "update_id", upd.ID, "err", err)
		} else if !first {
			a.log.Debug("telegram: redelivered update ignored", "update_id", upd.ID)
			return
		}
	}
	if cq := upd.CallbackQuery; cq != nil {
		defer a.answerCallback(ctx, cq.ID)
	}
	in, ok := a.inbound(upd)
	if !ok {
		a.log.Debug("telegram: update ignored", "update_id", upd.ID)
		return
	}
	chatID, _ := strconv.ParseInt(in.ChatID, 10, 64)
	msgID, _ := strconv.Atoi(in.MessageID)
	replies, err := a.opts.Handler.Handle(ctx, in)
	if err != nil {
		a.log.Error("telegram: handle update", "update_id", upd.ID, "kind", kind(in), "err", err)
		replies = []bot.Reply{{Text: text.T(in.Lang, "busy")}}
	}
	a.deliver(ctx, chatID, msgID, replies)
}

func (a *Adapter) answerCallback(ctx context.Context, id string) {
	if _, err := a.api.AnswerCallbackQuery(ctx, &tgbot.AnswerCallbackQueryParams{CallbackQueryID: id}); err != nil {
		a.log.Warn("telegram: answerCallbackQuery", "err", err)
	}
}

// inbound translates an update. ok is false for what the bot does not take: updates other than
// messages and button presses, messages outside private chats (a dialog belongs to one person),
// and commands addressed to another bot.
func (a *Adapter) inbound(upd *tgmodels.Update) (in bot.Inbound, ok bool) {
	in.Platform = bot.Telegram
	switch {
	case upd.Message != nil:
		m := upd.Message
		if m.From == nil || m.From.IsBot || m.Chat.Type != tgmodels.ChatTypePrivate {
			return in, false
		}
		in.ChatID = strconv.FormatInt(m.Chat.ID, 10)
		fillUser(&in, m.From)
		in.Text = strings.TrimSpace(m.Text)
		if len(m.Photo) > 0 {
			in.Text = strings.TrimSpace(m.Caption)
			in.Photo = largest(m.Photo)
		}
		if m.Location != nil {
			in.Location = &bot.Location{Lat: m.Location.Latitude, Lon: m.Location.Longitude}
		}
		if v := m.Voice; v != nil {
			// A voice note: a complaint keeps it; elsewhere the dialog says how to go on.
			in.Text = strings.TrimSpace(m.Caption)
			in.Voice = &bot.Media{FileID: v.FileID, MIMEType: v.MimeType, Size: v.FileSize}
		}
		in = bot.CleanInbound(in)
		if in.Text == "" && in.Photo == nil && in.Location == nil && in.Voice == nil {
			return in, false // stickers, contacts…: nothing the dialogs read
		}
		if !a.forUs(in.Text) {
			return in, false
		}
		return in, true
	case upd.CallbackQuery != nil:
		cq := upd.CallbackQuery
		var chat tgmodels.Chat
		var msgID int
		switch {
		case cq.Message.Message != nil:
			chat, msgID = cq.Message.Message.Chat, cq.Message.Message.ID
		case cq.Message.InaccessibleMessage != nil:
			chat, msgID = cq.Message.InaccessibleMessage.Chat, cq.Message.InaccessibleMessage.MessageID
		default:
			return in, false // a button on an inline message: not ours
		}
		if cq.Data == "" || (chat.Type != "" && chat.Type != tgmodels.ChatTypePrivate) {
			return in, false
		}
		in.ChatID = strconv.FormatInt(chat.ID, 10)
		fillUser(&in, &cq.From)
		in.Payload = cq.Data
		in.MessageID = strconv.Itoa(msgID)
		in = bot.CleanInbound(in)
		// Data of nothing but invisible characters is no button of ours: it would reach the
		// dialog as a message without text or payload.
		return in, in.Payload != ""
	}
	return in, false
}

func fillUser(in *bot.Inbound, u *tgmodels.User) {
	in.UserID = strconv.FormatInt(u.ID, 10)
	in.UserName = strings.TrimSpace(u.FirstName + " " + u.LastName)
	in.Lang = u.LanguageCode
}

// largest picks the biggest of the sizes Telegram offers of one photo.
func largest(sizes []tgmodels.PhotoSize) *bot.Media {
	best := sizes[0]
	for _, s := range sizes[1:] {
		if s.Width*s.Height > best.Width*best.Height || (s.Width*s.Height == best.Width*best.Height && s.FileSize > best.FileSize) {
			best = s
		}
	}
	return &bot.Media{FileID: best.FileID, MIMEType: "image/jpeg", Size: int64(best.FileSize)}
}

// forUs is false for "/cmd@otherbot". The router drops "@ourbot" itself.
func (a *Adapter) forUs(text string) bool {
	if !strings.HasPrefix(text, "/") {
		return true
	}
	cmd, _, _ := strings.Cut(text, " ")
	_, at, found := strings.Cut(cmd, "@")
	if !found {
		return true
	}
	me := a.knownUsername()
	return me == "" || strings.EqualFold(at, me)
}

func kind(in bot.Inbound) string {
	switch {
	case in.Payload != "":
		return "button"
	case in.Photo != nil:
		return "photo"
	case in.Location != nil:
		return "location"
	}
	return "text"
}

// deliver renders replies in chat. A reply marked Edit replaces the message whose button was
// pressed; when there is none or the edit fails (too old, deleted), it is sent as a new message.
func (a *Adapter) deliver(ctx context.Context, chatID int64, pressed int, replies []bot.Reply) {
	edited := false
	for _, r := range replies {
		if strings.TrimSpace(r.Text) == "" {
			// An empty message is refused by Telegram; it is a bug upstream, not the user's.
			a.log.Error("telegram: empty reply dropped", "chat_id", chatID)
			continue
		}
		markup := a.keyboard(r.Buttons)
		if r.Edit && pressed != 0 && !edited && utf8.RuneCountInString(r.Text) <= maxText {
			edited = true
			_, err := a.api.EditMessageText(ctx, &tgbot.EditMessageTextParams{
				ChatID: chatID, MessageID: pressed, Text: r.Text, ReplyMarkup: markup,
			})
			if err == nil || notModified(err) {
				continue
			}
			a.log.Debug("telegram: edit failed, sending instead", "err", err)
		}
		if err := a.sendText(ctx, chatID, r.Text, markup); err != nil {
			a.log.Error("telegram: send reply", "chat_id", chatID, "err", err)
			return
		}
	}
}

// notModified is Telegram's answer to an edit that changes nothing (a double tap): the message
// already shows what was asked for.
func notModified(err error) bool {
	return errors.Is(err, tgbot.ErrorBadRequest) && strings.Contains(err.Error(), "message is not modified")
}

// sendText sends text, split into several messages if it is longer than Telegram allows; the
// keyboard goes with the last part.
func (a *Adapter) sendText(ctx context.Context, chatID int64, text string, markup tgmodels.ReplyMarkup) error {
	parts := split(text, maxText)
	for i, p := range parts {
		params := &tgbot.SendMessageParams{ChatID: chatID, Text: p}
		if i == len(parts)-1 {
			params.ReplyMarkup = markup
		}
		if _, err := a.api.SendMessage(ctx, params); err != nil {
			return err
		}
	}
	return nil
}

// split cuts s into pieces of at most n runes, at a line break in the second half of a piece
// where there is one.
func split(s string, n int) []string {
	var out []string
	for utf8.RuneCountInString(s) > n {
		cut, runes := 0, 0
		for i := range s {
			if runes == n {
				cut = i
				break
			}
			runes++
		}
		if nl := strings.LastIndex(s[:cut], "\n"); nl > cut/2 {
			cut = nl + 1
		}
		out = append(out, s[:cut])
		s = s[cut:]
	}
	return append(out, s)
}

// inlineKeyboard and callbackButton are the inline keyboard as the Bot API reads it, with only
// the fields used. The library's InlineKeyboardButton always serialises "copy_text":{"text":""},
// which Telegram has been reported to refuse (BUTTON_COPY_TEXT_INVALID).
type inlineKeyboard struct {
	InlineKeyboard [][]callbackButton `json:"inline_keyboard"`
}

type callbackButton struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data"`
}

// keyboard renders button rows as an inline keyboard, or nil for none. A button Telegram would
// refuse — empty label, empty or over-long callback data — is left out and logged rather than
// losing the whole message; so is everything past the keyboard's size limit.
func (a *Adapter) keyboard(rows [][]bot.Button) tgmodels.ReplyMarkup {
	var kb [][]callbackButton
	n := 0
	for _, row := range rows {
		var out []callbackButton
		for _, b := range row {
			switch {
			case strings.TrimSpace(b.Label) == "" || b.Payload == "":
				a.log.Error("telegram: button without label or payload dropped")
				continue
			case len(b.Payload) > MaxCallbackData:
				a.log.Error("telegram: button payload over 64 bytes dropped", "payload_len", len(b.Payload))
				continue
			case n >= maxButtons:
				a.log.Warn("telegram: too many buttons, the rest dropped", "buttons", n)
				continue
			}
			n++
			out = append(out, callbackButton{Text: b.Label, CallbackData: b.Payload})
		}
		if len(out) > 0 {
			kb = append(kb, out)
		}
	}
	if len(kb) == 0 {
		return nil
	}
	return inlineKeyboard{InlineKeyboard: kb}
}

// Send implements bot.Sender for pushes. A reply with a Picture goes as a photo with the text as
// its caption (sendPhoto); when Telegram refuses the picture itself, the text goes alone.
// Failures are classified for the push pipeline:
// bot.ErrRecipientGone when the user blocked the bot (403) or the chat is gone,
// *bot.RetryAfterError on 429, bot.ErrPermanent for other requests Telegram refused (400, 404);
// anything else (network, 5xx) is plain and worth retrying. A wrong token (401) is plain too: it
// is the operator's to fix, and the message should go out once it is fixed.
func (a *Adapter) Send(ctx context.Context, to bot.Recipient, r bot.Reply) error {
	if to.Platform != bot.Telegram {
		return fmt.Errorf("telegram: send to a %s recipient: %w", to.Platform, bot.ErrPermanent)
	}
	chatID, err := strconv.ParseInt(to.ChatID, 10, 64)
	if err != nil {
		return fmt.Errorf("telegram: send: chat id %q is not a number: %w", to.ChatID, bot.ErrPermanent)
	}
	if strings.TrimSpace(r.Text) == "" {
		return fmt.Errorf("telegram: send: empty text: %w", bot.ErrPermanent)
	}
	if r.Picture != nil && len(r.Picture.Data) > 0 {
		err := a.sendPicture(ctx, chatID, r)
		if err == nil {
			return nil
		}
		if !pictureRefused(err) {
			return classify(err)
		}
		a.log.WarnContext(ctx, "telegram: picture refused, sending the text alone", "kind", r.Kind, "err", a.redact(err.Error()))
	}
	if err := a.sendText(ctx, chatID, r.Text, a.keyboard(r.Buttons)); err != nil {
		return classify(err)
	}
	return nil
}

// classify maps a Bot API failure to the send errors of package bot.
func classify(err error) error {
	var tooMany *tgbot.TooManyRequestsError
	var migrate *tgbot.MigrateError
	switch {
	case errors.As(err, &tooMany):
		// errors.Is(err, ErrorTooManyRequests) is false for this type: only As finds it.
		after := max(time.Duration(tooMany.RetryAfter)*time.Second, time.Second)
		return &bot.RetryAfterError{After: after, Err: fmt.Errorf("telegram: send: %w", err)}
	case errors.Is(err, tgbot.ErrorForbidden):
		return fmt.Errorf("telegram: send: %w: %w", bot.ErrRecipientGone, err)
	case errors.Is(err, tgbot.ErrorBadRequest) && strings.Contains(strings.ToLower(err.Error()), "chat not found"):
		return fmt.Errorf("telegram: send: %w: %w", bot.ErrRecipientGone, err)
	case errors.Is(err, tgbot.ErrorBadRequest), errors.Is(err, tgbot.ErrorNotFound), errors.As(err, &migrate):
		return fmt.Errorf("telegram: send: %w: %w", bot.ErrPermanent, err)
	}
	return fmt.Errorf("telegram: send: %w", err)
}

// serial runs functions one at a time per key, in the order given, and different keys at once.
type serial struct {
	mu    sync.Mutex
	queue map[string][]func()
	wg    sync.WaitGroup
}

// do queues fn behind key's earlier functions; false when too many are waiting already.
func (s *serial) do(key string, fn func()) bool {
	s.mu.Lock()
	if s.queue == nil {
		s.queue = map[string][]func(){}
	}
	if q, busy := s.queue[key]; busy {
		if len(q) >= maxQueued {
			s.mu.Unlock()
			return false
		}
		s.queue[key] = append(q, fn)
		s.mu.Unlock()
		return true
	}
	s.queue[key] = nil
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		for {
			fn()
			s.mu.Lock()
			q := s.queue[key]
			if len(q) == 0 {
				delete(s.queue, key)
				s.mu.Unlock()
				return
			}
			fn, s.queue[key] = q[0], q[1:]
			s.mu.Unlock()
		}
	}()
	return true
}

// wait blocks until every queued function has run.
func (s *serial) wait() { s.wg.Wait() }
