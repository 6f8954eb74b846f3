package telegram

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"strings"
	"testing"

	"windowbot/bot"
	"windowbot/internal/testenv"
)

// testPicture is a small real PNG as a push carries it.
func testPicture(t *testing.T) *bot.Picture {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 30, 40))); err != nil {
		t.Fatal(err)
	}
	return &bot.Picture{Key: "k1", MIMEType: "image/png", Name: "star.png", Data: buf.Bytes()}
}

func photoAdapter(t *testing.T) (*Adapter, *fakeAPI) {
	t.Helper()
	api := newFakeAPI(t)
	ad, err := New(Options{Token: api.token, APIURL: api.URL(), Handler: &testenv.Handler{}})
	if err != nil {
		t.Fatal(err)
	}
	return ad, api
}

var photoTo = bot.Recipient{Platform: bot.Telegram, ChatID: "777"}

// A push with a picture goes as sendPhoto, multipart with the PNG in the field "photo" and the
// text as its caption; the next recipient gets the same picture by its file_id, not uploaded
// again.
func TestSendPhotoWithCaption(t *testing.T) {
	ad, api := photoAdapter(t)
	pic := testPicture(t)
	msg := bot.Reply{Text: "示范政务服务中心 2026年10月服务之星：张伟", Kind: "monthly_star", Picture: pic}
	if err := ad.Send(context.Background(), photoTo, msg); err != nil {
		t.Fatal(err)
	}
	calls := api.since(0)
	if len(calls) != 1 || calls[0].Method != "sendPhoto" {
		t.Fatalf("calls = %+v, want one sendPhoto", calls)
	}
	c := calls[0]
	if c.ContentType != "multipart/form-data" || !bytes.Equal(c.Photo, pic.Data) || c.PhotoName != "star.png" {
		t.Fatalf("photo field: content type %q, %d bytes named %q; want the PNG uploaded as multipart", c.ContentType, len(c.Photo), c.PhotoName)
	}
	if c.Params["caption"] != msg.Text || c.Params["chat_id"] != "777" {
		t.Errorf("params = %v", c.Params)
	}

	if err := ad.Send(context.Background(), bot.Recipient{Platform: bot.Telegram, ChatID: "778"}, msg); err != nil {
		t.Fatal(err)
	}
	again := api.since(1)
	if len(again) != 1 || again[0].Photo != nil || !strings.HasPrefix(again[0].Params["photo"], "AgACphoto") {
		t.Fatalf("second send = %+v, want the photo by file_id", again)
	}
}

// Telegram forgot the file_id: the picture is uploaded again.
func TestSendPhotoReuploadsForgottenFile(t *testing.T) {
	ad, api := photoAdapter(t)
	msg := bot.Reply{Text: "图表", Picture: testPicture(t)}
	for range 2 {
		if err := ad.Send(context.Background(), photoTo, msg); err != nil {
			t.Fatal(err)
		}
		api.forgetPhotos()
	}
	calls := only(t, api.since(0), "sendPhoto")
	if len(calls) != 3 || calls[1].Photo != nil || calls[2].Photo == nil {
		t.Fatalf("calls = %d sendPhoto, want upload, by file_id (refused), upload", len(calls))
	}
}

// A text longer than a caption: the picture alone, then the text.
func TestSendPhotoLongText(t *testing.T) {
	ad, api := photoAdapter(t)
	long := strings.Repeat("月度报告。", 300)
	if err := ad.Send(context.Background(), photoTo, bot.Reply{Text: long, Picture: testPicture(t)}); err != nil {
		t.Fatal(err)
	}
	calls := api.since(0)
	if len(calls) != 2 || calls[0].Method != "sendPhoto" || calls[0].Params["caption"] != "" ||
		calls[1].Method != "sendMessage" || calls[1].Params["text"] != long {
		t.Fatalf("calls = %+v", calls)
	}
}

// Telegram refuses the picture (not an image it can process): the text goes alone, and the push
// counts as delivered.
func TestSendPhotoFallsBackToText(t *testing.T) {
	ad, api := photoAdapter(t)
	bad := &bot.Picture{Key: "junk", Name: "x.png", Data: []byte("not a picture at all")}
	if err := ad.Send(context.Background(), photoTo, bot.Reply{Text: "本月服务之星：张伟", Picture: bad}); err != nil {
		t.Fatal(err)
	}
	calls := api.since(0)
	if len(calls) != 2 || calls[0].Method != "sendPhoto" || calls[1].Method != "sendMessage" || calls[1].Params["text"] != "本月服务之星：张伟" {
		t.Fatalf("calls = %+v, want the refused photo then the text", calls)
	}
}

// The chat's failures are the push pipeline's to decide, as for text: a blocked bot is not
// answered by sending the text.
func TestSendPhotoClassifies(t *testing.T) {
	ad, api := photoAdapter(t)
	api.fail("sendPhoto", apiFailure{Code: 403, Desc: "Forbidden: bot was blocked by the user"})
	err := ad.Send(context.Background(), photoTo, bot.Reply{Text: "x", Picture: testPicture(t)})
	if !errors.Is(err, bot.ErrRecipientGone) {
		t.Fatalf("err = %v, want ErrRecipientGone", err)
	}
	if n := len(only(t, api.since(0), "sendMessage")); n != 0 {
		t.Errorf("%d texts sent to a chat that blocked the bot", n)
	}
	api.fail("sendPhoto", apiFailure{Code: 429, Desc: "Too Many Requests: retry after 3", RetryAfter: 3})
	var ra *bot.RetryAfterError
	if err := ad.Send(context.Background(), photoTo, bot.Reply{Text: "x", Picture: testPicture(t)}); !errors.As(err, &ra) {
		t.Fatalf("err = %v, want RetryAfterError", err)
	}
}
