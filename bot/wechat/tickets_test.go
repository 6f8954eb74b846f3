package wechat_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"windowbot/flows"
	"windowbot/models"
)

// TestWeChatComplaintDesk drives the complaint desk through signed (and in safe mode encrypted)
// callbacks, the way a WeChat user does it: menu clicks, numbers and labels typed for choices,
// an image message, a retried message; then a second citizen takes the duplicate hint, a third
// declines it, and the first tracks the ticket and is not satisfied with the fix.
func TestWeChatComplaintDesk(t *testing.T) {
	backends(t, 3*time.Second, func(t *testing.T, s *stack) {
		ctx := context.Background()
		s.store.SetTicketNotifier(flows.NewNotifier(flows.LangZH, shanghai).Func())
		c := s.client
		const alice, bob, carol = "oTICKET000000000000000000001", "oTICKET000000000000000000002", "oTICKET000000000000000000003"
		ct := time.Now().Unix()

		rep := s.send(t, c.Event(alice, "CLICK", "complain", ct))
		mustSay(t, rep, "办不成事", "1. 整个服务中心", "W001 不动产登记")
		mustSay(t, s.send(t, c.Text(alice, "2", 301)), "问题类别", "5. 办不成事") // the second line: W001
		mustSay(t, s.send(t, c.Text(alice, "办不成事", 302)), "请描述")          // a label works as well as its number
		mustSay(t, s.send(t, c.Text(alice, "材料齐全却被告知系统不支持，让下周再来", 303)), "照片")
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
		s.store.DB().Order("id").Find(&ts)
		if len(ts) != 1 || ts[0].Channel != "wechat" || ts[0].Category != models.CategoryNotDone || ts[0].Phone != "13800138000" {
			t.Fatalf("tickets = %+v", ts)
		}
		no := ts[0].No
		var as []models.TicketAttachment
		s.store.DB().Where("ticket_id = ?", ts[0].ID).Find(&as)
		if len(as) != 1 || as[0].FileID != "MEDIA-ID-1" || as[0].Platform != "wechat" {
			t.Fatalf("attachments = %+v", as)
		}

		// Bob types the window code and takes the duplicate hint.
		s.send(t, c.Event(bob, "CLICK", "complain", ct))
		mustSay(t, s.send(t, c.Text(bob, "w001", 401)), "问题类别")
		mustSay(t, s.send(t, c.Text(bob, "5", 402)), no, "1. 并入 "+no)
		mustSay(t, s.send(t, c.Text(bob, "1", 403)), "请描述")
		mustSay(t, s.send(t, c.Text(bob, "我也被要求下周再来", 404)), "照片")
		mustSay(t, s.send(t, c.Text(bob, "跳过", 405)), "并入工单："+no)
		mustSay(t, s.send(t, c.Text(bob, "1", 406)), "已并入工单 "+no)

		// Carol declines it and stays anonymous.
		s.send(t, c.Event(carol, "CLICK", "complain", ct))
		s.send(t, c.Text(carol, "W001", 501))
		mustSay(t, s.send(t, c.Text(carol, "5", 502)), "2. 单独提交")
		s.send(t, c.Text(carol, "2", 503))
		s.send(t, c.Text(carol, "另一件事办不成", 504))
		s.send(t, c.Text(carol, "跳过", 505))
		mustSay(t, s.send(t, c.Text(carol, "匿名反映", 506)), "身份：匿名")
		mustSay(t, s.send(t, c.Text(carol, "1", 507)), "-0002", "匿名")
		if n := len(ts); n != 1 {
			t.Fatalf("tickets before: %d", n)
		}
		var count int64
		s.store.DB().Model(&models.Ticket{}).Count(&count)
		if count != 2 {
			t.Fatalf("tickets = %d, want 2 (one joined, one declined)", count)
		}

		// The fix is done; Alice tracks it from the menu and is not satisfied.
		admin := models.Actor{Role: models.RoleAdmin}
		for _, ch := range []models.Change{{Action: models.ActAccept}, {Action: models.ActPlan, Note: "改为容缺受理"}, {Action: models.ActDone, Note: "已当场办结"}} {
			ch.Actor, ch.At = admin, time.Now()
			if _, _, err := s.store.Transition(ctx, no, ch); err != nil {
				t.Fatal(err)
			}
		}
		mustSay(t, s.send(t, c.Event(alice, "CLICK", "track", ct+1)), "1. "+no, "已办结待评价")
		mustSay(t, s.send(t, c.Text(alice, "1", 601)), "工单 "+no, "已当场办结", "1. 满意", "3. 不满意")
		mustSay(t, s.send(t, c.Text(alice, "3", 602)), "重新交办")
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
		s.store.DB().Where("citizen_id = ?", bobAcct.ID).Order("id").Find(&toBob)
		var kinds []string
		for _, p := range toBob {
			kinds = append(kinds, p.Kind)
			if p.Buttons != "" {
				t.Errorf("a joiner was offered buttons: %+v", p)
			}
		}
		if got := strings.Join(kinds, ","); got != "ticket_status,ticket_status,rerate_invite,ticket_status" {
			t.Errorf("pushes to bob = %s", got)
		}
	})
}
