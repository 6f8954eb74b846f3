// Package transcript plays the main dialogs through each channel's real adapter and writes what
// every side said as a golden transcript under the channel's testdata/transcripts/: one file per
// dialog, compared byte for byte, so that a change of wording or rendering shows as a diff a
// Chinese reader can review (go test ./... -update rewrites them).
//
// The dialogs are defined once, here, as lists of steps (open a window's link, type, press the
// button labelled …, send a photo, let time pass, run the push dispatcher) acted by a citizen, a
// staff member or a supervisor. Each channel's test implements Channel to carry a step out its
// own way — a press is a callback query on Telegram, the typed number the bot showed on WeChat,
// the button's payload posted by the web page — and Run plays every dialog on a fresh World.
//
// It stands apart from testenv because it wires flows, handlers and jobs, whose own tests use
// testenv.
package transcript

import (
	"fmt"
	"time"

	"windowbot/models"
)

// Actor is somebody in a dialog. Each channel gives every actor an account of its own.
type Actor struct {
	// Key names the actor in code and derives its accounts; it never changes.
	Key string
	// Name is how the transcript names the actor.
	Name string
	// StaffNo is the staff record the actor's account is bound to; empty for a citizen.
	StaffNo string
}

// The actors of the dialogs: two citizens, the staff member of window W001 who is pushed its bad
// reviews, the window's lead who handles those that name a person, the demo center's
// supervisor, and a citizen inspector.
var (
	Citizen    = Actor{Key: "citizen", Name: "市民"}
	Neighbour  = Actor{Key: "neighbour", Name: "另一位市民"}
	Staff      = Actor{Key: "staff", Name: "工作人员张伟", StaffNo: "DEMO-001"}
	Lead       = Actor{Key: "lead", Name: "窗口负责人孙敏", StaffNo: "DEMO-L01"}
	Supervisor = Actor{Key: "supervisor", Name: "督查周强", StaffNo: models.DemoSupervisorNo}
	// Inspector is a citizen inspector (市民督察员), the first one invited (World adds them).
	Inspector = Actor{Key: "inspector", Name: "市民督察员郑明", StaffNo: "INSP-001"}
)

// Actors lists every actor, in the order pushes are read back.
func Actors() []Actor { return []Actor{Citizen, Neighbour, Staff, Lead, Supervisor, Inspector} }

// Do is what a step does.
type Do string

// What steps do.
const (
	// Open opens the link of window Arg, as scanning its QR code does.
	Open Do = "open"
	// Say types Arg.
	Say Do = "say"
	// Press presses the button labelled Arg on the newest message that offers it.
	Press Do = "press"
	// PressIfOffered presses the button labelled Arg if the newest message with choices offers
	// it, and does nothing otherwise: a question one channel asks and the others do not (WeChat
	// confirms a bad level typed as a number).
	PressIfOffered Do = "press if offered"
	// Photo sends a photo, captioned Arg where the platform has captions.
	Photo Do = "photo"
	// Dispatch runs the push dispatcher until the outbox has nothing due.
	Dispatch Do = "dispatch"
	// Wait moves the clock by For.
	Wait Do = "wait"
	// Burst plants six 5-star ratings of staff member Arg at their window in the last nine
	// minutes, from accounts just made (a QR code passed round), and runs the fraud scan.
	Burst Do = "burst"
)

// Step is one thing done in a dialog.
type Step struct {
	Who Actor
	Do  Do
	Arg string
	For time.Duration
}

// Opens is a step in which a opens window's link.
func (a Actor) Opens(window string) Step { return Step{Who: a, Do: Open, Arg: window} }

// Says is a step in which a types text.
func (a Actor) Says(text string) Step { return Step{Who: a, Do: Say, Arg: text} }

// Presses is a step in which a presses the button labelled label.
func (a Actor) Presses(label string) Step { return Step{Who: a, Do: Press, Arg: label} }

// PressesIfOffered is a step in which a presses the button labelled label where it is offered.
func (a Actor) PressesIfOffered(label string) Step {
	return Step{Who: a, Do: PressIfOffered, Arg: label}
}

// SendsPhoto is a step in which a sends a photo captioned caption.
func (a Actor) SendsPhoto(caption string) Step { return Step{Who: a, Do: Photo, Arg: caption} }

// RunDispatcher is the step in which the push dispatcher sends what is due.
func RunDispatcher() Step { return Step{Do: Dispatch} }

// RatingBurst is the step in which staffNo gets a burst of top ratings and the fraud scan runs.
func RatingBurst(staffNo string) Step { return Step{Do: Burst, Arg: staffNo} }

// After is the step in which d passes.
func After(d time.Duration) Step { return Step{Do: Wait, For: d} }

// Scenario is one dialog and the name of its transcript file.
type Scenario struct {
	// Name is the transcript's file name without ".txt".
	Name string
	// About says in a line what the dialog shows; it heads the transcript.
	About string
	// Given is played first and left out of the transcript: what the dialog starts from.
	Given []Step
	// Steps are played and written down.
	Steps []Step
}

// The ticket the first bad review or complaint of the day opens (testenv.Monday10).
const firstTicket = "T20261123-0001"

// goodRating: who rates window W001 five stars for 李娜, with praise and a comment.
func goodRating(who Actor) []Step {
	return []Step{
		who.Opens("W001"),
		who.Presses("李娜"),
		who.Presses("非常满意"),
		who.Presses("热情周到"),
		who.Presses("一次办成"),
		who.Presses("选好了"),
		who.Says("李娜很耐心，"),
		who.Says("材料一次就讲清楚了"),
		who.Presses("说完了"),
	}
}

// badRating: who rates window W001 不满意 without naming anyone, picks two problems and comments;
// a bad-review ticket is opened for the window's staff.
func badRating(who Actor) []Step {
	return []Step{
		who.Opens("W001"),
		who.Presses("不确定/跳过"),
		who.Presses("不满意"),
		who.PressesIfOffered("确认：不满意"),
		who.Presses("服务能力"),
		who.Presses("工作效能"),
		who.Presses("选好了"),
		who.Presses("让我多跑"),
		who.Presses("选好了"),
		who.Presses("未一次性告知材料"),
		who.Presses("选好了"),
		who.Says("材料清单没有一次说清，跑了两趟"),
		who.Presses("说完了"),
	}
}

// namedBadRating: who rates window W001 不满意 naming 张伟, for his cold attitude; the ticket goes
// to the window's lead, never to 张伟.
func namedBadRating(who Actor) []Step {
	return []Step{
		who.Opens("W001"),
		who.Presses("张伟"),
		who.Presses("不满意"),
		who.PressesIfOffered("确认：不满意"),
		who.Presses("服务态度"),
		who.Presses("选好了"),
		who.Presses("态度冷漠"),
		who.Presses("选好了"),
		who.Says("窗口人员一直玩手机，问话不理"),
		who.Presses("说完了"),
	}
}

// conductComplaint: who reports 吃拿卡要 at window W001, anonymously.
func conductComplaint(who Actor) []Step {
	return []Step{
		who.Says("/complain W001"),
		who.Presses("工作作风"),
		who.Says("窗口人员暗示要请吃饭才给加快办理"),
		who.Presses("说完了"),
		who.Presses("跳过"),
		who.Presses("匿名反映"),
		who.Presses("确认提交"),
	}
}

// complaint: who files a complaint about window W003 with a photo, under their real name.
func complaint(who Actor) []Step {
	return []Step{
		who.Says("/complain"),
		who.Presses("W003 户籍办理"),
		who.Presses("服务能力"),
		who.Presses("居民户口迁移"),
		who.Says("办理户口迁移，"),
		who.Says("一次性告知的材料不全，跑了三趟"),
		who.SendsPhoto("受理回执"),
		who.Says("窗口还让我下周再来"),
		who.Presses("选好了"),
		who.Presses("实名（留手机号，接受回访）"),
		who.Says("13900001111"),
		who.Presses("确认提交"),
	}
}

// Scenarios returns the dialogs every channel writes a transcript of.
func Scenarios() []Scenario {
	return []Scenario{
		{
			Name:  "good_rating",
			About: "A citizen scans window W001's code and rates 李娜 very satisfied, with praise and a comment.",
			Steps: goodRating(Citizen),
		},
		{
			Name:  "bad_rating",
			About: "A citizen rates window W001 dissatisfied, picks what went wrong, comments, and gets a ticket number.",
			Steps: badRating(Citizen),
		},
		{
			Name: "complaint",
			About: "A citizen files a complaint about window W003 with a photo under their real name and confirms it, " +
				"naming the matter whose materials were not told at once; the supervisor sees the matter in the ticket.",
			Steps: append(complaint(Citizen), Supervisor.Says("/ticket "+firstTicket)),
		},
		{
			Name: "typed_words",
			About: "A citizen types where buttons are asked for, types praise at the checklist, starts the " +
				"comment over and writes it in two messages: nothing typed is dropped without a word.",
			Steps: []Step{
				Citizen.Opens("W002"),
				Citizen.Says("还行吧"),
				Citizen.Presses("满意"),
				Citizen.Says("王芳讲得清楚"),
				Citizen.Presses("跳过"),
				Citizen.Presses("重新输入"),
				Citizen.Says("王芳讲得很清楚，"),
				Citizen.Says("材料一次说全了"),
				Citizen.Presses("说完了"),
			},
		},
		{
			Name: "welcome",
			About: "A citizen greets the bot, starts rating from the welcome's buttons, types a code that names no " +
				"window, and cancels.",
			Steps: []Step{
				Citizen.Says("你好"),
				Citizen.Presses("评价窗口服务"),
				Citizen.Says("W999"),
				Citizen.Says("取消"),
			},
		},
		{
			Name: "guide",
			About: "A citizen asks which materials a matter needs in words, then types part of a name that fits two " +
				"matters and picks one: each answer holds every material at once, the time limit, the fee and the window.",
			Steps: []Step{
				Citizen.Says("办营业执照需要什么材料"),
				Citizen.Says("不动产"),
				Citizen.Presses("不动产抵押登记"),
				Citizen.Says("/guide"),
				Citizen.Says("公积金提取"),
			},
		},
		{
			Name: "staff_guide",
			About: "A staff member shows a citizen the guide of a matter found by part of its name, as a QR code; " +
				"the citizen's phone opens it and has every material at once.",
			Steps: []Step{
				Staff.Says("/sendguide 不动产"),
				Staff.Presses("不动产抵押登记"),
				Citizen.Says("/start g_M002"),
			},
		},
		{
			Name: "paper_card",
			About: "The center's office enters a paper feedback card step by step, a bad one that opens a ticket, and " +
				"then a good one in a single line.",
			Steps: []Step{
				Supervisor.Says("/card"),
				Supervisor.Says("W001"),
				Supervisor.Presses("不满意"),
				Supervisor.Says("等了一个小时，窗口说材料不全又不说缺什么"),
				Supervisor.Says("/card W002 5 王芳服务热情"),
			},
		},
		{
			Name: "walk_in",
			About: "The center's office records a complaint a citizen made by phone, with the number they agreed to " +
				"leave: the citizen is texted that it is registered and then each step, with a link back into the " +
				"web chat; a link copied wrongly is refused.",
			Steps: []Step{
				Supervisor.Says("/walkin W001 1360013600 中午窗口无人值守"),
				Supervisor.Says("/walkin W001 13600136000 电话反映中午十二点到一点窗口无人值守，等了一个小时"),
				RunDispatcher(),
				Supervisor.Says("/accept T20261123-0001"),
				Supervisor.Says("/plan T20261123-0001 午间安排轮岗值守并公示"),
				RunDispatcher(),
				Citizen.Says("/start k_AAAAAAAAAAAAAAAAAAAAAA"),
			},
		},
		{
			Name: "rating_flags",
			About: "Six top ratings of one staff member within minutes, from new accounts, are flagged and held out; " +
				"the supervisor reviews them in /flags, keeps one and excludes another.",
			Steps: []Step{
				RatingBurst("DEMO-002"),
				Supervisor.Says("/flags"),
				Supervisor.Presses("保留 #1"),
				Supervisor.Presses("剔除 #2"),
				Supervisor.Says("/flags 剔除 1"),
			},
		},
		{
			Name: "inspector_visit",
			About: "A citizen inspector visits window W001 unannounced: two items comply, one does not (with a photo " +
				"and what was heard), the rest were not observed; the summary is confirmed, the window's lead is pushed " +
				"the ticket, and the inspector looks at their visits.",
			Steps: []Step{
				Inspector.Says("/visit"),
				Inspector.Presses("W001 不动产登记"),
				Inspector.Presses("符合"),
				Inspector.Presses("符合"),
				Inspector.Presses("不符合"),
				Inspector.SendsPhoto("窗口照片"),
				Inspector.Says("窗口人员对群众说“不知道，自己看”"),
				Inspector.Presses("下一项"),
				Inspector.Presses("未观察"),
				Inspector.Presses("未观察"),
				Inspector.Presses("未观察"),
				Inspector.Presses("未观察"),
				Inspector.Presses("未观察"),
				Inspector.Says("大厅人多，等候区秩序良好"),
				Inspector.Presses("确认提交"),
				RunDispatcher(),
				Inspector.Says("/visits"),
			},
		},
		{
			Name:  "supervisor_inspection",
			About: "A supervisor records a self-check (自查) of window W002 against the same checklist, every item complying.",
			Steps: []Step{
				Supervisor.Says("/visit 自查 W002"),
				Supervisor.Presses("符合"),
				Supervisor.Presses("符合"),
				Supervisor.Presses("符合"),
				Supervisor.Presses("符合"),
				Supervisor.Presses("符合"),
				Supervisor.Presses("符合"),
				Supervisor.Presses("符合"),
				Supervisor.Presses("符合"),
				Supervisor.Presses("跳过"),
				Supervisor.Presses("确认提交"),
			},
		},
		{
			Name:  "track",
			About: "The citizen who filed a complaint lists their tickets with /track and opens it.",
			Given: complaint(Citizen),
			Steps: []Step{
				Citizen.Says("/track"),
				Citizen.Presses(firstTicket),
			},
		},
		{
			Name:  "staff_todo",
			About: "A bad review is pushed to the window's staff and the supervisor; the staff member opens it from /todo.",
			Given: badRating(Citizen),
			Steps: []Step{
				RunDispatcher(),
				Staff.Says("/todo"),
				Staff.Presses(firstTicket),
			},
		},
		{
			Name: "rerate",
			About: "The staff member accepts and plans a bad review from the buttons and reports the fix; the supervisor " +
				"approves it; the citizen is told of each step, invited to re-rate the fix, and is satisfied.",
			Given: append(badRating(Citizen), RunDispatcher()),
			Steps: []Step{
				After(time.Hour),
				Staff.Presses("受理"),
				Staff.Says("/ticket " + firstTicket),
				Staff.Presses("提交整改方案"),
				Staff.Says("制作一次性告知清单，在窗口张贴"),
				RunDispatcher(),
				After(24 * time.Hour),
				Staff.Says("/done " + firstTicket + " 清单已张贴，窗口人员已培训并考核"),
				RunDispatcher(),
				Supervisor.Presses("通过"),
				RunDispatcher(),
				Citizen.Presses("满意"),
				RunDispatcher(),
			},
		},
		{
			Name: "trust_loop",
			About: "A bad review naming 张伟 goes to the window's lead; 张伟 cannot act on it; a result without substance is " +
				"refused; the lead reports the fix with a photo; the supervisor sends it back once and approves it; the " +
				"citizen re-rates 不满意 with a reason, is told the new deadline, and the supervisor receives the reason.",
			Given: append(namedBadRating(Citizen), RunDispatcher()),
			Steps: []Step{
				Staff.Says("/accept " + firstTicket),
				Lead.Presses("受理"),
				Lead.Says("/plan " + firstTicket + " 约谈当事人，调整岗位并每日抽查"),
				Lead.Says("/done " + firstTicket + " 已整改"),
				Lead.Says("/ticket " + firstTicket),
				Lead.Presses("提交整改结果"),
				Lead.Says("已约谈当事人，调整至后台岗位，由负责人每日抽查服务"),
				Lead.SendsPhoto("约谈记录"),
				Lead.Presses("提交审核"),
				RunDispatcher(),
				Supervisor.Presses("退回"),
				Supervisor.Says("请补充岗位调整的书面通知"),
				RunDispatcher(),
				Lead.Says("/done " + firstTicket + " 已约谈当事人并下发岗位调整书面通知，负责人每日抽查"),
				RunDispatcher(),
				Supervisor.Presses("通过"),
				RunDispatcher(),
				After(26 * time.Hour),
				Citizen.Presses("不满意"),
				Citizen.Says("窗口还是那个人，态度一样差"),
				RunDispatcher(),
			},
		},
		{
			Name: "conduct",
			About: "An anonymous report of 吃拿卡要 reaches the supervisor alone, who refers it to the discipline body; " +
				"the citizen is told.",
			Given: conductComplaint(Citizen),
			Steps: []Step{
				RunDispatcher(),
				Supervisor.Presses("移送纪检监察"),
				Supervisor.Says("移送区纪委监委第三纪检监察室"),
				RunDispatcher(),
			},
		},
		{
			Name:  "supervisor_stats",
			About: "After a good rating, a bad rating and a complaint, the supervisor asks for /stats.",
			Given: append(append(goodRating(Neighbour), badRating(Citizen)...), complaint(Citizen)...),
			Steps: []Step{
				Supervisor.Says("/stats"),
			},
		},
	}
}

// String describes s in a line.
func (s Step) String() string {
	switch s.Do {
	case Dispatch:
		return "the push dispatcher runs"
	case Wait:
		return fmt.Sprintf("%s pass", s.For)
	case Open:
		return fmt.Sprintf("%s opens the link of window %s", s.Who.Name, s.Arg)
	case Say:
		return fmt.Sprintf("%s types %s", s.Who.Name, s.Arg)
	case Press:
		return fmt.Sprintf("%s presses [%s]", s.Who.Name, s.Arg)
	case PressIfOffered:
		return fmt.Sprintf("%s presses [%s] where it is offered", s.Who.Name, s.Arg)
	case Photo:
		return fmt.Sprintf("%s sends a photo captioned %s", s.Who.Name, s.Arg)
	}
	return fmt.Sprintf("%s %s %q", s.Who.Name, s.Do, s.Arg)
}
