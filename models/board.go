package models

import (
	"context"
	"fmt"
	"time"
)

// WindowTalliesByPeriod counts the ratings of every rated window in each period between
// consecutive bounds, in one query over the daily counts (ratingdays.go): out[i] holds the tallies of
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
	var parts []span
	for i := 1; i < len(bounds); i++ {
		parts = append(parts, spans(i-1, bounds[i-1], bounds[i])...)
	}
	out, err := s.countsByBucket(ctx, false, parts, len(bounds)-1)
	if err != nil {
		return nil, fmt.Errorf("store: tallies by period: %w", err)
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
	// The channel counts (ratingdays.go) hold them, a few rows per channel.
	var rows []struct {
		Channel            string
		L1, L2, L3, L4, L5 int
	}
	err := s.reads(ctx).Raw("SELECT channel, SUM(l1) AS l1, SUM(l2) AS l2, SUM(l3) AS l3, SUM(l4) AS l4, SUM(l5) AS l5 " +
		"FROM rating_channel_counts GROUP BY channel ORDER BY channel").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: rating counts: %w", err)
	}
	var out []RatingCount
	for level := 1; level <= 5; level++ {
		for _, r := range rows {
			if n := [5]int{r.L1, r.L2, r.L3, r.L4, r.L5}[level-1]; n > 0 {
				out = append(out, RatingCount{Level: level, Channel: r.Channel, N: n})
			}
		}
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
