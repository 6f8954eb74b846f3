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
	out := map[uint]Ranked{}
	for center, places := range StarPlaces(tallies, barred, minN, 1) {
		out[center] = places[0]
	}
	return out
}

// StarPlaces is ServiceStars for several places: each center's best n staff members, best
// first (fewer where fewer qualify). The monthly-star job takes the configured number of stars
// and the runners-up after them from it.
func StarPlaces(tallies []Tally, barred map[uint]bool, minN, n int) map[uint][]Ranked {
	byCenter := map[uint][]Tally{}
	for _, t := range tallies {
		if !barred[t.ID] {
			byCenter[t.CenterID] = append(byCenter[t.CenterID], t)
		}
	}
	out := make(map[uint][]Ranked, len(byCenter))
	for center, ts := range byCenter {
		if ranked := Rank(ts, minN); len(ranked) > 0 && n > 0 {
			out[center] = ranked[:min(n, len(ranked))]
		}
	}
	return out
}

// YearStars chooses the year's ten best staff members (十佳服务明星) across every center: the
// city-wide ranking of the year's staff tallies (Rank with minN, shrunk towards the city's
// pooled rate) without those barred, best first, at most n.
func YearStars(tallies []Tally, barred map[uint]bool, minN, n int) []Ranked {
	var ts []Tally
	for _, t := range tallies {
		if !barred[t.ID] {
			ts = append(ts, t)
		}
	}
	ranked := Rank(ts, minN)
	return ranked[:min(n, len(ranked))]
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
