package jobs_test

import (
	"context"
	"testing"
	"time"

	"windowbot/internal/testenv"
)

// BenchmarkRankingQueries times the queries of the monthly star and the rankings on
// WINDOWBOT_BENCH_RATINGS ratings (default 1,000,000) over 300 windows, on SQLite and PostgreSQL:
//
//	go test -run '^$' -bench RankingQueries -benchtime 20x -timeout 30m ./jobs
func BenchmarkRankingQueries(b *testing.B) {
	n := testenv.BenchRatings()
	for _, dialect := range []string{"sqlite", "postgres"} {
		b.Run(dialect, func(b *testing.B) {
			url := testenv.SQLiteURL(b)
			if dialect == "postgres" {
				url = testenv.PostgresURL(b)
			}
			s := testenv.OpenStore(b, url)
			testenv.SeedRatings(b, s, n)
			ctx := context.Background()
			oct := time.Date(2026, 10, 1, 0, 0, 0, 0, testenv.Shanghai)
			nov, jan, jan27 := oct.AddDate(0, 1, 0), time.Date(2026, 1, 1, 0, 0, 0, 0, testenv.Shanghai), time.Date(2027, 1, 1, 0, 0, 0, 0, testenv.Shanghai)
			var staffID uint
			testenv.DB(b, s).Raw("SELECT MIN(id) FROM staffs").Scan(&staffID)
			for _, q := range []struct {
				name string
				run  func() (int, error)
			}{
				{"staff-month", func() (int, error) { ts, err := s.StaffTallies(ctx, oct, nov); return len(ts), err }},
				{"windows-month", func() (int, error) { ts, err := s.WindowTallies(ctx, oct, nov); return len(ts), err }},
				{"windows-year", func() (int, error) { ts, err := s.WindowTallies(ctx, jan, jan27); return len(ts), err }},
				{"praise-month", func() (int, error) { ps, err := s.PraiseComments(ctx, staffID, oct, nov, 3); return len(ps), err }},
			} {
				b.Run(q.name, func(b *testing.B) {
					for b.Loop() {
						rows, err := q.run()
						if err != nil || rows == 0 {
							b.Fatalf("%d rows, %v", rows, err)
						}
					}
				})
			}
			b.Logf("%s plan, windows of a month:\n%s", dialect, testenv.Explain(b, s, s.TallySQL(false), oct.UTC(), nov.UTC(), false))
			b.Logf("%s plan, staff of a month:\n%s", dialect, testenv.Explain(b, s, s.TallySQL(true), oct.UTC(), nov.UTC(), false))
			b.Logf("%s plan, praise:\n%s", dialect, testenv.Explain(b, s, "SELECT comment FROM ratings WHERE staff_id = ? AND created_at >= ? AND created_at < ? AND excluded = ? AND level >= ? AND comment <> '' ORDER BY level DESC, created_at DESC, id DESC LIMIT 3", staffID, oct.UTC(), nov.UTC(), false, 4))
		})
	}
}
