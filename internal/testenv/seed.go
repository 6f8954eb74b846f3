package testenv

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"windowbot/models"
)

// The benchmarks of rankings, the board and the metrics share one large data set, made in the
// database itself so that a million ratings take seconds, not minutes.

// BenchRatings is how many ratings the query benchmarks load: WINDOWBOT_BENCH_RATINGS, default
// 1,000,000.
func BenchRatings() int {
	if n, err := strconv.Atoi(os.Getenv("WINDOWBOT_BENCH_RATINGS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// SeedRatings loads 50 centers of 6 windows (300), two staff per window, 10,000 citizens and n
// ratings spread evenly over 2026 in the database itself (generate_series or a recursive CTE),
// with per-window quality differences so that rankings have something to rank.
func SeedRatings(tb testing.TB, s *models.Store, n int) {
	tb.Helper()
	ctx := context.Background()
	var wcsv, scsv strings.Builder
	wcsv.WriteString(models.WindowsCSVHeader)
	scsv.WriteString(models.StaffCSVHeader)
	for w := range 300 {
		c := w / 6
		fmt.Fprintf(&wcsv, "\nC%02d,第%d便民服务中心,W%03d,窗口%d,部门", c, c, w, w)
		fmt.Fprintf(&scsv, "\nS%03da,甲%d,W%03d,staff\nS%03db,乙%d,W%03d,staff", w, w, w, w, w, w)
	}
	if _, err := s.Import(ctx, strings.NewReader(wcsv.String()), "w.csv", strings.NewReader(scsv.String()), "s.csv"); err != nil {
		tb.Fatal(err)
	}
	db := DB(tb, s).WithContext(ctx)
	var minW, minS int
	db.Raw("SELECT MIN(id) FROM windows").Scan(&minW)
	db.Raw("SELECT MIN(id) FROM staffs").Scan(&minS)
	start := time.Now()
	var seq, ts string
	if s.Dialect() == models.DialectPostgres {
		if err := db.Exec(`INSERT INTO citizens (platform, external_id, lang, inactive, subscribed, last_seen_at, created_at, updated_at)
			SELECT 'web', 'v' || g, 'zh-CN', false, false, now(), now(), now() FROM generate_series(1, 10000) g`).Error; err != nil {
			tb.Fatal(err)
		}
		seq = "generate_series(1::bigint, ?::bigint) AS seq(g)"
		ts = "timestamptz '2025-12-31 16:00:00+00' + (g * (31536000.0 / ?)) * interval '1 second'"
	} else {
		if err := db.Exec(`WITH RECURSIVE seq(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM seq WHERE g < 10000)
			INSERT INTO citizens (platform, external_id, lang, inactive, subscribed, last_seen_at, created_at, updated_at)
			SELECT 'web', 'v' || g, 'zh-CN', 0, 0, '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00' FROM seq`).Error; err != nil {
			tb.Fatal(err)
		}
		seq = "(WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < ?) SELECT g FROM s) AS seq"
		ts = "strftime('%Y-%m-%d %H:%M:%S', 1767196800 + CAST(g * (31536000.0 / ?) AS INTEGER), 'unixepoch') || '+00:00'"
	}
	var minC int
	db.Raw("SELECT MIN(id) FROM citizens").Scan(&minC)
	// p is a pseudo-random 0..999 per rating; window w is bad 1–4% of the time depending on w.
	q := fmt.Sprintf(`INSERT INTO ratings (window_id, staff_id, citizen_id, level, aspects, praise, comment, channel, excluded, created_at)
		SELECT %[1]d + w, %[2]d + w * 2 + ((g / 300) %% 2), %[3]d + (g %% 10000),
		 CASE WHEN p < 10 + (w %% 30) THEN 1 + (g %% 2) WHEN p < 40 + (w %% 30) THEN 3 WHEN p < 340 THEN 4 ELSE 5 END,
		 '', '', CASE WHEN p >= 900 THEN '办事快，服务好' ELSE '' END, 'web', %[4]s, %[5]s
		FROM (SELECT g, g %% 300 AS w, (g * 7919 + (g / 300) * 389) %% 1000 AS p FROM %[6]s) x`,
		minW, minS, minC, map[bool]string{true: "false", false: "0"}[s.Dialect() == models.DialectPostgres], ts, seq)
	if err := db.Exec(q, n, n).Error; err != nil {
		tb.Fatal(err)
	}
	if s.Dialect() == models.DialectPostgres {
		db.Exec("VACUUM ANALYZE ratings")
	} else {
		db.Exec("ANALYZE")
	}
	tb.Logf("%s: seeded %d ratings in %s", s.Dialect(), n, time.Since(start).Round(time.Millisecond))
}

// Explain returns the plan the database chooses for q.
func Explain(tb testing.TB, s *models.Store, q string, args ...any) string {
	tb.Helper()
	prefix := "EXPLAIN QUERY PLAN "
	if s.Dialect() == models.DialectPostgres {
		prefix = "EXPLAIN "
	}
	rows, err := DB(tb, s).Raw(prefix+q, args...).Rows()
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var lines []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		_ = rows.Scan(ptrs...)
		lines = append(lines, fmt.Sprint(vals[len(vals)-1]))
	}
	return strings.Join(lines, "\n")
}
