package telegram

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"windowbot/bot"
	"windowbot/internal/testenv"
	"windowbot/internal/testenv/pushtest"
	"windowbot/models"
)

// The complaint desk through the fake Bot API: every button is a real inline keyboard pressed by
// a callback query, every photo a real photo update.

func (r *rig) tickets() []models.Ticket {
	r.t.Helper()
	return testenv.All[models.Ticket](r.t, r.store)
}

// press presses the button with data on message msg and returns the one message sent back.
func (r *rig) press(u tgUser, msg int, data string) apiCall {
	r.t.Helper()
	upd := u.pressUpdate(msg, data)
	calls := r.step(upd)
	answered(r.t, calls, upd)
	return oneSend(r.t, calls)
}

// pushTo delivers the queued pushes of kind for u through the adapter's Send,
// as the dispatcher does, and returns the messages sent.
func (r *rig) pushTo(u tgUser, kind string) []apiCall {
	r.t.Helper()
	c, err := r.store.TouchCitizen(context.Background(), string(bot.Telegram), strconv.FormatInt(u.ID, 10), "", r.clock.Now())
	if err != nil {
		r.t.Fatal(err)
	}
	var ps []models.Push
	testenv.DB(r.t, r.store).Where("citizen_id = ? AND kind = ?", c.ID, kind).Order("id").Find(&ps)
	if len(ps) == 0 {
		r.t.Fatalf("no %s push queued for %d", kind, u.ID)
	}
	n := r.api.count()
	for _, p := range ps {
		p = pushtest.Worded(r.t, p)[0]
		msg := bot.Reply{Text: p.Text, Kind: p.Kind}
		if p.Buttons != "" {
			if err := json.Unmarshal([]byte(p.Buttons), &msg.Buttons); err != nil {
				r.t.Fatal(err)
			}
		}
		if err := r.ad.Send(context.Background(), bot.Recipient{Platform: bot.Telegram, ChatID: strconv.FormatInt(u.ID, 10)}, msg); err != nil {
			r.t.Fatal(err)
		}
	}
	return only(r.t, r.api.since(n), "sendMessage")
}

func TestTelegramComplainWithPhotoThenTrack(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		u := tgUser{ID: 7001, Lang: "zh-hans"}
		windows := oneSend(t, r.step(u.textUpdate("/complain")))
		if !hasData(t, windows.Params["reply_markup"], "complain:window:W003") {
			t.Fatalf("window buttons: %s", windows.Params["reply_markup"])
		}
		cats := r.press(u, windows.MsgID, "complain:window:W003")
		mustContain(t, cats.Params["text"], "户籍办理")
		matter := r.press(u, cats.MsgID, "complain:category:capability")
		mustContain(t, matter.Params["text"], "哪个事项")
		desc := r.press(u, matter.MsgID, "complain:matter:M003")
		mustContain(t, desc.Params["text"], "请描述")
		photos := oneSend(t, r.step(u.textUpdate("一次性告知材料不全，跑了三趟")))
		mustContain(t, photos.Params["text"], "照片")
		added := oneSend(t, r.step(u.photoUpdate("受理回执")))
		mustContain(t, added.Params["text"], "1/3")
		who := r.press(u, added.MsgID, "complain:photos:done")
		phone := r.press(u, who.MsgID, "complain:identity:realname")
		mustContain(t, phone.Params["text"], "手机号")
		confirm := oneSend(t, r.step(u.textUpdate("13900001111")))
		mustContain(t, confirm.Params["text"], "服务能力", "事项：居民户口迁移", "照片：1 张", "139****1111")
		filed := r.press(u, confirm.MsgID, "complain:confirm:submit")
		mustContain(t, filed.Params["text"], "T20261123-0001", "2026年11月24日")

		ts := r.tickets()
		if len(ts) != 1 || ts[0].Phone != "13900001111" || ts[0].Channel != "telegram" || ts[0].MatterID == nil {
			t.Fatalf("tickets = %+v", ts)
		}
		var as []models.TicketAttachment
		testenv.DB(t, r.store).Where("ticket_id = ?", ts[0].ID).Find(&as)
		if len(as) != 1 || as[0].FileID != "large" {
			t.Fatalf("attachments = %+v, want the largest size", as)
		}

		list := oneSend(t, r.step(u.textUpdate("/track")))
		mustContain(t, list.Params["text"], "T20261123-0001", "待受理")
		detail := r.press(u, list.MsgID, "cmd:/track T20261123-0001")
		mustContain(t, detail.Params["text"], "工单 T20261123-0001", "户籍办理", "承办：窗口工作人员", "已提交")
	})
}

func TestTelegramAnonymousComplaintAndDuplicateHint(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		alice, bob, carol := tgUser{ID: 7101}, tgUser{ID: 7102}, tgUser{ID: 7103}
		file := func(u tgUser, dup string) apiCall {
			cats := oneSend(t, r.step(u.textUpdate("/complain W004")))
			next := r.press(u, cats.MsgID, "complain:category:efficiency")
			if dup != "" {
				mustContain(t, next.Params["text"], "T20261123-0001")
				next = r.press(u, next.MsgID, "complain:dup:"+dup)
			}
			photos := oneSend(t, r.step(u.textUpdate("排队两个小时")))
			who := r.press(u, photos.MsgID, "complain:photos:done")
			if dup == "join" {
				return r.press(u, who.MsgID, "complain:confirm:submit")
			}
			confirm := r.press(u, who.MsgID, "complain:identity:anonymous")
			mustContain(t, confirm.Params["text"], "身份：匿名")
			return r.press(u, confirm.MsgID, "complain:confirm:submit")
		}
		mustContain(t, file(alice, "").Params["text"], "T20261123-0001", "匿名反映")
		mustContain(t, file(bob, "join").Params["text"], "已并入工单 T20261123-0001")
		mustContain(t, file(carol, "new").Params["text"], "T20261123-0002")
		ts := r.tickets()
		if len(ts) != 2 || !ts[0].Anonymous || ts[0].Phone != "" {
			t.Fatalf("tickets = %+v", ts)
		}
		mustContain(t, oneSend(t, r.step(bob.textUpdate("/track"))).Params["text"], "T20261123-0001")
	})
}

func TestTelegramRerateNotSatisfiedReopens(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		ctx := context.Background()
		u := tgUser{ID: 7201}
		oneSend(t, r.step(u.textUpdate("/complain W005")))
		mustContain(t, oneSend(t, r.step(u.textUpdate("/cancel"))).Params["text"], "已取消")
		cats := oneSend(t, r.step(u.textUpdate("/complain W005")))
		r.press(u, cats.MsgID, "complain:category:not_done")
		photos := oneSend(t, r.step(u.textUpdate("公积金提取被要求开无法开具的证明")))
		who := r.press(u, photos.MsgID, "complain:photos:done")
		confirm := r.press(u, who.MsgID, "complain:identity:anonymous")
		r.press(u, confirm.MsgID, "complain:confirm:submit")
		no := r.tickets()[0].No
		admin := models.Actor{Role: models.RoleAdmin}
		for _, ch := range []models.Change{{Action: models.ActAccept}, {Action: models.ActPlan, Note: "与公积金中心协调"},
			{Action: models.ActDone, Note: "已改为告知承诺制办理，群众无需再开证明"}, {Action: models.ActApprove}} {
			ch.Actor, ch.At = admin, r.clock.Now()
			if _, _, err := r.store.Transition(ctx, no, ch); err != nil {
				t.Fatal(err)
			}
		}
		// The status pushes arrive in the citizen's chat; the last carries the three verdicts.
		sent := r.pushTo(u, "ticket_status")
		mustContain(t, sent[0].Params["text"], no, "已受理")
		mustContain(t, sent[1].Params["text"], "与公积金中心协调")
		invite := r.pushTo(u, "rerate_invite")[0]
		mustContain(t, invite.Params["text"], "已改为告知承诺制办理")
		why := r.press(u, invite.MsgID, "cmd:/rerate "+no+" unsatisfied")
		mustContain(t, why.Params["text"], "哪里还不满意")
		reopened := oneSend(t, r.step(u.textUpdate("还是要我开证明")))
		mustContain(t, reopened.Params["text"], "重新交办", "督查科")
		tk, _ := r.store.TicketByNo(ctx, no)
		if tk.State != models.StateReopened || !tk.Escalated || tk.Rerate != models.RerateUnsatisfied {
			t.Fatalf("ticket = %s escalated=%v rerate=%s", tk.State, tk.Escalated, tk.Rerate)
		}
		mustContain(t, oneSend(t, r.step(u.textUpdate("/track "+no))).Params["text"], "重新办理", "已升级督办", "群众不满意")
	})
}
