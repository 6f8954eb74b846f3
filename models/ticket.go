package models

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Ticket kinds: a bad review opens one automatically, a citizen files a complaint.
const (
	KindBadReview = "bad_review"
	KindComplaint = "complaint"
)

// TicketState is where a ticket is in its lifecycle (DESIGN.md §1 "Tickets"):
//
//	submitted → accepted → rectifying → pending review → resolved → closed
//
// with the side paths rejected (→ appealed by the citizen), appealed (a staff member contests a
// bad review, or a citizen a rejection; a supervisor decides), reopened (the citizen was not
// satisfied with the fix) and referred (a conduct case handed to the discipline body, 纪检监察).
// A finished rectification waits in pending review until a supervisor approves it (resolved:
// only then is the citizen asked) or sends it back (rectifying again). Escalation is not a state but an owner: an escalated ticket keeps
// moving through the same states while a supervisor owns it (Ticket.Escalated), so that an
// overdue ticket can still be accepted, planned and resolved without a detour.
type TicketState string

// The ticket states.
const (
	StateSubmitted  TicketState = "submitted"
	StateAccepted   TicketState = "accepted"
	StateRectifying TicketState = "rectifying"
	StateResolved   TicketState = "resolved"
	StateClosed     TicketState = "closed"
	StateRejected   TicketState = "rejected"
	StateAppealed   TicketState = "appealed"
	StateReopened   TicketState = "reopened"
	// StatePendingReview: the rectification is recorded with its evidence and waits for a
	// supervisor's sign-off (待审核).
	StatePendingReview TicketState = "pending_review"
	// StateReferred: a conduct case referred to the discipline body (移送纪检监察). The hall's
	// work on it is over; it stays on the record.
	StateReferred TicketState = "referred"
)

// TicketStates lists every state, in lifecycle order.
var TicketStates = []TicketState{
	StateSubmitted, StateAccepted, StateRectifying, StatePendingReview, StateResolved, StateClosed,
	StateRejected, StateAppealed, StateReopened, StateReferred,
}

// Open reports whether work on the ticket is still due from the hall: it counts for deadlines,
// reminders and the duplicate hint.
func (s TicketState) Open() bool {
	switch s {
	case StateSubmitted, StateAccepted, StateRectifying, StateReopened, StateAppealed, StatePendingReview:
		return true
	}
	return false
}

// Final reports whether nothing more can happen to the ticket in the hall (closed, or rejected
// after the citizen's one appeal, or referred to the discipline body).
func (s TicketState) Final() bool { return s == StateClosed || s == StateReferred }

// Complaint categories: the four aspects, "could not get it done" (办不成事) and other.
const (
	// CategoryCapability (服务能力) takes materials not told at once (未一次性告知): a complaint in
	// it may name the matter.
	CategoryCapability = "capability"
	CategoryNotDone    = "not_done"
	CategoryOther      = "other"
)

// Categories lists the complaint categories in the order the dialog offers them: the four
// aspects, then 办不成事 and other.
var Categories = []string{"efficiency", "attitude", CategoryCapability, "conduct", CategoryNotDone, CategoryOther}

// IsCategory reports whether key is a complaint category.
func IsCategory(key string) bool { return slices.Contains(Categories, key) }

// TicketKinds lists the kinds of ticket.
var TicketKinds = []string{KindBadReview, KindComplaint, KindInspection, KindRectification}

// Close reasons recorded on a closed ticket.
const (
	CloseSatisfied    = "satisfied"
	CloseBasic        = "basic"
	CloseNoReply      = "no_reply"
	CloseRejected     = "rejected"
	CloseAppealUpheld = "appeal_upheld"
)

// CloseReasons lists the close reasons.
var CloseReasons = []string{CloseSatisfied, CloseBasic, CloseNoReply, CloseRejected, CloseAppealUpheld}

// Re-rating outcomes (追评) of a resolved ticket.
const (
	RerateSatisfied   = "satisfied"
	RerateBasic       = "basic"
	RerateUnsatisfied = "unsatisfied"
)

// RerateOutcomes lists the re-rating outcomes, best first.
var RerateOutcomes = []string{RerateSatisfied, RerateBasic, RerateUnsatisfied}

// Appeal decisions.
const (
	ReviewUphold  = "uphold"
	ReviewDismiss = "dismiss"
)

// Ticket is a bad review or a complaint being handled (工单). Citizens quote its No.
type Ticket struct {
	ID uint `gorm:"primaryKey"`
	// No is the number citizens quote: T + the day in the hall's zone + a per-day sequence.
	No    string      `gorm:"size:24;not null;uniqueIndex"`
	Kind  string      `gorm:"size:20;not null"`
	State TicketState `gorm:"size:20;not null;index:idx_ticket_state_window,priority:1"`
	// CenterID is always set; WindowID is nil for a complaint about the whole center.
	CenterID uint    `gorm:"not null;index"`
	Center   *Center `gorm:"foreignKey:CenterID"`
	WindowID *uint   `gorm:"index:idx_ticket_state_window,priority:2"`
	Window   *Window `gorm:"foreignKey:WindowID"`
	// Category is a key of Categories.
	Category    string `gorm:"size:40;not null"`
	Description string `gorm:"size:4000"`
	// RatingID links a bad-review ticket to its rating.
	RatingID *uint `gorm:"uniqueIndex"`
	// CitizenID is who filed it (or rated); never shown to staff.
	CitizenID uint   `gorm:"not null;index"`
	Channel   string `gorm:"size:20;not null"`
	Anonymous bool   `gorm:"not null;default:false"`
	// Phone is set for a real-name complaint; CallbackConsent says the citizen agreed to be called
	// back, the only case in which a supervisor sees the number unmasked.
	Phone           string `gorm:"size:20"`
	CallbackConsent bool   `gorm:"not null;default:false"`
	// LinkToken is the secret of the web link texted to a complainant who left a phone with
	// consent but cannot be reached in a chat (TicketSMS): opening it binds that web chat to the
	// ticket (Store.ClaimTicketLink). Empty until the first text message; 128 random bits.
	LinkToken string `gorm:"size:22;not null;default:'';index"`
	// OwnerStaffID is the staff member assigned to it, if any.
	OwnerStaffID *uint `gorm:"index"`
	// NamedStaffID is the staff member the citizen named (the person a bad review rated, or a
	// complaint is about). Nobody handles a ticket that names them (Actor.Covers).
	NamedStaffID *uint `gorm:"index"`
	// Route says who handles it (RouteWindow, RouteLead, RouteSupervisors), decided when it is
	// opened by TicketRules.Route. Empty on tickets older than routing: the window's.
	Route string `gorm:"size:20;not null;default:'window'"`
	// Conduct marks a conduct case (工作作风: 吃拿卡要, 不作为 …): supervisors only, and it can be
	// referred to the discipline body.
	Conduct bool `gorm:"not null;default:false"`
	// MatterID is the matter (事项) a complaint about materials not told at once names, if any.
	MatterID *uint `gorm:"index:idx_tickets_matter_id"`
	// ReferredAt is when a supervisor referred the conduct case to the discipline body (纪检监察).
	ReferredAt *time.Time
	// Escalated means a supervisor owns the ticket (overdue, or reopened by the citizen).
	Escalated   bool      `gorm:"not null;default:false"`
	CallbackDue time.Time `gorm:"not null"`
	RectifyDue  time.Time `gorm:"not null;index"`
	AcceptedAt  *time.Time
	// ResolvedAt is when the rectification was last finished; the board counts the finished
	// rectifications of a period by it (idx_ticket_resolved, migration 6).
	ResolvedAt *time.Time `gorm:"index:idx_ticket_resolved"`
	ClosedAt   *time.Time
	Plan       string `gorm:"size:4000"`
	Result     string `gorm:"size:4000"`
	// Reason is why it was rejected.
	Reason      string `gorm:"size:1000"`
	CloseReason string `gorm:"size:20"`
	// Rerate is the citizen's verdict on the fix (追评).
	Rerate string `gorm:"size:20"`
	// CitizenAppealed and StaffAppealed record that the one appeal each side has was used.
	CitizenAppealed bool `gorm:"not null;default:false"`
	StaffAppealed   bool `gorm:"not null;default:false"`
	// AppealBy (citizen or staff) and AppealFrom (the state it was appealed from) describe the
	// latest appeal, under review or decided.
	AppealBy     string      `gorm:"size:20"`
	AppealFrom   TicketState `gorm:"size:20"`
	AppealReason string      `gorm:"size:1000"`
	// PublishedAt is set when a supervisor published the rectification notice (整改公示).
	PublishedAt *time.Time `gorm:"index:idx_ticket_published"`
	CreatedAt   time.Time  `gorm:"not null;index"`
	UpdatedAt   time.Time
}

// HandledBy is the ticket's route: who handles it (RouteWindow for tickets older than routing).
func (t *Ticket) HandledBy() string {
	if t.Route == "" {
		return RouteWindow
	}
	return t.Route
}

// Public reports whether the ticket may be shown on the public rectification board.
func (t *Ticket) Public() bool { return t.PublishedAt != nil }

// Due returns the deadline that applies now: the call-back deadline until the ticket is
// accepted, then the rectification deadline; zero when none applies.
func (t *Ticket) Due() time.Time {
	switch t.State {
	case StateSubmitted:
		return t.CallbackDue
	case StateAccepted, StateRectifying, StateReopened:
		return t.RectifyDue
	}
	return time.Time{}
}

// TicketEvent is one line of a ticket's audit trail: who did what, when, from which state to
// which, with a note. Events are never changed.
type TicketEvent struct {
	ID        uint        `gorm:"primaryKey"`
	TicketID  uint        `gorm:"not null;index:idx_event_ticket,priority:1"`
	Ticket    *Ticket     `gorm:"foreignKey:TicketID"`
	Action    Action      `gorm:"size:20;not null;index:idx_event_action_time,priority:1"`
	FromState TicketState `gorm:"size:20"`
	ToState   TicketState `gorm:"size:20;not null"`
	// ActorRole is citizen, staff, supervisor, admin or system; ActorStaffID or ActorCitizenID
	// names who, where there is somebody.
	ActorRole      string `gorm:"size:20;not null"`
	ActorStaffID   *uint
	ActorCitizenID *uint
	Note           string `gorm:"size:4000"`
	// Public events are shown to the citizen when tracking the ticket.
	Public    bool      `gorm:"not null;default:false"`
	CreatedAt time.Time `gorm:"not null;index:idx_event_ticket,priority:2;index:idx_event_action_time,priority:2"`
}

// TicketAttachment is a photo of a ticket: the platform's file reference, or the bytes for a web
// upload (which has no platform to keep them). Purpose says whose it is: the citizen's with the
// complaint (empty), the handler's evidence of the rectification, or the citizen's with a
// re-rating of 不满意.
type TicketAttachment struct {
	ID        uint    `gorm:"primaryKey"`
	TicketID  uint    `gorm:"not null;index"`
	Ticket    *Ticket `gorm:"foreignKey:TicketID"`
	Purpose   string  `gorm:"size:20;not null;default:''"`
	Platform  string  `gorm:"size:20;not null"`
	FileID    string  `gorm:"size:300"`
	MIMEType  string  `gorm:"size:60"`
	Size      int64
	Data      []byte
	CreatedAt time.Time
}

// TicketFollower is a citizen who joined an open ticket instead of filing a duplicate (并单):
// they track it and are told of its progress like the one who filed it.
type TicketFollower struct {
	ID        uint     `gorm:"primaryKey"`
	TicketID  uint     `gorm:"not null;uniqueIndex:idx_follower,priority:1"`
	Ticket    *Ticket  `gorm:"foreignKey:TicketID"`
	CitizenID uint     `gorm:"not null;uniqueIndex:idx_follower,priority:2;index"`
	Citizen   *Citizen `gorm:"foreignKey:CitizenID"`
	CreatedAt time.Time
}

// Purposes of a TicketAttachment.
const (
	PhotoComplaint = ""
	PhotoEvidence  = "evidence"
	PhotoRerate    = "rerate"
)

// ticketCounter hands out the per-day sequence of ticket numbers.
type ticketCounter struct {
	Day string `gorm:"primaryKey;size:8"`
	N   int    `gorm:"not null"`
}

func (ticketCounter) TableName() string { return "ticket_counters" }

// TicketNoPattern is what a ticket number looks like, e.g. T20261123-0042.
var TicketNoPattern = regexp.MustCompile(`^T\d{8}-\d{4,}$`)

// NormTicketNo folds full-width characters, upper-cases and trims a typed ticket number.
func NormTicketNo(s string) string { return strings.ToUpper(strings.TrimSpace(FoldWidth(s))) }

// FormatTicketNo builds the number of the n-th ticket of day (in the hall's zone).
func FormatTicketNo(day time.Time, n int) string {
	return fmt.Sprintf("T%s-%04d", day.Format("20060102"), n)
}

// MaskPhone hides the middle of a phone number: 13812341234 → 138****1234. A number too short
// to keep three digits in front and four behind a hidden middle is hidden whole.
func MaskPhone(p string) string {
	r := []rune(p)
	if len(r) <= 7 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:3]) + strings.Repeat("*", len(r)-7) + string(r[len(r)-4:])
}

// PhonePattern is a mainland mobile number (what a call-back needs).
var PhonePattern = regexp.MustCompile(`^1[3-9]\d{9}$`)

// Sentinel errors of the ticket rules.
var (
	// ErrIllegalTransition: the action is not possible in the ticket's state.
	ErrIllegalTransition = errors.New("ticket: action not allowed in this state")
	// ErrForbidden: the actor's role or scope may not take the action on this ticket.
	ErrForbidden = errors.New("ticket: not allowed for this role")
	// ErrBadInput: a reason, plan, result or outcome is missing or invalid.
	ErrBadInput = errors.New("ticket: missing or invalid input")
	// ErrAlreadyAppealed: the side already used its one appeal.
	ErrAlreadyAppealed = errors.New("ticket: already appealed once")
	// ErrTooShort: a rectification's result is shorter than TicketRules.MinResult.
	ErrTooShort = errors.New("ticket: result too short")
	// ErrNamedAssignee: a ticket cannot be assigned to the person it names.
	ErrNamedAssignee = errors.New("ticket: cannot be assigned to the person it names")
	// ErrConductAssignee: a conduct case is assigned to supervisors only.
	ErrConductAssignee = errors.New("ticket: a conduct case is assigned to supervisors only")
)

// TransitionError says why an action was refused; it matches one of the sentinels above with
// errors.Is.
type TransitionError struct {
	Action Action
	From   TicketState
	Role   string
	Err    error
	Detail string
}

func (e *TransitionError) Error() string {
	msg := fmt.Sprintf("ticket: %s by %s in state %s: %v", e.Action, e.Role, e.From, e.Err)
	if e.Detail != "" {
		msg += " (" + e.Detail + ")"
	}
	return msg
}

// Unwrap returns the sentinel.
func (e *TransitionError) Unwrap() error { return e.Err }

// MaskPII hides phone and ID numbers in free text typed by a citizen, as MaskPhone does, before
// the text is shown to staff or supervisors, exported, or published. Only a ticket's own Phone,
// given for a call-back the citizen agreed to, is ever shown in full, and only to supervisors.
//
// People write numbers every way: with a country code (+86, 86, 0086), in groups separated by
// spaces or hyphens (138 1234 5678, 138-1234-5678, an ID number in three groups), in full-width
// digits (１３８…), or with zero-width characters between the digits. A number is read across
// such separators — spaces, hyphens and dashes of any kind and width between groups of digits,
// as many as were typed (138 - 1234 - 5678), and any invisible character (see Invisible) — and
// masked when some consecutive groups of it are a
// mobile number, a resident ID or a landline with its area code. Groups are never split, so a
// longer number (an order number, a date) is left alone.
//
// Bidirectional and zero-width characters (see Invisible) are dropped from the whole text: the
// channels clean them away as text comes in, but a text stored before they did may hold them,
// and an override must not turn a supervisor's screen or an export around.
//
// The digits a masked number keeps in sight may make a new number with a group of digits beside
// it ("17000000 01062345678" shows "17000000 010*****5678", which reads as 17000000010): the
// text is masked again until nothing more is found. Each round hides digits, so this ends.
func MaskPII(s string) string {
	for {
		next := maskPIIOnce(s)
		if next == s {
			return s
		}
		s = next
	}
}

// maskPIIOnce masks the numbers found in s once (see MaskPII).
func maskPIIOnce(s string) string {
	if strings.IndexFunc(s, Invisible) >= 0 {
		s = strings.Map(func(r rune) rune {
			if Invisible(r) {
				return -1
			}
			return r
		}, s)
	}
	groups := numberGroups(s)
	if len(groups) == 0 {
		return s
	}
	var b strings.Builder
	last := 0
	for i := 0; i < len(groups); {
		j, keep := piiSpan(groups, i)
		if j < 0 {
			i++
			continue
		}
		start, end := groups[i].start, groups[j].end
		if groups[i].plus >= 0 {
			start = groups[i].plus
		}
		b.WriteString(s[last:start])
		b.WriteString(maskNumber(s[start:end], keep))
		last = end
		i = j + 1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// maskNumber masks a number found by MaskPII as MaskPhone masks a phone number: the first keep
// digits (three, and a mobile's country code) and the last four stay, the digits between them
// and the separators next to those become "*", and invisible characters go.
func maskNumber(span string, keep int) string {
	n := 0
	for _, r := range span {
		if _, ok := asciiDigit(r); ok || r == 'X' || r == 'x' || r == 'Ｘ' || r == 'ｘ' {
			n++
		}
	}
	var b strings.Builder
	k := 0 // digits written so far
	for _, r := range span {
		_, digit := asciiDigit(r)
		digit = digit || r == 'X' || r == 'x' || r == 'Ｘ' || r == 'ｘ'
		switch {
		case Invisible(r):
		case digit && (k < keep || k >= n-4):
			b.WriteRune(r)
			k++
		case digit:
			b.WriteByte('*')
			k++
		case k < keep || k > n-4:
			b.WriteRune(r) // a leading +, or a separator among the digits shown
		default:
			b.WriteByte('*')
		}
	}
	return b.String()
}

// digitGroup is a run of digits (ASCII or full-width, possibly with invisible characters
// between them and an X ending an ID number) at s[start:end]; digits holds them in ASCII.
// joined says that a single separator links it to the previous group; plus is the index of a
// "+" right before it, or -1.
type digitGroup struct {
	start, end int
	digits     string
	joined     bool
	plus       int
}

// Patterns of the digits of a number (separators and invisible characters removed, digits
// folded to ASCII).
var (
	mobileDigits   = regexp.MustCompile(`^(?:00)?(?:86)?1[3-9][0-9]{9}$`)
	residentDigits = regexp.MustCompile(`^[1-9][0-9]{16}[0-9Xx]$`)
	landlineDigits = regexp.MustCompile(`^0[1-9][0-9]{1,2}[2-9][0-9]{6,7}$`)
	areaCode       = regexp.MustCompile(`^0[1-9][0-9]{1,2}$`)
	localNumber    = regexp.MustCompile(`^[2-9][0-9]{6,7}$`)
)

// piiSpan returns the last index j ≥ i such that groups i…j, each joined to the one before, are
// one identifying number, preferring the longest, and how many of its leading digits stay
// visible; -1 if none is.
func piiSpan(groups []digitGroup, i int) (int, int) {
	// No number read here has more than maxPIIDigits digits, so the groups are read no further.
	end, n := i, len(groups[i].digits)
	for end+1 < len(groups) && groups[end+1].joined && n+len(groups[end+1].digits) <= maxPIIDigits {
		end++
		n += len(groups[end].digits)
	}
	for j := end; j >= i; j-- {
		var d strings.Builder
		for _, g := range groups[i : j+1] {
			d.WriteString(g.digits)
		}
		all := d.String()
		if strings.ContainsAny(all[:len(all)-1], "Xx") {
			continue // only an ID number ends in X, and only its last group may
		}
		switch {
		case mobileDigits.MatchString(all):
			return j, len(all) - 11 + 3 // the country code and the network's three digits
		case residentDigits.MatchString(all):
			return j, 3
		case i == j && landlineDigits.MatchString(all):
			return j, 3
		case i < j && areaCode.MatchString(groups[i].digits) && localNumber.MatchString(all[len(groups[i].digits):]):
			// 010-62345678, 0755 8123 4567: the first group is the area code, the rest the number.
			return j, 3
		}
	}
	return -1, 0
}

// numberGroups finds the groups of digits in s (see digitGroup).
func numberGroups(s string) []digitGroup {
	var (
		groups []digitGroup
		cur    *digitGroup
		digits strings.Builder
		// sepAt is where the separators after the last group began, -1 if something else
		// followed it.
		sepAt = -1
	)
	flush := func() {
		if cur != nil {
			cur.digits = digits.String()
			groups = append(groups, *cur)
			cur = nil
			digits.Reset()
		}
	}
	for i, r := range s {
		d, isDigit := asciiDigit(r)
		switch {
		case isDigit:
			if cur == nil {
				joined := len(groups) > 0 && sepAt >= 0
				plus := -1
				if i > 0 && s[i-1] == '+' {
					plus = i - 1
				} else if i >= 3 && s[i-3:i] == "＋" {
					plus = i - 3
				}
				cur = &digitGroup{start: i, joined: joined && plus < 0, plus: plus}
			}
			digits.WriteByte(d)
			cur.end = i + utf8.RuneLen(r)
		case cur != nil && (r == 'X' || r == 'x' || r == 'Ｘ' || r == 'ｘ') && (cur.end == i):
			digits.WriteByte('X')
			cur.end = i + utf8.RuneLen(r)
			flush()
			sepAt = -1 // nothing joins an ID number's X
		case Invisible(r):
			// Neither breaks a group nor counts as a separator.
		case numberSeparator(r):
			if cur != nil {
				end := cur.end
				flush()
				sepAt = end
			}
		default:
			flush()
			sepAt = -1
		}
	}
	flush()
	return groups
}

// maxPIIDigits is the length of the longest number MaskPII masks: a resident ID.
const maxPIIDigits = 18

// numberSeparator reports whether r may stand between the groups of digits of one number: a
// space of any width (category Zs: the ASCII, no-break, full-width, thin and hair spaces…), a
// hyphen or dash of any kind (category Pd: -, －, ‐, ‑, –, —…) or the minus sign.
func numberSeparator(r rune) bool {
	if r < 0x80 {
		return r == ' ' || r == '-'
	}
	return r == '\u2212' || unicode.In(r, unicode.Zs, unicode.Pd)
}

// asciiDigit returns the ASCII digit of an ASCII or full-width digit.
func asciiDigit(r rune) (byte, bool) {
	switch {
	case r >= '0' && r <= '9':
		return byte(r), true
	case r >= '０' && r <= '９':
		return byte('0' + r - '０'), true
	}
	return 0, false
}
