package models

import (
	"context"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
)

// Queries of the scheduled jobs: who is due a reminder, what is overdue, who may not be the star.

// dueTicketsWhere selects open tickets whose current deadline (Ticket.Due) is in [from, to):
// the call-back deadline while submitted, the rectification deadline while being worked on.
func dueTicketsWhere(db *gorm.DB, from, to time.Time) *gorm.DB {
	return db.Where("(state = ? AND callback_due >= ? AND callback_due < ?) OR (state IN ? AND rectify_due >= ? AND rectify_due < ?)",
		StateSubmitted, from.UTC(), to.UTC(), rectifyStates, from.UTC(), to.UTC())
}

// TicketsDue returns the open tickets whose current deadline falls in [from, to), with Center
// and Window, by ID.
func (s *Store) TicketsDue(ctx context.Context, from, to time.Time) ([]Ticket, error) {
	var ts []Ticket
	err := dueTicketsWhere(s.db.WithContext(ctx).Preload("Center").Preload("Window"), from, to).
		Order("id").Find(&ts).Error
	if err != nil {
		return nil, fmt.Errorf("store: tickets due: %w", err)
	}
	return ts, nil
}

// OverdueTickets returns the open tickets whose current deadline passed before now, with Center
// and Window, oldest deadline first. Tickets under appeal have no deadline.
func (s *Store) OverdueTickets(ctx context.Context, now time.Time) ([]Ticket, error) {
	ts, err := s.TicketsDue(ctx, time.Time{}, now)
	if err != nil {
		return nil, fmt.Errorf("store: overdue tickets: %w", err)
	}
	slices.SortStableFunc(ts, func(a, b Ticket) int { return a.Due().Compare(b.Due()) })
	return ts, nil
}

// TicketsWithEventSince returns the IDs of the tickets that got an event of action by role at or
// after since (e.g. today's chase by the system).
func (s *Store) TicketsWithEventSince(ctx context.Context, action Action, role string, since time.Time) (map[uint]bool, error) {
	var ids []uint
	err := s.db.WithContext(ctx).Model(&TicketEvent{}).Distinct("ticket_id").
		Where("action = ? AND actor_role = ? AND created_at >= ?", action, role, since.UTC()).Pluck("ticket_id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("store: tickets with %s since: %w", action, err)
	}
	out := make(map[uint]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// AwaitingRerate returns the resolved tickets resolved before `before` that still wait for the
// citizen's verdict, by resolution time.
func (s *Store) AwaitingRerate(ctx context.Context, before time.Time) ([]Ticket, error) {
	var ts []Ticket
	err := s.db.WithContext(ctx).Preload("Center").Preload("Window").
		Where("state = ? AND resolved_at < ?", StateResolved, before.UTC()).Order("resolved_at, id").Find(&ts).Error
	if err != nil {
		return nil, fmt.Errorf("store: tickets awaiting re-rating: %w", err)
	}
	return ts, nil
}

// TicketReporters returns the active accounts of the citizen who filed a ticket and of those who
// joined it.
func (s *Store) TicketReporters(ctx context.Context, t *Ticket) ([]Citizen, error) {
	db := s.db.WithContext(ctx)
	var cs []Citizen
	err := db.Where("id = ? OR id IN (?)", t.CitizenID,
		db.Session(&gorm.Session{NewDB: true}).Model(&TicketFollower{}).Select("citizen_id").Where("ticket_id = ?", t.ID)).
		Where("inactive = ?", false).Order("id").Find(&cs).Error
	if err != nil {
		return nil, fmt.Errorf("store: reporters of %s: %w", t.No, err)
	}
	return cs, nil
}

// TicketHandlers returns the active chat accounts of whoever works on a ticket: its owner when
// assigned, else by its route the staff and leads of its window or its leads; never the person
// it names. A ticket the supervisors handle has none (a center-wide complaint, a conduct case).
func (s *Store) TicketHandlers(ctx context.Context, t *Ticket) ([]Account, error) {
	if handlerStaff(s.db, t) == nil {
		return nil, nil
	}
	out, err := s.accounts(ctx, func(db *gorm.DB) *gorm.DB { return db.Where("id IN (?)", handlerStaff(db, t)) })
	if err != nil {
		return nil, fmt.Errorf("store: handlers of %s: %w", t.No, err)
	}
	return out, nil
}

// CenterSupervisorAccounts returns the active chat accounts of a center's supervisors: those
// assigned to the center (directly or through a window of it) and those of all centers.
func (s *Store) CenterSupervisorAccounts(ctx context.Context, centerID uint) ([]Account, error) {
	out, err := s.accounts(ctx, func(db *gorm.DB) *gorm.DB {
		return db.Where("role = ?", RoleSupervisor).
			Where("center_id = ? OR window_id IN (?) OR (center_id IS NULL AND window_id IS NULL)", centerID,
				windowIDsOfCenter(db, centerID))
	})
	if err != nil {
		return nil, fmt.Errorf("store: supervisors of center %d: %w", centerID, err)
	}
	return out, nil
}

// StaffWithUpheldComplaints returns the staff members with an upheld complaint among the tickets
// opened in [from, to): a bad review or complaint that was verified as valid (accepted) and not
// later rejected or overturned on appeal. A bad review names its rating's staff member when the
// rating has one; otherwise the ticket counts against every staff member of its window. A
// complaint about a whole center names nobody.
func (s *Store) StaffWithUpheldComplaints(ctx context.Context, from, to time.Time) (map[uint]bool, error) {
	db := s.db.WithContext(ctx)
	upheld := func() *gorm.DB {
		return db.Session(&gorm.Session{NewDB: true}).Table("tickets t").
			Where("t.created_at >= ? AND t.created_at < ? AND t.accepted_at IS NOT NULL AND t.state <> ? AND t.close_reason NOT IN ?",
				from.UTC(), to.UTC(), StateRejected, []string{CloseRejected, CloseAppealUpheld})
	}
	var named []uint
	err := upheld().Joins("JOIN ratings r ON r.id = t.rating_id").Where("r.staff_id IS NOT NULL").
		Distinct("r.staff_id").Pluck("r.staff_id", &named).Error
	if err != nil {
		return nil, fmt.Errorf("store: staff with upheld complaints: %w", err)
	}
	var windowStaff []uint
	err = upheld().Joins("JOIN staffs s ON s.window_id = t.window_id").Joins("LEFT JOIN ratings r ON r.id = t.rating_id").
		Where("r.staff_id IS NULL").Distinct("s.id").Pluck("s.id", &windowStaff).Error
	if err != nil {
		return nil, fmt.Errorf("store: staff with upheld complaints: %w", err)
	}
	out := map[uint]bool{}
	for _, id := range append(named, windowStaff...) {
		out[id] = true
	}
	return out, nil
}

// TicketOutcome counts tickets of one center by where they ended up.
type TicketOutcome struct {
	CenterID    uint
	State       TicketState
	CloseReason string
	N           int
}

// BadReviewOutcomes counts the bad-review tickets opened in [from, to) by center, state and
// close reason.
func (s *Store) BadReviewOutcomes(ctx context.Context, from, to time.Time) ([]TicketOutcome, error) {
	var out []TicketOutcome
	err := s.db.WithContext(ctx).Model(&Ticket{}).
		Select("center_id, state, close_reason, COUNT(*) AS n").
		Where("kind = ? AND created_at >= ? AND created_at < ?", KindBadReview, from.UTC(), to.UTC()).
		Group("center_id, state, close_reason").Order("center_id, state, close_reason").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: bad review outcomes: %w", err)
	}
	return out, nil
}

// NewBadReviews returns the bad-review tickets opened in [from, to), with Window, oldest first.
func (s *Store) NewBadReviews(ctx context.Context, from, to time.Time) ([]Ticket, error) {
	var ts []Ticket
	err := s.db.WithContext(ctx).Preload("Window").
		Where("kind = ? AND created_at >= ? AND created_at < ?", KindBadReview, from.UTC(), to.UTC()).
		Order("created_at, id").Find(&ts).Error
	if err != nil {
		return nil, fmt.Errorf("store: new bad reviews: %w", err)
	}
	return ts, nil
}

// WindowsByID returns every window with its Center, keyed by ID.
func (s *Store) WindowsByID(ctx context.Context) (map[uint]Window, error) {
	var ws []Window
	if err := s.db.WithContext(ctx).Preload("Center").Find(&ws).Error; err != nil {
		return nil, fmt.Errorf("store: windows: %w", err)
	}
	out := make(map[uint]Window, len(ws))
	for _, w := range ws {
		out[w.ID] = w
	}
	return out, nil
}
