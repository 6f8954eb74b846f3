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
	SeedProvince(tb, s, Province{Centers: 50, Windows: 300, Citizens: 10_000, Ratings: n})
}

// Province is the shape of a generated data set: Windows windows spread evenly over Centers
// centers (two staff each), Citizens citizens and Ratings ratings spread evenly over 2026.
type Province struct {
	Centers, Windows, Citizens, Ratings int
}

// SeedProvince loads p in the database itself: PostgreSQL with generate_series, SQLite with a
// recursive CTE, each one INSERT … SELECT (one transaction). Window w is bad 1–4% of the time
// depending on w, so that rankings have something to rank. The ratings' indexes are dropped
// while the rows go in and built again afterwards, which is several times faster than keeping
// them up to date row by row.
func SeedProvince(tb testing.TB, s *models.Store, p Province) {
	tb.Helper()
	ctx := context.Background()
	perCenter := max(1, p.Windows/p.Centers)
	var wcsv, scsv strings.Builder
	wcsv.WriteString(models.WindowsCSVHeader)
	scsv.WriteString(models.StaffCSVHeader)
	for w := range p.Windows {
		c := w / perCenter
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
	pg := s.Dialect() == models.DialectPostgres
	var seq, ts string
	if pg {
		if err := db.Exec(`INSERT INTO citizens (platform, external_id, lang, inactive, subscribed, last_seen_at, created_at, updated_at)
			SELECT 'web', 'v' || g, 'zh-CN', false, false, now(), now(), now() FROM generate_series(1, ?) g`, p.Citizens).Error; err != nil {
			tb.Fatal(err)
		}
		seq = "generate_series(1::bigint, ?::bigint) AS seq(g)"
		ts = "timestamptz '2025-12-31 16:00:00+00' + (g * (31536000.0 / ?)) * interval '1 second'"
	} else {
		if err := db.Exec(`WITH RECURSIVE seq(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM seq WHERE g < ?)
			INSERT INTO citizens (platform, external_id, lang, inactive, subscribed, last_seen_at, created_at, updated_at)
			SELECT 'web', 'v' || g, 'zh-CN', 0, 0, '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00' FROM seq`, p.Citizens).Error; err != nil {
			tb.Fatal(err)
		}
		seq = "(WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < ?) SELECT g FROM s) AS seq"
		ts = "strftime('%Y-%m-%d %H:%M:%S', 1767196800 + CAST(g * (31536000.0 / ?) AS INTEGER), 'unixepoch') || '+00:00'"
	}
	var minC int
	db.Raw("SELECT MIN(id) FROM citizens").Scan(&minC)
	restore := dropIndexes(tb, s, "ratings")
	resume := pauseTriggers(tb, s, "ratings")
	// p is a pseudo-random 0..999 per rating; window w is bad 1–4% of the time depending on w.
	q := fmt.Sprintf(`INSERT INTO ratings (window_id, staff_id, citizen_id, level, aspects, praise, comment, channel, excluded, created_at)
		SELECT %[1]d + w, %[2]d + w * 2 + ((g / %[7]d) %% 2), %[3]d + (g %% %[8]d),
		 CASE WHEN p < 10 + (w %% 30) THEN 1 + (g %% 2) WHEN p < 40 + (w %% 30) THEN 3 WHEN p < 340 THEN 4 ELSE 5 END,
		 '', '', CASE WHEN p >= 900 THEN '办事快，服务好' ELSE '' END, 'web', %[4]s, %[5]s
		FROM (SELECT g, g %% %[7]d AS w, (g * 7919 + (g / %[7]d) * 389) %% 1000 AS p FROM %[6]s) x`,
		minW, minS, minC, map[bool]string{true: "false", false: "0"}[pg], ts, seq, p.Windows, p.Citizens)
	if err := db.Exec(q, p.Ratings, p.Ratings).Error; err != nil {
		tb.Fatal(err)
	}
	resume()
	if err := s.RecountRatingDays(ctx); err != nil {
		tb.Fatal(err)
	}
	restore()
	if pg {
		db.Exec("VACUUM ANALYZE ratings")
	} else {
		db.Exec("ANALYZE")
	}
	tb.Logf("%s: seeded %d ratings over %d windows in %s", s.Dialect(), p.Ratings, p.Windows, time.Since(start).Round(time.Millisecond))
}

// SeedBadReviewTickets opens a ticket for every bad review of the data set (about 2.5% of the
// ratings of SeedProvince), as a hall a month or more behind would have them: a tenth still
// submitted, a tenth being rectified after the citizen turned the fix down, the rest finished
// (one in seven late), most re-rated, one in fifty published; with their events.
func SeedBadReviewTickets(tb testing.TB, s *models.Store) {
	tb.Helper()
	pg := s.Dialect() == models.DialectPostgres
	// plus is a time some days or hours after t, in the form the dialect stores.
	plus := func(t string, n int, unit string) string {
		if pg {
			return fmt.Sprintf("%s + interval '%d %s'", t, n, unit)
		}
		return fmt.Sprintf("strftime('%%Y-%%m-%%d %%H:%%M:%%S+00:00', %s, '+%d %s')", t, n, unit)
	}
	no, f, t, resolvedAt := "'T' || to_char(x.created_at, 'YYYYMMDD') || '-' || lpad(x.id::text, 7, '0')", "false", "true",
		"r.created_at + (CASE WHEN r.id % 7 = 0 THEN 25 ELSE 10 END) * interval '1 day'"
	if !pg {
		no, f, t = "'T' || strftime('%Y%m%d', x.created_at) || '-' || printf('%07d', x.id)", "0", "1"
		resolvedAt = "strftime('%Y-%m-%d %H:%M:%S+00:00', r.created_at, '+' || (CASE WHEN r.id % 7 = 0 THEN 25 ELSE 10 END) || ' days')"
	}
	db := DB(tb, s)
	steps := []string{
		`INSERT INTO tickets (no, kind, state, center_id, window_id, category, description, rating_id, citizen_id, channel,
		  anonymous, callback_consent, escalated, callback_due, rectify_due, accepted_at, resolved_at, closed_at, plan, result,
		  reason, close_reason, rerate, citizen_appealed, staff_appealed, appeal_by, appeal_from, appeal_reason, published_at,
		  created_at, updated_at)
		SELECT ` + no + `, 'bad_review', x.state,
		  x.center_id, x.window_id, 'attitude', '窗口人员态度冷漠', x.id, x.citizen_id, 'web', ` + f + `, ` + f + `, x.state = 'rectifying',
		  ` + plus("x.created_at", 1, "day") + `, ` + plus("x.created_at", 21, "days") + `,
		  CASE WHEN x.state <> 'submitted' THEN ` + plus("x.created_at", 2, "hours") + ` END,
		  x.resolved_at, CASE WHEN x.state = 'closed' THEN ` + plus("x.resolved_at", 1, "day") + ` END,
		  CASE WHEN x.state <> 'submitted' THEN '约谈当事人，组织服务礼仪培训' ELSE '' END,
		  CASE WHEN x.state = 'closed' THEN '已完成培训并回访' ELSE '' END, '',
		  CASE WHEN x.state = 'closed' THEN CASE WHEN x.id % 4 = 0 THEN 'no_reply' WHEN x.id % 5 = 0 THEN 'basic' ELSE 'satisfied' END ELSE '' END,
		  CASE WHEN x.state = 'closed' AND x.id % 4 <> 0 THEN CASE WHEN x.id % 5 = 0 THEN 'basic' ELSE 'satisfied' END
		       WHEN x.state = 'rectifying' THEN 'unsatisfied' ELSE '' END,
		  ` + f + `, ` + f + `, '', '', '',
		  CASE WHEN x.state = 'closed' AND x.id % 50 = 2 THEN ` + plus("x.resolved_at", 2, "days") + ` END,
		  x.created_at, x.created_at
		FROM (SELECT r.id, r.window_id, r.citizen_id, r.created_at, w.center_id,
		  CASE WHEN r.id % 10 = 0 THEN 'submitted' WHEN r.id % 10 = 1 THEN 'rectifying' ELSE 'closed' END AS state,
		  CASE WHEN r.id % 10 >= 2 THEN ` + resolvedAt + ` END AS resolved_at
		  FROM ratings r JOIN windows w ON w.id = r.window_id WHERE r.level <= 2) x`,
		`INSERT INTO ticket_events (ticket_id, action, from_state, to_state, actor_role, note, public, created_at)
		SELECT id, 'submit', '', 'submitted', 'citizen', description, ` + t + `, created_at FROM tickets`,
		`INSERT INTO ticket_events (ticket_id, action, from_state, to_state, actor_role, note, public, created_at)
		SELECT id, 'done', 'rectifying', 'resolved', 'staff', result, ` + t + `, COALESCE(resolved_at, ` + plus("created_at", 9, "days") + `)
		FROM tickets WHERE state <> 'submitted'`,
		`INSERT INTO ticket_events (ticket_id, action, from_state, to_state, actor_role, note, public, created_at)
		SELECT id, 'rerate', 'resolved', CASE WHEN rerate = 'unsatisfied' THEN 'reopened' ELSE 'closed' END, 'citizen', '', ` + t + `,
		  ` + plus("COALESCE(resolved_at, "+plus("created_at", 9, "days")+")", 1, "day") + `
		FROM tickets WHERE rerate <> ''`,
	}
	if pg {
		steps = append(steps, "VACUUM ANALYZE tickets", "VACUUM ANALYZE ticket_events")
	} else {
		steps = append(steps, "ANALYZE")
	}
	start := time.Now()
	for _, q := range steps {
		if err := db.Exec(q).Error; err != nil {
			tb.Fatal(err)
		}
	}
	var n, events int64
	db.Model(&models.Ticket{}).Count(&n)
	db.Model(&models.TicketEvent{}).Count(&events)
	tb.Logf("%s: seeded %d tickets and %d events in %s", s.Dialect(), n, events, time.Since(start).Round(time.Millisecond))
}

// dropIndexes drops the indexes of table other than its primary key and returns what creates
// them again, from their own definitions in the database's catalog.
func dropIndexes(tb testing.TB, s *models.Store, table string) (restore func()) {
	tb.Helper()
	db := DB(tb, s)
	var defs []schemaObject
	if s.Dialect() == models.DialectPostgres {
		db.Raw(`SELECT i.indexname AS name, i.indexdef AS def FROM pg_indexes i
			WHERE i.tablename = ? AND i.schemaname = current_schema()
			AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`, table).Scan(&defs)
	} else {
		db.Raw("SELECT name, sql AS def FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", table).Scan(&defs)
	}
	return dropForNow(tb, s, "INDEX", defs)
}

// schemaObject is an index or trigger with the statement that creates it.
type schemaObject struct{ Name, Def string }

// dropForNow drops the objects of kind (INDEX, TRIGGER) and returns what creates them again.
func dropForNow(tb testing.TB, s *models.Store, kind string, defs []schemaObject) (restore func()) {
	tb.Helper()
	db := DB(tb, s)
	for _, d := range defs {
		if err := db.Exec(`DROP ` + kind + ` "` + d.Name + `"`).Error; err != nil {
			tb.Fatal(err)
		}
	}
	return func() {
		for _, d := range defs {
			if err := db.Exec(d.Def).Error; err != nil {
				tb.Fatalf("testenv: create %s %s again: %v", kind, d.Name, err)
			}
		}
	}
}

// pauseTriggers switches off the triggers of table (the daily counts of the ratings) while a
// bulk load goes in, and returns what switches them on again: counting ten million rows one
// trigger call at a time takes far longer than counting them afterwards in one GROUP BY
// (Store.RecountRatingDays). PostgreSQL disables them; SQLite, which cannot, drops them and
// creates them again from their own definitions.
func pauseTriggers(tb testing.TB, s *models.Store, table string) (resume func()) {
	tb.Helper()
	db := DB(tb, s)
	if s.Dialect() == models.DialectPostgres {
		if err := db.Exec(`ALTER TABLE "` + table + `" DISABLE TRIGGER USER`).Error; err != nil {
			tb.Fatal(err)
		}
		return func() {
			if err := db.Exec(`ALTER TABLE "` + table + `" ENABLE TRIGGER USER`).Error; err != nil {
				tb.Fatal(err)
			}
		}
	}
	var defs []schemaObject
	db.Raw("SELECT name, sql AS def FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", table).Scan(&defs)
	return dropForNow(tb, s, "TRIGGER", defs)
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
