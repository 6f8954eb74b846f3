package models

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
)

// ChannelPaper is the channel of a paper feedback card or a suggestion-box note (纸质), entered
// by the center's office for the citizen who wrote it.
const ChannelPaper = "paper"

// PaperCard is a paper feedback card as the office enters it.
type PaperCard struct {
	WindowID uint
	Level    int
	Comment  string
	// EnteredBy is the staff record (a supervisor of the center's office) who typed it in.
	EnteredBy uint
	At        time.Time
}

// RecordPaperCard stores a paper feedback card as a rating of channel paper (纸质). It counts in
// the statistics and rankings like any rating, and a bad one opens its ticket, but it names
// nobody, so it never makes a service star. Each card is its own rater: a platform identity
// (platform paper, never reachable) made for it, so the one-rating-a-day rule does not stop the
// office from entering a stack of cards, and the ticket of a bad card pushes to nobody outside.
func (s *Store) RecordPaperCard(ctx context.Context, c PaperCard) (*Rating, error) {
	if !Level(c.Level).Valid() {
		return nil, fmt.Errorf("store: paper card: invalid level %d", c.Level)
	}
	var buf [12]byte
	if _, err := rand.Read(buf[:]); err != nil {
		return nil, fmt.Errorf("store: paper card: %w", err)
	}
	at := c.At.UTC()
	card := Citizen{Platform: ChannelPaper, ExternalID: "card-" + hex.EncodeToString(buf[:]), Inactive: true, LastSeenAt: at, CreatedAt: at, UpdatedAt: at}
	if err := s.db.WithContext(ctx).Create(&card).Error; err != nil {
		return nil, fmt.Errorf("store: paper card: %w", err)
	}
	r := &Rating{WindowID: c.WindowID, CitizenID: card.ID, Level: c.Level, Comment: c.Comment, Channel: ChannelPaper, CreatedAt: at}
	if err := s.CreateRating(ctx, r, at); err != nil {
		return nil, fmt.Errorf("store: paper card: %w", err)
	}
	return r, nil
}
