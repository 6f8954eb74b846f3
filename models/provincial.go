package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Types of a ReportRecord: what it reports to the provincial 好差评 platform.
const (
	// ReportEvaluation reports a rating.
	ReportEvaluation = "evaluation"
	// ReportRectification reports what became of a bad review.
	ReportRectification = "rectification"
)

// Results of a bad review reported (ReportRecord.Result), as jobs/report names them.
const (
	ReportRectified     = "rectified"
	ReportSatisfied     = "satisfied"
	ReportNotSatisfied  = "not_satisfied"
	ReportNoReply       = "no_reply"
	ReportRejected      = "rejected"
	ReportAppealUpheld  = "appeal_upheld"
	reportRecordLeaseSz = 64
)

// States of a ReportRecord.
const (
	ReportQueued = "queued"
	ReportSent   = "sent"
	ReportFailed = "failed"
)

// ReportRecord is one record waiting for, or sent to, the provincial 好差评 platform: a rating,
// or one outcome of a bad review. It is written in the same transaction as what it reports, so
// no rating is stored without its record and no record exists for something rolled back; it
// holds what it reports by reference (the rating, the ticket event), and the record's fields are
// made from those rows when it is sent or exported. Its DedupeKey makes it one per subject.
type ReportRecord struct {
	ID uint `gorm:"primaryKey"`
	// DedupeKey is "E<rating id>" or "R<ticket event id>": the record ID sent derives from it.
	DedupeKey string `gorm:"size:40;not null;uniqueIndex:idx_report_key"`
	Type      string `gorm:"size:20;not null"`
	RatingID  uint   `gorm:"not null;index"`
	// EventID is the ticket event of a rectification record.
	EventID *uint
	// Result is a rectification record's outcome (ReportRectified …); ReRating the level of the
	// citizen's re-rating (满意 4, 基本满意 3, 不满意 2), 0 for none.
	Result   string `gorm:"size:20;not null;default:''"`
	ReRating int    `gorm:"not null;default:0"`
	// At is when what it reports happened: the export's periods count by it.
	At        time.Time `gorm:"not null;index:idx_report_at"`
	State     string    `gorm:"size:20;not null;index:idx_report_due,priority:1"`
	NotBefore time.Time `gorm:"not null;index:idx_report_due,priority:2"`
	Attempts  int       `gorm:"not null;default:0"`
	LastError string    `gorm:"size:500;not null;default:''"`
	Lease     string    `gorm:"size:64;not null;default:''"`
	SentAt    *time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
}

// queueReport writes r to the report outbox inside tx; a second record of the same subject is
// skipped.
func queueReport(tx *gorm.DB, r *ReportRecord) error {
	r.State, r.NotBefore = ReportQueued, r.At.UTC()
	r.At = r.At.UTC()
	if r.Type == ReportEvaluation {
		r.DedupeKey = fmt.Sprintf("E%d", r.RatingID)
	} else {
		r.DedupeKey = fmt.Sprintf("R%d", *r.EventID)
	}
	err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "dedupe_key"}}, DoNothing: true}).Create(r).Error
	if err != nil {
		return fmt.Errorf("report record: %w", err)
	}
	return nil
}

// reportOutcome queues the record of a bad review's outcome, if ev is one: the rectification
// approved, the citizen's re-rating, no reply in time, the review rejected, an appeal upheld.
func reportOutcome(tx *gorm.DB, t *Ticket, ev *TicketEvent) error {
	if t.RatingID == nil || ev == nil || ev.ID == 0 {
		return nil
	}
	r := &ReportRecord{Type: ReportRectification, RatingID: *t.RatingID, At: ev.CreatedAt}
	id := ev.ID
	r.EventID = &id
	switch {
	case ev.Action == ActApprove:
		r.Result = ReportRectified
	case ev.Action == ActRerate && t.Rerate == RerateSatisfied:
		r.Result, r.ReRating = ReportSatisfied, 4
	case ev.Action == ActRerate && t.Rerate == RerateBasic:
		r.Result, r.ReRating = ReportSatisfied, 3
	case ev.Action == ActRerate && t.Rerate == RerateUnsatisfied:
		r.Result, r.ReRating = ReportNotSatisfied, 2
	case ev.Action == ActExpire:
		r.Result = ReportNoReply
	case ev.Action == ActReject, ev.Action == ActReview && t.CloseReason == CloseRejected && ev.ToState == StateClosed:
		r.Result = ReportRejected
	case ev.Action == ActReview && t.CloseReason == CloseAppealUpheld && ev.ToState == StateClosed:
		r.Result = ReportAppealUpheld
	default:
		return nil
	}
	return queueReport(tx, r)
}

// ClaimReports leases up to limit queued records due at now, oldest first, as ClaimPushes does
// for pushes: on PostgreSQL with FOR UPDATE SKIP LOCKED, so replicas claim disjoint batches.
func (s *Store) ClaimReports(ctx context.Context, now time.Time, lease time.Duration, token string, limit int) ([]ReportRecord, error) {
	if token == "" || len(token) > reportRecordLeaseSz || limit <= 0 || lease <= 0 {
		return nil, fmt.Errorf("store: claim reports: need a token of 1-%d bytes, a positive limit and lease", reportRecordLeaseSz)
	}
	now = now.UTC()
	lock := ""
	if s.dialect == DialectPostgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	q := "UPDATE report_records SET lease = ?, not_before = ?, updated_at = ? WHERE id IN (" +
		"SELECT id FROM report_records WHERE state = ? AND not_before <= ? ORDER BY not_before, id LIMIT ?" + lock +
		") RETURNING id"
	db := s.db.WithContext(ctx)
	var ids []uint
	err := s.write(ctx, func(db *gorm.DB) error {
		return db.Raw(q, token, now.Add(lease), now, ReportQueued, now, limit).Scan(&ids).Error
	})
	if err != nil {
		return nil, fmt.Errorf("store: claim reports: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	var out []ReportRecord
	if err := db.Where("id IN ? AND lease = ?", ids, token).Order("not_before, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: claim reports: load: %w", err)
	}
	return out, nil
}

// ReportSettlement is what became of one leased record.
type ReportSettlement struct {
	// State is ReportQueued (retried at NotBefore), ReportSent or ReportFailed.
	State     string
	NotBefore time.Time
	Attempted bool
	Reason    string
}

// SettleReport records the outcome of a record leased with token; ErrLeaseLost when another
// replica holds it now.
func (s *Store) SettleReport(ctx context.Context, id uint, token string, now time.Time, st ReportSettlement) error {
	set := map[string]any{"state": st.State, "lease": "", "last_error": truncateRunes(st.Reason, 500), "updated_at": now.UTC()}
	if st.Attempted {
		set["attempts"] = gorm.Expr("attempts + 1")
	}
	switch st.State {
	case ReportQueued:
		set["not_before"] = st.NotBefore.UTC()
	case ReportSent:
		set["sent_at"] = now.UTC()
	case ReportFailed:
	default:
		return fmt.Errorf("store: settle report %d: unknown state %q", id, st.State)
	}
	res := s.db.WithContext(ctx).Model(&ReportRecord{}).Where("id = ? AND lease = ? AND state = ?", id, token, ReportQueued).Updates(set)
	if res.Error != nil {
		return fmt.Errorf("store: settle report %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: settle report %d: %w", id, ErrLeaseLost)
	}
	return nil
}

// ReportSubject is everything a record is made from: the rating with its place, staff member and
// case, and for a rectification record the ticket event with its ticket.
type ReportSubject struct {
	Record ReportRecord
	Rating Rating
	Window Window // with Center
	Staff  *Staff
	Case   *Case
	Event  *TicketEvent
	Ticket *Ticket
}

// ReportSubjects loads the subjects of recs, in their order. A record whose rating is gone is
// left out (ratings are never deleted, so this means a corrupt row).
func (s *Store) ReportSubjects(ctx context.Context, recs []ReportRecord) ([]ReportSubject, error) {
	if len(recs) == 0 {
		return nil, nil
	}
	db := s.db.WithContext(ctx)
	ratingIDs := make([]uint, 0, len(recs))
	var eventIDs []uint
	for _, r := range recs {
		ratingIDs = append(ratingIDs, r.RatingID)
		if r.EventID != nil {
			eventIDs = append(eventIDs, *r.EventID)
		}
	}
	var ratings []Rating
	if err := db.Preload("Case").Where("id IN ?", ratingIDs).Find(&ratings).Error; err != nil {
		return nil, fmt.Errorf("store: report subjects: ratings: %w", err)
	}
	byRating := map[uint]*Rating{}
	windowIDs, staffIDs := map[uint]bool{}, map[uint]bool{}
	for i := range ratings {
		byRating[ratings[i].ID] = &ratings[i]
		windowIDs[ratings[i].WindowID] = true
		if ratings[i].StaffID != nil {
			staffIDs[*ratings[i].StaffID] = true
		}
	}
	var windows []Window
	if err := db.Preload("Center").Where("id IN ?", idList(windowIDs)).Find(&windows).Error; err != nil {
		return nil, fmt.Errorf("store: report subjects: windows: %w", err)
	}
	byWindow := map[uint]Window{}
	for _, w := range windows {
		byWindow[w.ID] = w
	}
	byStaff := map[uint]*Staff{}
	if len(staffIDs) > 0 {
		var ss []Staff
		if err := db.Where("id IN ?", idList(staffIDs)).Find(&ss).Error; err != nil {
			return nil, fmt.Errorf("store: report subjects: staff: %w", err)
		}
		for i := range ss {
			byStaff[ss[i].ID] = &ss[i]
		}
	}
	byEvent := map[uint]*TicketEvent{}
	if len(eventIDs) > 0 {
		var evs []TicketEvent
		if err := db.Preload("Ticket").Where("id IN ?", eventIDs).Find(&evs).Error; err != nil {
			return nil, fmt.Errorf("store: report subjects: events: %w", err)
		}
		for i := range evs {
			byEvent[evs[i].ID] = &evs[i]
		}
	}
	out := make([]ReportSubject, 0, len(recs))
	for _, rec := range recs {
		r, ok := byRating[rec.RatingID]
		if !ok {
			continue
		}
		sub := ReportSubject{Record: rec, Rating: *r, Window: byWindow[r.WindowID], Case: r.Case}
		if r.StaffID != nil {
			sub.Staff = byStaff[*r.StaffID]
		}
		if rec.EventID != nil {
			sub.Event = byEvent[*rec.EventID]
			if sub.Event != nil {
				sub.Ticket = sub.Event.Ticket
			}
		}
		out = append(out, sub)
	}
	return out, nil
}

func idList(m map[uint]bool) []uint {
	out := make([]uint, 0, len(m))
	for id := range m {
		out = append(out, id)
	}
	return out
}

// ReportRecordsIn returns the records of what happened in [from, to), oldest first, a page at a
// time (after the record ID afterID), for the export.
func (s *Store) ReportRecordsIn(ctx context.Context, from, to time.Time, afterID uint, limit int) ([]ReportRecord, error) {
	var out []ReportRecord
	err := s.db.WithContext(ctx).Where("at >= ? AND at < ? AND id > ?", from.UTC(), to.UTC(), afterID).
		Order("id").Limit(limit).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: report records: %w", err)
	}
	return out, nil
}

// ReportStatus counts the records by state, with the last error of a failed or retried one.
type ReportStatus struct {
	Sent, Pending, Failed int
	// LastError is the most recent failure's reason and when; empty when none.
	LastError   string
	LastErrorAt *time.Time
	// OldestPending is when the oldest record still waiting happened.
	OldestPending *time.Time
}

// ReportStatus returns the counts of the report outbox.
func (s *Store) ReportStatus(ctx context.Context) (ReportStatus, error) {
	var out ReportStatus
	var rows []struct {
		State string
		N     int
	}
	db := s.db.WithContext(ctx)
	if err := db.Model(&ReportRecord{}).Select("state, COUNT(*) AS n").Group("state").Scan(&rows).Error; err != nil {
		return out, fmt.Errorf("store: report status: %w", err)
	}
	for _, r := range rows {
		switch r.State {
		case ReportSent:
			out.Sent = r.N
		case ReportQueued:
			out.Pending = r.N
		case ReportFailed:
			out.Failed = r.N
		}
	}
	var last ReportRecord
	err := db.Where("last_error <> ''").Order("updated_at DESC, id DESC").Limit(1).Take(&last).Error
	switch {
	case err == nil:
		out.LastError = last.LastError
		at := last.UpdatedAt
		out.LastErrorAt = &at
	case !errors.Is(err, gorm.ErrRecordNotFound):
		return out, fmt.Errorf("store: report status: %w", err)
	}
	var oldest ReportRecord
	err = db.Where("state = ?", ReportQueued).Order("at, id").Limit(1).Take(&oldest).Error
	switch {
	case err == nil:
		at := oldest.At
		out.OldestPending = &at
	case !errors.Is(err, gorm.ErrRecordNotFound):
		return out, fmt.Errorf("store: report status: %w", err)
	}
	return out, nil
}
