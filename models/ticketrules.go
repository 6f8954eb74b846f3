package models

import (
	"slices"
	"time"
)

// Roles that act on tickets besides the staff roles (RoleStaff, RoleSupervisor, RoleAdmin).
const (
	RoleCitizen = "citizen"
	// RoleSystem is the scheduled jobs: escalation, chasing, closing unanswered tickets.
	RoleSystem = "system"
)

// Roles lists every role an Actor can have, for tests and role checks.
var Roles = []string{RoleCitizen, RoleStaff, RoleSupervisor, RoleAdmin, RoleSystem}

// Action is something done to a ticket. Each has one rule in ticketRules.
type Action string

// The ticket actions.
const (
	ActSubmit   Action = "submit"   // the ticket is created (not applied through Apply)
	ActAccept   Action = "accept"   // verified as valid, citizen called back
	ActReject   Action = "reject"   // invalid or malicious, with a reason
	ActAssign   Action = "assign"   // given to a staff member
	ActPlan     Action = "plan"     // rectification plan recorded
	ActDone     Action = "done"     // rectification result recorded: resolved
	ActRerate   Action = "rerate"   // the citizen's verdict on the fix (追评)
	ActExpire   Action = "expire"   // no verdict in time: closed as "no reply"
	ActAppeal   Action = "appeal"   // a citizen contests a rejection, a staff member a bad review
	ActReview   Action = "review"   // a supervisor decides an appeal
	ActEscalate Action = "escalate" // a supervisor takes it over (overdue, or on request)
	ActChase    Action = "chase"    // overdue reminder (催办)
	ActPublish  Action = "publish"  // rectification notice made public (整改公示)
	ActJoin     Action = "join"     // another citizen adds their complaint to it (并单)
)

// Actions lists every action that Apply handles.
var Actions = []Action{
	ActAccept, ActReject, ActAssign, ActPlan, ActDone, ActRerate, ActExpire,
	ActAppeal, ActReview, ActEscalate, ActChase, ActPublish, ActJoin,
}

// Actor is who takes an action, with the scope their role gives them.
type Actor struct {
	Role string
	// CitizenID is the acting chat account (for a citizen: who they are).
	CitizenID uint
	// StaffID is the staff record behind a staff, supervisor or admin.
	StaffID uint
	// WindowID is a staff member's window.
	WindowID *uint
	// CenterID is a supervisor's center; nil means all centers.
	CenterID *uint
}

// Covers reports whether the actor's scope includes the ticket: a citizen their own ticket, a
// staff member their window's, a supervisor their center's (or all), admins and the system all.
func (a Actor) Covers(t *Ticket) bool {
	switch a.Role {
	case RoleCitizen:
		return a.CitizenID != 0 && t.CitizenID == a.CitizenID
	case RoleStaff:
		return a.WindowID != nil && t.WindowID != nil && *a.WindowID == *t.WindowID
	case RoleSupervisor:
		return a.CenterID == nil || *a.CenterID == t.CenterID
	case RoleAdmin, RoleSystem:
		return true
	}
	return false
}

// Change is one action to apply to a ticket.
type Change struct {
	Action Action
	Actor  Actor
	// Note is the reason, plan, result or comment the action carries.
	Note string
	// Outcome is a re-rating (Rerate*) or an appeal decision (Review*).
	Outcome string
	// AssignTo is the staff member an assign gives the ticket to.
	AssignTo *uint
	At       time.Time
}

// rule says from which states an action may be taken and by which roles. anyone skips the scope
// check (joining somebody else's ticket); needsNote requires Change.Note.
type rule struct {
	from      []TicketState
	roles     []string
	anyone    bool
	needsNote bool
	public    bool
}

var working = []TicketState{StateSubmitted, StateAccepted, StateRectifying, StateReopened}

// ticketRules is the state machine's table: one rule per action. Where an action lands is decided
// in Apply, because some depend on the outcome.
var ticketRules = map[Action]rule{
	ActAccept:   {from: []TicketState{StateSubmitted}, roles: []string{RoleStaff, RoleSupervisor, RoleAdmin}, public: true},
	ActReject:   {from: []TicketState{StateSubmitted, StateAccepted}, roles: []string{RoleSupervisor, RoleAdmin}, needsNote: true, public: true},
	ActAssign:   {from: working, roles: []string{RoleSupervisor, RoleAdmin}},
	ActPlan:     {from: []TicketState{StateAccepted, StateRectifying, StateReopened}, roles: []string{RoleStaff, RoleSupervisor, RoleAdmin}, needsNote: true, public: true},
	ActDone:     {from: []TicketState{StateRectifying}, roles: []string{RoleStaff, RoleSupervisor, RoleAdmin}, needsNote: true, public: true},
	ActRerate:   {from: []TicketState{StateResolved}, roles: []string{RoleCitizen}, public: true},
	ActExpire:   {from: []TicketState{StateResolved}, roles: []string{RoleSystem}, public: true},
	ActAppeal:   {from: append([]TicketState{StateRejected}, working...), roles: []string{RoleCitizen, RoleStaff}, needsNote: true},
	ActReview:   {from: []TicketState{StateAppealed}, roles: []string{RoleSupervisor, RoleAdmin}, public: true},
	ActEscalate: {from: working, roles: []string{RoleSupervisor, RoleAdmin, RoleSystem}, public: true},
	ActChase:    {from: working, roles: []string{RoleSupervisor, RoleAdmin, RoleSystem}},
	ActPublish:  {from: []TicketState{StateResolved, StateClosed}, roles: []string{RoleSupervisor, RoleAdmin}, public: true},
	ActJoin:     {from: working, roles: []string{RoleCitizen}, anyone: true, needsNote: true},
}

// Apply checks c against the ticket's state and the actor's role and scope and, if it is allowed,
// changes t and returns the audit event to record. If it is not allowed it returns a
// *TransitionError and leaves t exactly as it was. It reads no clock but c.At and touches no
// database: the store calls it inside the transaction that saves t and the event.
func (t *Ticket) Apply(c Change, r TicketRules) (*TicketEvent, error) {
	from := t.State
	fail := func(err error, detail string) (*TicketEvent, error) {
		return nil, &TransitionError{Action: c.Action, From: from, Role: c.Actor.Role, Err: err, Detail: detail}
	}
	ru, ok := ticketRules[c.Action]
	if !ok {
		return fail(ErrIllegalTransition, "unknown action")
	}
	if !slices.Contains(ru.roles, c.Actor.Role) || (!ru.anyone && !c.Actor.Covers(t)) {
		return fail(ErrForbidden, "")
	}
	if !slices.Contains(ru.from, from) {
		return fail(ErrIllegalTransition, "")
	}
	if ru.needsNote && c.Note == "" {
		return fail(ErrBadInput, "a note is required")
	}
	at := c.At.UTC()
	next := *t // changes go to a copy, so a refusal below leaves t alone
	next.UpdatedAt = at
	public := ru.public

	switch c.Action {
	case ActAccept:
		next.State = StateAccepted
		next.AcceptedAt = &at
	case ActReject:
		next.State = StateRejected
		next.Reason = c.Note
		if t.CitizenAppealed {
			// The citizen already used their appeal: the rejection is final.
			next.State, next.CloseReason, next.ClosedAt = StateClosed, CloseRejected, &at
		}
	case ActAssign:
		if c.AssignTo == nil || *c.AssignTo == 0 {
			return fail(ErrBadInput, "whom to assign to")
		}
		next.OwnerStaffID = c.AssignTo
	case ActPlan:
		next.State = StateRectifying
		next.Plan = c.Note
	case ActDone:
		next.State = StateResolved
		next.Result = c.Note
		next.ResolvedAt = &at
		next.Rerate = ""
	case ActRerate:
		next.Rerate = c.Outcome
		switch c.Outcome {
		case RerateSatisfied, RerateBasic:
			next.State, next.ClosedAt = StateClosed, &at
			next.CloseReason = CloseSatisfied
			if c.Outcome == RerateBasic {
				next.CloseReason = CloseBasic
			}
		case RerateUnsatisfied:
			// Not fixed in the citizen's eyes: reopened, owned by a supervisor, a new period.
			next.State, next.Escalated = StateReopened, true
			_, next.RectifyDue = r.Deadlines(t.Category, at)
			next.ResolvedAt = nil
		default:
			return fail(ErrBadInput, "outcome must be satisfied, basic or unsatisfied")
		}
	case ActExpire:
		next.State, next.ClosedAt, next.CloseReason = StateClosed, &at, CloseNoReply
	case ActAppeal:
		switch c.Actor.Role {
		case RoleCitizen:
			if from != StateRejected {
				return fail(ErrIllegalTransition, "a citizen appeals a rejection")
			}
			if t.CitizenAppealed {
				return fail(ErrAlreadyAppealed, "")
			}
			next.CitizenAppealed = true
			public = true
		case RoleStaff:
			if from == StateRejected {
				return fail(ErrIllegalTransition, "staff appeal a bad review, not a rejection")
			}
			if t.Kind != KindBadReview {
				return fail(ErrIllegalTransition, "only a bad review can be appealed by staff")
			}
			if t.StaffAppealed {
				return fail(ErrAlreadyAppealed, "")
			}
			next.StaffAppealed = true
		}
		next.State = StateAppealed
		next.AppealBy, next.AppealFrom, next.AppealReason = c.Actor.Role, from, c.Note
	case ActReview:
		switch {
		case c.Outcome != ReviewUphold && c.Outcome != ReviewDismiss:
			return fail(ErrBadInput, "outcome must be uphold or dismiss")
		case t.AppealBy == RoleStaff && c.Outcome == ReviewUphold:
			// The bad review was mistaken or malicious: it stays on record, excluded from scores.
			next.State, next.ClosedAt, next.CloseReason = StateClosed, &at, CloseAppealUpheld
		case t.AppealBy == RoleStaff:
			next.State = t.AppealFrom
		case c.Outcome == ReviewUphold:
			// The citizen was right: the complaint is taken up after all, with fresh deadlines.
			next.State, next.AcceptedAt, next.Reason = StateAccepted, &at, ""
			_, next.RectifyDue = r.Deadlines(t.Category, at)
		default:
			next.State, next.ClosedAt, next.CloseReason = StateClosed, &at, CloseRejected
		}
		if !next.State.Open() && next.State != StateClosed && next.State != StateResolved {
			next.State = StateAccepted // a corrupt AppealFrom must not strand the ticket
		}
	case ActEscalate:
		if t.Escalated {
			return fail(ErrIllegalTransition, "already escalated")
		}
		next.Escalated = true
	case ActChase, ActJoin:
		// Recorded only.
	case ActPublish:
		if t.PublishedAt != nil {
			return fail(ErrIllegalTransition, "already published")
		}
		if t.Plan == "" || t.Result == "" {
			return fail(ErrBadInput, "only a ticket with a plan and a result can be published")
		}
		next.PublishedAt = &at
	}
	*t = next
	ev := &TicketEvent{
		TicketID: t.ID, Action: c.Action, FromState: from, ToState: t.State,
		ActorRole: c.Actor.Role, Note: c.Note, Public: public, CreatedAt: at,
	}
	if c.Action == ActRerate || c.Action == ActReview {
		if ev.Note == "" {
			ev.Note = c.Outcome
		} else {
			ev.Note = c.Outcome + ": " + ev.Note
		}
	}
	if c.Actor.StaffID != 0 {
		id := c.Actor.StaffID
		ev.ActorStaffID = &id
	}
	if c.Actor.CitizenID != 0 {
		id := c.Actor.CitizenID
		ev.ActorCitizenID = &id
	}
	return ev, nil
}

// TicketRules are the deadlines of tickets: working days on Calendar, per category.
type TicketRules struct {
	Calendar *Calendar
	// CallbackDays and RectifyDays are the defaults (1 and 15 working days).
	CallbackDays int
	RectifyDays  int
	// CategoryCallbackDays and CategoryRectifyDays override them per category key.
	CategoryCallbackDays map[string]int
	CategoryRectifyDays  map[string]int
	// RerateDays is how many days a resolved ticket waits for the citizen's verdict before it is
	// closed as "no reply".
	RerateDays int
	// DuplicateDays is how far back an open ticket on the same window and category is offered
	// to join instead of filing a new one.
	DuplicateDays int
}

// DefaultTicketRules returns the national defaults on the Chinese calendar shipped with the
// binary, in loc.
func DefaultTicketRules(loc *time.Location) TicketRules {
	cal, err := NewCalendar(loc, ChinaHolidays2026, ChinaWorkdays2026)
	if err != nil {
		panic("models: shipped calendar is invalid: " + err.Error()) // a unit test guards the lists
	}
	return TicketRules{Calendar: cal, CallbackDays: 1, RectifyDays: 15, RerateDays: 7, DuplicateDays: 7}
}

// Deadlines returns the call-back and rectification deadlines of a ticket of category opened at
// from.
func (r TicketRules) Deadlines(category string, from time.Time) (callback, rectify time.Time) {
	cb, rd := r.CallbackDays, r.RectifyDays
	if n, ok := r.CategoryCallbackDays[category]; ok {
		cb = n
	}
	if n, ok := r.CategoryRectifyDays[category]; ok {
		rd = n
	}
	cal := r.Calendar
	if cal == nil {
		cal, _ = NewCalendar(time.UTC, nil, nil)
	}
	return cal.Deadline(from, cb).UTC(), cal.Deadline(from, rd).UTC()
}

// Location is the hall's time zone of the rules' calendar.
func (r TicketRules) Location() *time.Location {
	if r.Calendar == nil {
		return time.UTC
	}
	return r.Calendar.Location()
}
