package handlers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"windowbot/bot"
	"windowbot/flows/state"
	"windowbot/internal/testenv"
	"windowbot/internal/testenv/pushtest"
	"windowbot/models"
)

func TestBindRefusalsAndLockout(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		ctx := context.Background()
		used, _, _ := r.store.CreateInvite(ctx, "DEMO-002", 0, r.clock.Now())
		r.say(r.chat("first"), "/bind "+used)
		expired, _, _ := r.store.CreateInvite(ctx, "DEMO-002", time.Minute, r.clock.Now().Add(-time.Hour))
		revoked, _, _ := r.store.CreateInvite(ctx, "DEMO-004", 0, r.clock.Now())
		if _, err := r.store.RevokeStaff(ctx, "DEMO-004", r.clock.Now()); err != nil {
			t.Fatal(err)
		}

		chat := r.chat("guesser")
		out := r.say(chat, "/bind")
		testenv.MustContain(t, out, "请发送“/bind 绑定码”")
		// Used, expired, revoked and unknown codes get one and the same answer.
		var answers []string
		for _, code := range []string{used, expired, revoked, "ABCDEFGHJKMN"} {
			answers = append(answers, testenv.Text(r.say(chat, "/bind "+code)))
		}
		for _, a := range answers {
			if a != answers[0] || !strings.Contains(a, "绑定码无效或已过期") {
				t.Fatalf("answers differ or wrong: %q", answers)
			}
		}
		// The fifth wrong code locks /bind for an hour, even for a good code.
		out = r.say(chat, "/bind 23456789ABCD")
		testenv.MustContain(t, out, "绑定码无效", "暂停一小时")
		good, _, _ := r.store.CreateInvite(ctx, "DEMO-005", 0, r.clock.Now())
		out = r.say(chat, "/bind "+good)
		testenv.MustContain(t, out, "暂停一小时")
		if c := r.citizen(chat); c.StaffID != nil {
			t.Fatal("a locked-out account was bound")
		}
		// Another account is not affected; after the hour the code works (Redis keeps its own
		// time, so that part runs on the in-process store, whose clock the test moves).
		if out := r.say(r.chat("other"), "/bind ABCDEFGHJKMN"); strings.Contains(testenv.Text(out), "暂停") {
			t.Fatalf("lock-out leaked to another account: %q", testenv.Text(out))
		}
		if _, ok := r.state.(*state.Memory); !ok {
			return
		}
		r.clock.Add(61 * time.Minute)
		out = r.say(chat, "/bind "+strings.ToLower(good))
		testenv.MustContain(t, out, "绑定成功", "窗口工作人员", "陈静", "W003 户籍办理")
		out = r.say(chat, "/help")
		testenv.MustContain(t, out, "工作人员指令", "/todo")
		testenv.MustNotContain(t, out, "督查指令")

		// /unbind, then revoke: every account of the person is unbound.
		out = r.say(chat, "/unbind")
		testenv.MustContain(t, out, "已解除绑定")
		testenv.MustContain(t, r.say(chat, "/todo"), "没有“/todo”这个指令")
		a, b := r.bind("DEMO-006"), r.bind("DEMO-006")
		if n, err := r.store.RevokeStaff(ctx, "DEMO-006", r.clock.Now()); err != nil || n != 2 {
			t.Fatalf("revoke = %d, %v", n, err)
		}
		for _, c := range []string{a, b} {
			testenv.MustContain(t, r.say(c, "/todo"), "没有“/todo”这个指令")
		}
	})
}

// TestBindLockoutPerAddressAndCode: wrong codes count against the client's address and the code
// tried as well as the account, so a web visitor who takes a new cookie for every try, or many
// accounts guessing the same code, are locked out after five all the same.
func TestBindLockoutPerAddressAndCode(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		web := func(chat, addr, text string) string {
			return testenv.Text(r.send(chat, bot.Inbound{Text: text, ClientAddr: addr}))
		}
		// Five fresh visitors from one address, one wrong code each.
		codes := []string{"ABCDEFGHJKM2", "ABCDEFGHJKM3", "ABCDEFGHJKM4", "ABCDEFGHJKM5", "ABCDEFGHJKM6"}
		for i, code := range codes {
			out := web(r.chat("cookie"), "198.51.100.7", "/bind "+code)
			if locked := strings.Contains(out, "暂停一小时"); locked != (i == len(codes)-1) {
				t.Fatalf("try %d from one address: %q", i+1, out)
			}
		}
		good, _, _ := r.store.CreateInvite(context.Background(), "DEMO-005", 0, r.clock.Now())
		newcomer := r.chat("cookie")
		if out := web(newcomer, "198.51.100.7", "/bind "+good); !strings.Contains(out, "暂停一小时") {
			t.Fatalf("a new cookie from the locked address: %q", out)
		}
		if c := r.citizen(newcomer); c.StaffID != nil {
			t.Fatal("bound from a locked-out address")
		}
		// Another address is not locked.
		if out := web(r.chat("cookie"), "198.51.100.8", "/bind "+good); !strings.Contains(out, "绑定成功") {
			t.Fatalf("another address: %q", out)
		}
		// One code tried from five accounts and addresses is locked for all.
		for i := range 5 {
			out := web(r.chat("guess"), fmt.Sprintf("203.0.113.%d", i+1), "/bind ZZZZ-ZZZZ-ZZZZ")
			if locked := strings.Contains(out, "暂停一小时"); locked != (i == 4) {
				t.Fatalf("try %d of one code: %q", i+1, out)
			}
		}
		if out := r.say(r.chat("guess"), "/bind zzzzzzzzzzzz"); !strings.Contains(out[0].Text, "暂停一小时") {
			t.Fatalf("the locked code from a new account: %q", out[0].Text)
		}
	})
}

func TestBindSupervisorAndAdmin(t *testing.T) {
	forEachDB(t, func(t *testing.T, r *rig) {
		code, _, _ := r.store.CreateInvite(context.Background(), models.DemoSupervisorNo, 0, r.clock.Now())
		out := r.say(r.chat("sup"), "/bind "+code)
		testenv.MustContain(t, out, "督查人员", "周强", "示范政务服务中心")
		code, _, _ = r.store.CreateInvite(context.Background(), "ADMIN-1", 0, r.clock.Now())
		chat := r.chat("admin")
		out = r.say(chat, "/bind "+code)
		testenv.MustContain(t, out, "管理员", "全部服务中心")
		testenv.MustContain(t, r.say(chat, "/help"), "督查指令", "/ban")
	})
}

// The whole story through the router: invite → bind → a bad review naming 张伟 arrives → the
// window's lead works it, never 张伟, who reads it and is otherwise answered as for an unknown
// ticket → the result goes to the supervisor, who sends it back once and approves it → the
// citizen re-rates → the supervisor's statistics show it.
func TestStaffStoryThroughRouter(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		staff := r.bind("DEMO-001")
		lead := r.bind("DEMO-L01")
		sup := r.bind(models.DemoSupervisorNo)

		// A citizen rates W001 badly in the chat, naming 张伟.
		citizen := r.chat("citizen")
		r.say(citizen, "/start w_W001")
		r.say(citizen, "张伟")
		r.press(citizen, "rate:level:1")
		r.press(citizen, "rate:areas:attitude")
		r.press(citizen, "rate:areas:done")
		r.press(citizen, "rate:aspects:attitude.cold")
		r.press(citizen, "rate:aspects:done")
		r.say(citizen, "窗口人员玩手机")
		out := r.say(citizen, "说完了")
		testenv.MustContain(t, out, "已生成差评工单 T20261123-0001")
		no := "T20261123-0001"

		// The lead's chat account was pushed the new bad review with its number and the next
		// step as a button, without the citizen; 张伟's was not.
		var pushes []models.Push
		testenv.DB(t, r.store).Where("citizen_id = ?", r.citizen(lead).ID).Find(&pushes)
		pushes = pushtest.Worded(t, pushes...)
		if len(pushes) != 1 || !strings.Contains(pushes[0].Text, "/ticket "+no) || !strings.Contains(pushes[0].Text, "承办：窗口负责人") ||
			strings.Contains(pushes[0].Text, citizen) || !strings.Contains(pushes[0].Buttons, "cmd:/accept "+no) {
			t.Fatalf("lead pushes = %+v", pushes)
		}
		if n := testenv.Count[models.Push](t, r.store, "citizen_id = ?", r.citizen(staff).ID); n != 0 {
			t.Fatalf("张伟, whom it names, was pushed %d times", n)
		}

		// 张伟 reads it without the rater, and cannot act on it.
		out = r.say(staff, "/ticket "+no)
		testenv.MustContain(t, out, "工单 "+no+"（差评工单）", "窗口人员玩手机", "只能查看", "/appeal "+no)
		testenv.MustNotContain(t, out, "C-", "群众：", "/accept")
		if hasButton(out, "cmd:/accept "+no) {
			t.Fatalf("the person named is offered to accept: %+v", out)
		}
		unknown := testenv.Text(r.say(staff, "/accept T20990101-0001"))
		for _, try := range []string{"/accept " + no, "/plan " + no + " 我自己整改", "/done " + no + " 我已经整改好了，请群众放心满意"} {
			if got := testenv.Text(r.say(staff, try)); strings.ReplaceAll(got, no, "X") != strings.ReplaceAll(unknown, "T20990101-0001", "X") {
				t.Fatalf("%s by the person named: %q, want the answer for an unknown ticket %q", try, got, unknown)
			}
		}
		testenv.MustNotContain(t, r.say(staff, "待办"), no)

		out = r.say(lead, "待办") // the WeChat word for /todo
		testenv.MustContain(t, out, "待办工单（1 件", no, "待受理", "期限 2026年11月24日 周二")
		if !hasButton(out, "cmd:/ticket "+no) {
			t.Fatalf("todo lacks the ticket button: %+v", out)
		}
		out = r.press(lead, "cmd:/ticket "+no)
		testenv.MustContain(t, out, "工单 "+no+"（差评工单）", "窗口人员玩手机", "群众点名：张伟（工号 DEMO-001）", "/accept "+no)
		testenv.MustNotContain(t, out, "C-", "群众：")
		if !hasButton(out, "cmd:/accept "+no) {
			t.Fatalf("the view lacks the accept button: %+v", out)
		}
		// Out of order: what comes first.
		testenv.MustContain(t, r.say(lead, "/done "+no+" 已批评教育并调整岗位，加强巡查"), "请先受理：/accept "+no)
		out = r.press(lead, "cmd:/accept "+no)
		testenv.MustContain(t, out, "工单 "+no+" 已受理", "/plan "+no)
		testenv.MustContain(t, r.say(lead, "/done "+no+" 已批评教育并调整岗位，加强巡查"), "请先提交整改方案：/plan "+no+" 内容")
		out = r.press(lead, "cmd:/plan "+no)
		testenv.MustContain(t, out, "请输入工单 "+no+" 的整改方案")
		out = r.say(lead, "对当事人进行批评教育，加强窗口纪律检查")
		testenv.MustContain(t, out, "整改方案已记录")
		// A result without substance is refused with the rule.
		testenv.MustContain(t, r.say(lead, "/done "+no+" 已整改"), "至少需要 15 个字", "现在 3 个字")
		out = r.say(lead, "/done "+no+" 已批评教育当事人并调整岗位，每日抽查")
		testenv.MustContain(t, out, "已提交督查审核")
		if n := testenv.Count[models.Push](t, r.store, "kind = ?", models.KindRerateInvite); n != 0 {
			t.Fatal("the citizen was invited before the sign-off")
		}

		// The supervisor sends it back once, then approves.
		out = r.say(sup, "/ticket "+no)
		testenv.MustContain(t, out, "待督查审核", "群众点名：张伟（工号 DEMO-001）", "提交整改结果，待督查审核（窗口负责人）")
		if !hasButton(out, "cmd:/approve "+no) || !hasButton(out, "cmd:/sendback "+no) {
			t.Fatalf("the supervisor's view lacks approve and send back: %+v", out)
		}
		testenv.MustContain(t, r.press(sup, "cmd:/sendback "+no), "请输入退回工单 "+no+" 的原因")
		testenv.MustContain(t, r.say(sup, "请补充岗位调整的文件"), "已退回工单 "+no)
		out = r.say(lead, "/done "+no+" 已批评教育当事人并调整岗位，附岗位调整通知")
		testenv.MustContain(t, out, "已提交督查审核")
		testenv.MustContain(t, r.press(sup, "cmd:/approve "+no), "已审核通过")

		// The citizen is asked to re-rate through the ticket notices, and re-rates.
		var invite models.Push
		testenv.DB(t, r.store).Where("citizen_id = ? AND kind = ?", r.citizen(citizen).ID, models.KindRerateInvite).First(&invite)
		invite = pushtest.Worded(t, invite)[0]
		if !strings.Contains(invite.Text, "附岗位调整通知") || !strings.Contains(invite.Buttons, "/rerate "+no+" satisfied") {
			t.Fatalf("re-rate invitation = %+v", invite)
		}
		out = r.press(citizen, "cmd:/rerate "+no+" satisfied")
		testenv.MustContain(t, out, "已关闭")

		// 张伟 was named by the citizen: his own figures count the review, which he reads there.
		testenv.MustContain(t, r.say(staff, "/mystats"), "点名评价您本人的 1 条，满意率 0.0%", "点名您本人的差评", "非常不满意 · 态度冷漠 · 工单 "+no+"（已关闭）", "窗口人员玩手机")

		// The supervisor's statistics show the bad review and no open ticket.
		out = r.say(sup, "/stats")
		testenv.MustContain(t, out, "📊 示范政务服务中心 · 2026年11月", "评价 1 条", "非常不满意 1", "满意率 0.0%（目标 95.0%，未达标", "差评 1 条", "办理中 0 件")
		out = r.say(sup, "/ticket "+no)
		testenv.MustContain(t, out, "已关闭", "群众追评：满意", "群众追评，工单关闭（群众）：满意", "督查退回，重新整改（督查）：请补充岗位调整的文件", "C-")
		if !hasButton(out, "cmd:/publish "+no) {
			t.Fatalf("no publish button: %+v", out)
		}
		out = r.press(sup, "cmd:/publish "+no)
		testenv.MustContain(t, out, "整改情况已公示")
		if r.ticket(no).PublishedAt == nil {
			t.Fatal("not published")
		}
	})
}

func TestTicketViewPrivacy(t *testing.T) {
	forEachDB(t, func(t *testing.T, r *rig) {
		ctx := context.Background()
		staff, sup := r.bind("DEMO-001"), r.bind(models.DemoSupervisorNo)
		w, _ := r.store.WindowByCode(ctx, "W001")
		filer := r.citizen(r.chat("filer"))
		named, err := r.store.CreateComplaint(ctx, models.NewComplaint{CitizenID: filer.ID, WindowID: &w.ID, Category: "not_done",
			Description: "材料齐全却让我下周再来", Channel: "telegram", Phone: "13812345678", CallbackConsent: true, At: r.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		ref := r.refs.Citizen(filer.ID)
		lead := r.bind("DEMO-L01")
		for _, acct := range []string{staff, lead} { // the call-back details are the supervisors' alone
			out := r.say(acct, "/ticket "+named.No)
			testenv.MustContain(t, out, "材料齐全却让我下周再来")
			testenv.MustNotContain(t, out, "5678", "138", ref, "实名", "匿名", "telegram")
		}
		out := r.say(staff, "/ticket "+named.No)
		out = r.say(sup, "/ticket "+strings.ToLower(named.No))
		testenv.MustContain(t, out, "回访电话：13812345678", ref+"（实名）", "/verify "+named.No, "/ban "+ref)

		// A number without the call-back consent is masked even for supervisors.
		testenv.DB(t, r.store).Model(&models.Ticket{}).Where("id = ?", named.ID).Update("callback_consent", false)
		out = r.say(sup, "/ticket "+named.No)
		testenv.MustContain(t, out, "电话：138****5678")
		testenv.MustNotContain(t, out, "13812345678")

		// Numbers the citizen typed into the description are masked for staff and supervisors.
		typed, err := r.store.CreateComplaint(ctx, models.NewComplaint{CitizenID: filer.ID, WindowID: &w.ID, Category: "attitude",
			Description: "要好处费，可打我手机13700001111或座机010-62345678，身份证110105194912310021", Channel: "telegram", At: r.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		for _, acct := range []string{staff, sup} {
			out = r.say(acct, "/ticket "+typed.No)
			testenv.MustContain(t, out, "要好处费", "137****1111", "010*****5678", "110***********0021")
			testenv.MustNotContain(t, out, "13700001111", "62345678", "194912310021")
		}

		// A number that does not exist and one outside the scope read the same.
		other := r.bind("DEMO-003")
		a := testenv.Text(r.say(other, "/ticket "+named.No))
		b := testenv.Text(r.say(other, "/ticket T20990101-0001"))
		if strings.ReplaceAll(a, named.No, "X") != strings.ReplaceAll(b, "T20990101-0001", "X") {
			t.Fatalf("out of scope %q and missing %q differ", a, b)
		}
	})
}

func TestRefusedTransitionsExplained(t *testing.T) {
	forEachDB(t, func(t *testing.T, r *rig) {
		staff, sup := r.bind("DEMO-001"), r.bind(models.DemoSupervisorNo)
		no, _ := r.badReview("W001")
		// Illegal in this state.
		testenv.MustContain(t, r.say(staff, "/done "+no+" 好了"), "当前状态为“待受理”，还不能办结。请先受理：/accept "+no)
		testenv.MustContain(t, r.say(staff, "/approve "+no), "没有“/approve”这个指令")
		// Missing input.
		testenv.MustContain(t, r.say(staff, "/plan "+no), "还不能记录整改方案。请先受理：/accept "+no)
		testenv.MustContain(t, r.say(staff, "/plan"), "用法：/plan 工单编号 整改方案")
		testenv.MustContain(t, r.say(sup, "/verify "+no+" invalid"), "用法：/verify")
		testenv.MustContain(t, r.say(staff, "/plan "+no+" "+strings.Repeat("长", 1001)), "内容太长了（1001 字）")
		// One appeal per side.
		testenv.MustContain(t, r.say(staff, "/appeal "+no+" 恶意差评"), "申诉已提交")
		testenv.MustContain(t, r.say(sup, "/review "+no+" 维持"), "已维持原评价或原决定，驳回工单 "+no+" 的申诉")
		// The timeline says in the supervisor's words that the dismissed appeal sent the ticket
		// back to work.
		testenv.MustContain(t, r.say(sup, "/ticket "+no), "复核：维持原评价，继续办理（督查）：维持原评价/决定（驳回申诉）")
		testenv.MustContain(t, r.say(staff, "/appeal "+no+" 再申诉"), "已申诉过一次")
		// Staff can appeal bad reviews only.
		w, _ := r.store.WindowByCode(context.Background(), "W001")
		c := r.citizen(r.chat("c"))
		tk, err := r.store.CreateComplaint(context.Background(), models.NewComplaint{CitizenID: c.ID, WindowID: &w.ID, Category: "attitude", Description: "x", Channel: "web", At: r.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		testenv.MustContain(t, r.say(staff, "/appeal "+tk.No+" 不属实"), "不是差评工单")
		// Escalate and publish twice, publish unfinished, assign across centers.
		testenv.MustContain(t, r.say(sup, "/escalate "+no), "已升级督办")
		testenv.MustContain(t, r.say(sup, "/escalate "+no), "已经升级督办")
		testenv.MustContain(t, r.say(sup, "/publish "+no), "当前状态为")
		testenv.MustContain(t, r.say(sup, "/assign "+no+" CITY-001"), "不属于工单")
		testenv.MustContain(t, r.say(sup, "/assign "+no+" NOBODY"), "没有找到工号为“NOBODY”")
		testenv.MustContain(t, r.say(sup, "/assign "+no+" DEMO-002"), "已指派给 李娜（DEMO-002）")
		r.move(no, accept, plan, done)
		testenv.MustContain(t, r.say(sup, "/publish "+no), "当前状态为“待督查审核”，不能公示")
		testenv.MustContain(t, r.say(sup, "/approve "+no), "已审核通过")
		testenv.MustContain(t, r.say(sup, "/approve "+no), "当前状态为“已办结待评价”，不能审核通过")
		testenv.MustContain(t, r.say(sup, "/publish "+no), "已公示")
		testenv.MustContain(t, r.say(sup, "/publish "+no), "已经公示过了")
		// A supervisor may not appeal as staff: /appeal is the citizen's conversation for them.
		testenv.MustContain(t, r.say(sup, "/appeal "+no+" x"), "发送“查询”查看您的全部工单")
	})
}

func TestListsPageWithButtonsAndMore(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		staff := r.bind("DEMO-001")
		var nos []string
		for range 7 {
			no, _ := r.badReview("W001")
			nos = append(nos, no)
			r.clock.Add(time.Minute)
		}
		out := r.say(staff, "/todo")
		testenv.MustContain(t, out, "待办工单（7 件", "（第 1/2 页）", nos[0], nos[4], "发送 /more")
		testenv.MustNotContain(t, out, nos[5])
		if !hasButton(out, "page:2:/todo") {
			t.Fatalf("no next-page button: %+v", out)
		}
		// The button (Telegram, web) and /more (WeChat) both give page 2.
		pressed := r.press(staff, "page:2:/todo")
		testenv.MustContain(t, pressed, "（第 2/2 页）", nos[5], nos[6])
		testenv.MustNotContain(t, pressed, nos[0], "/more")
		r.say(staff, "/todo")
		typed := r.say(staff, "/more")
		if testenv.Text(typed) != testenv.Text(pressed) {
			t.Fatalf("/more = %q, want %q", testenv.Text(typed), testenv.Text(pressed))
		}
		testenv.MustContain(t, r.say(staff, "更多"), "没有更多内容了")
		// A page past the end shows the last one.
		testenv.MustContain(t, r.press(staff, "page:9:/todo"), "（第 2/2 页）")
		// WeChat gets no next button, only /more.
		code, _, _ := r.store.CreateInvite(context.Background(), "DEMO-001", 0, r.clock.Now())
		wx := func(text string) []bot.Reply {
			out, err := r.router.Handle(context.Background(), bot.Inbound{Platform: bot.WeChat, ChatID: "wx-openid", Text: text})
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		testenv.MustContain(t, wx("/bind "+code), "绑定成功")
		out = wx("待办")
		testenv.MustContain(t, out, "（第 1/2 页）", "发送 /more")
		if hasButton(out, "page:2:/todo") {
			t.Fatalf("WeChat got a next button: %+v", out)
		}
		testenv.MustContain(t, wx("/more"), "（第 2/2 页）")
		// A citizen's page button is still checked for the role.
		testenv.MustContain(t, r.press(r.chat("c"), "page:2:/todo"), "没有“/todo”这个指令")
	})
}

func TestSupervisorListsAndStats(t *testing.T) {
	forEachDB(t, func(t *testing.T, r *rig) {
		ctx := context.Background()
		sup, admin, staff := r.bind(models.DemoSupervisorNo), r.bind("ADMIN-1"), r.bind("DEMO-003")
		no, _ := r.badReview("W001")
		r.move(no, models.Change{Action: models.ActEscalate, Note: "逾期"})
		r.badReview("X001")
		// Good ratings on W002 and X001.
		for i, code := range []string{"W002", "W002", "W002", "X001"} {
			w, _ := r.store.WindowByCode(ctx, code)
			c := r.citizen(fmt.Sprint("good", i))
			if err := r.store.CreateRating(ctx, &models.Rating{WindowID: w.ID, CitizenID: c.ID, Level: 5, Channel: "web", CreatedAt: r.clock.Now()}, r.clock.Now()); err != nil {
				t.Fatal(err)
			}
		}
		out := r.say(sup, "/todo")
		testenv.MustContain(t, out, "督办工单（1 件", no)
		out = r.say(admin, "/todo")
		testenv.MustContain(t, out, "督办工单（1 件")

		// Statistics: the center by default, a window, all centers for the admin, a year.
		testenv.MustContain(t, r.say(sup, "/stats"), "示范政务服务中心 · 2026年11月", "评价 4 条", "满意率 75.0%", "办理中 1 件")
		testenv.MustContain(t, r.say(sup, "/stats W002 year"), "W002 社保医保 · 2026年", "评价 3 条", "满意率 100.0%（目标 95.0%，已达标 ✅）")
		testenv.MustContain(t, r.say(sup, "/stats demo 2026-10"), "示范政务服务中心 · 2026年10月", "本期暂无评价")
		testenv.MustContain(t, r.say(sup, "/stats CITY"), "没有找到编号为“CITY”")
		testenv.MustContain(t, r.say(sup, "/stats W001 someday"), "无法识别时间“someday”")
		testenv.MustContain(t, r.say(admin, "/stats"), "全部服务中心", "评价 6 条", "办理中 2 件")
		testenv.MustContain(t, r.say(staff, "/mystats"), "我的窗口 W002 社保医保 · 2026年11月", "评价 3 条", "办理中 0 件")
		testenv.MustContain(t, r.say(staff, "/mystats 2026-10"), "本期暂无评价")

		// Overdue: three working days after the call-back deadline.
		r.clock.Add(4 * 24 * time.Hour)
		out = r.say(sup, "/overdue")
		testenv.MustContain(t, out, "逾期工单（1 件", no, "承办：督查科", "逾期 3 个工作日")
		testenv.MustContain(t, r.say(admin, "/overdue"), "逾期工单（2 件")

		// Inspections show in the statistics.
		testenv.MustContain(t, r.say(sup, "/inspect w001 85 工作人员未佩戴工牌"), "已记录对 示范政务服务中心 · W001 不动产登记 的明察暗访：85 分")
		testenv.MustContain(t, r.say(sup, "/inspect W001 101 x"), "0 到 100")
		testenv.MustContain(t, r.say(sup, "/inspect W001 90"), "用法：/inspect")
		testenv.MustContain(t, r.say(sup, "/stats W001"), "明察暗访 1 次，平均 85.0 分")

		// Ranking: W002 (3 × 5) ranks, W001 (1 rating) is below the minimum of 3.
		out = r.say(sup, "/rank")
		testenv.MustContain(t, out, "窗口满意度排名（前 1）", "1. W002 社保医保", "另有 1 个窗口评价不足 3 条")
		testenv.MustContain(t, r.say(sup, "/rank top 3 2026-10"), "暂不排名")
		testenv.MustContain(t, r.say(sup, "/rank sideways"), "用法：/rank")
	})
}

func TestBanByPseudonym(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r *rig) {
		sup := r.bind(models.DemoSupervisorNo)
		no, troll := r.badReview("W001")
		out := r.say(sup, "/ticket "+no)
		ref := r.refs.Citizen(r.citizen(troll).ID)
		testenv.MustContain(t, out, ref)
		testenv.MustContain(t, r.say(sup, "/ban "+strings.ToLower(ref)+" 多次恶意差评"), "已停用群众 "+ref, "多次恶意差评")
		// Banning again says what holds now, not what held before: a ban through one pseudonym
		// must not tell that another stands for the same account.
		again := testenv.Text(r.say(sup, "/ban "+ref+" again"))
		testenv.MustContain(t, r.say(sup, "/ban "+ref+" again"), "已停用群众 "+ref)
		testenv.MustNotContain(t, []bot.Reply{{Text: again}}, "已处于停用状态")
		// Banned: no rating, no complaint, from a command, a keyword or a QR link.
		testenv.MustContain(t, r.say(troll, "/rate"), "暂停评价和反映")
		testenv.MustContain(t, r.say(troll, "投诉"), "暂停评价和反映")
		testenv.MustContain(t, r.say(troll, "/start w_W002"), "暂停评价和反映")
		testenv.MustContain(t, r.say(troll, "/start s_DEMO-003"), "暂停评价和反映")
		// Tracking their earlier ticket still works: their records stay.
		testenv.MustContain(t, r.say(troll, "/track "+no), no)
		testenv.MustContain(t, r.say(sup, "/unban "+ref), "已恢复群众")
		testenv.MustContain(t, r.say(sup, "/unban "+ref), "已恢复群众 "+ref)
		testenv.MustContain(t, r.say(troll, "/start w_W002"), "W002")
		testenv.MustContain(t, r.say(sup, "/ban C-NOTACITIZN x"), "没有找到群众")
	})
}

func TestStarPreview(t *testing.T) {
	forEachDB(t, func(t *testing.T, r *rig) {
		ctx := context.Background()
		sup, admin := r.bind(models.DemoSupervisorNo), r.bind("ADMIN-1")
		w, _ := r.store.WindowByCode(ctx, "W002")
		wang := r.staff("DEMO-003")
		for i := range 3 {
			c := r.citizen(fmt.Sprint("fan", i))
			if err := r.store.CreateRating(ctx, &models.Rating{WindowID: w.ID, StaffID: &wang.ID, CitizenID: c.ID, Level: 5, Channel: "web", CreatedAt: r.clock.Now()}, r.clock.Now()); err != nil {
				t.Fatal(err)
			}
		}
		testenv.MustContain(t, r.say(sup, "/star"), "服务之星预览 · 2026年11月", "示范政务服务中心：王芳（W002 社保医保）· 调整后满意率 100.0% · 3 条评价", "次月 1 日公布")
		testenv.MustNotContain(t, r.say(sup, "/star"), "城区便民服务中心")
		out := r.say(admin, "服务之星")
		testenv.MustContain(t, out, "王芳", "城区便民服务中心：暂无人选")
		testenv.MustContain(t, r.say(sup, "/star 2026-10"), "示范政务服务中心：暂无人选")
		testenv.MustContain(t, r.say(sup, "/star year"), "无法识别时间")
	})
}

// TestChineseArguments: supervisors may type the arguments in Chinese — 前十/后十, 本月/本年,
// 有效/无效, 撤销/维持 — and get what the English words give; the English keep working.
func TestChineseArguments(t *testing.T) {
	forEachDB(t, func(t *testing.T, r *rig) {
		ctx := context.Background()
		sup := r.bind(models.DemoSupervisorNo)
		levels := []int{5, 5, 5, 3, 4, 3}
		for i, code := range []string{"W001", "W001", "W001", "W002", "W002", "W002"} {
			w, _ := r.store.WindowByCode(ctx, code)
			c := r.citizen(fmt.Sprint("rater", i))
			if err := r.store.CreateRating(ctx, &models.Rating{WindowID: w.ID, CitizenID: c.ID, Level: levels[i], Channel: "web", CreatedAt: r.clock.Now()}, r.clock.Now()); err != nil {
				t.Fatal(err)
			}
		}
		same := func(zh, en string) {
			t.Helper()
			if a, b := testenv.Text(r.say(sup, zh)), testenv.Text(r.say(sup, en)); a != b {
				t.Fatalf("%s answers\n%s\nbut %s\n%s", zh, a, en, b)
			}
		}
		same("/rank 前十", "/rank top 10")
		same("/rank 后十 本月", "/rank bottom 10 month")
		same("/rank 前5 本年", "/rank top 5 year")
		same("/rank 十差", "/rank bottom")
		same("/stats W002 本年", "/stats W002 year")
		same("/stats 本月", "/stats month")
		testenv.MustContain(t, r.say(sup, "/rank 后十"), "窗口满意度排名（后 ")

		no, _ := r.badReview("W001")
		testenv.MustContain(t, r.say(sup, "/verify "+no+" 有效"), "工单 "+no+" 已受理")
		other, _ := r.badReview("W002")
		testenv.MustContain(t, r.say(sup, "/verify "+other+" 无效 重复提交"), "已不予受理")
		// A staff appeal: 撤销 revokes the bad review (the appeal is upheld), 维持 keeps it.
		w1 := r.staff("DEMO-001").WindowID
		r.move(no, models.Change{Action: models.ActAppeal, Note: "误评", Actor: models.Actor{Role: models.RoleStaff, WindowID: w1}})
		testenv.MustContain(t, r.say(sup, "/review "+no+" 撤销"), "已撤销原评价", "不计入考核")
		if tk := r.ticket(no); tk.CloseReason != models.CloseAppealUpheld {
			t.Fatalf("撤销: close reason %q, want the appeal upheld", tk.CloseReason)
		}
		third, _ := r.badReview("W003")
		w3 := r.staff("DEMO-004").WindowID
		r.move(third, models.Change{Action: models.ActAppeal, Note: "误评", Actor: models.Actor{Role: models.RoleStaff, WindowID: w3}})
		testenv.MustContain(t, r.say(sup, "/review "+third+" 维持"), "已维持原评价")
		if tk := r.ticket(third); tk.State != models.StateSubmitted {
			t.Fatalf("维持: state %s, want back to submitted", tk.State)
		}
		testenv.MustContain(t, r.say(sup, "/review "+third+" 也许"), "撤销", "维持")
	})
}
