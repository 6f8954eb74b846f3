package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Inspection is an inspection of a window by kind (自查、互查、现场检查、暗访), recorded by a
// supervisor or, for a visit (暗访), by a citizen inspector; a checklist's items are its
// InspectionItems.
type Inspection struct {
	ID       uint    `gorm:"primaryKey"`
	WindowID uint    `gorm:"not null;index"`
	Window   *Window `gorm:"foreignKey:WindowID"`
	// CenterID is the window's center when inspected, so center reports need no join.
	CenterID uint `gorm:"not null;index:idx_inspection_center_time,priority:1"`
	// StaffID is the supervisor who recorded it.
	StaffID  *uint
	Score    int    `gorm:"not null"`
	Findings string `gorm:"size:2000;not null"`
	// Kind is one of InspectionKinds; the one-line /inspect of before records unannounced.
	Kind string `gorm:"size:20;not null;default:'unannounced'"`
	// Note is the overall note of a checklist inspection.
	Note string `gorm:"size:2000;not null;default:''"`
	// Failed counts the checklist items found not to comply (不符合): the findings.
	Failed    int       `gorm:"not null;default:0"`
	CreatedAt time.Time `gorm:"not null;index:idx_inspection_center_time,priority:2"`
}

// RecordInspection stores an inspection of the window; the score must be 0–100 and the findings
// non-empty.
func (s *Store) RecordInspection(ctx context.Context, in *Inspection) error {
	if in.Score < 0 || in.Score > 100 || in.Findings == "" || in.WindowID == 0 {
		return fmt.Errorf("store: record inspection: score 0-100, a window and findings are required")
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var w Window
		if err := tx.Select("id", "center_id").First(&w, in.WindowID).Error; err != nil {
			return notFound(err)
		}
		in.CenterID = w.CenterID
		in.CreatedAt = in.CreatedAt.UTC()
		return tx.Create(in).Error
	})
	if err != nil {
		return fmt.Errorf("store: record inspection: %w", err)
	}
	return nil
}

// InspectionSummary counts the inspections in scope created in [from, to) and averages their
// scores (0 without any).
type InspectionSummary struct {
	Count        int
	AverageScore float64
}

// Inspections summarises the inspections in scope (its StaffID is ignored) in [from, to).
func (s *Store) Inspections(ctx context.Context, scope Scope, from, to time.Time) (InspectionSummary, error) {
	var row struct {
		N   int
		Avg *float64
	}
	q := s.reads(ctx).Model(&Inspection{}).Select("COUNT(*) AS n, AVG(score) AS avg").
		Where("created_at >= ? AND created_at < ?", from.UTC(), to.UTC())
	if scope.CenterID != nil {
		q = q.Where("center_id = ?", *scope.CenterID)
	}
	if scope.WindowID != nil {
		q = q.Where("window_id = ?", *scope.WindowID)
	}
	if err := q.Scan(&row).Error; err != nil {
		return InspectionSummary{}, fmt.Errorf("store: inspections: %w", err)
	}
	out := InspectionSummary{Count: row.N}
	if row.Avg != nil {
		out.AverageScore = *row.Avg
	}
	return out, nil
}

// WindowInspections counts the inspections of one window in a period and the findings among
// them (checklist items found not to comply).
type WindowInspections struct {
	WindowID uint
	CenterID uint
	Count    int
	Failed   int
}

// InspectionsByWindow returns, for each window inspected in [from, to), how many times and with
// how many findings, most findings first (then most inspections, then window ID).
func (s *Store) InspectionsByWindow(ctx context.Context, from, to time.Time) ([]WindowInspections, error) {
	var out []WindowInspections
	err := s.reads(ctx).Model(&Inspection{}).
		Select("window_id, center_id, COUNT(*) AS count, SUM(failed) AS failed").
		Where("created_at >= ? AND created_at < ?", from.UTC(), to.UTC()).
		Group("window_id, center_id").Order("failed DESC, count DESC, window_id").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: inspections by window: %w", err)
	}
	return out, nil
}

// Scope narrows a report: to a center, a window, or the ratings naming one staff member. Nil
// fields do not narrow.
type Scope struct {
	CenterID *uint
	WindowID *uint
	StaffID  *uint
}

// ratingsIn selects the counted (not excluded) ratings in scope created in [from, to). A zero
// bound is open: from the first rating, or until now.
func ratingsIn(db *gorm.DB, scope Scope, from, to time.Time) *gorm.DB {
	q := db.Table("ratings").Where("ratings.excluded = ?", false)
	if !from.IsZero() {
		q = q.Where("ratings.created_at >= ?", from.UTC())
	}
	if !to.IsZero() {
		q = q.Where("ratings.created_at < ?", to.UTC())
	}
	if scope.CenterID != nil {
		q = q.Joins("JOIN windows ON windows.id = ratings.window_id").Where("windows.center_id = ?", *scope.CenterID)
	}
	if scope.WindowID != nil {
		q = q.Where("ratings.window_id = ?", *scope.WindowID)
	}
	if scope.StaffID != nil {
		q = q.Where("ratings.staff_id = ?", *scope.StaffID)
	}
	return q
}

// StatsIn tallies the ratings in scope created in [from, to), leaving out excluded ones. A zero
// bound is open: a zero to counts until now.
func (s *Store) StatsIn(ctx context.Context, scope Scope, from, to time.Time) (Tally, error) {
	var rows []struct {
		Level int
		N     int
	}
	err := ratingsIn(s.reads(ctx), scope, from, to).Select("ratings.level AS level, COUNT(*) AS n").
		Group("ratings.level").Scan(&rows).Error
	if err != nil {
		return Tally{}, fmt.Errorf("store: stats: %w", err)
	}
	var t Tally
	for _, r := range rows {
		t.Record(Level(r.Level), r.N)
	}
	return t, nil
}

// overdueSQL selects tickets past the deadline that applies to them at a time (see Ticket.Due):
// the call-back deadline while submitted, the rectification deadline while being worked on.
const overdueSQL = "((tickets.state = ? AND tickets.callback_due < ?) OR (tickets.state IN ? AND tickets.rectify_due < ?))"

func overdueArgs(at time.Time) []any {
	at = at.UTC()
	return []any{StateSubmitted, at, rectifyStates, at}
}

// rectifyStates are the states in which the rectification deadline applies (see Ticket.Due).
var rectifyStates = []TicketState{StateAccepted, StateRectifying, StateReopened}

// TicketCount counts the open tickets of a place and how many of them are overdue.
type TicketCount struct {
	CenterID uint
	// WindowID is nil for the complaints about a whole center.
	WindowID *uint
	Open     int
	Overdue  int
}

// TicketCounts counts the open and overdue tickets at now per center and window (nil: the whole
// center), in the center given or in all.
func (s *Store) TicketCounts(ctx context.Context, centerID *uint, now time.Time) ([]TicketCount, error) {
	args := append([]any{}, overdueArgs(now)...)
	q := "SELECT tickets.center_id AS center_id, tickets.window_id AS window_id, COUNT(*) AS open, " +
		"SUM(CASE WHEN " + overdueSQL + " THEN 1 ELSE 0 END) AS overdue FROM tickets WHERE tickets.state IN ?"
	args = append(args, OpenStates())
	if centerID != nil {
		q += " AND tickets.center_id = ?"
		args = append(args, *centerID)
	}
	q += " GROUP BY tickets.center_id, tickets.window_id ORDER BY tickets.center_id, tickets.window_id"
	var out []TicketCount
	if err := s.reads(ctx).Raw(q, args...).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("store: ticket counts: %w", err)
	}
	return out, nil
}

// SumTicketCounts adds up the counts of one window (windowID set) or of everything given.
func SumTicketCounts(cs []TicketCount, windowID *uint) TicketCount {
	var out TicketCount
	for _, c := range cs {
		if windowID != nil && (c.WindowID == nil || *c.WindowID != *windowID) {
			continue
		}
		out.Open += c.Open
		out.Overdue += c.Overdue
	}
	return out
}

// RatingRow is a rating as reports list it: with its window, center and the number of the
// ticket it opened.
type RatingRow struct {
	ID         uint
	WindowID   uint
	WindowCode string
	WindowName string
	CenterCode string
	CitizenID  uint
	StaffID    *uint
	Level      int
	Aspects    string
	Praise     string
	Comment    string
	Channel    string
	Excluded   bool
	TicketNo   string
	// TicketState is the state of the bad review's ticket, empty without one.
	TicketState TicketState
	// StaffNo and StaffName name the staff member rated, empty when the rating names nobody.
	StaffNo   string
	StaffName string
	// CaseNo and MatterName are the service case the rating was invited for; CaseNo is empty for
	// a rating without one (or through a counter invitation without a case number).
	CaseNo     string
	MatterName string
	CreatedAt  time.Time
}

// RatingFilter selects ratings for reports. Zero fields select everything; excluded ratings are
// included (they stay on record) and flagged.
type RatingFilter struct {
	CenterID *uint
	WindowID *uint
	// StaffID keeps the ratings that name this staff member.
	StaffID *uint
	// BadOnly keeps the bad reviews (levels 1–2).
	BadOnly  bool
	From, To time.Time
	Limit    int
	Offset   int
	// AfterAt and AfterID, when AfterAt is set, keep the ratings after the rating of that time
	// and ID in the order Ratings lists them: the next page of an export read to its end
	// (keyset paging), which costs the same at the millionth row as at the first, where an
	// offset makes the database step over every row before it again.
	AfterAt time.Time
	AfterID uint
}

func (s *Store) ratingRows(ctx context.Context, f RatingFilter) *gorm.DB {
	table := "ratings"
	if s.dialect == DialectSQLite {
		// SQLite's planner starts from the centers and sorts each page's whole remaining period
		// (a month's export read every row again for each page of 1,000); an index in the
		// listing's order reads a page as a range.
		switch {
		case f.WindowID != nil:
			table = "ratings INDEXED BY idx_rating_window_time"
		case f.StaffID != nil:
			table = "ratings INDEXED BY idx_rating_staff_time"
		default:
			table = "ratings INDEXED BY idx_rating_time_cover"
		}
	}
	q := s.reads(ctx).Table(table).
		Joins("JOIN windows ON windows.id = ratings.window_id").
		Joins("JOIN centers ON centers.id = windows.center_id").
		Joins("LEFT JOIN tickets ON tickets.rating_id = ratings.id").
		Joins("LEFT JOIN staffs ON staffs.id = ratings.staff_id").
		Joins("LEFT JOIN cases ON cases.id = ratings.case_id")
	if f.StaffID != nil {
		q = q.Where("ratings.staff_id = ?", *f.StaffID)
	}
	if f.BadOnly {
		q = q.Where("ratings.level <= ?", int(Dissatisfied))
	}
	if f.CenterID != nil {
		q = q.Where("windows.center_id = ?", *f.CenterID)
	}
	if f.WindowID != nil {
		q = q.Where("ratings.window_id = ?", *f.WindowID)
	}
	// After a page, the page's last time replaces the lower bound: given both, PostgreSQL may
	// start the index range at the looser one and step over every earlier row again.
	if !f.From.IsZero() && !f.AfterAt.After(f.From) {
		q = q.Where("ratings.created_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("ratings.created_at < ?", f.To.UTC())
	}
	if !f.AfterAt.IsZero() {
		// The first condition alone is a range of the time index; the second drops the rows of
		// the same instant up to the last one read.
		at := f.AfterAt.UTC()
		q = q.Where("ratings.created_at >= ? AND (ratings.created_at > ? OR ratings.id > ?)", at, at, f.AfterID)
	}
	return q
}

// Ratings lists the ratings matching f, oldest first (a stable order to page through).
func (s *Store) Ratings(ctx context.Context, f RatingFilter) ([]RatingRow, error) {
	var out []RatingRow
	if err := s.ratingsQuery(ctx, f).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("store: ratings: %w", err)
	}
	return out, nil
}

// RatingsSQL returns the statement Ratings runs for f, its arguments written in; benchmarks show
// its plan.
func (s *Store) RatingsSQL(f RatingFilter) string {
	return s.db.ToSQL(func(tx *gorm.DB) *gorm.DB {
		var out []RatingRow
		return s.ratingsQuery(tx.Statement.Context, f).Session(&gorm.Session{DryRun: true}).Scan(&out)
	})
}

func (s *Store) ratingsQuery(ctx context.Context, f RatingFilter) *gorm.DB {
	q := s.ratingRows(ctx, f).Select("ratings.id, ratings.window_id, windows.code AS window_code, windows.name AS window_name, " +
		"centers.code AS center_code, ratings.citizen_id, ratings.staff_id, ratings.level, ratings.aspects, ratings.praise, " +
		"ratings.comment, ratings.channel, ratings.excluded, COALESCE(tickets.no, '') AS ticket_no, " +
		"COALESCE(tickets.state, '') AS ticket_state, COALESCE(staffs.staff_no, '') AS staff_no, COALESCE(staffs.name, '') AS staff_name, " +
		"COALESCE(cases.case_no, '') AS case_no, COALESCE(cases.matter_name, '') AS matter_name, ratings.created_at").
		Order("ratings.created_at, ratings.id")
	if f.Limit > 0 {
		q = q.Limit(f.Limit)
	}
	if f.Offset > 0 {
		q = q.Offset(f.Offset)
	}
	return q
}

// CountRatings counts the ratings matching f, ignoring Limit and Offset.
func (s *Store) CountRatings(ctx context.Context, f RatingFilter) (int, error) {
	var n int64
	if err := s.ratingRows(ctx, f).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("store: count ratings: %w", err)
	}
	return int(n), nil
}

// CenterByCode returns a center, or ErrNotFound; codes match case-insensitively.
func (s *Store) CenterByCode(ctx context.Context, code string) (*Center, error) {
	if !queryable(code) {
		return nil, fmt.Errorf("store: center by code %q: %w", code, ErrNotFound)
	}
	var c Center
	err := s.db.WithContext(ctx).Where("UPPER(code) = ?", strings.ToUpper(strings.TrimSpace(FoldWidth(code)))).First(&c).Error
	if err != nil {
		return nil, fmt.Errorf("store: center by code %q: %w", code, notFound(err))
	}
	return &c, nil
}

// Windows lists the windows of a center (nil: of all centers) with their Center, by code.
func (s *Store) Windows(ctx context.Context, centerID *uint) ([]Window, error) {
	q := s.db.WithContext(ctx).Preload("Center")
	if centerID != nil {
		q = q.Where("center_id = ?", *centerID)
	}
	var ws []Window
	if err := q.Order("code").Find(&ws).Error; err != nil {
		return nil, fmt.Errorf("store: windows: %w", err)
	}
	return ws, nil
}

// CountFollowers counts the citizens who joined a ticket (并单).
func (s *Store) CountFollowers(ctx context.Context, ticketID uint) (int, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&TicketFollower{}).Where("ticket_id = ?", ticketID).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("store: followers of ticket %d: %w", ticketID, err)
	}
	return int(n), nil
}
