package models

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Push states. A push is queued until a dispatcher sends it (sent), gives up on it (failed), or
// drops it because the recipient can no longer be reached (dropped).
const (
	PushQueued  = "queued"
	PushSent    = "sent"
	PushFailed  = "failed"
	PushDropped = "dropped"
)

// Push kinds: what a push is about. Every push queued anywhere has one of these; WeChat picks a
// template message by kind outside its 48-hour window, so the configuration's template keys are
// checked against PushKinds.
const (
	// KindTicketNew, to staff and supervisors: a new bad review or complaint.
	KindTicketNew = "ticket_new"
	// KindTicketStatus, to the citizen: their ticket moved on.
	KindTicketStatus = "ticket_status"
	// KindRerateInvite, to the citizen: the fix is done, how was it?
	KindRerateInvite = "rerate_invite"
	// KindTicketAlert, to staff and supervisors: reopened, escalated, chased, appealed.
	KindTicketAlert = "ticket_alert"
	// KindRectificationNotice is the public rectification notice (整改公示) pushed to citizens
	// who subscribed to announcements.
	KindRectificationNotice = "rectification_notice"
	// KindDeadlineReminder, to the owning staff: a ticket is due the next working day or today.
	KindDeadlineReminder = "deadline_reminder"
	// KindDailyDigest, to supervisors: new bad reviews, overdue tickets, satisfaction.
	KindDailyDigest = "daily_digest"
	// KindRerateReminder, to the citizen: the re-rating of a resolved ticket is still open.
	KindRerateReminder = "rerate_reminder"
	// KindMonthlyStar, to a center's staff and subscribers: the month's service star (服务之星).
	KindMonthlyStar = "monthly_star"
	// KindMonthlyReport, to supervisors: the month against the target, top and bottom windows.
	KindMonthlyReport = "monthly_report"
	// KindYearlyRanking, to supervisors and the staff of the ranked windows: 十佳/十差 of the year.
	KindYearlyRanking = "yearly_ranking"
	// KindCaseInvite, to the citizen of a finished case (by SMS): please rate it (一事一评).
	KindCaseInvite = "case_invite"
	// KindCaseReminder, to the citizen of a case not rated yet: the one reminder.
	KindCaseReminder = "case_reminder"
)

// PushKinds returns every push kind, in the order the example configuration lists them.
func PushKinds() []string {
	return []string{
		KindTicketNew, KindTicketStatus, KindRerateInvite, KindTicketAlert, KindRectificationNotice,
		KindDeadlineReminder, KindDailyDigest, KindRerateReminder, KindMonthlyStar, KindMonthlyReport,
		KindYearlyRanking, KindCaseInvite, KindCaseReminder,
	}
}

// Push is one message waiting in the outbox to be delivered to one platform identity, outside
// any conversation: a ticket's status change to the citizen, a reminder to staff, the monthly
// star. It is written in the same transaction as what caused it, so a crash never loses a push
// and never sends one for something that was rolled back.
type Push struct {
	ID uint `gorm:"primaryKey"`
	// DedupeKey is unique: kind, subject, recipient and occurrence, e.g.
	// "ticket_status:T20261123-0042:accepted:c42". Queuing the same key twice keeps the first.
	DedupeKey string `gorm:"size:300;not null;uniqueIndex"`
	// Kind names the notice ("ticket_status", "deadline_reminder", "monthly_star", …); WeChat
	// picks its template by it.
	Kind string `gorm:"size:40;not null"`
	// CitizenID is the recipient: a platform identity (a staff member's bound account is one).
	CitizenID uint `gorm:"not null;index"`
	Citizen   *Citizen
	// Text is the message, already in the recipient's language; empty when Message holds it.
	Text string `gorm:"size:4000;not null"`
	// Buttons is the JSON of [][]bot.Button of Text, empty for none.
	Buttons string `gorm:"size:2000"`
	// Message is the message as data, worded when the push is sent; nil when Text holds it.
	Message *PushMessage `gorm:"serializer:json"`
	// PictureHash names a picture (Picture) sent with the text, which then becomes its caption:
	// a star's poster, a report's chart. Empty for a text alone. A channel that cannot show the
	// picture sends the text alone.
	PictureHash string `gorm:"size:64;not null;default:''"`
	// Urgent pushes are not held back during quiet hours.
	Urgent bool   `gorm:"not null;default:false"`
	State  string `gorm:"size:20;not null;index:idx_push_due,priority:1"`
	// NotBefore is when the push may next be tried (queued pushes are sent in this order).
	NotBefore time.Time `gorm:"not null;index:idx_push_due,priority:2"`
	Attempts  int       `gorm:"not null;default:0"`
	// LastError says why the last attempt failed, or why the push was dropped.
	LastError string `gorm:"size:500"`
	SentAt    *time.Time
	// Lease is the token of the dispatcher that claimed the push and has not settled it yet;
	// empty while nobody holds it. See ClaimPushes.
	Lease     string `gorm:"size:64;not null;default:''"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Enqueue writes pushes to the outbox inside tx (pass the transaction of what caused them).
// A push whose DedupeKey is already queued or done is skipped, so re-running a job or retrying a
// transition never queues a message twice. State and NotBefore default to queued and now.
func Enqueue(tx *gorm.DB, now time.Time, pushes ...*Push) error {
	_, err := EnqueueNew(tx, now, pushes...)
	return err
}

// EnqueueNew is Enqueue that also says how many pushes were new (not skipped as duplicates).
func EnqueueNew(tx *gorm.DB, now time.Time, pushes ...*Push) (int, error) {
	if len(pushes) == 0 {
		return 0, nil
	}
	for _, p := range pushes {
		if p.DedupeKey == "" || p.CitizenID == 0 || p.Kind == "" || (p.Text == "") == (p.Message == nil) {
			return 0, fmt.Errorf("store: enqueue: push needs a dedupe key, kind, recipient, and a text or a message (%q)", p.DedupeKey)
		}
		if p.State == "" {
			p.State = PushQueued
		}
		if p.NotBefore.IsZero() {
			p.NotBefore = now
		}
		p.NotBefore = p.NotBefore.UTC()
	}
	res := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "dedupe_key"}}, DoNothing: true}).
		Create(pushes)
	if res.Error != nil {
		return 0, fmt.Errorf("store: enqueue: %w", res.Error)
	}
	return int(res.RowsAffected), nil
}

// EnqueuePushes queues pushes in a transaction of their own; see Enqueue.
func (s *Store) EnqueuePushes(ctx context.Context, now time.Time, pushes ...*Push) error {
	_, err := s.EnqueueNewPushes(ctx, now, pushes...)
	return err
}

// EnqueueNewPushes is EnqueuePushes that also says how many pushes were new (a re-run's are
// not).
func (s *Store) EnqueueNewPushes(ctx context.Context, now time.Time, pushes ...*Push) (int, error) {
	if len(pushes) == 0 {
		return 0, nil
	}
	var n int
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		n, err = EnqueueNew(tx, now, pushes...)
		return err
	})
	return n, err
}

// pushLeaseSize is the longest lease token ClaimPushes accepts (the column's size).
const pushLeaseSize = 64

// ClaimPushes takes up to limit queued pushes that are due at now, oldest first, and leases them
// to the caller until now+lease: their NotBefore moves to the lease's end and Lease holds the
// caller's token, so no other dispatcher claims them meanwhile. A dispatcher that dies holding a
// lease loses nothing: the push falls due again when the lease ends and is claimed afresh (it is
// then sent a second time only if the first dispatcher died after sending and before recording).
//
// On PostgreSQL the candidates are locked with FOR UPDATE SKIP LOCKED, so replicas claiming at the
// same moment take disjoint batches without waiting for each other; on SQLite the single UPDATE
// runs under the database's one write lock. The pushes come back with their Citizen, by ID.
func (s *Store) ClaimPushes(ctx context.Context, now time.Time, lease time.Duration, token string, limit int) ([]Push, error) {
	if token == "" || len(token) > pushLeaseSize || limit <= 0 || lease <= 0 {
		return nil, fmt.Errorf("store: claim pushes: need a token of 1-%d bytes, a positive limit and lease", pushLeaseSize)
	}
	now = now.UTC()
	lock := ""
	if s.dialect == DialectPostgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	q := "UPDATE pushes SET lease = ?, not_before = ?, updated_at = ? WHERE id IN (" +
		"SELECT id FROM pushes WHERE state = ? AND not_before <= ? ORDER BY not_before, id LIMIT ?" + lock +
		") RETURNING id"
	db := s.db.WithContext(ctx)
	var ids []uint
	err := s.write(ctx, func(db *gorm.DB) error {
		return db.Raw(q, token, now.Add(lease), now, PushQueued, now, limit).Scan(&ids).Error
	})
	if err != nil {
		return nil, fmt.Errorf("store: claim pushes: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	var out []Push
	if err := db.Preload("Citizen").Where("id IN ? AND lease = ?", ids, token).Order("id").Find(&out).Error; err != nil {
		// Give the batch back rather than leave it leased to a caller that never got it.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if rerr := s.db.WithContext(rctx).Model(&Push{}).Where("id IN ? AND lease = ?", ids, token).
			Updates(map[string]any{"lease": "", "not_before": now, "updated_at": now}).Error; rerr != nil {
			err = errors.Join(err, fmt.Errorf("release: %w", rerr))
		}
		return nil, fmt.Errorf("store: claim pushes: load: %w", err)
	}
	return out, nil
}

// PushSettlement is what became of one leased push; see SettlePush.
type PushSettlement struct {
	// State is the push's new state: PushQueued (held, retried or released), PushSent,
	// PushFailed or PushDropped.
	State string
	// NotBefore is when a push that stays queued is due again.
	NotBefore time.Time
	// Attempted counts this round as a send attempt (not for a push held by quiet hours or
	// released unsent at shutdown).
	Attempted bool
	// Reason is stored as LastError (why it failed, was dropped or will be retried); "" clears it.
	Reason string
	// SentAt is set with PushSent.
	SentAt time.Time
	// Deactivate marks the recipient Inactive in the same transaction (they blocked the bot).
	Deactivate bool
}

// ErrLeaseLost means a push's lease ended and another dispatcher claimed it before this one
// settled it: the other dispatcher's outcome stands.
var ErrLeaseLost = errors.New("store: push lease lost")

// SettlePush records the outcome of a push leased with token and ends the lease. It changes
// nothing and returns ErrLeaseLost when the push no longer holds that lease.
func (s *Store) SettlePush(ctx context.Context, p *Push, token string, now time.Time, st PushSettlement) error {
	set := map[string]any{
		"state":      st.State,
		"lease":      "",
		"last_error": truncateRunes(st.Reason, 500),
		"updated_at": now.UTC(),
	}
	if st.Attempted {
		set["attempts"] = gorm.Expr("attempts + 1")
	}
	switch st.State {
	case PushQueued:
		if st.NotBefore.IsZero() {
			return fmt.Errorf("store: settle push %d: queued again without a due time", p.ID)
		}
		set["not_before"] = st.NotBefore.UTC()
	case PushSent:
		set["sent_at"] = st.SentAt.UTC()
	case PushFailed, PushDropped:
	default:
		return fmt.Errorf("store: settle push %d: unknown state %q", p.ID, st.State)
	}
	// Only a push that deactivates its recipient changes a cached row.
	var changes []*shared
	if st.Deactivate {
		changes = append(changes, s.citizens)
	}
	err := s.change(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&Push{}).Where("id = ? AND lease = ? AND state = ?", p.ID, token, PushQueued).Updates(set)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrLeaseLost
		}
		if st.Deactivate {
			err := tx.Model(&Citizen{}).Where("id = ?", p.CitizenID).
				Updates(map[string]any{"inactive": true, "updated_at": now.UTC()}).Error
			if err != nil {
				return fmt.Errorf("deactivate citizen %d: %w", p.CitizenID, err)
			}
		}
		return nil
	}, changes...)
	if err != nil {
		return fmt.Errorf("store: settle push %d: %w", p.ID, err)
	}
	return nil
}

// FailedPushes lists failed pushes, newest first, with their recipients, for administrators.
func (s *Store) FailedPushes(ctx context.Context, limit int) ([]Push, error) {
	var out []Push
	err := s.db.WithContext(ctx).Preload("Citizen").Where("state = ?", PushFailed).
		Order("updated_at DESC, id DESC").Limit(limit).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: failed pushes: %w", err)
	}
	return out, nil
}

// PushCount is the number of pushes of one channel and kind in one state.
type PushCount struct {
	Platform string
	Kind     string
	N        int
}

// QueuedPushes counts the queued pushes by recipient platform and kind.
func (s *Store) QueuedPushes(ctx context.Context) ([]PushCount, error) {
	var out []PushCount
	err := s.db.WithContext(ctx).Table("pushes").
		Select("citizens.platform AS platform, pushes.kind AS kind, COUNT(*) AS n").
		Joins("JOIN citizens ON citizens.id = pushes.citizen_id").
		Where("pushes.state = ?", PushQueued).
		Group("citizens.platform, pushes.kind").Order("platform, kind").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: queued pushes: %w", err)
	}
	return out, nil
}

// truncateRunes cuts s to at most n runes, so it fits a VARCHAR(n) on PostgreSQL.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
