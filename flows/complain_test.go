package flows_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"windowbot/bot"
	"windowbot/flows"
	"windowbot/internal/testenv"
	"windowbot/internal/testenv/pushtest"
	"windowbot/models"
)

func (r *rig) tickets() []models.Ticket {
	r.t.Helper()
	return testenv.All[models.Ticket](r.t, r.store)
}

func (r *rig) pushes() []models.Push {
	r.t.Helper()
	return pushtest.Worded(r.t, testenv.All[models.Push](r.t, r.store)...)
}

// bindStaff makes chat act as staff member staffNo.
func (r *rig) bindStaff(chat, staffNo string) *models.Citizen {
	r.t.Helper()
	ctx := context.Background()
	c, err := r.store.TouchCitizen(ctx, string(bot.Telegram), chat, "", r.clock.Now())
	if err != nil {
		r.t.Fatal(err)
	}
	testenv.BindStaff(r.t, r.store, c, staffNo)
	return c
}

func (r *rig) photo(chat, fileID string, size int64) []bot.Reply {
	return r.send(chat, bot.Inbound{Photo: &bot.Media{FileID: fileID, MIMEType: "image/jpeg", Size: size}})
}

// fileComplaint walks the whole complaint dialog on window W001 and returns the ticket number.
func (r *rig) fileComplaint(chat, category, desc string) string {
	r.t.Helper()
	r.say(chat, "/complain W001")
	out := r.press(chat, "complain:category:"+category)
	if testenv.HasButton(last(out), "complain:dup:new") {
		r.press(chat, "complain:dup:new")
	}
	r.say(chat, desc)
	r.press(chat, "complain:photos:done")
	r.press(chat, "complain:identity:anonymous")
	out = r.press(chat, "complain:confirm:submit")
	testenv.MustContain(r.t, out, "工单编号")
	ts := r.tickets()
	return ts[len(ts)-1].No
}

func TestComplainWithPhotoAndPhone(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		staff := r.bindStaff("staff-1", "DEMO-001")
		out := r.say("100", "/complain")
		// One demo center: the windows are offered at once, with the whole center first.
		if !testenv.HasButton(last(out), "complain:window:W001") || !strings.HasPrefix(buttonLabels(last(out))[0], "整个服务中心") {
			t.Fatalf("window choice: %+v", out)
		}
		out = r.press("100", "complain:window:W001")
		testenv.MustContain(t, out, "不动产登记", "问题类别")
		if got := strings.Join(buttonLabels(last(out)), ","); got != "工作效能,服务态度,服务能力,工作作风,办不成事,其他" {
			t.Fatalf("categories = %s", got)
		}
		// A photo before the description is put off politely.
		out = r.photo("100", "too-early", 1000)
		testenv.MustContain(t, out, "问题类别")
		r.press("100", "complain:category:not_done")
		out = r.say("100", strings.Repeat("长", models.MaxDescriptionRunes+1))
		testenv.MustContain(t, out, "内容太长了")
		out = r.say("100", "材料齐全，窗口说系统不支持，让我下周再来")
		testenv.MustContain(t, out, "已收到", "也可以直接发送")
		// A photo answers the next question: the description is done.
		out = r.photo("100", "AgACAgIAAxk-huge", 11<<20)
		testenv.MustContain(t, out, "太大")
		out = r.photo("100", "AgACAgIAAxk-1", 120_000)
		testenv.MustContain(t, out, "1/3")
		r.press("100", "complain:photos:done")
		out = r.press("100", "complain:identity:realname")
		testenv.MustContain(t, out, "手机号")
		out = r.say("100", "12345")
		testenv.MustContain(t, out, "格式不正确")
		out = r.say("100", "138 1234 5678")
		testenv.MustContain(t, out, "请确认", "办不成事", "照片：1 张", "138****5678")
		out = r.press("100", "complain:confirm:submit")
		testenv.MustContain(t, out, "T20261123-0001", "2026年11月24日 周二", "发送“查询”查看办理进度（工单编号 T20261123-0001）")

		ts := r.tickets()
		if len(ts) != 1 {
			t.Fatalf("tickets = %d", len(ts))
		}
		tk := ts[0]
		if tk.Kind != models.KindComplaint || tk.Category != "not_done" || tk.Phone != "13812345678" || !tk.CallbackConsent || tk.Anonymous || tk.Channel != "telegram" {
			t.Fatalf("ticket = %+v", tk)
		}
		as, _ := r.store.TicketAttachments(context.Background(), tk.ID)
		if len(as) != 1 || as[0].FileID != "AgACAgIAAxk-1" || as[0].Platform != "telegram" {
			t.Fatalf("attachments = %+v", as)
		}
		// The window's staff are told, without the citizen's phone or identity.
		var toStaff []models.Push
		for _, p := range r.pushes() {
			if p.CitizenID == staff.ID {
				toStaff = append(toStaff, p)
			}
		}
		if len(toStaff) != 1 || toStaff[0].Kind != models.KindTicketNew || !strings.Contains(toStaff[0].Text, "T20261123-0001") {
			t.Fatalf("staff pushes = %+v", toStaff)
		}
		if strings.Contains(toStaff[0].Text, "5678") || strings.Contains(toStaff[0].Text, "100") {
			t.Fatalf("staff push reveals the citizen: %s", toStaff[0].Text)
		}
		// The dialog is over: its session is gone.
		if _, err := r.state.Load(context.Background(), flows.SessionKey(bot.Telegram, "100")); !errors.Is(err, bot.ErrNotFound) {
			t.Fatalf("session after filing: %v, want none", err)
		}
	})
}

func TestComplainAnonymousWithWebUpload(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 2048)...)
		web := func(in bot.Inbound) []bot.Reply {
			in.Platform, in.ChatID = bot.Web, "visitor-1"
			out, err := r.driver.Handle(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		web(bot.Inbound{Text: "/complain"})
		web(bot.Inbound{Payload: "complain:window:W002", MessageID: "m1"})
		web(bot.Inbound{Payload: "complain:category:attitude", MessageID: "m2"})
		web(bot.Inbound{Text: "窗口人员玩手机，不理人"})
		out := web(bot.Inbound{Photo: &bot.Media{Data: png, MIMEType: "image/png", Size: int64(len(png))}})
		testenv.MustContain(t, out, "1/3")
		web(bot.Inbound{Payload: "complain:photos:done", MessageID: "m3"})
		out = web(bot.Inbound{Payload: "complain:identity:anonymous", MessageID: "m4"})
		testenv.MustContain(t, out, "匿名")
		out = web(bot.Inbound{Payload: "complain:confirm:submit", MessageID: "m5"})
		testenv.MustContain(t, out, "T20261123-0001", "匿名反映")
		tk := r.tickets()[0]
		if !tk.Anonymous || tk.Phone != "" || tk.CallbackConsent || tk.Channel != "web" {
			t.Fatalf("ticket = %+v", tk)
		}
		var as []models.TicketAttachment
		testenv.DB(t, r.store).Where("ticket_id = ?", tk.ID).Find(&as)
		if len(as) != 1 || !bytes.Equal(as[0].Data, png) || as[0].MIMEType != "image/png" {
			t.Fatalf("attachment = %d rows", len(as))
		}
	})
}

func TestComplainDuplicateHint(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		first := r.fileComplaint("alice", "attitude", "态度冷漠")

		// Bob takes the hint and joins.
		r.say("bob", "/complain W001")
		out := r.press("bob", "complain:category:attitude")
		testenv.MustContain(t, out, first, "并入")
		r.press("bob", "complain:dup:join")
		r.say("bob", "我昨天也遇到了")
		r.photo("bob", "bob-photo", 1000)
		out = r.press("bob", "complain:photos:done")
		// Joining skips the identity question.
		testenv.MustContain(t, out, "请确认", "并入工单："+first)
		out = r.press("bob", "complain:confirm:submit")
		testenv.MustContain(t, out, "已并入工单 "+first)
		if n := len(r.tickets()); n != 1 {
			t.Fatalf("tickets = %d after a join", n)
		}
		out = r.say("bob", "/track")
		testenv.MustContain(t, out, first)

		// Carol declines and files her own.
		r.say("carol", "/complain W001")
		out = r.press("carol", "complain:category:attitude")
		testenv.MustContain(t, out, first)
		r.press("carol", "complain:dup:new")
		r.say("carol", "不一样的问题")
		r.press("carol", "complain:photos:done")
		out = r.press("carol", "complain:identity:anonymous")
		testenv.MustContain(t, out, "请确认")
		out = r.press("carol", "complain:confirm:submit")
		testenv.MustContain(t, out, "T20261123-0002")
		ts := r.tickets()
		if len(ts) != 2 {
			t.Fatalf("tickets = %d", len(ts))
		}
		// Another category or a week later: no hint.
		r.say("dave", "/complain W001")
		out = r.press("dave", "complain:category:conduct")
		testenv.MustContain(t, out, "请描述")
		r.say("dave", "/cancel")
		r.clock.Add(8 * 24 * time.Hour)
		r.say("erin", "/complain W001")
		out = r.press("erin", "complain:category:attitude")
		testenv.MustContain(t, out, "请描述")
	})
}

func TestTrackRerateAndAppeal(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		ctx := context.Background()
		no := r.fileComplaint("alice", "efficiency", "排队两小时")
		admin := models.Actor{Role: models.RoleAdmin}
		move := func(no string, ch models.Change) {
			t.Helper()
			ch.Actor, ch.At = admin, r.clock.Now()
			if _, _, err := r.store.Transition(ctx, no, ch); err != nil {
				t.Fatal(err)
			}
		}
		move(no, models.Change{Action: models.ActAccept})
		move(no, models.Change{Action: models.ActPlan, Note: "增加叫号窗口"})
		out := r.say("alice", "/track")
		testenv.MustContain(t, out, no, "整改中", "承办：窗口工作人员", "期限 2026年12月14日", "最新：11月23日 10:00 已制定整改方案")
		out = r.say("alice", "1") // WeChat style: the number of the listed ticket
		testenv.MustContain(t, out, "工单 "+no, "承办：窗口工作人员", "已制定整改方案：增加叫号窗口", "办理期限：2026年12月14日")

		// Somebody else's number answers like a number that does not exist.
		r.fileComplaint("bob", "conduct", "迟到")
		mine := r.say("bob", "/track "+no)
		none := r.say("bob", "/track T20991231-0001")
		if strings.ReplaceAll(mine[0].Text, no, "X") != strings.ReplaceAll(none[0].Text, "T20991231-0001", "X") {
			t.Fatalf("answers differ:\n%s\n%s", mine[0].Text, none[0].Text)
		}

		// Resolved: finished, and approved by a supervisor; only then is the citizen pushed the
		// result with the three verdicts.
		move(no, models.Change{Action: models.ActDone, Note: "已增设两个窗口，高峰期排队缩短到二十分钟"})
		if n := testenv.Count[models.Push](t, r.store, "kind = ?", models.KindRerateInvite); n != 0 {
			t.Fatalf("%d invitations before the approval", n)
		}
		move(no, models.Change{Action: models.ActApprove})
		var invite models.Push
		testenv.DB(t, r.store).Where("kind = ?", models.KindRerateInvite).First(&invite)
		invite = pushtest.Worded(t, invite)[0]
		var btns [][]bot.Button
		if err := json.Unmarshal([]byte(invite.Buttons), &btns); err != nil || len(btns) != 3 || btns[2][0].Payload != "cmd:/rerate "+no+" unsatisfied" {
			t.Fatalf("invite = %+v (%v)", invite, err)
		}
		// 不满意 asks why; the reason reopens the ticket with a new deadline from that moment.
		r.clock.Add(3 * 24 * time.Hour) // Thursday 26 November
		out = r.press("alice", btns[2][0].Payload)
		testenv.MustContain(t, out, "哪里还不满意")
		if tk, _ := r.store.TicketByNo(ctx, no); tk.State != models.StateResolved {
			t.Fatalf("reopened before the reason: %s", tk.State)
		}
		r.clock.Add(time.Minute)
		out = r.say("alice", "根本没整改，还是排了两个小时")
		testenv.MustContain(t, out, "重新交办", "督查科", "2026年12月17日")
		tk, _ := r.store.TicketByNo(ctx, no)
		if tk.State != models.StateReopened || !tk.Escalated {
			t.Fatalf("after unsatisfied: %s escalated=%v", tk.State, tk.Escalated)
		}
		if got := tk.RectifyDue.In(testenv.Shanghai).Format(time.DateOnly); got != "2026-12-17" {
			t.Errorf("new deadline %s, want 15 working days from the verdict, 2026-12-17", got)
		}
		evs, _ := r.store.TicketEvents(ctx, tk.ID, false)
		if last := evs[len(evs)-1]; last.Action != models.ActRerate || last.Note != "unsatisfied: 根本没整改，还是排了两个小时" {
			t.Errorf("the verdict's event: %+v", last)
		}
		out = r.press("alice", btns[2][0].Payload) // pressed again: the verdict stands
		testenv.MustContain(t, out, "暂不需要评价")

		move(no, models.Change{Action: models.ActPlan, Note: "督查科介入"})
		move(no, models.Change{Action: models.ActDone, Note: "已整改：增开窗口并安排专人引导分流"})
		move(no, models.Change{Action: models.ActApprove})
		// On WeChat: the command, then the number of the choice.
		out = r.say("alice", "/rerate")
		testenv.MustContain(t, out, "请对工单 "+no)
		out = r.say("alice", "1")
		testenv.MustContain(t, out, "感谢您的评价", "已关闭")
		tk, _ = r.store.TicketByNo(ctx, no)
		if tk.State != models.StateClosed || tk.CloseReason != models.CloseSatisfied {
			t.Fatalf("closed? %s %s", tk.State, tk.CloseReason)
		}
		out = r.say("alice", "/rerate")
		testenv.MustContain(t, out, "没有待评价")

		// A rejected complaint can be appealed once, with a reason.
		bobs := r.tickets()[1].No
		move(bobs, models.Change{Action: models.ActReject, Note: "经核实当日该窗口无人迟到"})
		out = r.say("bob", "/track "+bobs)
		testenv.MustContain(t, out, "不予受理", "/appeal "+bobs)
		out = r.say("bob", "/appeal "+bobs)
		testenv.MustContain(t, out, "经核实当日该窗口无人迟到", "理由")
		out = r.say("bob", "我有排队小票为证")
		testenv.MustContain(t, out, "已提交复核申请")
		tk, _ = r.store.TicketByNo(ctx, bobs)
		if tk.State != models.StateAppealed || tk.AppealReason != "我有排队小票为证" {
			t.Fatalf("appeal: %+v", tk)
		}
		out = r.say("alice", "/appeal "+bobs+" 我也要申诉")
		testenv.MustContain(t, out, "没有找到工单")
	})
}

func TestSubscribersGetRectificationNotices(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		ctx := context.Background()
		// Subscribing is a command of handlers (/subscribe, 订阅), tested there.
		for chat, choices := range map[string][]bool{"sub": {true}, "gone": {true, false}, "other": nil} {
			c, err := r.store.TouchCitizen(ctx, string(bot.Telegram), chat, "", r.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			for _, on := range choices {
				if err := r.store.SetSubscribed(ctx, c.ID, on, r.clock.Now()); err != nil {
					t.Fatal(err)
				}
			}
		}
		no := r.fileComplaint("alice", "attitude", "态度冷淡")
		admin := models.Actor{Role: models.RoleAdmin}
		for _, ch := range []models.Change{{Action: models.ActAccept}, {Action: models.ActPlan, Note: "开展文明用语培训"},
			{Action: models.ActDone, Note: "已培训并调整岗位，窗口服务用语已规范"}, {Action: models.ActApprove}, {Action: models.ActPublish}} {
			ch.Actor, ch.At = admin, r.clock.Now()
			if _, _, err := r.store.Transition(ctx, no, ch); err != nil {
				t.Fatal(err)
			}
		}
		byChat := map[string][]models.Push{}
		for _, p := range r.pushes() {
			var c models.Citizen
			testenv.DB(t, r.store).First(&c, p.CitizenID)
			byChat[c.ExternalID] = append(byChat[c.ExternalID], p)
		}
		subs := byChat["sub"]
		if len(subs) != 1 || subs[0].Kind != models.KindRectificationNotice {
			t.Fatalf("subscriber pushes = %+v", subs)
		}
		if !strings.Contains(subs[0].Text, "开展文明用语培训") || !strings.Contains(subs[0].Text, "已培训并调整岗位，窗口服务用语已规范") || !strings.Contains(subs[0].Text, "W001") {
			t.Errorf("notice = %s", subs[0].Text)
		}
		if len(byChat["gone"]) != 0 || len(byChat["other"]) != 0 {
			t.Errorf("unsubscribed or never subscribed got %+v %+v", byChat["gone"], byChat["other"])
		}
		last := byChat["alice"][len(byChat["alice"])-1]
		if last.Kind != models.KindTicketStatus || !strings.Contains(last.Text, "已公开公示") {
			t.Errorf("reporter's last push = %+v", last)
		}
	})
}

func TestStaffNoticeMasksNumbersTyped(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		staff := r.bindStaff("staff-1", "DEMO-001")
		r.fileComplaint("c1", "attitude", "工作人员态度冷漠，请打13912345678联系我")
		var ps []models.Push
		testenv.DB(t, r.store).Where("citizen_id = ?", staff.ID).Find(&ps)
		ps = pushtest.Worded(t, ps...)
		if len(ps) != 1 || !strings.Contains(ps[0].Text, "139****5678") || strings.Contains(ps[0].Text, "13912345678") {
			t.Fatalf("staff notice = %+v", ps)
		}
	})
}
