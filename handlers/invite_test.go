package handlers_test

import (
	"bytes"
	"image/png"
	"net/url"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"windowbot/bot"
	"windowbot/internal/testenv"
)

// decodeQR reads a QR code back from a PNG picture, as a phone would.
func decodeQR(t *testing.T, pic *bot.Picture) string {
	t.Helper()
	if pic == nil || pic.MIMEType != "image/png" || len(pic.Data) == 0 {
		t.Fatalf("no PNG picture: %+v", pic)
	}
	img, err := png.Decode(bytes.NewReader(pic.Data))
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("the picture holds no readable QR code: %v", err)
	}
	return res.GetText()
}

// TestInviteQRIsAWorkingInvitation: a staff member's /invite answers with a picture whose QR code
// holds a link to a fresh invitation of their window and themselves; the citizen who follows it
// rates that staff member without being asked who served them, once; with a case number, the
// rating carries the case, and asking again for the same number shows the same invitation.
func TestInviteQRIsAWorkingInvitation(t *testing.T) {
	forEachDB(t, func(t *testing.T, r *rig) {
		staff := r.bind("DEMO-002") // 李娜 of W001, which has two staff members
		out := r.say(staff, "/invite NS-0042 13800138000")
		if len(out) != 1 || !strings.Contains(out[0].Text, "请群众扫描二维码") || !strings.Contains(out[0].Text, "办件编号：NS-0042") {
			t.Fatalf("/invite: %+v", out)
		}
		link := decodeQR(t, out[0].Picture)
		u, err := url.Parse(link)
		if err != nil || u.Host != "hall.example.cn" || !strings.Contains(out[0].Text, link) {
			t.Fatalf("QR code holds %q", link)
		}
		token := u.Query().Get("c")
		again := r.say(staff, "/invite NS-0042")
		if decodeQR(t, again[0].Picture) != link {
			t.Fatalf("the same case number made a new invitation")
		}

		citizen := r.chat("citizen")
		got := testenv.Text(r.say(citizen, "/start c_"+token))
		if !strings.Contains(got, "李娜") || strings.Contains(got, "请问为您办理业务的工作人员是") {
			t.Fatalf("invitation opened:\n%s", got)
		}
		r.press(citizen, "rate:level:5")
		r.press(citizen, "rate:praise:done")
		testenv.MustContain(t, r.press(citizen, "rate:comment:skip"), "办件编号：NS-0042")
		testenv.MustContain(t, r.say(citizen, "/start c_"+token), "该办件已评价，感谢您的参与")
		testenv.MustContain(t, r.say(staff, "/invite NS-0042"), "该办件已评价")

		// Without a case number: a fresh invitation each time, for the staff member alone.
		first := decodeQR(t, r.say(staff, "/invite")[0].Picture)
		second := decodeQR(t, r.say(staff, "/invite")[0].Picture)
		if first == second || first == link {
			t.Fatalf("invitations without a case number are not fresh: %s %s", first, second)
		}
		// Another window's staff cannot show a case of W001.
		other := r.bind("DEMO-003")
		testenv.MustContain(t, r.say(other, "/invite NS-0042"), "该办件编号属于其他窗口")
	})
}

// TestSendGuideQR (一次性告知): a staff member finds a matter by part of its name and shows the
// citizen a QR code; its link opens the web chat with the whole guide at once. Words that fit
// several matters offer them; words that fit none say so.
func TestSendGuideQR(t *testing.T) {
	forEachDB(t, func(t *testing.T, r *rig) {
		staff := r.bind("DEMO-001")
		testenv.MustContain(t, r.say(staff, "/sendguide 飞机"), "没有找到与“飞机”相符的事项")
		several := r.say(staff, "/sendguide 不动产")
		if !hasButton(several, "cmd:/sendguide M001") || !hasButton(several, "cmd:/sendguide M002") {
			t.Fatalf("several matters: %+v", several)
		}
		out := r.press(staff, "cmd:/sendguide M002")
		if len(out) != 1 || !strings.Contains(out[0].Text, "「不动产抵押登记」") {
			t.Fatalf("guide QR: %+v", out)
		}
		link := decodeQR(t, out[0].Picture)
		if link != "https://hall.example.cn/?g=M002" || !strings.Contains(out[0].Text, link) {
			t.Fatalf("QR holds %q", link)
		}
		// The web page turns ?g= into this deep link.
		guide := testenv.Text(r.send("visitor", bot.Inbound{Platform: bot.Web, Text: "/start g_M002"}))
		for _, want := range []string{"不动产抵押登记", "不动产权证书原件", "借款合同及抵押合同", "借款人身份证原件", "W001"} {
			if !strings.Contains(guide, want) {
				t.Errorf("guide lacks %q:\n%s", want, guide)
			}
		}
	})
}
