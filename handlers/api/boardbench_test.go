package api_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"windowbot/handlers/api"
	"windowbot/internal/testenv"
	"windowbot/models"
)

// seedBadReviewTickets opens a ticket for every bad review of the data set (about 2.5% of the
// ratings), as a hall a month or more behind would have them: a tenth still submitted, a tenth
// being rectified after the citizen turned the fix down, the rest finished (one in seven late),
// most re-rated, one in fifty published. PostgreSQL only.
func seedBadReviewTickets(b *testing.B, s *models.Store) {
	b.Helper()
	db := testenv.DB(b, s)
	steps := []string{
		`INSERT INTO tickets (no, kind, state, center_id, window_id, category, description, rating_id, citizen_id, channel,
		  anonymous, callback_consent, escalated, callback_due, rectify_due, accepted_at, resolved_at, closed_at, plan, result,
		  reason, close_reason, rerate, citizen_appealed, staff_appealed, appeal_by, appeal_from, appeal_reason, published_at,
		  created_at, updated_at)
		SELECT 'T' || to_char(x.created_at, 'YYYYMMDD') || '-' || lpad(x.id::text, 7, '0'), 'bad_review', x.state,
		  x.center_id, x.window_id, 'attitude', '窗口人员态度冷漠', x.id, x.citizen_id, 'web', false, false, x.state = 'rectifying',
		  x.created_at + interval '1 day', x.created_at + interval '21 days',
		  CASE WHEN x.state <> 'submitted' THEN x.created_at + interval '2 hours' END,
		  x.resolved_at, CASE WHEN x.state = 'closed' THEN x.resolved_at + interval '1 day' END,
		  CASE WHEN x.state <> 'submitted' THEN '约谈当事人，组织服务礼仪培训' ELSE '' END,
		  CASE WHEN x.state = 'closed' THEN '已完成培训并回访' ELSE '' END, '',
		  CASE WHEN x.state = 'closed' THEN CASE WHEN x.id % 4 = 0 THEN 'no_reply' WHEN x.id % 5 = 0 THEN 'basic' ELSE 'satisfied' END ELSE '' END,
		  CASE WHEN x.state = 'closed' AND x.id % 4 <> 0 THEN CASE WHEN x.id % 5 = 0 THEN 'basic' ELSE 'satisfied' END
		       WHEN x.state = 'rectifying' THEN 'unsatisfied' ELSE '' END,
		  false, false, '', '', '',
		  CASE WHEN x.state = 'closed' AND x.id % 50 = 2 THEN x.resolved_at + interval '2 days' END,
		  x.created_at, x.created_at
		FROM (SELECT r.id, r.window_id, r.citizen_id, r.created_at, w.center_id,
		  CASE WHEN r.id % 10 = 0 THEN 'submitted' WHEN r.id % 10 = 1 THEN 'rectifying' ELSE 'closed' END AS state,
		  CASE WHEN r.id % 10 >= 2 THEN r.created_at + (CASE WHEN r.id % 7 = 0 THEN 25 ELSE 10 END) * interval '1 day' END AS resolved_at
		  FROM ratings r JOIN windows w ON w.id = r.window_id WHERE r.level <= 2) x`,
		`INSERT INTO ticket_events (ticket_id, action, from_state, to_state, actor_role, note, public, created_at)
		SELECT id, 'submit', '', 'submitted', 'citizen', description, true, created_at FROM tickets`,
		`INSERT INTO ticket_events (ticket_id, action, from_state, to_state, actor_role, note, public, created_at)
		SELECT id, 'done', 'rectifying', 'resolved', 'staff', result, true, COALESCE(resolved_at, created_at + interval '9 days')
		FROM tickets WHERE state <> 'submitted'`,
		`INSERT INTO ticket_events (ticket_id, action, from_state, to_state, actor_role, note, public, created_at)
		SELECT id, 'rerate', 'resolved', CASE WHEN rerate = 'unsatisfied' THEN 'reopened' ELSE 'closed' END, 'citizen', '', true,
		  COALESCE(resolved_at, created_at + interval '9 days') + interval '1 day'
		FROM tickets WHERE rerate <> ''`,
		`VACUUM ANALYZE tickets`,
		`VACUUM ANALYZE ticket_events`,
	}
	start := time.Now()
	for _, q := range steps {
		if err := db.Exec(q).Error; err != nil {
			b.Fatal(err)
		}
	}
	var n, events int64
	db.Model(&models.Ticket{}).Count(&n)
	db.Model(&models.TicketEvent{}).Count(&events)
	b.Logf("seeded %d tickets and %d events in %s", n, events, time.Since(start).Round(time.Millisecond))
}

// BenchmarkBoard times the public board on PostgreSQL over WINDOWBOT_BENCH_RATINGS ratings
// (default 1,000,000: 300 windows in 50 centers over 2026) and the tickets of their bad
// reviews, on 15 December 2026, so that the thirteen months read cover the whole year. Cold is
// a board without a cache: every request reads the figures (one pass over the thirteen months,
// the tickets, the stars, the notices) and renders the page; cached is the same page again
// within the cache period. Metrics is one reading of the business figures of /metrics.
//
//	go test -run '^$' -bench Board -benchtime 10x -timeout 30m ./handlers/api
func BenchmarkBoard(b *testing.B) {
	s := testenv.OpenStore(b, testenv.PostgresURL(b), models.WithTicketRules(models.DefaultTicketRules(testenv.Shanghai)))
	testenv.SeedRatings(b, s, testenv.BenchRatings())
	seedBadReviewTickets(b, s)
	now := time.Date(2026, 12, 15, 10, 0, 0, 0, testenv.Shanghai)
	board := func(ttl time.Duration) http.Handler {
		mux := http.NewServeMux()
		api.NewBoard(api.BoardOptions{Store: s, Target: 0.95, MinRatings: 20, CacheTTL: ttl, Location: testenv.Shanghai,
			Now: func() time.Time { return now }}).Routes(mux)
		return mux
	}
	get := func(b *testing.B, h http.Handler, path string) int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK {
			b.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
		}
		return rec.Body.Len()
	}
	for _, path := range []string{"/board/C07", "/board"} {
		b.Run("cold"+path, func(b *testing.B) {
			h := board(0)
			for b.Loop() {
				get(b, h, path)
			}
		})
		b.Run("cached"+path, func(b *testing.B) {
			h := board(time.Hour)
			b.Logf("%s: %d bytes", path, get(b, h, path))
			for b.Loop() {
				get(b, h, path)
			}
		})
	}
	b.Run("metrics", func(b *testing.B) {
		for b.Loop() {
			reg := prometheus.NewRegistry()
			reg.MustRegister(api.NewBusinessCollector(api.BusinessOptions{Store: s, Now: func() time.Time { return now }}))
			if _, err := reg.Gather(); err != nil {
				b.Fatal(err)
			}
		}
	})
	// Where the cold board spends its time.
	ctx := b.Context()
	var bounds []time.Time
	for i := range 14 {
		bounds = append(bounds, time.Date(2025, 12+time.Month(i), 1, 0, 0, 0, 0, testenv.Shanghai))
	}
	for _, q := range []struct {
		name string
		run  func() error
	}{
		{"window tallies of 13 months", func() error { _, err := s.WindowTalliesByPeriod(ctx, bounds); return err }},
		{"ticket handling of the year", func() error { _, err := s.TicketHandlings(ctx, bounds[1], bounds[13]); return err }},
		{"open and overdue tickets", func() error { _, err := s.TicketCounts(ctx, nil, now); return err }},
		{"published notices", func() error { _, err := s.PublishedTickets(ctx, nil, 100); return err }},
		{"ratings by level and channel", func() error { _, err := s.RatingCounts(ctx); return err }},
	} {
		start := time.Now()
		if err := q.run(); err != nil {
			b.Fatal(err)
		}
		b.Logf("%s: %s", q.name, time.Since(start).Round(100*time.Microsecond))
	}
}
