package wechat_test

import (
	"bytes"
	"testing"
	"time"

	"windowbot/bot"
	"windowbot/bot/wechat"
	"windowbot/bot/wechat/wechattest"
)

func starPicture() *bot.Picture {
	return &bot.Picture{Key: "poster-1", MIMEType: "image/png", Name: "star.png", Data: wechattest.PNG()}
}

// Within the 48 hours a push's picture is uploaded as temporary media (media/upload, type image,
// multipart field "media") and sent as a customer-service image message, then the text; the
// next recipient gets the same upload.
func TestSendPicture(t *testing.T) {
	e := newEnv(t, false, nil)
	putCitizen(t, e.cit, testOpenID, time.Now().Add(-time.Hour), false)
	other := "oABCD1234567890abcdefghijklm"
	putCitizen(t, e.cit, other, time.Now().Add(-time.Hour), false)
	msg := bot.Reply{Text: "本月服务之星：张伟", Kind: "monthly_star", Picture: starPicture()}
	for _, to := range []string{testOpenID, other} {
		if err := e.a.Send(ctxT(t), bot.Recipient{Platform: bot.WeChat, ChatID: to}, msg); err != nil {
			t.Fatal(err)
		}
	}
	cs := e.api.Custom()
	if len(cs) != 4 {
		t.Fatalf("customer-service messages %+v, want image and text twice", cs)
	}
	if cs[0].ToUser != testOpenID || cs[0].MediaID == "" || !bytes.Equal(cs[0].Image, msg.Picture.Data) || cs[1].Text != msg.Text {
		t.Errorf("first recipient got %+v", cs[:2])
	}
	if cs[2].MediaID != cs[0].MediaID || cs[3].Text != msg.Text {
		t.Errorf("second recipient got %+v; want the same upload", cs[2:])
	}
	if n := e.api.Uploads(); n != 1 {
		t.Errorf("uploads %d, want 1", n)
	}
}

// WeChat forgot the upload (40007): the picture is uploaded again.
func TestSendPictureReuploadsExpiredMedia(t *testing.T) {
	e := newEnv(t, false, nil)
	putCitizen(t, e.cit, testOpenID, time.Now().Add(-time.Hour), false)
	to := bot.Recipient{Platform: bot.WeChat, ChatID: testOpenID}
	msg := bot.Reply{Text: "图表", Picture: starPicture()}
	for range 2 {
		if err := e.a.Send(ctxT(t), to, msg); err != nil {
			t.Fatal(err)
		}
		e.api.ForgetMedia()
	}
	if n := e.api.Uploads(); n != 2 {
		t.Errorf("uploads %d, want 2", n)
	}
	if n := len(e.api.Custom()); n != 4 {
		t.Errorf("messages %d, want 4", n)
	}
}

// WeChat refuses the picture: the text goes alone and the push counts as delivered.
func TestSendPictureRefusedSendsText(t *testing.T) {
	e := newEnv(t, false, nil)
	putCitizen(t, e.cit, testOpenID, time.Now().Add(-time.Hour), false)
	msg := bot.Reply{Text: "本月服务之星：张伟", Picture: &bot.Picture{Key: "x", Data: []byte("not an image")}}
	if err := e.a.Send(ctxT(t), bot.Recipient{Platform: bot.WeChat, ChatID: testOpenID}, msg); err != nil {
		t.Fatal(err)
	}
	cs := e.api.Custom()
	if len(cs) != 1 || cs[0].Text != msg.Text || e.api.Uploads() != 0 {
		t.Fatalf("messages %+v, uploads %d; want the text alone", cs, e.api.Uploads())
	}
}

// Outside the 48 hours only a template can be sent: it carries the text, and nothing is
// uploaded.
func TestSendPictureOutsideWindow(t *testing.T) {
	e := newEnv(t, false, func(o *wechat.Options) { o.Templates = map[string]string{"default": "TPL-DEFAULT"} })
	putCitizen(t, e.cit, testOpenID, time.Now().Add(-72*time.Hour), false)
	msg := bot.Reply{Text: "本月服务之星：张伟", Kind: "monthly_star", Picture: starPicture()}
	if err := e.a.Send(ctxT(t), bot.Recipient{Platform: bot.WeChat, ChatID: testOpenID}, msg); err != nil {
		t.Fatal(err)
	}
	if tpls := e.api.Templates(); len(tpls) != 1 || tpls[0].Data["content"] != msg.Text || e.api.Uploads() != 0 || len(e.api.Custom()) != 0 {
		t.Fatalf("templates %+v, uploads %d", tpls, e.api.Uploads())
	}
}
