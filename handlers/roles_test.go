package handlers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"windowbot/handlers"
	"windowbot/internal/testenv"
	"windowbot/internal/testenv/statetest"
	"windowbot/models"
)

// The eight accounts of the role table.
const (
	asCitizen    = "citizen"
	asStaff      = "staff of the window"
	asLead       = "lead of the window"
	asOtherStaff = "staff of another window"
	asSupervisor = "center supervisor"
	asOtherSup   = "other-center supervisor"
	asAdmin      = "admin"
	asInspector  = "citizen inspector"
)

var roles = []string{asCitizen, asStaff, asLead, asOtherStaff, asSupervisor, asOtherSup, asAdmin, asInspector}

// roleStaffNo is the staff record each role binds to; the citizen binds to none.
var roleStaffNo = map[string]string{
	asStaff: "DEMO-001", asLead: "DEMO-L01", asOtherStaff: "DEMO-003", asSupervisor: models.DemoSupervisorNo,
	asOtherSup: "CITY-S01", asAdmin: "ADMIN-1", asInspector: "INSP-001",
}

// Expected outcomes besides a sentence of the command's own ("!text": an answer without text).
const (
	refused  = "REFUSED"              // answered like an unknown command
	notFound = "或不在您的管辖范围内"           // a ticket, window or citizen outside the scope
	citFlow  = "请核对编号。发送“查询”查看您的全部工单" // the citizen's own /appeal conversation
)

// vars are what a case's command refers to.
type vars struct{ no, ref string }

// roleCase is one command with its set-up and what each role gets.
type roleCase struct {
	name  string
	cmd   string // {no} and {ref} are replaced
	setup func(r *rig) vars
	want  map[string]string
}

func everyone(want string) map[string]string {
	m := map[string]string{}
	for _, r := range roles {
		m[r] = want
	}
	return m
}

// ticketCommand: staff and the lead of the window, the center's supervisor and the admin may; the
// others cannot see the ticket; the citizen has no such command.
func ticketCommand(ok string) map[string]string {
	return map[string]string{asCitizen: refused, asStaff: ok, asLead: ok, asOtherStaff: notFound, asSupervisor: ok, asOtherSup: notFound, asAdmin: ok, asInspector: refused}
}

// supervisorCommand: only supervisors and the admin; the other center's supervisor gets other.
func supervisorCommand(ok, other string) map[string]string {
	return map[string]string{asCitizen: refused, asStaff: refused, asLead: refused, asOtherStaff: refused, asSupervisor: ok, asOtherSup: other, asAdmin: ok, asInspector: refused}
}

// conductCase files a complaint of 工作作风 on W001: the supervisors' alone.
func conductCase(r *rig) vars {
	ctx := context.Background()
	chat := r.chat("whistle")
	c := r.citizen(chat)
	w, _ := r.store.WindowByCode(ctx, "W001")
	tk, err := r.store.CreateComplaint(ctx, models.NewComplaint{CitizenID: c.ID, WindowID: &w.ID, Category: "conduct",
		Description: "要我请吃饭才给办", Channel: "telegram", At: r.clock.Now()})
	if err != nil {
		r.t.Fatal(err)
	}
	return vars{no: tk.No, ref: r.refs.Citizen(c.ID)}
}

func fresh(r *rig) vars {
	no, chat := r.badReview("W001")
	return vars{no: no, ref: r.refs.Citizen(r.citizen(chat).ID)}
}

func inState(actions ...models.Change) func(r *rig) vars {
	return func(r *rig) vars {
		v := fresh(r)
		r.move(v.no, actions...)
		return v
	}
}

var (
	accept  = models.Change{Action: models.ActAccept}
	plan    = models.Change{Action: models.ActPlan, Note: "加强培训"}
	done    = models.Change{Action: models.ActDone, Note: "已约谈当事人并在窗口张贴服务承诺"}
	approve = models.Change{Action: models.ActApprove}
	elevate = models.Change{Action: models.ActEscalate}
)

var roleCases = []roleCase{
	{name: "bind", cmd: "/bind ZZZZZZZZZZZZ", want: map[string]string{
		asCitizen: "绑定码无效", asStaff: "此账号已绑定为", asLead: "此账号已绑定为窗口负责人", asOtherStaff: "此账号已绑定为", asSupervisor: "此账号已绑定为", asOtherSup: "此账号已绑定为", asAdmin: "此账号已绑定为", asInspector: "此账号已绑定为市民督察员"}},
	{name: "unbind", cmd: "/unbind", want: map[string]string{
		asCitizen: refused, asStaff: "已解除绑定", asLead: "已解除绑定", asOtherStaff: "已解除绑定", asSupervisor: "已解除绑定", asOtherSup: "已解除绑定", asAdmin: "已解除绑定", asInspector: "已解除绑定"}},
	{name: "more", cmd: "/more", want: map[string]string{
		asCitizen: refused, asStaff: "没有更多内容", asLead: "没有更多内容", asOtherStaff: "没有更多内容", asSupervisor: "没有更多内容", asOtherSup: "没有更多内容", asAdmin: "没有更多内容", asInspector: refused}},
	{name: "todo", cmd: "/todo", setup: inState(elevate), want: map[string]string{
		asCitizen: refused, asStaff: "{no}", asLead: "{no}", asOtherStaff: "目前没有待办工单", asSupervisor: "{no}", asOtherSup: "目前没有待办工单", asAdmin: "{no}", asInspector: refused}},
	{name: "todo of a conduct case", cmd: "/todo", setup: conductCase, want: map[string]string{
		asCitizen: refused, asStaff: "!{no}", asLead: "!{no}", asOtherStaff: "!{no}", asSupervisor: "{no}", asOtherSup: "!{no}", asAdmin: "{no}", asInspector: refused}},
	{name: "ticket", cmd: "/ticket {no}", setup: fresh, want: ticketCommand("工单 {no}（差评工单）")},
	{name: "ticket of a conduct case", cmd: "/ticket {no}", setup: conductCase, want: supervisorTicket("工单 {no}（投诉工单）")},
	{name: "accept", cmd: "/accept {no}", setup: fresh, want: ticketCommand("工单 {no} 已受理")},
	{name: "plan", cmd: "/plan {no} 更换窗口人员", setup: inState(accept), want: ticketCommand("整改方案已记录")},
	{name: "done", cmd: "/done {no} 已约谈当事人并调整岗位，每日抽查", setup: inState(accept, plan), want: ticketCommand("已提交督查审核")},
	{name: "approve", cmd: "/approve {no}", setup: inState(accept, plan, done), want: supervisorCommand("已审核通过", notFound)},
	{name: "sendback", cmd: "/sendback {no} 请补充照片", setup: inState(accept, plan, done), want: supervisorCommand("已退回工单 {no}", notFound)},
	{name: "refer", cmd: "/refer {no} 移送区纪委监委", setup: conductCase, want: supervisorCommand("已移送纪检监察", notFound)},
	{name: "appeal", cmd: "/appeal {no} 恶意差评", setup: fresh, want: map[string]string{
		asCitizen: citFlow, asStaff: "申诉已提交", asLead: "申诉已提交", asOtherStaff: notFound, asSupervisor: citFlow, asOtherSup: citFlow, asAdmin: citFlow, asInspector: citFlow}},
	{name: "mystats", cmd: "/mystats", want: map[string]string{
		asCitizen: refused, asStaff: "我的窗口 W001", asLead: "我的窗口 W001", asOtherStaff: "我的窗口 W002", asSupervisor: refused, asOtherSup: refused, asAdmin: refused, asInspector: refused}},
	{name: "invite", cmd: "/invite", want: map[string]string{
		asCitizen: refused, asStaff: "请群众扫描二维码", asLead: "请群众扫描二维码", asOtherStaff: "请群众扫描二维码", asSupervisor: refused, asOtherSup: refused, asAdmin: refused, asInspector: refused}},
	{name: "sendguide", cmd: "/sendguide 不动产抵押", want: map[string]string{
		asCitizen: refused, asStaff: "不动产抵押登记", asLead: "不动产抵押登记", asOtherStaff: "不动产抵押登记", asSupervisor: refused, asOtherSup: refused, asAdmin: refused, asInspector: refused}},
	{name: "stats", cmd: "/stats W001", setup: fresh, want: supervisorCommand("📊 示范政务服务中心 · W001", "没有找到编号为“W001”")},
	{name: "rank", cmd: "/rank bottom 5", setup: fresh, want: supervisorCommand("不动产登记 · 调整后", "暂不排名")},
	{name: "overdue", cmd: "/overdue", setup: func(r *rig) vars {
		v := fresh(r)
		testenv.DB(r.t, r.store).Model(&models.Ticket{}).Where("no = ?", v.no).Update("callback_due", r.clock.Now().Add(-72*time.Hour))
		return v
	}, want: supervisorCommand("{no}", "目前没有逾期工单")},
	{name: "assign", cmd: "/assign {no} DEMO-002", setup: fresh, want: supervisorCommand("已指派给 李娜", notFound)},
	{name: "verify", cmd: "/verify {no} valid", setup: fresh, want: supervisorCommand("工单 {no} 已受理", notFound)},
	{name: "verify invalid", cmd: "/verify {no} invalid 重复提交", setup: fresh, want: supervisorCommand("已不予受理", notFound)},
	{name: "review", cmd: "/review {no} uphold", setup: func(r *rig) vars {
		v := fresh(r)
		w := r.staff("DEMO-001").WindowID
		r.move(v.no, models.Change{Action: models.ActAppeal, Note: "误评", Actor: models.Actor{Role: models.RoleStaff, WindowID: w}})
		return v
	}, want: supervisorCommand("该差评不计入考核", notFound)},
	{name: "escalate", cmd: "/escalate {no}", setup: fresh, want: supervisorCommand("已升级督办", notFound)},
	{name: "inspect", cmd: "/inspect W001 90 窗口桌面杂乱", want: supervisorCommand("已记录对", "没有找到窗口“W001”")},
	{name: "card", cmd: "/card W001 2 等候时间太长", want: supervisorCommand("已录入纸质评价", notFound)},
	{name: "walkin", cmd: "/walkin W001 13600136000 电话反映窗口午休无人", want: supervisorCommand("已登记群众来访（来电）投诉", "找不到您督查范围内的窗口 W001")},
	{name: "flags", cmd: "/flags", want: supervisorCommand("目前没有待复核的可疑评价", "目前没有待复核的可疑评价")},
	{name: "visit", cmd: "/visit W001", want: map[string]string{asCitizen: refused, asStaff: refused, asLead: refused, asOtherStaff: refused,
		asSupervisor: "请选择检查方式", asOtherSup: notFound, asAdmin: "请选择检查方式", asInspector: "第 1/8 项：亮牌上岗"}},
	{name: "visit of a kind", cmd: "/visit 暗访 W001", want: map[string]string{asCitizen: refused, asStaff: refused, asLead: refused, asOtherStaff: refused,
		asSupervisor: "第 1/8 项：亮牌上岗", asOtherSup: notFound, asAdmin: "第 1/8 项：亮牌上岗", asInspector: "第 1/8 项：亮牌上岗"}},
	{name: "visits", cmd: "/visits", want: map[string]string{asCitizen: refused, asStaff: refused, asLead: refused, asOtherStaff: refused,
		asSupervisor: "暗访记录", asOtherSup: "暗访记录", asAdmin: "暗访记录", asInspector: "您还没有提交过暗访记录"}},
	{name: "publish", cmd: "/publish {no}", setup: inState(accept, plan, done, approve), want: supervisorCommand("整改情况已公示", notFound)},
	{name: "star", cmd: "/star", want: supervisorCommand("服务之星预览", "服务之星预览")},
	{name: "ban", cmd: "/ban {ref} 恶意刷差评", setup: fresh, want: supervisorCommand("已停用群众", "没有找到群众")},
	{name: "unban", cmd: "/unban {ref}", setup: func(r *rig) vars {
		v := fresh(r)
		c, _ := r.store.CitizenByRef(context.Background(), r.refs, v.ref, nil)
		if err := r.store.BanCitizen(context.Background(), c.ID, r.staff(models.DemoSupervisorNo).ID, "测试", r.clock.Now()); err != nil {
			r.t.Fatal(err)
		}
		return v
	}, want: supervisorCommand("已恢复群众", "没有找到群众")},
}

// supervisorTicket: a ticket the supervisors alone handle (a conduct case): the window's staff
// and lead cannot see it.
func supervisorTicket(ok string) map[string]string {
	return map[string]string{asCitizen: refused, asStaff: notFound, asLead: notFound, asOtherStaff: notFound, asSupervisor: ok, asOtherSup: notFound, asAdmin: ok, asInspector: refused}
}

// TestRoleCommandTable runs every staff and supervisor command as each of the seven accounts and
// checks it is done, refused exactly like an unknown command, or kept outside the scope.
func TestRoleCommandTable(t *testing.T) {
	// Every case says what every account gets: a missing role would read as the empty string,
	// which every answer contains, and pass without checking anything.
	for _, tc := range roleCases {
		if len(tc.want) != len(roles) {
			t.Errorf("case %s: expectations for %d roles, want one for each of the %d", tc.name, len(tc.want), len(roles))
		}
		for _, role := range roles {
			if tc.want[role] == "" {
				t.Errorf("case %s: no expectation for %s", tc.name, role)
			}
		}
	}
	// And every command of the desk has a case: a new command is not left out of the table.
	for _, name := range handlers.DeskCommandNames() {
		covered := false
		for _, tc := range roleCases {
			covered = covered || strings.HasPrefix(tc.cmd+" ", "/"+name+" ")
		}
		if !covered {
			t.Errorf("the desk command /%s has no case in the role table", name)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	forEachDB(t, func(t *testing.T, r *rig) {
		for _, tc := range roleCases {
			for _, role := range roles {
				t.Run(tc.name+"/"+role, func(t *testing.T) {
					r.t = t
					var v vars
					if tc.setup != nil {
						v = tc.setup(r)
					}
					chat := r.chat("plain")
					if no, ok := roleStaffNo[role]; ok {
						chat = r.bind(no)
					}
					subst := strings.NewReplacer("{no}", v.no, "{ref}", v.ref)
					cmd := subst.Replace(tc.cmd)
					var before models.TicketState
					if v.no != "" {
						before = r.ticket(v.no).State
					}
					out := r.say(chat, cmd)
					want := subst.Replace(tc.want[role])
					switch want {
					case refused:
						name, _, _ := strings.Cut(cmd, " ")
						unknown := r.say(chat, "/nosuchcommand "+strings.Repeat("x", 3))
						wantText := strings.ReplaceAll(testenv.Text(unknown), "/nosuchcommand", name)
						if testenv.Text(out) != wantText {
							t.Fatalf("refused %s answers\n%q\nwant the unknown-command answer\n%q", cmd, testenv.Text(out), wantText)
						}
					default:
						if not, ok := strings.CutPrefix(want, "!"); ok {
							testenv.MustNotContain(t, out, not)
							break
						}
						testenv.MustContain(t, out, want)
					}
					if v.no != "" && (want == refused || want == notFound || want == citFlow) {
						if after := r.ticket(v.no).State; after != before {
							t.Fatalf("refused %s moved the ticket from %s to %s", cmd, before, after)
						}
					}
				})
			}
		}
	})
}

// A refused command is logged at info with the account and the command's name, never with what
// was typed after it.
func TestRefusedCommandLogged(t *testing.T) {
	clk := newClock()
	r := newRig(t, openStore(t, "sqlite:"+t.TempDir()+"/wb.db"), statetest.Memory(t, clk.Now), clk)
	chat := r.chat("plain")
	r.say(chat, "/ban C-SECRETARGS 家住幸福路 13812345678")
	c := r.citizen(chat)
	logs := r.logs.String()
	for _, want := range []string{"level=INFO", "command not allowed for role", "platform=telegram", "citizen_id=" + itoa(c.ID), "command=ban", "role=citizen"} {
		if !strings.Contains(logs, want) {
			t.Fatalf("log %q lacks %q", logs, want)
		}
	}
	for _, secret := range []string{"SECRETARGS", "幸福路", "13812345678", chat} {
		if strings.Contains(logs, secret) {
			t.Fatalf("log reveals %q: %s", secret, logs)
		}
	}
}

func itoa(n uint) string {
	const digits = "0123456789"
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{digits[n%10]}, b...)
	}
	return string(b)
}
