package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"sync"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/util"

	"windowbot/bot"
)

// uploadPath uploads temporary media; WeChat keeps it three days under the MediaId it answers.
const uploadPath = "/cgi-bin/media/upload"

// mediaTTL is how long an uploaded picture's MediaId is reused: well inside the three days
// WeChat keeps temporary media.
const mediaTTL = 48 * time.Hour

// Upload errcodes that mean WeChat will not take the picture itself: then the text goes alone.
const (
	codeInvalidMediaType = 40004
	codeInvalidFileType  = 40005
	codeInvalidMediaSize = 40006
	codeInvalidImageSize = 40009
	codeMediaMissing     = 41005
	codeMediaTooLarge    = 45001
)

// errPictureRefused marks a picture WeChat would not take.
var errPictureRefused = errors.New("wechat: picture refused")

// mediaKey is where an uploaded picture's MediaId is kept, shared by the replicas.
func (c *api) mediaKey(picture string) string { return "wechat:" + c.appID + ":media:" + picture }

// uploadImage uploads data as a temporary image and returns its MediaId. A picture uploaded in
// the last mediaTTL (by any replica) is not uploaded again.
func (c *api) uploadImage(ctx context.Context, p *bot.Picture) (string, error) {
	if p.Key != "" {
		// Senders working in parallel on one announcement wait for the first upload.
		unlock := c.uploads.lock(p.Key)
		defer unlock()
		if v, err := c.state.Get(ctx, c.mediaKey(p.Key)); err == nil && len(v) > 0 {
			return string(v), nil
		}
	}
	name := p.Name
	if name == "" {
		name = "picture.png"
	}
	mime := p.MIMEType
	if mime == "" {
		mime = http.DetectContentType(p.Data)
	}
	var res struct {
		util.CommonError
		Type    string `json:"type"`
		MediaID string `json:"media_id"`
	}
	err := c.withToken(ctx, uploadPath, func(tok string) error {
		return c.postFile(ctx, tok, name, mime, p.Data, &res)
	})
	switch code := apiCode(err); code {
	case codeInvalidMediaType, codeInvalidFileType, codeInvalidMediaSize, codeInvalidImageSize, codeMediaMissing, codeMediaTooLarge:
		return "", fmt.Errorf("%w: %w", errPictureRefused, err)
	}
	if err != nil {
		return "", err
	}
	if res.MediaID == "" {
		return "", errors.New("wechat: media/upload: answer without media_id")
	}
	if p.Key != "" {
		if err := c.state.Set(ctx, c.mediaKey(p.Key), []byte(res.MediaID), mediaTTL); err != nil {
			c.log.WarnContext(ctx, "wechat: remember uploaded media", "err", err)
		}
	}
	return res.MediaID, nil
}

// forgetMedia drops a picture's remembered MediaId (WeChat answered that it no longer has it).
func (c *api) forgetMedia(ctx context.Context, picture string) {
	if picture == "" {
		return
	}
	if err := c.state.Delete(ctx, c.mediaKey(picture)); err != nil {
		c.log.WarnContext(ctx, "wechat: forget uploaded media", "err", err)
	}
}

// postFile posts data as the multipart field "media" of media/upload, type image, as WeChat's
// documentation and silenceper/wechat's MediaUpload do, and decodes the answer into out.
func (c *api) postFile(ctx context.Context, tok, name, mime string, data []byte, out any) error {
	const op = "media/upload"
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="media"; filename=%q`, name))
	h.Set("Content-Type", mime)
	part, err := mw.CreatePart(h)
	if err != nil {
		return fmt.Errorf("wechat: %s: %w", op, err)
	}
	if _, err := part.Write(data); err != nil {
		return fmt.Errorf("wechat: %s: %w", op, err)
	}
	if err := mw.Close(); err != nil {
		return fmt.Errorf("wechat: %s: %w", op, err)
	}
	q := url.Values{"access_token": {tok}, "type": {"image"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+uploadPath+"?"+q.Encode(), &body)
	if err != nil {
		return fmt.Errorf("wechat: %s: %w", op, scrub(err))
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("wechat: %s: %w", op, scrub(err))
	}
	defer res.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(res.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("wechat: %s: read answer: %w", op, scrub(err))
	}
	if res.StatusCode != http.StatusOK {
		return &HTTPError{Op: op, Status: res.StatusCode}
	}
	var ce util.CommonError
	if err := json.Unmarshal(answer, &ce); err != nil {
		return fmt.Errorf("wechat: %s: answer is not JSON: %w", op, err)
	}
	if ce.ErrCode != 0 {
		return &APIError{Op: op, Code: ce.ErrCode, Msg: ce.ErrMsg}
	}
	if err := json.Unmarshal(answer, out); err != nil {
		return fmt.Errorf("wechat: %s: decode answer: %w", op, err)
	}
	return nil
}

// sendCustomerImage uploads p (unless uploaded lately) and sends it as a customer-service image
// message. When WeChat has forgotten a remembered upload (40007), it is uploaded again once.
func (a *Adapter) sendCustomerImage(ctx context.Context, openID string, p *bot.Picture) error {
	for attempt := 0; ; attempt++ {
		id, err := a.api.uploadImage(ctx, p)
		if err != nil {
			return err
		}
		err = a.api.call(ctx, "/cgi-bin/message/custom/send", message.NewCustomerImgMessage(openID, id), nil)
		if apiCode(err) == codeInvalidMediaID && attempt == 0 {
			a.api.forgetMedia(ctx, p.Key)
			continue
		}
		return err
	}
}

// keyLocks serialises work per key within this process.
type keyLocks struct {
	mu    sync.Mutex
	locks map[string]*keyLock
}

type keyLock struct {
	mu    sync.Mutex
	users int
}

// lock takes the lock of key and returns its release.
func (k *keyLocks) lock(key string) func() {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*keyLock{}
	}
	l := k.locks[key]
	if l == nil {
		l = &keyLock{}
		k.locks[key] = l
	}
	l.users++
	k.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		k.mu.Lock()
		if l.users--; l.users == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}
