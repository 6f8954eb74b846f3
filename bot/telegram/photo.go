package telegram

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"unicode/utf8"

	tgbot "github.com/go-telegram/bot"
	tgmodels "github.com/go-telegram/bot/models"

	"windowbot/bot"
)

// maxCaption is the Bot API's limit on a photo's caption; a longer text follows the photo as a
// message of its own.
const maxCaption = 1024

// maxFileIDs bounds the uploads remembered for reuse.
const maxFileIDs = 64

// fileIDs remembers, by picture key, the file_id Telegram gave an uploaded photo, so the same
// poster sent to a thousand subscribers is uploaded once and then sent by reference.
type fileIDs struct {
	mu  sync.Mutex
	ids map[string]string
}

func (f *fileIDs) get(key string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ids[key]
}

func (f *fileIDs) put(key, id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ids == nil || len(f.ids) >= maxFileIDs {
		f.ids = map[string]string{} // posters go out in bursts: forgetting the old ones is fine
	}
	f.ids[key] = id
}

func (f *fileIDs) drop(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.ids, key)
}

// sendPicture sends r's picture with its text as the caption (and its keyboard), or, when the
// text is longer than a caption may be, the picture alone followed by the text. A photo sent
// before is sent by its file_id; when Telegram no longer knows that, it is uploaded again.
func (a *Adapter) sendPicture(ctx context.Context, chatID int64, r bot.Reply) error {
	p := r.Picture
	markup := a.keyboard(r.Buttons)
	caption, long := r.Text, utf8.RuneCountInString(r.Text) > maxCaption
	params := &tgbot.SendPhotoParams{ChatID: chatID}
	if !long {
		params.Caption, params.ReplyMarkup = caption, markup
	}
	send := func(file tgmodels.InputFile) (*tgmodels.Message, error) {
		params.Photo = file
		return a.api.SendPhoto(ctx, params)
	}
	var msg *tgmodels.Message
	var err error
	if id := a.photos.get(p.Key); id != "" && p.Key != "" {
		msg, err = send(&tgmodels.InputFileString{Data: id})
		if errors.Is(err, tgbot.ErrorBadRequest) {
			a.photos.drop(p.Key)
			msg, err = nil, errReupload
		}
	} else {
		err = errReupload
	}
	if errors.Is(err, errReupload) {
		name := p.Name
		if name == "" {
			name = "picture.png"
		}
		msg, err = send(&tgmodels.InputFileUpload{Filename: name, Data: bytes.NewReader(p.Data)})
	}
	if err != nil {
		return err
	}
	if msg != nil && len(msg.Photo) > 0 && p.Key != "" {
		a.photos.put(p.Key, largestPhoto(msg.Photo))
	}
	if long {
		return a.sendText(ctx, chatID, r.Text, markup)
	}
	return nil
}

// errReupload marks a photo to upload rather than send by file_id.
var errReupload = errors.New("telegram: upload the photo")

// largestPhoto returns the file_id of the largest size Telegram made of a photo.
func largestPhoto(sizes []tgmodels.PhotoSize) string {
	best := sizes[0]
	for _, s := range sizes[1:] {
		if s.Width*s.Height > best.Width*best.Height {
			best = s
		}
	}
	return best.FileID
}

// pictureRefused reports whether Telegram refused the picture itself (too large, dimensions it
// does not take, not an image) rather than the chat or the bot: then the text goes alone.
func pictureRefused(err error) bool {
	if !errors.Is(err, tgbot.ErrorBadRequest) {
		return false
	}
	msg := strings.ToLower(err.Error())
	return !strings.Contains(msg, "chat not found") && !strings.Contains(msg, "reply markup") && !strings.Contains(msg, "button")
}
