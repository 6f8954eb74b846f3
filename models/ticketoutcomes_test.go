package models

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestTicketRuleOutcomes applies each rule of the ticket table once and compares the whole ticket
// afterwards with the one expected, field by field: the state, the deadlines, the reasons, the
// escalation and appeal flags and the times. A field a rule must not touch is expected unchanged,
// so a rule that sets one field too many fails here as surely as one that forgets one. The audit
// event is checked the same way.
func TestTicketRuleOutcomes(t *testing.T) {
	sh := mustShanghai(t)
	rules := DefaultTicketRules(sh)
	at := time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC) // Wednesday 25 November, 10:00 in Shanghai
	atp := func() *time.Time { v := at; return &v }
	// Fifteen working days after Wednesday 25 November end on Wednesday 16 December (Shanghai).
	fresh := time.Date(2026, 12, 16, 23, 59, 59, 999999999, sh)
	cit, staff, sup, sys := actors[RoleCitizen], actors[RoleStaff], actors[RoleSupervisor], actors[RoleSystem]
	lead := actors[RoleLead]
	other := Actor{Role: RoleCitizen, CitizenID: 12}
	earlier := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)

	type event struct {
		note           string
		public         bool
		staffID, citID uint
	}
	tests := []struct {
		name  string
		start func(tk *Ticket) // changes to fixture(state) before the action
		state TicketState
		c     Change
		want  func(tk *Ticket) // changes expected besides UpdatedAt
		ev    event
	}{
		{name: "accept: accepted, accepted at", state: StateSubmitted,
			c:    Change{Action: ActAccept, Actor: staff},
			want: func(tk *Ticket) { tk.State, tk.AcceptedAt = StateAccepted, atp() },
			ev:   event{public: true, staffID: 5, citID: 21}},
		{name: "reject: rejected with the reason, not closed", state: StateAccepted,
			c:    Change{Action: ActReject, Actor: sup, Note: "重复提交"},
			want: func(tk *Ticket) { tk.State, tk.Reason = StateRejected, "重复提交" },
			ev:   event{note: "重复提交", public: true, staffID: 6, citID: 22}},
		{name: "reject after the citizen's appeal: closed as rejected", state: StateAccepted,
			start: func(tk *Ticket) { tk.CitizenAppealed = true },
			c:     Change{Action: ActReject, Actor: sup, Note: "仍不成立"},
			want: func(tk *Ticket) {
				tk.State, tk.Reason, tk.CloseReason, tk.ClosedAt = StateClosed, "仍不成立", CloseRejected, atp()
			},
			ev: event{note: "仍不成立", public: true, staffID: 6, citID: 22}},
		{name: "assign: owner set, state kept, not public", state: StateRectifying,
			c:    Change{Action: ActAssign, Actor: sup, AssignTo: u(8)},
			want: func(tk *Ticket) { tk.OwnerStaffID = u(8) },
			ev:   event{staffID: 6, citID: 22}},
		{name: "plan: rectifying with the plan", state: StateAccepted,
			start: func(tk *Ticket) { tk.Plan = "" },
			c:     Change{Action: ActPlan, Actor: staff, Note: "加强培训"},
			want:  func(tk *Ticket) { tk.State, tk.Plan = StateRectifying, "加强培训" },
			ev:    event{note: "加强培训", public: true, staffID: 5, citID: 21}},
		{name: "plan again on a reopened ticket: the new plan replaces the old", state: StateReopened,
			start: func(tk *Ticket) { tk.Escalated, tk.Rerate = true, RerateUnsatisfied },
			c:     Change{Action: ActPlan, Actor: sup, Note: "更换窗口人员"},
			want:  func(tk *Ticket) { tk.State, tk.Plan = StateRectifying, "更换窗口人员" },
			ev:    event{note: "更换窗口人员", public: true, staffID: 6, citID: 22}},
		{name: "done: pending review with the result, not resolved, not public", state: StateRectifying,
			start: func(tk *Ticket) { tk.Result, tk.Rerate, tk.Escalated = "", RerateUnsatisfied, true },
			c:     Change{Action: ActDone, Actor: staff, Note: longResult},
			want:  func(tk *Ticket) { tk.State, tk.Result = StatePendingReview, longResult },
			ev:    event{note: longResult, staffID: 5, citID: 21}},
		{name: "done by a lead: pending review", state: StateRectifying,
			start: func(tk *Ticket) { tk.Result, tk.Route, tk.NamedStaffID = "", RouteLead, u(5) },
			c:     Change{Action: ActDone, Actor: lead, Note: longResult},
			want:  func(tk *Ticket) { tk.State, tk.Result = StatePendingReview, longResult },
			ev:    event{note: longResult, staffID: 7, citID: 24}},
		{name: "approve: resolved, resolved at, the old verdict cleared, public with the result approved", state: StatePendingReview,
			start: func(tk *Ticket) { tk.Rerate, tk.Escalated = RerateUnsatisfied, true },
			c:     Change{Action: ActApprove, Actor: sup},
			want:  func(tk *Ticket) { tk.State, tk.ResolvedAt, tk.Rerate = StateResolved, atp(), "" },
			ev:    event{note: "result", public: true, staffID: 6, citID: 22}},
		{name: "send back: rectifying again with the reason, the result kept, not public", state: StatePendingReview,
			c:    Change{Action: ActSendBack, Actor: sup, Note: "照片看不出整改"},
			want: func(tk *Ticket) { tk.State = StateRectifying },
			ev:   event{note: "照片看不出整改", staffID: 6, citID: 22}},
		{name: "refer a conduct case: referred, referred at, escalated, public", state: StateAccepted,
			start: func(tk *Ticket) { tk.Conduct, tk.Route = true, RouteSupervisors },
			c:     Change{Action: ActRefer, Actor: sup, Note: "移送区纪委监委"},
			want:  func(tk *Ticket) { tk.State, tk.ReferredAt, tk.Escalated = StateReferred, atp(), true },
			ev:    event{note: "移送区纪委监委", public: true, staffID: 6, citID: 22}},
		{name: "the person named appeals their bad review", state: StateSubmitted,
			start: func(tk *Ticket) { tk.NamedStaffID, tk.Route = u(5), RouteLead },
			c:     Change{Action: ActAppeal, Actor: staff, Note: "当天我不在岗"},
			want: func(tk *Ticket) {
				tk.State, tk.StaffAppealed = StateAppealed, true
				tk.AppealBy, tk.AppealFrom, tk.AppealReason = RoleStaff, StateSubmitted, "当天我不在岗"
			},
			ev: event{note: "当天我不在岗", staffID: 5, citID: 21}},
		{name: "rerate satisfied: closed as satisfied", state: StateResolved,
			start: func(tk *Ticket) { tk.ResolvedAt = &earlier },
			c:     Change{Action: ActRerate, Actor: cit, Outcome: RerateSatisfied},
			want: func(tk *Ticket) {
				tk.State, tk.ClosedAt, tk.CloseReason, tk.Rerate = StateClosed, atp(), CloseSatisfied, RerateSatisfied
			},
			ev: event{note: RerateSatisfied, public: true, citID: 11}},
		{name: "rerate basic: closed as basically satisfied, the comment kept in the event", state: StateResolved,
			start: func(tk *Ticket) { tk.ResolvedAt = &earlier },
			c:     Change{Action: ActRerate, Actor: cit, Outcome: RerateBasic, Note: "还行"},
			want: func(tk *Ticket) {
				tk.State, tk.ClosedAt, tk.CloseReason, tk.Rerate = StateClosed, atp(), CloseBasic, RerateBasic
			},
			ev: event{note: RerateBasic + ": 还行", public: true, citID: 11}},
		{name: "rerate unsatisfied: reopened, escalated, a fresh rectification deadline, no longer resolved", state: StateResolved,
			start: func(tk *Ticket) { tk.ResolvedAt = &earlier },
			c:     Change{Action: ActRerate, Actor: cit, Outcome: RerateUnsatisfied, Note: "没改"},
			want: func(tk *Ticket) {
				tk.State, tk.Escalated, tk.Rerate, tk.ResolvedAt = StateReopened, true, RerateUnsatisfied, nil
				tk.RectifyDue = fresh
			},
			ev: event{note: RerateUnsatisfied + ": 没改", public: true, citID: 11}},
		{name: "expire: closed as no reply", state: StateResolved,
			start: func(tk *Ticket) { tk.ResolvedAt = &earlier },
			c:     Change{Action: ActExpire, Actor: sys, Note: "7 天未评价"},
			want:  func(tk *Ticket) { tk.State, tk.ClosedAt, tk.CloseReason = StateClosed, atp(), CloseNoReply },
			ev:    event{note: "7 天未评价", public: true}},
		{name: "citizen appeal of a rejection: appealed, the citizen's one appeal used, public", state: StateRejected,
			start: func(tk *Ticket) { tk.Kind, tk.Reason = KindComplaint, "无效" },
			c:     Change{Action: ActAppeal, Actor: cit, Note: "确有其事"},
			want: func(tk *Ticket) {
				tk.State, tk.CitizenAppealed = StateAppealed, true
				tk.AppealBy, tk.AppealFrom, tk.AppealReason = RoleCitizen, StateRejected, "确有其事"
			},
			ev: event{note: "确有其事", public: true, citID: 11}},
		{name: "staff appeal of a bad review: appealed, the staff's one appeal used, not public", state: StateRectifying,
			c: Change{Action: ActAppeal, Actor: staff, Note: "评错窗口"},
			want: func(tk *Ticket) {
				tk.State, tk.StaffAppealed = StateAppealed, true
				tk.AppealBy, tk.AppealFrom, tk.AppealReason = RoleStaff, StateRectifying, "评错窗口"
			},
			ev: event{note: "评错窗口", staffID: 5, citID: 21}},
		{name: "staff appeal upheld: closed as appeal upheld", state: StateAppealed,
			c:    Change{Action: ActReview, Actor: sup, Outcome: ReviewUphold},
			want: func(tk *Ticket) { tk.State, tk.ClosedAt, tk.CloseReason = StateClosed, atp(), CloseAppealUpheld },
			ev:   event{note: ReviewUphold, public: true, staffID: 6, citID: 22}},
		{name: "staff appeal dismissed: back where it was, nothing closed", state: StateAppealed,
			start: func(tk *Ticket) { tk.AppealFrom = StateRectifying },
			c:     Change{Action: ActReview, Actor: sup, Outcome: ReviewDismiss, Note: "评价属实"},
			want:  func(tk *Ticket) { tk.State = StateRectifying },
			ev:    event{note: ReviewDismiss + ": 评价属实", public: true, staffID: 6, citID: 22}},
		{name: "staff appeal from a state that cannot be resumed: accepted", state: StateAppealed,
			start: func(tk *Ticket) { tk.AppealFrom = "bogus" },
			c:     Change{Action: ActReview, Actor: sup, Outcome: ReviewDismiss},
			want:  func(tk *Ticket) { tk.State = StateAccepted },
			ev:    event{note: ReviewDismiss, public: true, staffID: 6, citID: 22}},
		{name: "staff appeal from resolved dismissed: resolved again", state: StateAppealed,
			start: func(tk *Ticket) { tk.AppealFrom = StateResolved },
			c:     Change{Action: ActReview, Actor: sup, Outcome: ReviewDismiss},
			want:  func(tk *Ticket) { tk.State = StateResolved },
			ev:    event{note: ReviewDismiss, public: true, staffID: 6, citID: 22}},
		{name: "citizen appeal upheld: accepted again, reason cleared, a fresh rectification deadline", state: StateAppealed,
			start: citizenAppeal,
			c:     Change{Action: ActReview, Actor: sup, Outcome: ReviewUphold, Note: "重新受理"},
			want: func(tk *Ticket) {
				tk.State, tk.AcceptedAt, tk.Reason, tk.RectifyDue = StateAccepted, atp(), "", fresh
			},
			ev: event{note: ReviewUphold + ": 重新受理", public: true, staffID: 6, citID: 22}},
		{name: "citizen appeal dismissed: closed as rejected, the reason kept", state: StateAppealed,
			start: citizenAppeal,
			c:     Change{Action: ActReview, Actor: sup, Outcome: ReviewDismiss},
			want:  func(tk *Ticket) { tk.State, tk.ClosedAt, tk.CloseReason = StateClosed, atp(), CloseRejected },
			ev:    event{note: ReviewDismiss, public: true, staffID: 6, citID: 22}},
		{name: "escalate: escalated, state kept", state: StateSubmitted,
			c:    Change{Action: ActEscalate, Actor: sys, Note: "超期 1 个工作日"},
			want: func(tk *Ticket) { tk.Escalated = true },
			ev:   event{note: "超期 1 个工作日", public: true}},
		{name: "chase: recorded only, not public", state: StateAccepted,
			start: func(tk *Ticket) { tk.Escalated = true },
			c:     Change{Action: ActChase, Actor: sys, Note: "催办"},
			want:  func(tk *Ticket) {},
			ev:    event{note: "催办"}},
		{name: "publish: published at, state kept", state: StateClosed,
			start: func(tk *Ticket) { tk.ClosedAt, tk.CloseReason = &earlier, CloseSatisfied },
			c:     Change{Action: ActPublish, Actor: sup},
			want:  func(tk *Ticket) { tk.PublishedAt = atp() },
			ev:    event{public: true, staffID: 6, citID: 22}},
		{name: "join: recorded only, by another citizen, not public", state: StateRectifying,
			c:    Change{Action: ActJoin, Actor: other, Note: "我也遇到了"},
			want: func(tk *Ticket) {},
			ev:   event{note: "我也遇到了", citID: 12}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := fixture(tt.state)
			if tt.start != nil {
				tt.start(tk)
			}
			want := *tk
			tt.want(&want)
			want.UpdatedAt = at
			c := tt.c
			c.At = at.In(sh) // Apply stores UTC whatever zone the change comes in
			ev, err := tk.Apply(c, rules)
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if d := ticketDiff(want, *tk); d != "" {
				t.Errorf("ticket after %s:%s", c.Action, d)
			}
			if tk.UpdatedAt.Location() != time.UTC {
				t.Errorf("updated at in %s, want UTC", tk.UpdatedAt.Location())
			}
			wantEv := TicketEvent{TicketID: 1, Action: c.Action, FromState: tt.state, ToState: want.State,
				ActorRole: c.Actor.Role, Note: tt.ev.note, Public: tt.ev.public, CreatedAt: at}
			if tt.ev.staffID != 0 {
				wantEv.ActorStaffID = u(tt.ev.staffID)
			}
			if tt.ev.citID != 0 {
				wantEv.ActorCitizenID = u(tt.ev.citID)
			}
			if d := structDiff(reflect.ValueOf(wantEv), reflect.ValueOf(*ev)); d != "" {
				t.Errorf("event of %s:%s", c.Action, d)
			}
		})
	}
}

// longResult is a rectification's result long enough for the rule (at least 15 characters).
const longResult = "已约谈当事人并在窗口张贴服务承诺"

// citizenAppeal turns the appealed fixture into a rejected complaint that its citizen appealed.
func citizenAppeal(tk *Ticket) {
	tk.Kind, tk.Reason = KindComplaint, "证据不足"
	tk.AppealBy, tk.AppealFrom, tk.AppealReason = RoleCitizen, StateRejected, "有录音"
	tk.StaffAppealed, tk.CitizenAppealed = false, true
}

// TestTicketRuleRefusalsLeaveTicket: the refusals a rule makes beyond its table row (a second
// escalation, a second publication, a second appeal, missing input) come with their sentinel
// and detail and change nothing, the publication time of the first publication included.
func TestTicketRuleRefusalsLeaveTicket(t *testing.T) {
	rules := DefaultTicketRules(mustShanghai(t))
	at := time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)
	first := time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC)
	sup, staff, cit := actors[RoleSupervisor], actors[RoleStaff], actors[RoleCitizen]
	tests := []struct {
		name   string
		state  TicketState
		start  func(tk *Ticket)
		c      Change
		err    error
		detail string
	}{
		{"published once", StateClosed, func(tk *Ticket) { tk.PublishedAt = &first },
			Change{Action: ActPublish, Actor: sup}, ErrIllegalTransition, "already published"},
		{"publish without a plan", StateResolved, func(tk *Ticket) { tk.Plan = "" },
			Change{Action: ActPublish, Actor: sup}, ErrBadInput, "plan and a result"},
		{"publish without a result", StateResolved, func(tk *Ticket) { tk.Result = "" },
			Change{Action: ActPublish, Actor: sup}, ErrBadInput, "plan and a result"},
		{"escalated once", StateAccepted, func(tk *Ticket) { tk.Escalated = true },
			Change{Action: ActEscalate, Actor: sup}, ErrIllegalTransition, "already escalated"},
		{"assign to nobody", StateAccepted, nil,
			Change{Action: ActAssign, Actor: sup}, ErrBadInput, "whom to assign to"},
		{"assign to staff 0", StateAccepted, nil,
			Change{Action: ActAssign, Actor: sup, AssignTo: u(0)}, ErrBadInput, "whom to assign to"},
		{"reject without a reason", StateSubmitted, nil,
			Change{Action: ActReject, Actor: sup}, ErrBadInput, "a note is required"},
		{"done without a result", StateRectifying, nil,
			Change{Action: ActDone, Actor: staff}, ErrBadInput, "a note is required"},
		{"done with a result shorter than the rule", StateRectifying, nil,
			Change{Action: ActDone, Actor: staff, Note: "已整改"}, ErrTooShort, "minimum"},
		{"done with fifteen characters of blanks around fewer", StateRectifying, nil,
			Change{Action: ActDone, Actor: staff, Note: "   已整改完毕。          "}, ErrTooShort, "minimum"},
		{"done with four photos", StateRectifying, nil,
			Change{Action: ActDone, Actor: staff, Note: longResult, Photos: make([]TicketAttachment, 4)}, ErrBadInput, "too many photos"},
		{"photos with a plan", StateAccepted, nil,
			Change{Action: ActPlan, Actor: staff, Note: "培训", Photos: make([]TicketAttachment, 1)}, ErrBadInput, "photos go with"},
		{"send back without a reason", StatePendingReview, nil,
			Change{Action: ActSendBack, Actor: sup}, ErrBadInput, "a note is required"},
		{"refer a case that is not of conduct", StateAccepted, nil,
			Change{Action: ActRefer, Actor: sup, Note: "移送"}, ErrIllegalTransition, "only a conduct case"},
		{"the person named handles nothing of it", StateSubmitted, func(tk *Ticket) { tk.NamedStaffID = u(5) },
			Change{Action: ActAccept, Actor: staff}, ErrForbidden, ""},
		{"a lead named in a ticket of their window handles nothing of it", StateSubmitted, func(tk *Ticket) { tk.NamedStaffID, tk.Route = u(7), RouteLead },
			Change{Action: ActAccept, Actor: actors[RoleLead]}, ErrForbidden, ""},
		{"window staff do not handle a ticket routed to the lead", StateSubmitted, func(tk *Ticket) { tk.NamedStaffID, tk.Route = u(8), RouteLead },
			Change{Action: ActAccept, Actor: staff}, ErrForbidden, ""},
		{"window staff do not handle a conduct case", StateSubmitted, func(tk *Ticket) { tk.Conduct, tk.Route = true, RouteSupervisors },
			Change{Action: ActAccept, Actor: staff}, ErrForbidden, ""},
		{"a lead does not handle a conduct case", StateSubmitted, func(tk *Ticket) { tk.Conduct, tk.Route = true, RouteSupervisors },
			Change{Action: ActAccept, Actor: actors[RoleLead]}, ErrForbidden, ""},
		{"rerate with an unknown outcome", StateResolved, nil,
			Change{Action: ActRerate, Actor: cit, Outcome: "meh"}, ErrBadInput, "outcome must be"},
		{"review with an unknown outcome", StateAppealed, nil,
			Change{Action: ActReview, Actor: sup, Outcome: "maybe"}, ErrBadInput, "uphold or dismiss"},
		{"citizen appeals once", StateRejected, func(tk *Ticket) { tk.CitizenAppealed = true },
			Change{Action: ActAppeal, Actor: cit, Note: "again"}, ErrAlreadyAppealed, ""},
		{"staff appeal once", StateRectifying, func(tk *Ticket) { tk.StaffAppealed = true },
			Change{Action: ActAppeal, Actor: staff, Note: "again"}, ErrAlreadyAppealed, ""},
		{"staff do not appeal a rejection", StateRejected, nil,
			Change{Action: ActAppeal, Actor: staff, Note: "no"}, ErrIllegalTransition, "not a rejection"},
		{"staff do not appeal a complaint", StateAccepted, func(tk *Ticket) { tk.Kind = KindComplaint },
			Change{Action: ActAppeal, Actor: staff, Note: "no"}, ErrIllegalTransition, "only a bad review"},
		{"a citizen appeals only a rejection", StateAccepted, nil,
			Change{Action: ActAppeal, Actor: cit, Note: "no"}, ErrIllegalTransition, "appeals a rejection"},
		{"unknown action", StateAccepted, nil,
			Change{Action: "dance", Actor: sup}, ErrIllegalTransition, "unknown action"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := fixture(tt.state)
			if tt.start != nil {
				tt.start(tk)
			}
			before := *tk
			c := tt.c
			c.At = at
			ev, err := tk.Apply(c, rules)
			var te *TransitionError
			if !errors.Is(err, tt.err) || !errors.As(err, &te) || ev != nil {
				t.Fatalf("err = %v, event %v; want %v", err, ev, tt.err)
			}
			if !strings.Contains(te.Detail, tt.detail) || (tt.detail == "") != (te.Detail == "") {
				t.Errorf("detail %q, want %q", te.Detail, tt.detail)
			}
			if te.Action != c.Action || te.From != tt.state || te.Role != c.Actor.Role {
				t.Errorf("error names %s/%s/%s, want %s/%s/%s", te.Action, te.From, te.Role, c.Action, tt.state, c.Actor.Role)
			}
			if d := ticketDiff(before, *tk); d != "" {
				t.Errorf("refusal changed the ticket:%s", d)
			}
		})
	}
}

func TestTransitionErrorText(t *testing.T) {
	err := error(&TransitionError{Action: ActPublish, From: StateClosed, Role: RoleSupervisor, Err: ErrIllegalTransition, Detail: "already published"})
	if got, want := err.Error(), "ticket: publish by supervisor in state closed: ticket: action not allowed in this state (already published)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	err = &TransitionError{Action: ActAccept, From: StateSubmitted, Role: RoleCitizen, Err: ErrForbidden}
	if got, want := err.Error(), "ticket: accept by citizen in state submitted: ticket: not allowed for this role"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// TestTicketCycleResolveReopenResolve runs a ticket through the whole loop twice: resolved,
// re-rated unsatisfied, reopened with a new deadline and escalated, planned and resolved again,
// and then closed by the second verdict. Each resolution has its own time, and the second
// verdict decides the close reason.
func TestTicketCycleResolveReopenResolve(t *testing.T) {
	sh := mustShanghai(t)
	rules := DefaultTicketRules(sh)
	day := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, sh) }
	tk := fixture(StateSubmitted)
	tk.Plan, tk.Result = "", ""
	staff, cit, sup := actors[RoleStaff], actors[RoleCitizen], actors[RoleSupervisor]
	step := func(c Change, at time.Time, want TicketState) {
		t.Helper()
		c.At = at
		if _, err := tk.Apply(c, rules); err != nil || tk.State != want {
			t.Fatalf("%s at %s: %v, state %s; want %s", c.Action, at, err, tk.State, want)
		}
	}
	step(Change{Action: ActAccept, Actor: staff}, day(23, 10), StateAccepted)
	step(Change{Action: ActPlan, Actor: staff, Note: "培训"}, day(23, 11), StateRectifying)
	step(Change{Action: ActDone, Actor: staff, Note: "已培训全体窗口人员并张贴一次性告知清单"}, day(24, 9), StatePendingReview)
	if tk.ResolvedAt != nil {
		t.Fatalf("resolved at %v before the sign-off", tk.ResolvedAt)
	}
	step(Change{Action: ActSendBack, Actor: sup, Note: "没有培训记录"}, day(24, 10), StateRectifying)
	step(Change{Action: ActDone, Actor: staff, Note: "已培训全体窗口人员并附签到表和清单照片"}, day(24, 11), StatePendingReview)
	step(Change{Action: ActApprove, Actor: sup}, day(24, 14), StateResolved)
	if !tk.ResolvedAt.Equal(day(24, 14)) {
		t.Fatalf("first resolution at %v", tk.ResolvedAt)
	}
	step(Change{Action: ActRerate, Actor: cit, Outcome: RerateUnsatisfied}, day(25, 10), StateReopened)
	if tk.ResolvedAt != nil || !tk.Escalated || !tk.RectifyDue.Equal(time.Date(2026, 12, 16, 23, 59, 59, 999999999, sh)) {
		t.Fatalf("reopened: resolved at %v, escalated %v, rectify due %s", tk.ResolvedAt, tk.Escalated, tk.RectifyDue.In(sh))
	}
	if tk.Due() != tk.RectifyDue {
		t.Errorf("a reopened ticket is due at %s, want its new rectification deadline", tk.Due())
	}
	step(Change{Action: ActPlan, Actor: staff, Note: "换人"}, day(26, 10), StateRectifying)
	step(Change{Action: ActDone, Actor: staff, Note: "已更换窗口人员并由负责人每日抽查服务"}, day(27, 15), StatePendingReview)
	step(Change{Action: ActApprove, Actor: sup}, day(27, 16), StateResolved)
	if !tk.ResolvedAt.Equal(day(27, 16)) || tk.Rerate != "" || tk.Result != "已更换窗口人员并由负责人每日抽查服务" || tk.Plan != "换人" {
		t.Fatalf("second resolution: at %v, verdict %q, plan %q, result %q", tk.ResolvedAt, tk.Rerate, tk.Plan, tk.Result)
	}
	if !tk.Due().IsZero() {
		t.Errorf("a resolved ticket is due at %s, want no deadline", tk.Due())
	}
	step(Change{Action: ActRerate, Actor: cit, Outcome: RerateSatisfied}, day(30, 9), StateClosed)
	if tk.CloseReason != CloseSatisfied || !tk.ClosedAt.Equal(day(30, 9)) || !tk.Escalated {
		t.Fatalf("closed: reason %s at %v, escalated %v", tk.CloseReason, tk.ClosedAt, tk.Escalated)
	}
}

func mustShanghai(t *testing.T) *time.Location {
	t.Helper()
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return sh
}

// ticketDiff lists the fields in which got differs from want, times compared as instants.
func ticketDiff(want, got Ticket) string {
	return structDiff(reflect.ValueOf(want), reflect.ValueOf(got))
}

var timeType = reflect.TypeOf(time.Time{})

func structDiff(want, got reflect.Value) string {
	var b strings.Builder
	for i := range want.NumField() {
		f := want.Type().Field(i)
		w, g := want.Field(i), got.Field(i)
		if !sameValue(w, g) {
			fmt.Fprintf(&b, "\n\t%s = %s, want %s", f.Name, show(g), show(w))
		}
	}
	return b.String()
}

func sameValue(w, g reflect.Value) bool {
	if w.Kind() == reflect.Pointer {
		if w.IsNil() || g.IsNil() {
			return w.IsNil() == g.IsNil()
		}
		return sameValue(w.Elem(), g.Elem())
	}
	if w.Type() == timeType {
		return w.Interface().(time.Time).Equal(g.Interface().(time.Time))
	}
	return reflect.DeepEqual(w.Interface(), g.Interface())
}

func show(v reflect.Value) string {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "nil"
		}
		return "&" + show(v.Elem())
	}
	if v.Type() == timeType {
		return v.Interface().(time.Time).UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("%#v", v.Interface())
}

// TestTicketRulesLocation: the rules' zone is their calendar's; rules without a calendar count
// plain weekdays in UTC.
func TestTicketRulesLocation(t *testing.T) {
	sh := mustShanghai(t)
	if got := DefaultTicketRules(sh).Location(); got != sh {
		t.Errorf("Location = %s, want the calendar's Asia/Shanghai", got)
	}
	var bare TicketRules
	if got := bare.Location(); got != time.UTC {
		t.Errorf("Location without a calendar = %s, want UTC", got)
	}
	bare.CallbackDays, bare.RectifyDays = 1, 2
	cb, rd := bare.Deadlines("other", time.Date(2027, 10, 1, 10, 0, 0, 0, time.UTC)) // a Friday
	if want := time.Date(2027, 10, 4, 23, 59, 59, 999999999, time.UTC); !cb.Equal(want) {
		t.Errorf("call-back due %s, want %s", cb, want)
	}
	if want := time.Date(2027, 10, 5, 23, 59, 59, 999999999, time.UTC); !rd.Equal(want) {
		t.Errorf("rectification due %s, want %s", rd, want)
	}
}
