package models

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// tallySQL counts by the given key column from the ratings. The rated window's center is taken
// from the window, so a staff member who moved during the period is counted in each center they
// served. Ratings are aggregated before the join, so the database reads the period's slice of
// idx_rating_time_cover alone (an index-only scan) rather than visiting each window's ratings
// through the table. SQLite is told to (%[3]s): with statistics it prefers a skip-scan of
// idx_rating_window_time that looks every rating up in the table, ten times slower over a year.
const tallySQL = `SELECT t.id AS id, w.center_id AS center_id,
 SUM(t.l1) AS l1, SUM(t.l2) AS l2, SUM(t.l3) AS l3, SUM(t.l4) AS l4, SUM(t.l5) AS l5
FROM (SELECT %[1]s AS id, r.window_id AS window_id,
  SUM(CASE WHEN r.level = 1 THEN 1 ELSE 0 END) AS l1,
  SUM(CASE WHEN r.level = 2 THEN 1 ELSE 0 END) AS l2,
  SUM(CASE WHEN r.level = 3 THEN 1 ELSE 0 END) AS l3,
  SUM(CASE WHEN r.level = 4 THEN 1 ELSE 0 END) AS l4,
  SUM(CASE WHEN r.level = 5 THEN 1 ELSE 0 END) AS l5
 FROM ratings r%[3]s
 WHERE r.created_at >= ? AND r.created_at < ? AND r.excluded = ?%[2]s
 GROUP BY %[1]s, r.window_id) t
JOIN windows w ON w.id = t.window_id
GROUP BY t.id, w.center_id ORDER BY t.id, w.center_id`

// WindowTallies counts the ratings of every rated window created in [from, to).
func (s *Store) WindowTallies(ctx context.Context, from, to time.Time) ([]Tally, error) {
	out, err := s.tallies(ctx, false, from, to)
	if err != nil {
		return nil, fmt.Errorf("store: window tallies: %w", err)
	}
	return out, nil
}

// StaffTallies counts the ratings created in [from, to) that name a staff member, per staff
// member and center.
func (s *Store) StaffTallies(ctx context.Context, from, to time.Time) ([]Tally, error) {
	out, err := s.tallies(ctx, true, from, to)
	if err != nil {
		return nil, fmt.Errorf("store: staff tallies: %w", err)
	}
	return out, nil
}

// tallies counts [from, to) by window or by staff member and window: its whole UTC days from
// the daily counts (ratingdays.go), the partial days at its ends from the ratings.
func (s *Store) tallies(ctx context.Context, staff bool, from, to time.Time) ([]Tally, error) {
	out, err := s.countsByBucket(ctx, staff, spans(0, from, to), 1)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// Ranked is a tally with its adjusted score and its place (1 = best).
type Ranked struct {
	Tally
	// Score is the satisfaction rate shrunk towards the pooled rate (Tally.Adjusted).
	Score float64
	Rank  int
}

// Rank orders tallies by adjusted satisfaction, best first. Each rate is shrunk towards the
// pooled rate of all the tallies given, as if minN more ratings at that rate had been cast, so
// that three 5-star votes do not beat 300 at 98%; tallies with fewer than minN ratings are left
// out as too small to judge. Ties go to the good-review rate, then to more ratings, then to the
// lower ID, so the order is stable.
func Rank(ts []Tally, minN int) []Ranked {
	prior := Sum(ts).SatisfactionRate()
	out := make([]Ranked, 0, len(ts))
	for _, t := range ts {
		if t.Total() < max(minN, 1) {
			continue
		}
		out = append(out, Ranked{Tally: t, Score: t.Adjusted(prior, minN)})
	}
	slices.SortFunc(out, func(a, b Ranked) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		if c := cmp.Compare(b.GoodRate(), a.GoodRate()); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Total(), a.Total()); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	for i := range out {
		out[i].Rank = i + 1
	}
	return out
}

// TopBottom splits a ranking (best first, as Rank returns it) into its best and its worst
// (worst first), at most n each and never overlapping: the 十佳 and 十差 for n = 10. With fewer
// than 2n ranked, the better half is the top and the rest the bottom.
func TopBottom(rs []Ranked, n int) (top, bottom []Ranked) {
	nt, nb := min(n, (len(rs)+1)/2), min(n, len(rs)/2)
	top = rs[:nt]
	for i := len(rs) - 1; i >= len(rs)-nb; i-- {
		bottom = append(bottom, rs[i])
	}
	return top, bottom
}

// PraiseComments returns up to limit comments of good ratings (levels 4–5, not excluded) naming
// the staff member in [from, to): the best and then the most recent first.
func (s *Store) PraiseComments(ctx context.Context, staffID uint, from, to time.Time, limit int) ([]string, error) {
	var out []string
	err := s.reads(ctx).Model(&Rating{}).
		Where("staff_id = ? AND created_at >= ? AND created_at < ? AND excluded = ? AND level >= ? AND comment <> ''",
			staffID, from.UTC(), to.UTC(), false, int(Satisfied)).
		Order("level DESC, created_at DESC, id DESC").Limit(limit).Pluck("comment", &out).Error
	if err != nil {
		return nil, fmt.Errorf("store: praise of staff %d: %w", staffID, err)
	}
	return out, nil
}

// TallySQL returns the tally of [from, to) by window (staff false) or by staff member and window
// (staff true) read from the ratings alone, which takes three parameters (from, to, false): the
// query WindowTallies and StaffTallies ran before the daily counts, and still run for the
// partial days of a period. Tests compare the tallies with it; benchmarks show its plan.
func (s *Store) TallySQL(staff bool) string {
	key, where := "r.window_id", ""
	if staff {
		key, where = "r.staff_id", " AND r.staff_id IS NOT NULL"
	}
	hint := ""
	if s.dialect == DialectSQLite {
		hint = " INDEXED BY idx_rating_time_cover"
	}
	return fmt.Sprintf(tallySQL, key, where, hint)
}
