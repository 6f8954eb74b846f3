package models

import (
	"context"
	"fmt"
	"time"

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
	// Text is the message, already in the recipient's language.
	Text string `gorm:"size:4000;not null"`
	// Buttons is the JSON of [][]bot.Button, empty for none.
	Buttons string `gorm:"size:2000"`
	// Urgent pushes are not held back during quiet hours.
	Urgent bool   `gorm:"not null;default:false"`
	State  string `gorm:"size:20;not null;index:idx_push_due,priority:1"`
	// NotBefore is when the push may next be tried (queued pushes are sent in this order).
	NotBefore time.Time `gorm:"not null;index:idx_push_due,priority:2"`
	Attempts  int       `gorm:"not null;default:0"`
	// LastError says why the last attempt failed, or why the push was dropped.
	LastError string `gorm:"size:500"`
	SentAt    *time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Enqueue writes pushes to the outbox inside tx (pass the transaction of what caused them).
// A push whose DedupeKey is already queued or done is skipped, so re-running a job or retrying a
// transition never queues a message twice. State and NotBefore default to queued and now.
func Enqueue(tx *gorm.DB, now time.Time, pushes ...*Push) error {
	if len(pushes) == 0 {
		return nil
	}
	for _, p := range pushes {
		if p.DedupeKey == "" || p.CitizenID == 0 || p.Kind == "" || p.Text == "" {
			return fmt.Errorf("store: enqueue: push needs a dedupe key, kind, recipient and text (%q)", p.DedupeKey)
		}
		if p.State == "" {
			p.State = PushQueued
		}
		if p.NotBefore.IsZero() {
			p.NotBefore = now
		}
		p.NotBefore = p.NotBefore.UTC()
	}
	err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "dedupe_key"}}, DoNothing: true}).
		Create(pushes).Error
	if err != nil {
		return fmt.Errorf("store: enqueue: %w", err)
	}
	return nil
}

// EnqueuePushes queues pushes in a transaction of their own; see Enqueue.
func (s *Store) EnqueuePushes(ctx context.Context, now time.Time, pushes ...*Push) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return Enqueue(tx, now, pushes...)
	})
}
