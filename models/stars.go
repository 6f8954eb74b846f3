package models

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// ServiceStars chooses each center's service star (服务之星) from the staff tallies of a month:
// among the staff members not barred (an upheld complaint in the month, see
// StaffWithUpheldComplaints), the best adjusted satisfaction of the center's ranking (Rank with
// minN: enough ratings, shrunk towards the center's pooled rate). It returns the stars by center
// ID; a center where nobody qualifies is absent. The monthly-star job announces what it returns,
// and supervisors preview it with /star, so both always agree.
func ServiceStars(tallies []Tally, barred map[uint]bool, minN int) map[uint]Ranked {
	byCenter := map[uint][]Tally{}
	for _, t := range tallies {
		if !barred[t.ID] {
			byCenter[t.CenterID] = append(byCenter[t.CenterID], t)
		}
	}
	out := make(map[uint]Ranked, len(byCenter))
	for center, ts := range byCenter {
		if ranked := Rank(ts, minN); len(ranked) > 0 {
			out[center] = ranked[0]
		}
	}
	return out
}

// StarPick is a center's service star as computed, with the staff member and their Window.
type StarPick struct {
	Ranked
	Staff *Staff
}

// ServiceStarPreview computes the service stars of [from, to) from the data so far, in the
// center given or (nil) in every center, ordered by center ID.
func (s *Store) ServiceStarPreview(ctx context.Context, centerID *uint, from, to time.Time, minRatings int) ([]StarPick, error) {
	tallies, err := s.StaffTallies(ctx, from, to)
	if err != nil {
		return nil, err
	}
	barred, err := s.StaffWithUpheldComplaints(ctx, from, to)
	if err != nil {
		return nil, err
	}
	var out []StarPick
	for center, r := range ServiceStars(tallies, barred, minRatings) {
		if centerID != nil && center != *centerID {
			continue
		}
		st, err := s.StaffByID(ctx, r.ID)
		if err != nil {
			return nil, fmt.Errorf("store: service star preview: %w", err)
		}
		out = append(out, StarPick{Ranked: r, Staff: st})
	}
	slices.SortFunc(out, func(a, b StarPick) int { return cmp.Compare(a.CenterID, b.CenterID) })
	return out, nil
}
