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
	testenv.SeedBadReviewTickets(b, s)
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
