package wechat_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"windowbot/bot/wechat/wechattest"
	"windowbot/internal/testenv"
	"windowbot/internal/testenv/statetest"
	"windowbot/models"
)

// TestWeChatComplaintDesk drives the complaint desk through signed (and in safe mode encrypted)
// callbacks, the way a WeChat user does it: menu clicks, numbers and labels typed for choices,
// an image message, a retried message; then a second citizen takes the duplicate hint, a third
// declines it, and the first tracks the ticket and is not satisfied with the fix.
func TestWeChatComplaintDesk(t *testing.T) {
	backends(t, 3*time.Second, func(t *testing.T, s *stack) {
		ctx := context.Background()
		c := s.client
		photo := wechattest.PNG()
		s.api.AddMedia("MEDIA-ID-1", photo)
		const alice, bob, carol = "oTICKET000000000000000000001", "oTICKET000000000000000000002", "oTICKET000000000000000000003"
		ct := time.Now().Unix()

		rep := s.send(t, c.Event(alice, "CLICK", "complain", ct))
		mustSay(t, rep, "办不成事", "1. 整个服务中心", "W001 不动产登记")
		mustSay(t, s.send(t, c.Text(alice, "2", 301)), "问题类别", "5. 办不成事") // the second line: W001
		mustSay(t, s.send(t, c.Text(alice, "办不成事", 302)), "请描述")          // a label works as well as its number
		mustSay(t, s.send(t, c.Text(alice, "材料齐全却被告知系统不支持，让下周再来", 303)), "已收到", "照片")
		mustSay(t, s.send(t, c.Image(alice, "MEDIA-ID-1", 304)), "1/3")
		mustSay(t, s.send(t, c.Text(alice, "选好了", 305)), "实名", "1. ", "2. 匿名反映")
		mustSay(t, s.send(t, c.Text(alice, "1", 306)), "手机号")
		mustSay(t, s.send(t, c.Text(alice, "13800138000", 307)), "请确认", "138****8000", "照片：1 张")
		submit := c.Text(alice, "确认提交", 308)
		first := s.send(t, submit)
		mustSay(t, first, "工单编号", "-0001")
		// WeChat retries the same message: same answer, no second ticket.
		if again := s.send(t, submit); again.Passive && again.Text != first.Text {
			t.Fatalf("retry answered differently:\n%s", again.Text)
		}
		var ts []models.Ticket
		testenv.DB(t, s.store).Order("id").Find(&ts)
		if len(ts) != 1 || ts[0].Channel != "wechat" || ts[0].Category != models.CategoryNotDone || ts[0].Phone != "13800138000" {
			t.Fatalf("tickets = %+v", ts)
		}
		no := ts[0].No
		var as []models.TicketAttachment
		testenv.DB(t, s.store).Where("ticket_id = ?", ts[0].ID).Find(&as)
		if len(as) != 1 || as[0].FileID != "MEDIA-ID-1" || as[0].Platform != "wechat" || as[0].MIMEType != "image/png" ||
			as[0].Size != int64(len(photo)) || !bytes.Equal(as[0].Data, photo) {
			t.Fatalf("attachments = %+v", as)
		}

		// Bob types the window code and takes the duplicate hint.
		s.send(t, c.Event(bob, "CLICK", "complain", ct))
		mustSay(t, s.send(t, c.Text(bob, "w001", 401)), "问题类别")
		mustSay(t, s.send(t, c.Text(bob, "5", 402)), no, "1. 并入 "+no)
		mustSay(t, s.send(t, c.Text(bob, "1", 403)), "请描述")
		mustSay(t, s.send(t, c.Text(bob, "我也被要求下周再来", 404)), "1. 说完了")
		mustSay(t, s.send(t, c.Text(bob, "1", 407)), "照片")
		mustSay(t, s.send(t, c.Text(bob, "跳过", 405)), "并入工单："+no)
		mustSay(t, s.send(t, c.Text(bob, "1", 406)), "已并入工单 "+no)

		// Carol declines it and stays anonymous.
		s.send(t, c.Event(carol, "CLICK", "complain", ct))
		s.send(t, c.Text(carol, "W001", 501))
		mustSay(t, s.send(t, c.Text(carol, "5", 502)), "2. 单独提交")
		s.send(t, c.Text(carol, "2", 503))
		s.send(t, c.Text(carol, "另一件事办不成", 504))
		s.send(t, c.Text(carol, "说完了", 508))
		s.send(t, c.Text(carol, "跳过", 505))
		mustSay(t, s.send(t, c.Text(carol, "匿名反映", 506)), "身份：匿名")
		mustSay(t, s.send(t, c.Text(carol, "1", 507)), "-0002", "匿名")
		if n := len(ts); n != 1 {
			t.Fatalf("tickets before: %d", n)
		}
		var count int64
		testenv.DB(t, s.store).Model(&models.Ticket{}).Count(&count)
		if count != 2 {
			t.Fatalf("tickets = %d, want 2 (one joined, one declined)", count)
		}

		// The fix is done and approved; Alice tracks it from the menu and is not satisfied.
		admin := models.Actor{Role: models.RoleAdmin}
		for _, ch := range []models.Change{{Action: models.ActAccept}, {Action: models.ActPlan, Note: "改为容缺受理"},
			{Action: models.ActDone, Note: "已当场办结，并对窗口人员进行容缺受理培训"}, {Action: models.ActApprove}} {
			ch.Actor, ch.At = admin, time.Now()
			if _, _, err := s.store.Transition(ctx, no, ch); err != nil {
				t.Fatal(err)
			}
		}
		mustSay(t, s.send(t, c.Event(alice, "CLICK", "track", ct+1)), "1. "+no, "已办结待评价")
		mustSay(t, s.send(t, c.Text(alice, "1", 601)), "工单 "+no, "已当场办结", "1. 满意", "3. 不满意")
		mustSay(t, s.send(t, c.Text(alice, "3", 602)), "哪里还不满意")
		mustSay(t, s.send(t, c.Text(alice, "3", 603)), "重新交办") // the reason is text: a number too
		tk, _ := s.store.TicketByNo(ctx, no)
		if tk.State != models.StateReopened || !tk.Escalated {
			t.Fatalf("ticket %s escalated=%v", tk.State, tk.Escalated)
		}
		// Bob, who joined, is told of every step but cannot give the verdict.
		bobAcct, err := s.store.CitizenByExternalID(ctx, "wechat", bob)
		if err != nil {
			t.Fatal(err)
		}
		var toBob []models.Push
		testenv.DB(t, s.store).Where("citizen_id = ?", bobAcct.ID).Order("id").Find(&toBob)
		var kinds []string
		for _, p := range toBob {
			kinds = append(kinds, p.Kind)
			if p.Buttons != "" || (p.Message != nil && len(p.Message.Buttons) > 0) {
				t.Errorf("a joiner was offered buttons: %+v", p)
			}
		}
		if got := strings.Join(kinds, ","); got != "ticket_status,ticket_status,rerate_invite,ticket_status" {
			t.Errorf("pushes to bob = %s", got)
		}
	})
}

// TestWeChatComplaintImages: an image sent to the complaint desk is downloaded and filed with the
// ticket, bytes and all, since WeChat keeps it for three days only; an image WeChat does not know
// (expired), one over the size limit, and a file that is no image each get an answer saying so,
// and the ticket is filed without them.
func TestWeChatComplaintImages(t *testing.T) {
	// Reading ten megabytes under the race detector on a loaded machine can take longer than the
	// three seconds other tests give the reply; the answer asserted is the passive one either way.
	backends(t, 15*time.Second, func(t *testing.T, s *stack) {
		c := s.client
		jpeg := append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00}, bytes.Repeat([]byte{7}, 300)...)
		s.api.AddMedia("MEDIA-PNG", wechattest.PNG())
		s.api.AddMedia("MEDIA-JPEG", jpeg)
		s.api.AddMedia("MEDIA-TEXT", []byte("这不是图片"))
		s.api.AddOversizedMedia("MEDIA-HUGE", models.MaxPhotoBytes+1, true)
		s.api.AddOversizedMedia("MEDIA-HUGE-CHUNKED", models.MaxPhotoBytes+4096, false)
		for i, tc := range []struct {
			name   string
			window string
			media  string
			answer string
			want   []byte // the attachment's bytes; nil: none
		}{
			{"png", "W001", "MEDIA-PNG", "已收到照片（1/3）", wechattest.PNG()},
			{"jpeg", "W002", "MEDIA-JPEG", "已收到照片（1/3）", jpeg},
			{"unknown media id", "W003", "MEDIA-GONE", "这张照片无法接收", nil},
			{"over the limit, declared", "W004", "MEDIA-HUGE", "这张照片太大了（超过 10 MB）", nil},
			{"over the limit, chunked", "W001", "MEDIA-HUGE-CHUNKED", "这张照片太大了（超过 10 MB）", nil},
			{"not an image", "W002", "MEDIA-TEXT", "这张照片无法接收", nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				user := "oIMAGE00000000000000000000" + string(rune('a'+i))
				id := int64(7000 + 100*i)
				category := []string{"工作效能", "服务态度", "服务能力", "工作作风", "办不成事", "工作效能"}[i]
				s.send(t, c.Event(user, "CLICK", "complain", time.Now().Unix()+int64(i)))
				mustSay(t, s.send(t, c.Text(user, tc.window, id+1)), "问题类别")
				if category == "服务能力" {
					// W003 has a matter: asked which one, the citizen is not sure.
					mustSay(t, s.send(t, c.Text(user, category, id+2)), "请问是办理哪个事项时遇到的问题", "居民户口迁移")
					mustSay(t, s.send(t, c.Text(user, "其他事项 / 不确定", id+50)), "请描述")
				} else {
					mustSay(t, s.send(t, c.Text(user, category, id+2)), "请描述")
				}
				mustSay(t, s.send(t, c.Text(user, "窗口让我跑了三趟", id+3)), "照片")
				before := s.api.MediaGets()
				img := c.Image(user, tc.media, id+4)
				rep := s.send(t, img)
				mustSay(t, rep, tc.answer)
				// A retry of the image message is answered again without downloading it again.
				if again := s.send(t, img); again.Passive && again.Text != rep.Text {
					t.Errorf("retry answered differently:\n%s", again.Text)
				}
				if n := s.api.MediaGets() - before; n != 1 {
					t.Errorf("downloads %d, want 1", n)
				}
				next := "跳过"
				if tc.want != nil {
					next = "选好了"
				}
				mustSay(t, s.send(t, c.Text(user, next, id+5)), "实名")
				want := "照片：0 张"
				if tc.want != nil {
					want = "照片：1 张"
				}
				mustSay(t, s.send(t, c.Text(user, "匿名反映", id+6)), want)
				mustSay(t, s.send(t, c.Text(user, "确认提交", id+7)), "工单编号")

				cit, err := s.store.CitizenByExternalID(context.Background(), "wechat", user)
				if err != nil {
					t.Fatal(err)
				}
				var tk models.Ticket
				if err := testenv.DB(t, s.store).Where("citizen_id = ?", cit.ID).First(&tk).Error; err != nil {
					t.Fatal(err)
				}
				var as []models.TicketAttachment
				testenv.DB(t, s.store).Where("ticket_id = ?", tk.ID).Find(&as)
				if tc.want == nil {
					if len(as) != 0 {
						t.Fatalf("attachments %+v, want none", as)
					}
					return
				}
				if len(as) != 1 || !bytes.Equal(as[0].Data, tc.want) || as[0].Size != int64(len(tc.want)) ||
					as[0].FileID != tc.media || as[0].Platform != "wechat" || !strings.HasPrefix(as[0].MIMEType, "image/") {
					t.Fatalf("attachments %+v", as)
				}
			})
		}
	})
}

// TestWeChatSlowImageDownload: downloading the image is part of handling the message, so when it
// takes longer than the reply budget the callback answers "success" and the answer arrives
// through the customer-service API; the image is still filed with the ticket.
func TestWeChatSlowImageDownload(t *testing.T) {
	const budget = 300 * time.Millisecond
	s := newStack(t, testenv.OpenDemoStore(t, testenv.SQLiteURL(t)), statetest.Memory(t, nil), true, budget)
	c := s.client
	const user = "oIMAGESLOW0000000000000000001"
	photo := wechattest.PNG()
	s.api.AddMedia("MEDIA-SLOW", photo)
	s.send(t, c.Event(user, "CLICK", "complain", time.Now().Unix()))
	s.send(t, c.Text(user, "W001", 1))
	s.send(t, c.Text(user, "办不成事", 2))
	mustSay(t, s.send(t, c.Text(user, "材料齐全却办不成", 3)), "照片")

	s.api.SetDelay(2 * budget) // the download, and the late answer's send
	start := time.Now()
	rep := s.send(t, c.Image(user, "MEDIA-SLOW", 4))
	if rep.Passive || rep.Text != "success" {
		t.Fatalf("slow download answered %+v, want success", rep)
	}
	if d := time.Since(start); d < budget {
		t.Errorf("answered after %s, before the %s budget was used", d, budget)
	}
	waitFor(t, "the answer through the customer-service API", func() bool {
		for _, m := range s.api.Custom() {
			if m.ToUser == user && strings.Contains(m.Text, "已收到照片（1/3）") {
				return true
			}
		}
		return false
	})
	s.api.SetDelay(0)
	s.send(t, c.Text(user, "选好了", 5))
	s.send(t, c.Text(user, "匿名反映", 6))
	mustSay(t, s.send(t, c.Text(user, "确认提交", 7)), "工单编号")
	var as []models.TicketAttachment
	testenv.DB(t, s.store).Find(&as)
	if len(as) != 1 || !bytes.Equal(as[0].Data, photo) {
		t.Fatalf("attachments %+v", as)
	}
}
