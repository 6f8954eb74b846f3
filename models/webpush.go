package models

import (
	"context"
	"fmt"
	"time"
)

// A web chat visitor is reached only while their page is open: a push to them (a ticket accepted,
// a rectification plan, the invitation to re-rate) waits here until the page next asks, on
// whichever replica it asks, and is then taken: shown once.

// WebPushLimit is how many pushes wait for one visitor; a new one past it drops the oldest.
const WebPushLimit = 50

// WebPushKeep is how long a push waits for a visitor who does not come back.
const WebPushKeep = 90 * 24 * time.Hour

// WebPush is a message pushed to a web chat visitor, waiting until their page shows it.
type WebPush struct {
	ID uint `gorm:"primaryKey"`
	// Visitor is the visitor's id: their cookie, the chat id of the web channel.
	Visitor string `gorm:"size:64;not null;index:idx_web_push_visitor"`
	// Body is the message as the page shows it (the web adapter's JSON).
	Body      string    `gorm:"type:text;not null"`
	CreatedAt time.Time `gorm:"not null;index:idx_web_push_created"`
}

// TableName is web_pushes.
func (WebPush) TableName() string { return "web_pushes" }

// PutWebPush keeps body for visitor until TakeWebPushes. The visitor's oldest pushes past
// WebPushLimit, and anybody's older than WebPushKeep, are dropped.
func (s *Store) PutWebPush(ctx context.Context, visitor string, body []byte, now time.Time) error {
	db := s.db.WithContext(ctx)
	if err := db.Create(&WebPush{Visitor: visitor, Body: string(body), CreatedAt: now.UTC()}).Error; err != nil {
		return fmt.Errorf("store: put web push: %w", err)
	}
	var ids []uint
	if err := db.Model(&WebPush{}).Where("visitor = ?", visitor).Order("id DESC").Offset(WebPushLimit).Pluck("id", &ids).Error; err != nil {
		return fmt.Errorf("store: put web push: %w", err)
	}
	if len(ids) > 0 {
		if err := db.Where("id IN ?", ids).Delete(&WebPush{}).Error; err != nil {
			return fmt.Errorf("store: put web push: drop oldest: %w", err)
		}
	}
	if err := db.Where("created_at < ?", now.Add(-WebPushKeep).UTC()).Delete(&WebPush{}).Error; err != nil {
		return fmt.Errorf("store: put web push: drop stale: %w", err)
	}
	return nil
}

// TakeWebPushes returns the pushes waiting for visitor, oldest first, and forgets them. Two
// replicas taking at once never both get one: a push is returned by the take that deleted it.
// With an error it returns the pushes it took before it, which are gone from the table.
func (s *Store) TakeWebPushes(ctx context.Context, visitor string) ([][]byte, error) {
	db := s.db.WithContext(ctx)
	var ps []WebPush
	if err := db.Where("visitor = ?", visitor).Order("id").Limit(WebPushLimit).Find(&ps).Error; err != nil {
		return nil, fmt.Errorf("store: take web pushes: %w", err)
	}
	out := make([][]byte, 0, len(ps))
	for _, p := range ps {
		res := db.Where("id = ?", p.ID).Delete(&WebPush{})
		if res.Error != nil {
			return out, fmt.Errorf("store: take web push %d: %w", p.ID, res.Error)
		}
		if res.RowsAffected == 1 {
			out = append(out, []byte(p.Body))
		}
	}
	return out, nil
}
