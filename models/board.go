package models

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// periodTallySQL counts by period and window: each rating falls in the period its bucket CASE
// picks (%[1]s). Like tallySQL, the ratings are aggregated before the join to windows, so the
// database reads the whole span as one range of idx_rating_time_cover (an index-only scan) and
// joins a few hundred rows per period.
const periodTallySQL = `SELECT t.b AS b, t.window_id AS id, w.center_id AS center_id,
 t.l1 AS l1, t.l2 AS l2, t.l3 AS l3, t.l4 AS l4, t.l5 AS l5
FROM (SELECT x.b AS b, x.window_id AS window_id,
  SUM(CASE WHEN x.level = 1 THEN 1 ELSE 0 END) AS l1,
  SUM(CASE WHEN x.level = 2 THEN 1 ELSE 0 END) AS l2,
  SUM(CASE WHEN x.level = 3 THEN 1 ELSE 0 END) AS l3,
  SUM(CASE WHEN x.level = 4 THEN 1 ELSE 0 END) AS l4,
  SUM(CASE WHEN x.level = 5 THEN 1 ELSE 0 END) AS l5
 FROM (SELECT %[1]s AS b, r.window_id AS window_id, r.level AS level
  FROM ratings r%[2]s
  WHERE r.created_at >= ? AND r.created_at < ? AND r.excluded = ?) x
 GROUP BY x.b, x.window_id) t
JOIN windows w ON w.id = t.window_id
ORDER BY t.b, t.window_id`

// WindowTalliesByPeriod counts the ratings of every rated window in each period between
// consecutive bounds, in one pass over the ratings: out[i] holds the tallies of
// [bounds[i], bounds[i+1]), by window ID. The bounds must ascend; fewer than two give nothing.
// The public board reads its thirteen months with it.
func (s *Store) WindowTalliesByPeriod(ctx context.Context, bounds []time.Time) ([][]Tally, error) {
	if len(bounds) < 2 {
		return nil, nil
	}
	for i := 1; i < len(bounds); i++ {
		if !bounds[i].After(bounds[i-1]) {
			return nil, fmt.Errorf("store: tallies by period: bounds must ascend (%s, %s)", bounds[i-1], bounds[i])
		}
	}
	// CASE WHEN r.created_at < b1 THEN 0 WHEN r.created_at < b2 THEN 1 … ELSE n-1 END: the rows
	// are already within [b0, bn).
	var cs strings.Builder
	args := make([]any, 0, len(bounds)+2)
	cs.WriteString("CASE")
	for i := 1; i < len(bounds)-1; i++ {
		fmt.Fprintf(&cs, " WHEN r.created_at < ? THEN %d", i-1)
		args = append(args, bounds[i].UTC())
	}
	fmt.Fprintf(&cs, " ELSE %d END", len(bounds)-2)
	hint := ""
	if s.dialect == DialectSQLite {
		hint = " INDEXED BY idx_rating_time_cover"
	}
	args = append(args, bounds[0].UTC(), bounds[len(bounds)-1].UTC(), false)
	var rows []struct {
		B                  int
		ID, CenterID       uint
		L1, L2, L3, L4, L5 int
	}
	if err := s.reads(ctx).Raw(fmt.Sprintf(periodTallySQL, cs.String(), hint), args...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: tallies by period: %w", err)
	}
	out := make([][]Tally, len(bounds)-1)
	for _, r := range rows {
		if r.B < 0 || r.B >= len(out) {
			continue
		}
		out[r.B] = append(out[r.B], Tally{ID: r.ID, CenterID: r.CenterID, ByLevel: [5]int{r.L1, r.L2, r.L3, r.L4, r.L5}})
	}
	return out, nil
}

// TicketHandling is how one center's tickets (bad reviews and complaints) were handled in a
// period: the rectifications finished in it and how many of them by their deadline, and the
// citizens' verdicts on the fixes (追评) given in it and how many were satisfied (满意 or 基本满意).
type TicketHandling struct {
	CenterID        uint
	Resolved        int
	OnTime          int
	Rerated         int
	RerateSatisfied int
}

// Add adds the counts of o to h, which keeps its CenterID.
func (h *TicketHandling) Add(o TicketHandling) {
	h.Resolved += o.Resolved
	h.OnTime += o.OnTime
	h.Rerated += o.Rerated
	h.RerateSatisfied += o.RerateSatisfied
}

// OnTimeRate is the share of the finished rectifications finished by their deadline; 0 without any.
func (h TicketHandling) OnTimeRate() float64 { return ratio(h.OnTime, h.Resolved) }

// RerateRate is the re-rating satisfaction (回访满意率): the verdicts 满意 or 基本满意 among all
// verdicts given; 0 without any.
func (h TicketHandling) RerateRate() float64 { return ratio(h.RerateSatisfied, h.Rerated) }

// TicketHandlings counts, per center, the rectifications finished in [from, to) (the tickets
// resolved then and still resolved or closed since: a fix the citizen turned down counts again
// when it is finished anew) and the re-ratings given in [from, to), whatever came of them.
func (s *Store) TicketHandlings(ctx context.Context, from, to time.Time) ([]TicketHandling, error) {
	db := s.reads(ctx)
	var resolved []struct {
		CenterID         uint
		Resolved, OnTime int
	}
	err := db.Raw(`SELECT center_id, COUNT(*) AS resolved,
 SUM(CASE WHEN resolved_at <= rectify_due THEN 1 ELSE 0 END) AS on_time
FROM tickets WHERE resolved_at >= ? AND resolved_at < ? GROUP BY center_id`, from.UTC(), to.UTC()).Scan(&resolved).Error
	if err != nil {
		return nil, fmt.Errorf("store: ticket handling: %w", err)
	}
	var rerated []struct {
		CenterID           uint
		Rerated, Satisfied int
	}
	// A verdict of 满意 or 基本满意 closes the ticket; 不满意 reopens it (ticketrules.go).
	err = db.Raw(`SELECT t.center_id AS center_id, COUNT(*) AS rerated,
 SUM(CASE WHEN e.to_state = ? THEN 1 ELSE 0 END) AS satisfied
FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id
WHERE e.action = ? AND e.created_at >= ? AND e.created_at < ? GROUP BY t.center_id`,
		StateClosed, ActRerate, from.UTC(), to.UTC()).Scan(&rerated).Error
	if err != nil {
		return nil, fmt.Errorf("store: ticket handling: %w", err)
	}
	byCenter := map[uint]*TicketHandling{}
	get := func(id uint) *TicketHandling {
		if byCenter[id] == nil {
			byCenter[id] = &TicketHandling{CenterID: id}
		}
		return byCenter[id]
	}
	for _, r := range resolved {
		h := get(r.CenterID)
		h.Resolved, h.OnTime = r.Resolved, r.OnTime
	}
	for _, r := range rerated {
		h := get(r.CenterID)
		h.Rerated, h.RerateSatisfied = r.Rerated, r.Satisfied
	}
	out := make([]TicketHandling, 0, len(byCenter))
	for _, h := range byCenter {
		out = append(out, *h)
	}
	return out, nil
}

// RatingCount is how many ratings were given at one level through one channel.
type RatingCount struct {
	Level   int
	Channel string
	N       int
}

// RatingCounts counts every rating on record by level and channel, the excluded ones too: a
// rating once given stays counted, so the figures only grow (a Prometheus counter).
func (s *Store) RatingCounts(ctx context.Context) ([]RatingCount, error) {
	var out []RatingCount
	err := s.reads(ctx).Raw("SELECT level, channel, COUNT(*) AS n FROM ratings GROUP BY level, channel ORDER BY level, channel").
		Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: rating counts: %w", err)
	}
	return out, nil
}

// Push states as PushStates counts them: a queued push is due (it may be sent now) or held (its
// NotBefore is later: quiet hours, a retry's backoff).
const (
	PushDue  = "due"
	PushHeld = "held"
)

// PushStateCount is how many pushes are in one state.
type PushStateCount struct {
	State string
	N     int
}

// PushStates counts the pushes in the outbox by state at now, the queued ones split into due
// (PushDue) and held until later (PushHeld).
func (s *Store) PushStates(ctx context.Context, now time.Time) ([]PushStateCount, error) {
	var out []PushStateCount
	err := s.db.WithContext(ctx).Raw(`SELECT x.state AS state, COUNT(*) AS n FROM
 (SELECT CASE WHEN state = ? AND not_before > ? THEN ? WHEN state = ? THEN ? ELSE state END AS state FROM pushes) x
GROUP BY x.state ORDER BY x.state`, PushQueued, now.UTC(), PushHeld, PushQueued, PushDue).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: push states: %w", err)
	}
	return out, nil
}
