package models

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// PushMessage is what a push says, as data: the key of its text in the text catalog and the
// values of the text's fields. The transaction that causes a push stores it; the dispatcher words
// it when the push is sent, in the recipient's language, so that nothing in a transaction renders
// text.
type PushMessage struct {
	Key string `json:"key"`
	// Args are the values of the message's fields, by field name. They are printed as they are,
	// except those Kinds names.
	Args map[string]string `json:"args,omitempty"`
	// Kinds says which Args are worded in the recipient's language, and how (ArgCategory, ArgDay,
	// ArgWholeCenter).
	Kinds map[string]string `json:"kinds,omitempty"`
	// Buttons are offered under the message, in rows.
	Buttons [][]PushButton `json:"buttons,omitempty"`
}

// PushButton is a button of a PushMessage: the catalog key of its label, and its payload.
type PushButton struct {
	Key     string `json:"key"`
	Payload string `json:"payload"`
}

// The kinds of PushMessage.Args that are worded when the push is sent.
const (
	// ArgCategory is a ticket category code, worded as the category's label.
	ArgCategory = "category"
	// ArgDay is a time in RFC 3339, worded as its day in the hall's zone.
	ArgDay = "day"
	// ArgWholeCenter is a center's name, worded as "the whole center" of it.
	ArgWholeCenter = "whole_center"
	// ArgRoute is a ticket's route (RouteWindow …), worded as who handles it.
	ArgRoute = "route"
	// ArgState is a ticket's state, worded as citizens read it (已受理, 整改中, …).
	ArgState = "state"
)

// msg starts a message with its key.
func msg(key string) *PushMessage { return &PushMessage{Key: key, Args: map[string]string{}} }

// set gives field name the value v, printed as it is.
func (m *PushMessage) set(name, v string) *PushMessage {
	m.Args[name] = v
	return m
}

// word gives field name the value v, worded as kind.
func (m *PushMessage) word(name, kind, v string) *PushMessage {
	if m.Kinds == nil {
		m.Kinds = map[string]string{}
	}
	m.Args[name] = v
	m.Kinds[name] = kind
	return m
}

func (m *PushMessage) day(name string, t time.Time) *PushMessage {
	return m.word(name, ArgDay, t.UTC().Format(time.RFC3339))
}

// TicketNotice is what a ticket event means for the people around it: the store works it out in
// the transaction that records the event and queues its Pushes there.
type TicketNotice struct {
	Ticket *Ticket
	Event  *TicketEvent
	// Reporters are the citizen who filed the ticket and those who joined it.
	Reporters []Citizen
	// Staff are the chat accounts of the ticket's handlers besides the supervisors: its owner, or
	// by its route the window's staff and leads or its leads; never the person it names.
	Staff []Citizen
	// Supervisors are the chat accounts of the supervisors and admins whose scope covers the ticket.
	Supervisors []Citizen
	// Subscribers are the citizens who opted in to announcements; loaded only for a publication
	// (整改公示), the one notice that goes to them.
	Subscribers []Citizen
	// Photos counts the photos the event came with (a rectification's evidence).
	Photos int
	// Named are the chat accounts of the person the ticket names; loaded only for the decision
	// on a staff appeal, which they may have filed.
	Named []Citizen
}

// Pushes returns the pushes of the notice, each with its message as data. Staff and supervisor
// messages never name or describe the citizen; the citizen who acted is not told of their own
// action. Handlers and supervisors are offered their next action on the ticket as buttons
// (NextActions). A push's dedupe key is the event and the recipient, so the same event queued
// twice (a retried transaction) is one push, while a second event of the same action reaches
// everybody again.
func (n TicketNotice) Pushes() []*Push {
	t, ev := n.Ticket, n.Event
	var out []*Push
	add := func(to []Citizen, kind string, urgent bool, m *PushMessage) {
		for _, c := range to {
			if ev.ActorCitizenID != nil && *ev.ActorCitizenID == c.ID {
				continue
			}
			p := &Push{
				DedupeKey: fmt.Sprintf("ticket:%s:e%d:c%d", t.No, ev.ID, c.ID),
				Kind:      kind, CitizenID: c.ID, Urgent: urgent, Message: m,
			}
			if kind == KindRerateInvite && c.ID == t.CitizenID {
				// Only who filed it gives the verdict; joiners are kept informed.
				cp := *m
				cp.Buttons = RerateButtons(t.No)
				p.Message = &cp
			}
			out = append(out, p)
		}
	}
	no := func(key string) *PushMessage { return msg(key).set("No", t.No) }
	// toStaff and toSups send the handlers' and the supervisors' versions of a message, each
	// with the buttons of that side's next actions.
	toStaff := func(kind string, urgent bool, m *PushMessage) {
		cp := *m
		cp.Buttons = NextActions(t, RoleStaff)
		add(n.Staff, kind, urgent, &cp)
	}
	toSups := func(kind string, urgent bool, m *PushMessage) {
		cp := *m
		cp.Buttons = NextActions(t, RoleSupervisor)
		add(n.Supervisors, kind, urgent, &cp)
	}
	both := func(kind string, urgent bool, m *PushMessage) {
		toStaff(kind, urgent, m)
		toSups(kind, urgent, m)
	}

	switch ev.Action {
	case ActSubmit:
		key := "n_new_complaint"
		switch {
		case t.Conduct:
			key = "n_new_conduct"
		case t.Kind == KindBadReview:
			key = "n_new_bad_review"
		case t.Kind == KindInspection:
			key = "n_new_inspection"
		case t.Kind == KindRectification:
			key = "n_new_rectification"
		}
		m := n.place(no(key)).word("Category", ArgCategory, t.Category).word("Handler", ArgRoute, t.HandledBy()).
			set("Description", Truncate(MaskPII(t.Description), 200)).day("Due", t.CallbackDue)
		both(KindTicketNew, false, m)
	case ActJoin:
		both(KindTicketAlert, false, no("n_joined").set("Note", Truncate(MaskPII(ev.Note), 200)))
	case ActAccept:
		add(n.Reporters, KindTicketStatus, false, no("n_accepted").day("Due", t.RectifyDue))
	case ActReject:
		key := "n_rejected"
		if t.State == StateClosed {
			key = "n_rejected_final"
		}
		add(n.Reporters, KindTicketStatus, false, no(key).set("Reason", ev.Note))
	case ActPlan:
		add(n.Reporters, KindTicketStatus, false, no("n_plan").set("Plan", Truncate(ev.Note, 300)))
	case ActDone:
		toSups(KindTicketAlert, false, n.place(no("n_pending_review")).set("Result", Truncate(MaskPII(ev.Note), 300)).
			set("Photos", fmt.Sprint(n.Photos)))
	case ActApprove:
		add(n.Reporters, KindRerateInvite, false, no("n_done").set("Result", Truncate(t.Result, 300)))
		toStaff(KindTicketAlert, false, no("n_approved"))
	case ActSendBack:
		toStaff(KindTicketAlert, true, no("n_sent_back").set("Reason", Truncate(ev.Note, 300)))
	case ActRerate:
		if t.State == StateReopened {
			_, reason, _ := strings.Cut(ev.Note, ": ")
			reason = Truncate(MaskPII(reason), 300)
			m := no("n_reopened").day("Due", t.RectifyDue).set("Reason", reason)
			if reason == "" {
				m = no("n_reopened_no_reason").day("Due", t.RectifyDue)
			}
			both(KindTicketAlert, true, m)
			add(n.Reporters, KindTicketStatus, false, no("n_reopened_citizen").day("Due", t.RectifyDue))
		} else {
			add(n.Reporters, KindTicketStatus, false, no("n_closed"))
		}
	case ActExpire:
		add(n.Reporters, KindTicketStatus, false, no("n_closed_no_reply"))
	case ActAssign:
		toStaff(KindTicketAlert, false, n.place(no("n_assigned")).day("Due", t.Due()))
	case ActEscalate:
		both(KindTicketAlert, true, n.place(no("n_escalated")).set("Note", ev.Note))
		add(n.Reporters, KindTicketStatus, false, no("n_escalated_citizen"))
	case ActChase:
		both(KindTicketAlert, true, n.place(no("n_chase")).set("Note", ev.Note))
	case ActRefer:
		toSups(KindTicketAlert, false, n.place(no("n_referred")).set("Note", Truncate(ev.Note, 300)))
		add(n.Reporters, KindTicketStatus, false, no("n_referred_citizen"))
	case ActAppeal:
		if ev.ActorRole == RoleCitizen {
			toSups(KindTicketAlert, false, no("n_citizen_appeal").set("Reason", Truncate(MaskPII(ev.Note), 300)))
		} else {
			toSups(KindTicketAlert, false, n.place(no("n_staff_appeal")).set("Reason", Truncate(ev.Note, 300)))
		}
	case ActPublish:
		add(n.Reporters, KindTicketStatus, false, no("n_published_reporter"))
		reporters := map[uint]bool{}
		for _, c := range n.Reporters {
			reporters[c.ID] = true
		}
		var subs []Citizen
		for _, c := range n.Subscribers {
			if !reporters[c.ID] {
				subs = append(subs, c)
			}
		}
		m := n.place(msg("n_published")).word("Category", ArgCategory, t.Category).
			set("Plan", Truncate(MaskPII(t.Plan), 300)).set("Result", Truncate(MaskPII(t.Result), 300))
		add(subs, KindRectificationNotice, false, m)
	case ActReview:
		upheld := strings.HasPrefix(ev.Note, ReviewUphold)
		if t.AppealBy == RoleStaff {
			key := "n_review_staff_dismiss"
			if upheld {
				key = "n_review_staff_uphold"
			}
			toStaff(KindTicketAlert, false, no(key))
			add(n.Named, KindTicketAlert, false, no(key))
			if t.State == StateClosed {
				add(n.Reporters, KindTicketStatus, false, no("n_closed_reviewed"))
			}
		} else {
			key := "n_review_citizen_dismiss"
			if upheld {
				key = "n_review_citizen_uphold"
			}
			add(n.Reporters, KindTicketStatus, false, no(key))
		}
	}
	return out
}

// NextActions are the buttons of what the handlers (role staff, or lead) or the supervisors
// (role supervisor, or admin) of a ticket do next in its state, each a command with the
// ticket's number: first to view it, then the step the lifecycle asks for — 受理, 提交整改方案,
// 提交整改结果 for the handlers, and for supervisors also 不予受理, 通过 and 退回 a rectification
// under review, 维持 or 撤销 on an appeal, and 移送纪检监察 for a conduct case. A command that
// needs words (a plan, a reason) asks for them when pressed.
func NextActions(t *Ticket, role string) [][]PushButton {
	no := t.No
	btn := func(key, cmd string) PushButton { return PushButton{Key: key, Payload: "cmd:/" + cmd + " " + no} }
	rows := [][]PushButton{{btn("btn_view", "ticket")}}
	sup := role == RoleSupervisor || role == RoleAdmin
	var next []PushButton
	switch t.State {
	case StateSubmitted:
		next = append(next, btn("btn_accept", "accept"))
		if sup {
			next = append(next, PushButton{Key: "btn_reject", Payload: "cmd:/verify " + no + " invalid"})
		}
	case StateAccepted, StateReopened:
		next = append(next, btn("btn_plan", "plan"))
	case StateRectifying:
		next = append(next, btn("btn_result", "done"))
	case StatePendingReview:
		if sup {
			next = append(next, btn("btn_approve", "approve"), btn("btn_sendback", "sendback"))
		}
	case StateAppealed:
		if sup {
			next = append(next,
				PushButton{Key: "btn_dismiss", Payload: "cmd:/review " + no + " " + ReviewDismiss},
				PushButton{Key: "btn_uphold", Payload: "cmd:/review " + no + " " + ReviewUphold})
		}
	}
	if len(next) > 0 {
		rows = append(rows, next)
	}
	if sup && t.Conduct && t.State.Open() && t.State != StateAppealed {
		rows = append(rows, []PushButton{btn("btn_refer", "refer")})
	}
	return rows
}

// place gives the message's Place field: the ticket's window with its center, the whole center,
// or, where neither is known, the ticket's number.
func (n TicketNotice) place(m *PushMessage) *PushMessage {
	t := n.Ticket
	switch {
	case t.Window != nil:
		return m.set("Place", t.Window.Place())
	case t.Center != nil:
		return m.word("Place", ArgWholeCenter, t.Center.Name)
	}
	return m.set("Place", t.No)
}

// RerateButtons are the three verdicts on the fix of ticket no (追评), one a row, each a command
// the citizen's chat runs: under the invitation pushed and wherever the dialog asks again.
func RerateButtons(no string) [][]PushButton {
	return [][]PushButton{
		{{Key: "rerate_satisfied", Payload: "cmd:/rerate " + no + " " + RerateSatisfied}},
		{{Key: "rerate_basic", Payload: "cmd:/rerate " + no + " " + RerateBasic}},
		{{Key: "rerate_unsatisfied", Payload: "cmd:/rerate " + no + " " + RerateUnsatisfied}},
	}
}

// Place names a window with its center, as citizens, staff and notices read it:
// "示范政务服务中心 · W001 不动产登记", or the window alone where its center is not loaded.
func (w *Window) Place() string {
	if w.Center != nil && w.Center.Name != "" {
		return w.Center.Name + " · " + w.Code + " " + w.Name
	}
	return w.Code + " " + w.Name
}

// Truncate shortens s to n characters, marking the cut with an ellipsis.
func Truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
