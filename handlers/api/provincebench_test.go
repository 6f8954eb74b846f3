package api_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"windowbot/handlers/api"
	"windowbot/internal/testenv"
	"windowbot/models"
)

// provinceRatings is the size of a province's year: WINDOWBOT_BENCH_PROVINCE ratings ("1" or
// "yes" for 10,000,000). Unset skips the benchmark: loading the data takes minutes.
func provinceRatings(b *testing.B) int {
	raw := os.Getenv("WINDOWBOT_BENCH_PROVINCE")
	if raw == "" {
		b.Skip("set WINDOWBOT_BENCH_PROVINCE=1 (10,000,000 ratings) or a number of ratings")
	}
	if n, err := strconv.Atoi(raw); err == nil && n > 1 {
		return n
	}
	return 10_000_000
}

// provinceStore opens the database of dialect with a province's year in it: 3,000 windows in 100
// centers, 200,000 citizens, n ratings over 2026 and a ticket for every bad review. With
// WINDOWBOT_BENCH_PROVINCE_PG (a PostgreSQL URL) or WINDOWBOT_BENCH_PROVINCE_SQLITE (a file) the
// data set is kept there and loaded only when the database holds no ratings yet, so that it is
// made once for several runs; otherwise it is made in a fresh database dropped afterwards.
func provinceStore(b *testing.B, dialect string, n int) *models.Store {
	var url string
	switch dialect {
	case "postgres":
		if url = os.Getenv("WINDOWBOT_BENCH_PROVINCE_PG"); url == "" {
			url = testenv.PostgresURL(b)
		}
	default:
		if url = os.Getenv("WINDOWBOT_BENCH_PROVINCE_SQLITE"); url == "" {
			url = testenv.SQLiteURL(b)
		} else {
			url = "sqlite:" + url
		}
	}
	s := testenv.OpenStore(b, url, models.WithTicketRules(models.DefaultTicketRules(testenv.Shanghai)))
	var have int64
	testenv.DB(b, s).Raw("SELECT COUNT(*) FROM ratings").Scan(&have)
	if have == 0 {
		testenv.SeedProvince(b, s, testenv.Province{Centers: 100, Windows: 3000, Citizens: 200_000, Ratings: n})
		testenv.SeedBadReviewTickets(b, s)
	} else {
		b.Logf("%s: %d ratings already there", dialect, have)
	}
	return s
}

// BenchmarkProvinceYear times what reads a province's year of ratings — the rankings, the
// monthly star, the monthly report, the board, the stats API, the chat's /stats and a month's
// CSV export — on PostgreSQL and SQLite, on 15 December 2026 (the board's thirteen months hold
// the whole year). Each is what the job or the handler runs, through the store or over HTTP in
// process. See docs/benchmarks.md ("A province's year"):
//
//	WINDOWBOT_BENCH_PROVINCE=1 go test -run '^$' -bench ProvinceYear -benchtime 3x -timeout 3h ./handlers/api
func BenchmarkProvinceYear(b *testing.B) {
	n := provinceRatings(b)
	loc := testenv.Shanghai
	now := time.Date(2026, 12, 15, 10, 0, 0, 0, loc)
	oct, nov := time.Date(2026, 10, 1, 0, 0, 0, 0, loc), time.Date(2026, 11, 1, 0, 0, 0, 0, loc)
	jan, jan27 := time.Date(2026, 1, 1, 0, 0, 0, 0, loc), time.Date(2027, 1, 1, 0, 0, 0, 0, loc)
	const token = "province-bench-token-0123456789"
	for _, dialect := range []string{"postgres", "sqlite"} {
		b.Run(dialect, func(b *testing.B) {
			s := provinceStore(b, dialect, n)
			ctx := context.Background()
			mux := http.NewServeMux()
			api.NewAdmin(api.Options{Store: s, Token: token, Target: 0.95, Location: loc, Now: func() time.Time { return now }}).Routes(mux)
			api.NewBoard(api.BoardOptions{Store: s, Target: 0.95, MinRatings: 20, CacheTTL: 0, Location: loc,
				Now: func() time.Time { return now }}).Routes(mux)
			get := func(b *testing.B, path string) int64 {
				req := httptest.NewRequest(http.MethodGet, path, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				w := &countingWriter{header: http.Header{}}
				mux.ServeHTTP(w, req)
				if w.status != 0 && w.status != http.StatusOK {
					b.Fatalf("%s: %d", path, w.status)
				}
				return w.n
			}
			var center models.Center
			var window models.Window
			testenv.DB(b, s).Where("code = ?", "C42").First(&center)
			testenv.DB(b, s).Where("code = ?", "W1234").First(&window)
			for _, q := range []struct {
				name string
				run  func(b *testing.B)
			}{
				{"ranking-month", func(b *testing.B) { ts, err := s.WindowTallies(ctx, oct, nov); rank(b, ts, err) }},
				{"ranking-year", func(b *testing.B) { ts, err := s.WindowTallies(ctx, jan, jan27); rank(b, ts, err) }},
				{"star-month", func(b *testing.B) { star(ctx, b, s, oct, nov) }},
				{"star-year", func(b *testing.B) { ts, err := s.StaffTallies(ctx, jan, jan27); rank(b, ts, err) }},
				{"report-month", func(b *testing.B) { report(ctx, b, s, oct) }},
				{"board-all", func(b *testing.B) { get(b, "/board") }},
				{"board-center", func(b *testing.B) { get(b, "/board/C42") }},
				{"stats-api-month", func(b *testing.B) { get(b, "/api/v1/stats?period=2026-10") }},
				{"stats-api-year", func(b *testing.B) { get(b, "/api/v1/stats?period=2026") }},
				{"stats-api-window-year", func(b *testing.B) { get(b, "/api/v1/windows/W1234/stats?period=2026") }},
				{"chat-stats-center-year", func(b *testing.B) {
					if _, err := s.StatsIn(ctx, models.Scope{CenterID: &center.ID}, jan, jan27); err != nil {
						b.Fatal(err)
					}
				}},
				{"metrics-rating-counts", func(b *testing.B) {
					if _, err := s.RatingCounts(ctx); err != nil {
						b.Fatal(err)
					}
				}},
				{"csv-month", func(b *testing.B) {
					bytes := get(b, "/api/v1/ratings?format=csv&from=2026-10-01&to=2026-10-31")
					b.ReportMetric(float64(bytes)/1e6, "MB")
				}},
			} {
				b.Run(q.name, func(b *testing.B) {
					for b.Loop() {
						q.run(b)
					}
					b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/op")
				})
			}
			if testing.Verbose() {
				for _, p := range provincePlans(b, s) {
					b.Logf("%s plan, %s:\n%s", dialect, p.name, testenv.Explain(b, s, p.sql, p.args...))
				}
			}
		})
	}
}

func rank(b *testing.B, ts []models.Tally, err error) {
	if err != nil || len(ts) == 0 {
		b.Fatalf("%d tallies, %v", len(ts), err)
	}
	models.TopBottom(models.Rank(ts, 20), 10)
}

// star is the monthly star job's reading: the staff tallies, the staff barred by an upheld
// complaint, each center's star, and the praise of each star.
func star(ctx context.Context, b *testing.B, s *models.Store, from, to time.Time) {
	ts, err := s.StaffTallies(ctx, from, to)
	if err != nil {
		b.Fatal(err)
	}
	barred, err := s.StaffWithUpheldComplaints(ctx, from, to)
	if err != nil {
		b.Fatal(err)
	}
	stars := models.ServiceStars(ts, barred, 20)
	for _, st := range stars {
		if _, err := s.PraiseComments(ctx, st.ID, from, to, 3); err != nil {
			b.Fatal(err)
		}
	}
}

// report is the monthly report job's reading: the month's window tallies and eleven months
// before it for the trend, the bad reviews' outcomes and the inspections.
func report(ctx context.Context, b *testing.B, s *models.Store, month time.Time) {
	for i := range 12 {
		from := month.AddDate(0, -i, 0)
		if _, err := s.WindowTallies(ctx, from, from.AddDate(0, 1, 0)); err != nil {
			b.Fatal(err)
		}
	}
	to := month.AddDate(0, 1, 0)
	if _, err := s.BadReviewOutcomes(ctx, month, to); err != nil {
		b.Fatal(err)
	}
	if _, err := s.Inspections(ctx, models.Scope{}, month, to); err != nil {
		b.Fatal(err)
	}
}

// countingWriter is a ResponseWriter that counts the body instead of keeping it, so that a CSV
// export of a million rows is timed without a million rows in memory.
type countingWriter struct {
	header http.Header
	status int
	n      int64
}

func (w *countingWriter) Header() http.Header { return w.header }
func (w *countingWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

var _ io.Writer = (*countingWriter)(nil)

type plan struct {
	name string
	sql  string
	args []any
}

// provincePlans are the queries whose plans docs/benchmarks.md shows.
func provincePlans(b *testing.B, s *models.Store) []plan {
	loc := testenv.Shanghai
	oct, nov := time.Date(2026, 10, 1, 0, 0, 0, 0, loc), time.Date(2026, 11, 1, 0, 0, 0, 0, loc)
	jan, jan27 := time.Date(2026, 1, 1, 0, 0, 0, 0, loc), time.Date(2027, 1, 1, 0, 0, 0, 0, loc)
	year, yargs := s.CountsSQL(false, jan, jan27)
	staff, sargs := s.CountsSQL(true, oct, nov)
	var staffID uint
	testenv.DB(b, s).Raw("SELECT MIN(id) FROM staffs").Scan(&staffID)
	return []plan{
		{"windows of a year (daily counts and the two partial days)", year, yargs},
		{"staff of a month", staff, sargs},
		{"praise of a star", "SELECT comment FROM ratings WHERE staff_id = ? AND created_at >= ? AND created_at < ? AND excluded = ? AND level >= ? AND comment <> '' ORDER BY level DESC, created_at DESC, id DESC LIMIT 3",
			[]any{staffID, oct.UTC(), nov.UTC(), false, 4}},
		{"a page of the CSV export after the first", s.RatingsSQL(models.RatingFilter{From: oct, To: nov, AfterAt: oct.Add(time.Hour), AfterID: 1, Limit: 1000}), nil},
	}
}
