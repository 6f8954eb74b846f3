package models

import (
	"context"
	"fmt"
)

// StaffListing is one staff record as `windowbot staff list` shows it: with its window (nil for
// a supervisor or administrator without one), its center, and how many chat accounts act as it.
type StaffListing struct {
	Staff
	Accounts int
}

// StaffList returns every staff record by staff number, with its window, center and the number
// of chat accounts bound to it.
func (s *Store) StaffList(ctx context.Context) ([]StaffListing, error) {
	db := s.db.WithContext(ctx)
	var staff []Staff
	if err := db.Preload("Window.Center").Preload("Center").Order("staff_no").Find(&staff).Error; err != nil {
		return nil, fmt.Errorf("store: staff list: %w", err)
	}
	var counts []struct {
		StaffID uint
		N       int
	}
	err := db.Model(&Citizen{}).Select("staff_id, COUNT(*) AS n").Where("staff_id IS NOT NULL").
		Group("staff_id").Find(&counts).Error
	if err != nil {
		return nil, fmt.Errorf("store: staff list: %w", err)
	}
	bound := make(map[uint]int, len(counts))
	for _, c := range counts {
		bound[c.StaffID] = c.N
	}
	out := make([]StaffListing, len(staff))
	for i, st := range staff {
		out[i] = StaffListing{Staff: st, Accounts: bound[st.ID]}
	}
	return out, nil
}

// FirstWindowCode returns the code of the first window by code, "" when there is none: a window
// that really exists, to show a newcomer where to start.
func (s *Store) FirstWindowCode(ctx context.Context) (string, error) {
	var codes []string
	if err := s.db.WithContext(ctx).Model(&Window{}).Order("code").Limit(1).Pluck("code", &codes).Error; err != nil {
		return "", fmt.Errorf("store: first window: %w", err)
	}
	if len(codes) == 0 {
		return "", nil
	}
	return codes[0], nil
}
