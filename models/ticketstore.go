package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// TicketRules returns the rules in force.
func (s *Store) TicketRules() TicketRules { return s.rules }

// NewComplaint is a complaint as the citizen filed it.
type NewComplaint struct {
	CitizenID uint
	CenterID  uint
	// WindowID is nil for a complaint about the whole center.
	WindowID        *uint
	Category        string
	Description     string
	Channel         string
	Anonymous       bool
	Phone           string
	CallbackConsent bool
	// NamedStaffID is the staff member the complaint is about, when the citizen named one; it
	// must work at WindowID, or it is dropped.
	NamedStaffID *uint
	// MatterCode names the matter (事项) the complaint is about, one of the window's; dropped
	// when it is not.
	MatterCode string
	Photos     []TicketAttachment
	At         time.Time
}

// CreateComplaint opens a complaint ticket with its attachments, its first event and the pushes
// it causes, in one transaction; ErrBanned if a ban is in force on the citizen.
func (s *Store) CreateComplaint(ctx context.Context, in NewComplaint) (*Ticket, error) {
	if !IsCategory(in.Category) {
		return nil, fmt.Errorf("store: create complaint: unknown category %q", in.Category)
	}
	if in.Phone != "" && !PhonePattern.MatchString(in.Phone) {
		return nil, fmt.Errorf("store: create complaint: invalid phone number")
	}
	var t *Ticket
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := notBanned(tx, in.CitizenID); err != nil {
			return err
		}
		if in.WindowID != nil {
			var w Window
			if err := tx.Select("id", "center_id").First(&w, *in.WindowID).Error; err != nil {
				return fmt.Errorf("window %d: %w", *in.WindowID, notFound(err))
			}
			in.CenterID = w.CenterID
		}
		named, err := workingAt(tx, in.NamedStaffID, in.WindowID)
		if err != nil {
			return err
		}
		var matter *uint
		if in.MatterCode != "" && in.WindowID != nil {
			var m Matter
			if err := tx.Select("id").Where("code = ? AND window_id = ?", in.MatterCode, *in.WindowID).Limit(1).Find(&m).Error; err != nil {
				return err
			}
			if m.ID != 0 {
				matter = &m.ID
			}
		}
		t, err = s.openTicket(tx, &Ticket{
			Kind: KindComplaint, CenterID: in.CenterID, WindowID: in.WindowID, Category: in.Category,
			Description: in.Description, CitizenID: in.CitizenID, Channel: in.Channel,
			Anonymous: in.Anonymous, Phone: in.Phone, CallbackConsent: in.CallbackConsent && in.Phone != "",
			NamedStaffID: named, MatterID: matter,
		}, nil, in.At, in.Description, nil)
		if err != nil {
			return err
		}
		return addAttachments(tx, t.ID, in.Photos, in.At)
	})
	if err != nil {
		return nil, fmt.Errorf("store: create complaint: %w", err)
	}
	return t, nil
}

// workingAt returns staffID if it names a staff member (or lead) of window, else nil: a person
// named for a window they no longer work at is not named.
func workingAt(tx *gorm.DB, staffID, window *uint) (*uint, error) {
	if staffID == nil || window == nil {
		return nil, nil
	}
	var st Staff
	err := tx.Select("id").Where("id = ? AND window_id = ? AND role IN ?", *staffID, *window, []string{RoleStaff, RoleLead}).
		Limit(1).Find(&st).Error
	if err != nil || st.ID == 0 {
		return nil, err
	}
	id := st.ID
	return &id, nil
}

// openTicket routes t (who handles it, whether it is a conduct case: TicketRules.Routing, from
// its category, the aspects of its rating and the person it names), numbers it, sets its
// deadlines, inserts it with its submit event and queues the pushes. It runs inside tx.
// reporter, when the caller has read it in tx, is the citizen row of t.CitizenID: a new ticket
// has no other reporter, so the notices need not read it again. t.Window and t.Center, when set,
// are not read again either.
func (s *Store) openTicket(tx *gorm.DB, t *Ticket, aspects []string, at time.Time, note string, reporter *Citizen) (*Ticket, error) {
	at = at.UTC()
	leads := int64(0)
	if t.WindowID != nil {
		q := tx.Model(&Staff{}).Where("role = ? AND window_id = ?", RoleLead, *t.WindowID)
		if t.NamedStaffID != nil {
			q = q.Where("id <> ?", *t.NamedStaffID)
		}
		if err := q.Count(&leads).Error; err != nil {
			return nil, fmt.Errorf("leads of window: %w", err)
		}
	}
	// An inspection's finding, and a rectification of the year's ranking, concern whoever was on
	// duty: they go where one naming a person would.
	named := t.NamedStaffID != nil || t.Kind == KindInspection || t.Kind == KindRectification
	t.Route, t.Conduct = s.rules.Routing.Route(t.Category, aspects, t.WindowID != nil, named, int(leads))
	t.State, t.CreatedAt, t.UpdatedAt = StateSubmitted, at, at
	t.CallbackDue, t.RectifyDue = s.rules.Deadlines(t.Category, at)
	ev := &TicketEvent{Action: ActSubmit, ToState: StateSubmitted, ActorRole: RoleCitizen,
		ActorCitizenID: &t.CitizenID, Note: note, Public: true, CreatedAt: at}
	var reporters []Citizen
	if reporter != nil && reporter.ID == t.CitizenID {
		reporters = []Citizen{*reporter}
	}
	// Who hears of the ticket is read before its number is taken: the day's counter row stays
	// locked until commit, and every other new ticket of the day waits for it, so the fewer
	// statements after it the better (docs/benchmarks.md, issue 17).
	n, err := s.noticeAudience(tx, t, ev, 0, reporters)
	if err != nil {
		return nil, err
	}
	no, err := s.nextTicketNo(tx, at)
	if err != nil {
		return nil, err
	}
	t.No = no
	if err := tx.Omit(clause.Associations).Create(t).Error; err != nil {
		return nil, err
	}
	ev.TicketID = t.ID
	if err := tx.Create(ev).Error; err != nil {
		return nil, err
	}
	if err := s.enqueueNotice(tx, n, at); err != nil {
		return nil, err
	}
	return t, nil
}

// nextTicketNo takes the next number of at's day in the hall's zone. The counter row is updated
// in the caller's transaction, so PostgreSQL holds its row lock until commit: concurrent
// complaints on any replica queue behind each other for the increment and never share a number.
func (s *Store) nextTicketNo(tx *gorm.DB, at time.Time) (string, error) {
	day := at.In(s.rules.Location())
	var n int
	err := tx.Raw("INSERT INTO ticket_counters (day, n) VALUES (?, 1) "+
		"ON CONFLICT (day) DO UPDATE SET n = ticket_counters.n + 1 RETURNING n", day.Format("20060102")).
		Scan(&n).Error
	if err != nil {
		return "", fmt.Errorf("ticket number: %w", err)
	}
	if n == 0 {
		return "", errors.New("ticket number: counter returned nothing")
	}
	return FormatTicketNo(day, n), nil
}

func addAttachments(tx *gorm.DB, ticketID uint, photos []TicketAttachment, at time.Time) error {
	if len(photos) == 0 {
		return nil
	}
	rows := make([]TicketAttachment, len(photos))
	for i, p := range photos {
		p.ID, p.TicketID, p.CreatedAt = 0, ticketID, at.UTC()
		rows[i] = p
	}
	return tx.Create(&rows).Error
}

// Transition applies c to the ticket numbered no: it locks the ticket, checks the change with
// Ticket.Apply, saves the ticket and the event and queues the pushes, all in one transaction. An
// illegal change returns a *TransitionError and changes nothing. An upheld staff appeal also
// marks the bad review's rating excluded from scores.
func (s *Store) Transition(ctx context.Context, no string, c Change) (*Ticket, *TicketEvent, error) {
	var t Ticket
	var ev *TicketEvent
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("no = ?", NormTicketNo(no)).First(&t).Error; err != nil {
			return notFound(err)
		}
		if c.Action == ActAssign && c.AssignTo != nil {
			if err := s.checkAssignee(tx, &t, *c.AssignTo); err != nil {
				return err
			}
		}
		var err error
		ev, err = t.Apply(c, s.rules)
		if err != nil {
			return err
		}
		if err := tx.Save(&t).Error; err != nil {
			return err
		}
		if err := tx.Create(ev).Error; err != nil {
			return err
		}
		purpose := PhotoEvidence
		if c.Action == ActRerate {
			purpose = PhotoRerate
		}
		photos := make([]TicketAttachment, len(c.Photos))
		for i, p := range c.Photos {
			p.Purpose = purpose
			photos[i] = p
		}
		if err := addAttachments(tx, t.ID, photos, c.At); err != nil {
			return err
		}
		if c.Action == ActReview && t.CloseReason == CloseAppealUpheld && t.RatingID != nil {
			if err := tx.Model(&Rating{}).Where("id = ?", *t.RatingID).Update("excluded", true).Error; err != nil {
				return err
			}
		}
		if err := reportOutcome(tx, &t, ev); err != nil {
			return err
		}
		return s.queueNotices(tx, &t, ev, c.At, len(c.Photos), nil)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("store: ticket %s %s: %w", NormTicketNo(no), c.Action, err)
	}
	return &t, ev, nil
}

// checkAssignee refuses to give a ticket to somebody outside its center, to the person it
// names, and a conduct case to anybody but a supervisor.
func (s *Store) checkAssignee(tx *gorm.DB, t *Ticket, staffID uint) error {
	var st Staff
	if err := tx.Preload("Window").First(&st, staffID).Error; err != nil {
		return &TransitionError{Action: ActAssign, From: t.State, Role: RoleSupervisor, Err: ErrBadInput, Detail: "no such staff"}
	}
	in := (st.CenterID != nil && *st.CenterID == t.CenterID) || (st.Window != nil && st.Window.CenterID == t.CenterID)
	if !in {
		return &TransitionError{Action: ActAssign, From: t.State, Role: RoleSupervisor, Err: ErrBadInput, Detail: "staff of another center"}
	}
	if t.NamedStaffID != nil && *t.NamedStaffID == st.ID {
		return &TransitionError{Action: ActAssign, From: t.State, Role: RoleSupervisor, Err: ErrNamedAssignee, Detail: "the person the ticket names"}
	}
	if t.Conduct && st.Role != RoleSupervisor && st.Role != RoleAdmin {
		return &TransitionError{Action: ActAssign, From: t.State, Role: RoleSupervisor, Err: ErrConductAssignee, Detail: "a conduct case stays with supervisors"}
	}
	return nil
}

// JoinTicket adds a citizen's complaint to an open ticket instead of opening a duplicate (并单):
// the description is recorded as an event, photos are attached, and the citizen follows the
// ticket from now on. ErrBanned if a ban is in force on the citizen.
func (s *Store) JoinTicket(ctx context.Context, no string, citizenID uint, description string, photos []TicketAttachment, at time.Time) (*Ticket, error) {
	var t Ticket
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("no = ?", NormTicketNo(no)).First(&t).Error; err != nil {
			return notFound(err)
		}
		if err := notBanned(tx, citizenID); err != nil {
			return err
		}
		ev, err := t.Apply(Change{Action: ActJoin, Actor: Actor{Role: RoleCitizen, CitizenID: citizenID}, Note: description, At: at}, s.rules)
		if err != nil {
			return err
		}
		if err := tx.Create(ev).Error; err != nil {
			return err
		}
		if t.CitizenID != citizenID {
			f := TicketFollower{TicketID: t.ID, CitizenID: citizenID, CreatedAt: at.UTC()}
			if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&f).Error; err != nil {
				return err
			}
		}
		if err := addAttachments(tx, t.ID, photos, at); err != nil {
			return err
		}
		return s.queueNotices(tx, &t, ev, at, 0, nil)
	})
	if err != nil {
		return nil, fmt.Errorf("store: join ticket %s: %w", NormTicketNo(no), err)
	}
	return &t, nil
}

// queueNotices works out who hears of ev and queues their pushes in tx, so that they exist
// exactly when the event does. The pushes carry their messages as data; the dispatcher words
// them when they are sent. reporters, when not nil, are the ticket's reporters as the caller
// knows them (a ticket just opened: its citizen alone); nil reads them.
func (s *Store) queueNotices(tx *gorm.DB, t *Ticket, ev *TicketEvent, at time.Time, photos int, reporters []Citizen) error {
	n, err := s.noticeAudience(tx, t, ev, photos, reporters)
	if err != nil {
		return err
	}
	return s.enqueueNotice(tx, n, at)
}

// noticeAudience reads the notice of ev on t with everybody who hears of it: it needs the
// ticket's place, route and owner, not its number or its id (a ticket not yet stored has no
// followers).
func (s *Store) noticeAudience(tx *gorm.DB, t *Ticket, ev *TicketEvent, photos int, reporters []Citizen) (TicketNotice, error) {
	// Notices name the place: load it where the caller has not.
	if t.Window == nil && t.WindowID != nil {
		var w Window
		if err := tx.First(&w, *t.WindowID).Error; err != nil {
			return TicketNotice{}, fmt.Errorf("window of ticket: %w", err)
		}
		t.Window = &w
	}
	if t.Center == nil {
		var c Center
		if err := tx.First(&c, t.CenterID).Error; err != nil {
			return TicketNotice{}, fmt.Errorf("center of ticket: %w", err)
		}
		t.Center = &c
	}
	if t.Window != nil && t.Window.Center == nil {
		t.Window.Center = t.Center
	}
	n := TicketNotice{Ticket: t, Event: ev, Photos: photos, Reporters: reporters}
	if reporters == nil {
		q := tx.Where("id = ?", t.CitizenID)
		if t.ID != 0 {
			q = tx.Where("id IN (?)", tx.Model(&TicketFollower{}).Select("citizen_id").Where("ticket_id = ?", t.ID)).
				Or("id = ?", t.CitizenID)
		}
		if err := q.Order("id").Find(&n.Reporters).Error; err != nil {
			return TicketNotice{}, fmt.Errorf("reporters: %w", err)
		}
	}
	if staff := handlerStaff(tx, t); staff != nil {
		if err := tx.Where("staff_id IN (?)", staff).Order("id").Find(&n.Staff).Error; err != nil {
			return TicketNotice{}, fmt.Errorf("staff accounts: %w", err)
		}
	}
	sups := tx.Model(&Staff{}).Select("staffs.id").
		Joins("LEFT JOIN windows ON windows.id = staffs.window_id").
		Where("staffs.role IN ?", []string{RoleSupervisor, RoleAdmin}).
		Where("staffs.center_id = ? OR windows.center_id = ? OR (staffs.center_id IS NULL AND staffs.window_id IS NULL)", t.CenterID, t.CenterID)
	if t.NamedStaffID != nil {
		sups = sups.Where("staffs.id <> ?", *t.NamedStaffID)
	}
	if err := tx.Where("staff_id IN (?)", sups).Order("id").Find(&n.Supervisors).Error; err != nil {
		return TicketNotice{}, fmt.Errorf("supervisor accounts: %w", err)
	}
	if t.NamedStaffID != nil && ev.Action == ActReview && t.AppealBy == RoleStaff {
		if err := tx.Where("staff_id = ?", *t.NamedStaffID).Order("id").Find(&n.Named).Error; err != nil {
			return TicketNotice{}, fmt.Errorf("named accounts: %w", err)
		}
	}
	if ev.Action == ActPublish {
		err := tx.Where("subscribed = ? AND inactive = ? AND staff_id IS NULL", true, false).Order("id").Find(&n.Subscribers).Error
		if err != nil {
			return TicketNotice{}, fmt.Errorf("subscribers: %w", err)
		}
	}
	return n, nil
}

// enqueueNotice queues the pushes of n, with its text message where the complainant is texted.
func (s *Store) enqueueNotice(tx *gorm.DB, n TicketNotice, at time.Time) error {
	pushes, err := s.ticketEventSMS(tx, n.Ticket, n.Event, n.Pushes(), at)
	if err != nil {
		return fmt.Errorf("texts: %w", err)
	}
	return Enqueue(tx, at, pushes...)
}

// handlerStaff selects the IDs of the staff records that handle t besides the supervisors: its
// owner when assigned, else by its route the window's staff and leads or its leads alone; never
// the person it names. Nil when the supervisors alone handle it.
func handlerStaff(db *gorm.DB, t *Ticket) *gorm.DB {
	q := db.Session(&gorm.Session{NewDB: true}).Model(&Staff{}).Select("id")
	switch {
	case t.OwnerStaffID != nil:
		q = q.Where("id = ?", *t.OwnerStaffID)
	case t.WindowID == nil || t.HandledBy() == RouteSupervisors:
		return nil
	case t.HandledBy() == RouteLead:
		q = q.Where("role = ? AND window_id = ?", RoleLead, *t.WindowID)
	default:
		q = q.Where("role IN ? AND window_id = ?", []string{RoleStaff, RoleLead}, *t.WindowID)
	}
	if t.NamedStaffID != nil {
		q = q.Where("id <> ?", *t.NamedStaffID)
	}
	return q
}

// TicketByNo returns a ticket with its Center and Window, or ErrNotFound.
func (s *Store) TicketByNo(ctx context.Context, no string) (*Ticket, error) {
	if !queryable(no) {
		return nil, fmt.Errorf("store: ticket %q: %w", no, ErrNotFound)
	}
	var t Ticket
	err := s.db.WithContext(ctx).Preload("Center").Preload("Window").Where("no = ?", NormTicketNo(no)).First(&t).Error
	if err != nil {
		return nil, fmt.Errorf("store: ticket %s: %w", NormTicketNo(no), notFound(err))
	}
	return &t, nil
}

// TicketEvents returns a ticket's audit trail, oldest first; publicOnly keeps what the citizen
// may see.
func (s *Store) TicketEvents(ctx context.Context, ticketID uint, publicOnly bool) ([]TicketEvent, error) {
	var evs []TicketEvent
	q := s.db.WithContext(ctx).Where("ticket_id = ?", ticketID)
	if publicOnly {
		q = q.Where("public = ?", true)
	}
	if err := q.Order("created_at, id").Find(&evs).Error; err != nil {
		return nil, fmt.Errorf("store: ticket events %d: %w", ticketID, err)
	}
	return evs, nil
}

// TicketAttachments returns a ticket's photos, without the bytes of web uploads.
func (s *Store) TicketAttachments(ctx context.Context, ticketID uint) ([]TicketAttachment, error) {
	var as []TicketAttachment
	err := s.db.WithContext(ctx).Omit("data").Where("ticket_id = ?", ticketID).Order("id").Find(&as).Error
	if err != nil {
		return nil, fmt.Errorf("store: ticket attachments %d: %w", ticketID, err)
	}
	return as, nil
}

// CitizenTicket returns the ticket numbered no if the citizen filed or joined it, else
// ErrNotFound — the same answer as for a number that does not exist, so numbers cannot be probed.
func (s *Store) CitizenTicket(ctx context.Context, citizenID uint, no string) (*Ticket, error) {
	var t Ticket
	err := s.citizenTickets(s.db.WithContext(ctx), citizenID).Preload("Center").Preload("Window").
		Where("no = ?", NormTicketNo(no)).First(&t).Error
	if err != nil {
		return nil, fmt.Errorf("store: ticket of citizen: %w", notFound(err))
	}
	return &t, nil
}

// TicketsOfCitizen returns the tickets a citizen filed or joined, newest first, at most limit.
func (s *Store) TicketsOfCitizen(ctx context.Context, citizenID uint, limit int) ([]Ticket, error) {
	var ts []Ticket
	err := s.citizenTickets(s.db.WithContext(ctx), citizenID).Preload("Center").Preload("Window").
		Order("created_at DESC, id DESC").Limit(limit).Find(&ts).Error
	if err != nil {
		return nil, fmt.Errorf("store: tickets of citizen %d: %w", citizenID, err)
	}
	return ts, nil
}

func (s *Store) citizenTickets(db *gorm.DB, citizenID uint) *gorm.DB {
	return db.Where("citizen_id = ? OR id IN (?)", citizenID,
		db.Session(&gorm.Session{NewDB: true}).Model(&TicketFollower{}).Select("ticket_id").Where("citizen_id = ?", citizenID))
}

// SimilarOpenTicket returns the most recent open ticket on the same window (or, for windowID nil,
// the same center as a whole) and category created at or after since, or ErrNotFound: what a
// new complaint is offered to join.
func (s *Store) SimilarOpenTicket(ctx context.Context, centerID uint, windowID *uint, category string, since time.Time) (*Ticket, error) {
	var open []TicketState
	for _, st := range TicketStates {
		if st.Open() && st != StateAppealed {
			open = append(open, st)
		}
	}
	q := s.db.WithContext(ctx).Where("category = ? AND state IN ? AND created_at >= ?", category, open, since.UTC())
	if windowID != nil {
		q = q.Where("window_id = ?", *windowID)
	} else {
		q = q.Where("center_id = ? AND window_id IS NULL", centerID)
	}
	var t Ticket
	if err := q.Order("created_at DESC, id DESC").First(&t).Error; err != nil {
		return nil, fmt.Errorf("store: similar ticket: %w", notFound(err))
	}
	return &t, nil
}

// ResolvedAwaitingRerate returns the citizen's resolved tickets that still wait for their
// verdict, oldest first.
func (s *Store) ResolvedAwaitingRerate(ctx context.Context, citizenID uint) ([]Ticket, error) {
	var ts []Ticket
	err := s.db.WithContext(ctx).Preload("Window").Where("citizen_id = ? AND state = ?", citizenID, StateResolved).
		Order("resolved_at, id").Find(&ts).Error
	if err != nil {
		return nil, fmt.Errorf("store: tickets awaiting re-rating: %w", err)
	}
	return ts, nil
}

// CloseUnanswered closes, as "no reply", every resolved ticket whose citizen has not re-rated it
// within the rules' RerateDays of its resolution: at the closing time the reminder announced
// (resolution + RerateDays) the ticket is closed, not a run later. It returns how many it closed. Each ticket is
// its own transition, so one failure does not hold back the others and a re-run closes only what
// is left.
func (s *Store) CloseUnanswered(ctx context.Context, now time.Time) (int, error) {
	days := s.rules.RerateDays
	if days <= 0 {
		days = 7
	}
	var nos []string
	err := s.db.WithContext(ctx).Model(&Ticket{}).Where("state = ? AND resolved_at <= ?", StateResolved, now.UTC().AddDate(0, 0, -days)).
		Order("resolved_at").Pluck("no", &nos).Error
	if err != nil {
		return 0, fmt.Errorf("store: close unanswered: %w", err)
	}
	closed := 0
	var errs []error
	for _, no := range nos {
		_, _, err := s.Transition(ctx, no, Change{Action: ActExpire, Actor: Actor{Role: RoleSystem}, At: now})
		var te *TransitionError
		switch {
		case errors.As(err, &te):
			// Re-rated meanwhile: nothing to do.
		case err != nil:
			errs = append(errs, err)
		default:
			closed++
		}
	}
	return closed, errors.Join(errs...)
}

// TicketFilter selects tickets for lists and the admin API. Zero fields select everything.
type TicketFilter struct {
	States   []TicketState
	CenterID *uint
	WindowID *uint
	From, To time.Time
	// OverdueAt keeps the tickets past the deadline that applies to them at that time.
	OverdueAt time.Time
	// SupervisorOwned keeps the tickets supervisors handle themselves: escalated ones, appeals
	// and rectifications under review, those routed to them (conduct cases, a person named at
	// a window without a lead, complaints about a whole center) and those assigned to one.
	SupervisorOwned bool
	// Handler keeps the tickets in the actor's scope (Actor.Covers) that the actor handles: for
	// staff and leads their window's by route and those assigned to them, never one that names
	// the actor.
	Handler *Actor
	Limit   int
	Offset  int
}

func (s *Store) ticketQuery(ctx context.Context, f TicketFilter) *gorm.DB {
	q := s.db.WithContext(ctx).Model(&Ticket{})
	if len(f.States) > 0 {
		q = q.Where("tickets.state IN ?", f.States)
	}
	if f.CenterID != nil {
		q = q.Where("tickets.center_id = ?", *f.CenterID)
	}
	if f.WindowID != nil {
		q = q.Where("tickets.window_id = ?", *f.WindowID)
	}
	if !f.From.IsZero() {
		q = q.Where("tickets.created_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("tickets.created_at < ?", f.To.UTC())
	}
	if !f.OverdueAt.IsZero() {
		q = q.Where(overdueSQL, overdueArgs(f.OverdueAt)...)
	}
	if f.SupervisorOwned {
		q = q.Where("(tickets.escalated = ? OR tickets.state IN ? OR tickets.window_id IS NULL OR tickets.route = ? OR tickets.owner_staff_id IN (?))",
			true, []TicketState{StateAppealed, StatePendingReview}, RouteSupervisors,
			s.db.Session(&gorm.Session{NewDB: true}).Model(&Staff{}).Select("id").Where("role IN ?", []string{RoleSupervisor, RoleAdmin}))
	}
	if f.Handler != nil {
		a := *f.Handler
		if a.StaffID != 0 {
			q = q.Where("(tickets.named_staff_id IS NULL OR tickets.named_staff_id <> ?)", a.StaffID)
		}
		switch a.Role {
		case RoleStaff, RoleLead:
			routes := []string{RouteWindow}
			if a.Role == RoleLead {
				routes = append(routes, RouteLead)
			}
			win := uint(0)
			if a.WindowID != nil {
				win = *a.WindowID
			}
			q = q.Where("(tickets.owner_staff_id = ? OR (tickets.window_id = ? AND tickets.route IN ?))", a.StaffID, win, routes)
		case RoleSupervisor:
			if a.CenterID != nil {
				q = q.Where("tickets.center_id = ?", *a.CenterID)
			}
		}
	}
	return q
}

// Tickets returns the tickets matching f with Center and Window, newest first.
func (s *Store) Tickets(ctx context.Context, f TicketFilter) ([]Ticket, error) {
	q := s.ticketQuery(ctx, f).Preload("Center").Preload("Window")
	if f.Limit > 0 {
		q = q.Limit(f.Limit)
	}
	if f.Offset > 0 {
		q = q.Offset(f.Offset)
	}
	var ts []Ticket
	if err := q.Order("tickets.created_at DESC, tickets.id DESC").Find(&ts).Error; err != nil {
		return nil, fmt.Errorf("store: tickets: %w", err)
	}
	return ts, nil
}

// CountTickets counts the tickets matching f, ignoring Limit and Offset.
func (s *Store) CountTickets(ctx context.Context, f TicketFilter) (int, error) {
	var n int64
	if err := s.ticketQuery(ctx, f).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("store: count tickets: %w", err)
	}
	return int(n), nil
}

// OpenStates returns the states in which work is still due.
func OpenStates() []TicketState {
	return slices.DeleteFunc(slices.Clone(TicketStates), func(s TicketState) bool { return !s.Open() })
}

// badReviewCategory is the category of a bad review's ticket: 工作作风 when any problem is of
// conduct (吃拿卡要 weighs more than a slow queue), else the aspect of its first problem.
func badReviewCategory(r *Rating) string {
	for _, k := range SplitKeys(r.Aspects) {
		if strings.HasPrefix(k, "conduct.") {
			return "conduct"
		}
	}
	for _, k := range SplitKeys(r.Aspects) {
		if a, _, ok := strings.Cut(k, "."); ok {
			return a
		}
	}
	return CategoryOther
}

// PublishedTickets returns the rectification notices made public (整改公示) in the center given
// or (nil) in all, newest first, with Center and Window (with its Center), at most limit.
func (s *Store) PublishedTickets(ctx context.Context, centerID *uint, limit int) ([]Ticket, error) {
	var ts []Ticket
	q := s.db.WithContext(ctx).Preload("Center").Preload("Window.Center").Where("published_at IS NOT NULL")
	if centerID != nil {
		q = q.Where("center_id = ?", *centerID)
	}
	err := q.Order("published_at DESC, id DESC").Limit(limit).Find(&ts).Error
	if err != nil {
		return nil, fmt.Errorf("store: published tickets: %w", err)
	}
	return ts, nil
}

// TicketAttachment returns one photo of a ticket with its bytes (a web upload's or a downloaded
// WeChat image's; a Telegram photo has only its file id), or ErrNotFound.
func (s *Store) TicketAttachment(ctx context.Context, ticketID, id uint) (*TicketAttachment, error) {
	var a TicketAttachment
	if err := s.db.WithContext(ctx).Where("ticket_id = ? AND id = ?", ticketID, id).First(&a).Error; err != nil {
		return nil, fmt.Errorf("store: attachment %d of ticket %d: %w", id, ticketID, notFound(err))
	}
	return &a, nil
}
