package wechat

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"windowbot/bot"
	"windowbot/models"
)

// imageTypes are the image types accepted, decided by sniffing the bytes rather than by trusting
// the type the download declared.
var imageTypes = []string{"image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp"}

// mediaTimeout bounds downloading one image, so the step it belongs to keeps time for itself
// within DefaultHandleTimeout.
const mediaTimeout = 15 * time.Second

// fetchPhoto downloads the image a user sent. WeChat keeps it for three days only, under the
// MediaId the message carries, so the bytes travel with the Inbound like a web upload and are
// kept with the ticket. It is part of handling the message: it runs in the first delivery's
// work, so a slow download makes the callback answer "success" and the reply go out through the
// customer-service API, like any slow step; retries never download again.
//
// What it hands the engine: the image (FileID the MediaId, sniffed MIMEType, Size, Data); for
// one over models.MaxPhotoBytes only its size, which the step refuses as too large; for anything
// else (no such media, a failed download, not an image) an empty Media, which the step answers as
// a photo it could not receive.
func (a *Adapter) fetchPhoto(ctx context.Context, mediaID string) *bot.Media {
	ctx, cancel := context.WithTimeout(ctx, mediaTimeout)
	defer cancel()
	data, err := a.api.media(ctx, mediaID, models.MaxPhotoBytes)
	var tl *tooLargeError
	switch {
	case errors.As(err, &tl):
		a.log.InfoContext(ctx, "wechat: image over the size limit", "size", tl.Size, "limit", models.MaxPhotoBytes)
		return &bot.Media{Size: max(tl.Size, models.MaxPhotoBytes+1)}
	case err != nil:
		a.log.WarnContext(ctx, "wechat: download image", "err", err)
		return &bot.Media{}
	}
	mime := http.DetectContentType(data)
	if !slices.Contains(imageTypes, mime) {
		a.log.WarnContext(ctx, "wechat: downloaded media is not an image", "mime_type", mime, "size", len(data))
		return &bot.Media{}
	}
	return &bot.Media{FileID: mediaID, MIMEType: mime, Size: int64(len(data)), Data: data}
}

// fetchVoice downloads a voice message that came without recognised text, which a complaint
// keeps as an attachment (WeChat keeps it for three days only), like fetchPhoto: for one over
// models.MaxPhotoBytes only its size, for a failed download an empty Media.
func (a *Adapter) fetchVoice(ctx context.Context, v *bot.Media) *bot.Media {
	ctx, cancel := context.WithTimeout(ctx, mediaTimeout)
	defer cancel()
	data, err := a.api.media(ctx, v.FileID, models.MaxPhotoBytes)
	var tl *tooLargeError
	switch {
	case errors.As(err, &tl):
		a.log.InfoContext(ctx, "wechat: voice over the size limit", "size", tl.Size, "limit", models.MaxPhotoBytes)
		return &bot.Media{Size: max(tl.Size, models.MaxPhotoBytes+1), MIMEType: v.MIMEType}
	case err != nil:
		a.log.WarnContext(ctx, "wechat: download voice", "err", err)
		return &bot.Media{MIMEType: v.MIMEType}
	}
	return &bot.Media{FileID: v.FileID, MIMEType: v.MIMEType, Size: int64(len(data)), Data: data}
}
