package models

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Roles that act on tickets besides the staff roles (RoleStaff, RoleSupervisor, RoleAdmin).
const (
	RoleCitizen = "citizen"
	// RoleSystem is the scheduled jobs: escalation, chasing, closing unanswered tickets.
	RoleSystem = "system"
)

// Roles lists every role an Actor can have, for tests and role checks.
var Roles = []string{RoleCitizen, RoleStaff, RoleLead, RoleSupervisor, RoleAdmin, RoleSystem}

// Action is something done to a ticket. Each has one rule in ticketRules.
type Action string

// The ticket actions.
const (
	ActSubmit   Action = "submit"   // the ticket is created (not applied through Apply)
	ActAccept   Action = "accept"   // verified as valid, citizen called back
	ActReject   Action = "reject"   // invalid or malicious, with a reason
	ActAssign   Action = "assign"   // given to a staff member
	ActPlan     Action = "plan"     // rectification plan recorded
	ActDone     Action = "done"     // rectification result recorded with its evidence: pending review
	ActApprove  Action = "approve"  // a supervisor signs the rectification off: resolved
	ActSendBack Action = "sendback" // a supervisor sends the rectification back, with a reason
	ActRefer    Action = "refer"    // a conduct case referred to the discipline body (纪检监察)
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
	ActAccept, ActReject, ActAssign, ActPlan, ActDone, ActApprove, ActSendBack, ActRerate, ActExpire,
	ActAppeal, ActReview, ActEscalate, ActChase, ActPublish, ActJoin, ActRefer,
}

// Actor is who takes an action, with the scope their role gives them.
type Actor struct {
	Role string
	// CitizenID is the acting chat account (for a citizen: who they are).
	CitizenID uint
	// StaffID is the staff record behind a staff, supervisor or admin.
	StaffID uint
	// WindowID is a staff member's or a lead's window.
	WindowID *uint
	// CenterID is a supervisor's center; nil means all centers.
	CenterID *uint
}

// Named reports whether the ticket names the actor: the staff member the citizen rated or
// complained about. Nobody handles a ticket that names them.
func (a Actor) Named(t *Ticket) bool {
	return a.StaffID != 0 && t.NamedStaffID != nil && *t.NamedStaffID == a.StaffID
}

// Covers reports whether the actor's scope includes the ticket: a citizen their own ticket; a
// staff member the tickets of their window that are the window staff's to handle, and those
// assigned to them; a lead those of their window that are the staff's or the leads'; a
// supervisor their center's (or all); admins and the system all. A ticket that names the actor
// is never in their scope.
func (a Actor) Covers(t *Ticket) bool {
	if a.Named(t) {
		return false
	}
	owner := a.StaffID != 0 && t.OwnerStaffID != nil && *t.OwnerStaffID == a.StaffID
	ownWindow := a.WindowID != nil && t.WindowID != nil && *a.WindowID == *t.WindowID
	switch a.Role {
	case RoleCitizen:
		return a.CitizenID != 0 && t.CitizenID == a.CitizenID
	case RoleStaff:
		return owner || (ownWindow && t.HandledBy() == RouteWindow)
	case RoleLead:
		return owner || (ownWindow && t.HandledBy() != RouteSupervisors)
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
	// Photos are the evidence of a rectification (done) or the citizen's photo with a re-rating
	// of 不满意; the store attaches them with the event.
	Photos []TicketAttachment
	At     time.Time
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

// Role sets of the rules.
var (
	handlerRoles = []string{RoleStaff, RoleLead, RoleSupervisor, RoleAdmin}
	supRoles     = []string{RoleSupervisor, RoleAdmin}
)

// ticketRules is the state machine's table: one rule per action. Where an action lands is decided
// in Apply, because some depend on the outcome.
var ticketRules = map[Action]rule{
	ActAccept:   {from: []TicketState{StateSubmitted}, roles: handlerRoles, public: true},
	ActReject:   {from: []TicketState{StateSubmitted, StateAccepted}, roles: supRoles, needsNote: true, public: true},
	ActAssign:   {from: working, roles: supRoles},
	ActPlan:     {from: []TicketState{StateAccepted, StateRectifying, StateReopened}, roles: handlerRoles, needsNote: true, public: true},
	ActDone:     {from: []TicketState{StateRectifying}, roles: handlerRoles, needsNote: true},
	ActApprove:  {from: []TicketState{StatePendingReview}, roles: supRoles, public: true},
	ActSendBack: {from: []TicketState{StatePendingReview}, roles: supRoles, needsNote: true},
	ActRerate:   {from: []TicketState{StateResolved}, roles: []string{RoleCitizen}, public: true},
	ActExpire:   {from: []TicketState{StateResolved}, roles: []string{RoleSystem}, public: true},
	ActAppeal:   {from: append([]TicketState{StateRejected}, working...), roles: []string{RoleCitizen, RoleStaff, RoleLead}, needsNote: true},
	ActReview:   {from: []TicketState{StateAppealed}, roles: supRoles, public: true},
	ActEscalate: {from: working, roles: []string{RoleSupervisor, RoleAdmin, RoleSystem}, public: true},
	ActChase:    {from: working, roles: []string{RoleSupervisor, RoleAdmin, RoleSystem}},
	ActPublish:  {from: []TicketState{StateResolved, StateClosed}, roles: supRoles, public: true},
	ActJoin:     {from: append([]TicketState{StatePendingReview}, working...), roles: []string{RoleCitizen}, anyone: true, needsNote: true},
	ActRefer:    {from: append([]TicketState{StatePendingReview}, working...), roles: supRoles, public: true},
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
	// The person a bad review names may contest it (申诉), though they handle nothing of it.
	namedAppeal := c.Action == ActAppeal && c.Actor.Role != RoleCitizen && c.Actor.Named(t)
	if !slices.Contains(ru.roles, c.Actor.Role) || (!ru.anyone && !namedAppeal && !c.Actor.Covers(t)) {
		return fail(ErrForbidden, "")
	}
	if !slices.Contains(ru.from, from) {
		return fail(ErrIllegalTransition, "")
	}
	if ru.needsNote && c.Note == "" {
		return fail(ErrBadInput, "a note is required")
	}
	if len(c.Photos) > 0 && c.Action != ActDone && c.Action != ActRerate {
		return fail(ErrBadInput, "photos go with a result or a re-rating")
	}
	if len(c.Photos) > MaxPhotos {
		return fail(ErrBadInput, "too many photos")
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
		if n := utf8.RuneCountInString(strings.TrimSpace(c.Note)); n < r.MinResult() {
			return fail(ErrTooShort, "the result is shorter than the rule's minimum")
		}
		next.State = StatePendingReview
		next.Result = c.Note
	case ActApprove:
		// The event carries the result approved: what the citizen is asked to judge.
		c.Note = t.Result
		next.State = StateResolved
		next.ResolvedAt = &at
		next.Rerate = ""
	case ActSendBack:
		next.State = StateRectifying
	case ActRefer:
		if !t.Conduct {
			return fail(ErrIllegalTransition, "only a conduct case is referred")
		}
		next.State, next.ReferredAt, next.Escalated = StateReferred, &at, true
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
			// Not fixed in the citizen's eyes: reopened, owned by a supervisor, a new period
			// counted from this moment.
			next.State, next.Escalated = StateReopened, true
			next.RectifyDue = r.ReopenDue(t.Category, at)
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
		case RoleStaff, RoleLead:
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
		by := c.Actor.Role
		if by == RoleLead {
			by = RoleStaff // the window's side, whoever of it appealed
		}
		next.AppealBy, next.AppealFrom, next.AppealReason = by, from, c.Note
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
	// ReopenDays is the rectification period, in working days from the moment of the verdict,
	// of a ticket the citizen re-rated 不满意; 0 takes the category's rectification period.
	ReopenDays int
	// MinResultRunes is the least number of characters a rectification's result must have to
	// be submitted for review (default 15).
	MinResultRunes int
	// Routing decides who handles a new ticket.
	Routing Routing
}

// Routes: who handles a ticket (Ticket.Route).
const (
	// RouteWindow: the window's staff (and its leads).
	RouteWindow = "window"
	// RouteLead: the window's leads (窗口/科室负责人), never the person the ticket names.
	RouteLead = "lead"
	// RouteSupervisors: the center's supervisors alone.
	RouteSupervisors = "supervisors"
)

// RouteNames lists the routes.
var RouteNames = []string{RouteWindow, RouteLead, RouteSupervisors}

// Routing is the rule of who handles a new ticket. Zero fields take the defaults.
type Routing struct {
	// Named is where a ticket that names a person goes: RouteLead (default) or
	// RouteSupervisors. RouteWindow is not allowed: the person's colleagues do not judge them.
	Named string
	// Window is where a ticket about a window but no person goes: RouteWindow (default),
	// RouteLead or RouteSupervisors.
	Window string
	// Conduct lists the categories and aspects that make a conduct case, which supervisors
	// alone handle: a category ("conduct"), an aspect with all its problems ("conduct" matches
	// "conduct.favours"), or one problem ("attitude.cold"). Default: conduct.
	Conduct []string
}

// DefaultConduct is the default of Routing.Conduct: the whole 工作作风 aspect (迟到早退, 离岗脱岗,
// 不作为, 吃拿卡要) and the complaint category of the same name.
var DefaultConduct = []string{"conduct"}

// IsConduct reports whether a ticket of category whose rating named aspects (problem keys) is
// a conduct case under the routing.
func (rt Routing) IsConduct(category string, aspects []string) bool {
	keys := rt.Conduct
	if len(keys) == 0 {
		keys = DefaultConduct
	}
	for _, k := range keys {
		if category == k {
			return true
		}
		for _, a := range aspects {
			if a == k || strings.HasPrefix(a, k+".") {
				return true
			}
		}
	}
	return false
}

// Route decides who handles a new ticket: a conduct case the supervisors; one that names a
// person Named's choice, where a lead is asked for and the window has none besides the person
// named, the supervisors; one about a window Window's choice, where a lead is asked for and
// the window has none, the supervisors; one about a whole center the supervisors.
// otherLeads counts the leads of the ticket's window who are not the person named.
func (rt Routing) Route(category string, aspects []string, window, named bool, otherLeads int) (route string, conduct bool) {
	if rt.IsConduct(category, aspects) {
		return RouteSupervisors, true
	}
	if !window {
		return RouteSupervisors, false
	}
	want := rt.Window
	if want == "" {
		want = RouteWindow
	}
	if named {
		want = rt.Named
		if want == "" || want == RouteWindow {
			want = RouteLead
		}
	}
	if want == RouteLead && otherLeads == 0 {
		want = RouteSupervisors
	}
	return want, false
}

// MinResult is the least number of characters of a rectification's result.
func (r TicketRules) MinResult() int {
	if r.MinResultRunes <= 0 {
		return DefaultMinResultRunes
	}
	return r.MinResultRunes
}

// DefaultMinResultRunes is the default of TicketRules.MinResultRunes.
const DefaultMinResultRunes = 15

// ReopenDue is the new rectification deadline of a ticket of category re-rated 不满意 at.
func (r TicketRules) ReopenDue(category string, at time.Time) time.Time {
	_, due := r.Deadlines(category, at)
	if r.ReopenDays > 0 {
		due = r.calendar().Deadline(at, r.ReopenDays).UTC()
	}
	return due
}

func (r TicketRules) calendar() *Calendar {
	if r.Calendar == nil {
		cal, _ := NewCalendar(time.UTC, nil, nil)
		return cal
	}
	return r.Calendar
}

// DefaultTicketRules returns the national defaults on the Chinese calendar shipped with the
// binary, in loc.
func DefaultTicketRules(loc *time.Location) TicketRules {
	cal, err := NewCalendar(loc, ChinaHolidays2026, ChinaWorkdays2026)
	if err != nil {
		panic("models: shipped calendar is invalid: " + err.Error()) // a unit test guards the lists
	}
	return TicketRules{Calendar: cal, CallbackDays: 1, RectifyDays: 15, RerateDays: 7, DuplicateDays: 7,
		MinResultRunes: DefaultMinResultRunes}
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
	cal := r.calendar()
	return cal.Deadline(from, cb).UTC(), cal.Deadline(from, rd).UTC()
}

// Location is the hall's time zone of the rules' calendar.
func (r TicketRules) Location() *time.Location {
	if r.Calendar == nil {
		return time.UTC
	}
	return r.Calendar.Location()
}
