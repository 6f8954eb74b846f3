package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// A province's year is ten million ratings: counting a year of them for a ranking reads ten
// million index entries, seconds even as an index-only scan. The daily counts below hold, per
// UTC day, the counted (not excluded) ratings of each window (rating_window_days) and of each
// staff member at each window (rating_staff_days) by level. A period is then its whole UTC days
// from the daily counts plus the ratings of its two partial days at the ends (a month in the
// hall's zone starts and ends mid-way through a UTC day), so every period of any zone gives the
// same counts as reading the ratings themselves. rating_channel_counts holds every rating on
// record (excluded ones too) by channel and level, for the business figures of /metrics.
//
// Triggers keep the counts in the transaction that writes a rating (insert, exclusion after an
// appeal, delete), on PostgreSQL and SQLite alike, so that no code path can forget them and no
// reader can see a rating without its count. A window's day is one row: two ratings of the same
// window in the same second wait for each other's commit at that row, which a hall's pace never
// comes near.

// ratingDaysTables creates the two tables of daily counts.
func ratingDaysTables(pg bool) []string {
	// On SQLite the tables are their primary key (WITHOUT ROWID), so that a period's days are
	// one contiguous range; on PostgreSQL the rows of a day arrive together, in time order.
	day, n, clustered := "DATETIME", "INTEGER", " WITHOUT ROWID"
	if pg {
		day, n, clustered = "TIMESTAMPTZ", "BIGINT", ""
	}
	levels := ""
	for l := 1; l <= 5; l++ {
		levels += fmt.Sprintf(", l%d %s NOT NULL DEFAULT 0", l, n)
	}
	return []string{
		"CREATE TABLE rating_window_days (day " + day + " NOT NULL, window_id " + n + " NOT NULL" + levels +
			", PRIMARY KEY (day, window_id))" + clustered,
		"CREATE TABLE rating_staff_days (day " + day + " NOT NULL, staff_id " + n + " NOT NULL, window_id " + n + " NOT NULL" + levels +
			", PRIMARY KEY (day, staff_id, window_id))" + clustered,
		"CREATE TABLE rating_channel_counts (channel VARCHAR(20) NOT NULL, shard " + n + " NOT NULL" + levels +
			", PRIMARY KEY (channel, shard))" + clustered,
		// Praise and a staff member's statistics read one person's ratings of a period.
		"DROP INDEX idx_ratings_staff_id",
		"CREATE INDEX idx_rating_staff_time ON ratings (staff_id, created_at)",
	}
}

// channelShards spreads each channel's all-time counts over this many rows (by window), so that
// ratings of different windows do not wait for one another at a single row.
const channelShards = 32

// levelColumns are the five counts: "l1, l2, l3, l4, l5".
const levelColumns = "l1, l2, l3, l4, l5"

// upsertCounts adds the counts to the row of its key: "SET l1 = <table>.l1 + excluded.l1, …".
func upsertCounts(table string) string {
	var b strings.Builder
	for l := 1; l <= 5; l++ {
		if l > 1 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "l%[1]d = %[2]s.l%[1]d + excluded.l%[1]d", l, table)
	}
	return b.String()
}

// levelValues are the five counts of one rating row r times sign: 1 in its level, 0 elsewhere.
func levelValues(r, sign string, pg bool) string {
	var b strings.Builder
	for l := 1; l <= 5; l++ {
		if l > 1 {
			b.WriteString(", ")
		}
		if pg {
			fmt.Fprintf(&b, "%s * (%s.level = %d)::int", sign, r, l)
		} else {
			fmt.Fprintf(&b, "%s * (%s.level = %d)", sign, r, l)
		}
	}
	return b.String()
}

// ratingDaysPostgres is the trigger that keeps the daily counts on PostgreSQL: a rating's old
// row is taken out and its new row put in, each only when counted.
func ratingDaysPostgres() []string {
	apply := func(r, sign string) string {
		return fmt.Sprintf(`IF NOT %[1]s.excluded THEN
    INSERT INTO rating_window_days AS d (day, window_id, %[2]s)
      VALUES (date_trunc('day', %[1]s.created_at, 'UTC'), %[1]s.window_id, %[3]s)
      ON CONFLICT (day, window_id) DO UPDATE SET %[4]s;
    IF %[1]s.staff_id IS NOT NULL THEN
      INSERT INTO rating_staff_days AS d (day, staff_id, window_id, %[2]s)
        VALUES (date_trunc('day', %[1]s.created_at, 'UTC'), %[1]s.staff_id, %[1]s.window_id, %[3]s)
        ON CONFLICT (day, staff_id, window_id) DO UPDATE SET %[4]s;
    END IF;
  END IF;
  INSERT INTO rating_channel_counts AS d (channel, shard, %[2]s)
    VALUES (%[1]s.channel, %[1]s.window_id %% %[5]d, %[3]s)
    ON CONFLICT (channel, shard) DO UPDATE SET %[4]s;`, r, levelColumns, levelValues(r, sign, true), upsertCounts("d"), channelShards)
	}
	return []string{
		`CREATE FUNCTION rating_days() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
  ` + apply("OLD", "-1") + `
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
  ` + apply("NEW", "1") + `
  END IF;
  RETURN NULL;
END $$`,
		`CREATE TRIGGER rating_days AFTER INSERT OR DELETE OR UPDATE OF window_id, staff_id, level, excluded, created_at, channel
  ON ratings FOR EACH ROW EXECUTE FUNCTION rating_days()`,
	}
}

// ratingDaysSQLite are the triggers that keep the daily counts on SQLite. date() reads the
// stored time with its offset and gives the UTC day.
func ratingDaysSQLite() []string {
	apply := func(r, sign string) string {
		return fmt.Sprintf(`INSERT INTO rating_window_days (day, window_id, %[2]s)
    SELECT date(%[1]s.created_at) || ' 00:00:00+00:00', %[1]s.window_id, %[3]s WHERE NOT %[1]s.excluded
    ON CONFLICT (day, window_id) DO UPDATE SET %[4]s;
  INSERT INTO rating_staff_days (day, staff_id, window_id, %[2]s)
    SELECT date(%[1]s.created_at) || ' 00:00:00+00:00', %[1]s.staff_id, %[1]s.window_id, %[3]s
    WHERE NOT %[1]s.excluded AND %[1]s.staff_id IS NOT NULL
    ON CONFLICT (day, staff_id, window_id) DO UPDATE SET %[5]s;
  INSERT INTO rating_channel_counts (channel, shard, %[2]s)
    SELECT %[1]s.channel, %[1]s.window_id %% %[7]d, %[3]s WHERE true
    ON CONFLICT (channel, shard) DO UPDATE SET %[6]s;`,
			r, levelColumns, levelValues(r, sign, false), upsertCounts("rating_window_days"), upsertCounts("rating_staff_days"),
			upsertCounts("rating_channel_counts"), channelShards)
	}
	return []string{
		"CREATE TRIGGER rating_days_insert AFTER INSERT ON ratings BEGIN\n  " + apply("NEW", "1") + "\nEND",
		"CREATE TRIGGER rating_days_delete AFTER DELETE ON ratings BEGIN\n  " + apply("OLD", "-1") + "\nEND",
		"CREATE TRIGGER rating_days_update AFTER UPDATE OF window_id, staff_id, level, excluded, created_at, channel ON ratings BEGIN\n  " +
			apply("OLD", "-1") + "\n  " + apply("NEW", "1") + "\nEND",
	}
}

// fillRatingDays counts every rating on record into the (empty) daily counts, in day order, so
// that a period's rows lie together on disk as the triggers' rows of later days will.
func fillRatingDays(tx *gorm.DB, pg bool) error {
	day := "date(created_at) || ' 00:00:00+00:00'"
	if pg {
		day = "date_trunc('day', created_at, 'UTC')"
	}
	sums := "SUM(CASE WHEN level = 1 THEN 1 ELSE 0 END), SUM(CASE WHEN level = 2 THEN 1 ELSE 0 END), " +
		"SUM(CASE WHEN level = 3 THEN 1 ELSE 0 END), SUM(CASE WHEN level = 4 THEN 1 ELSE 0 END), SUM(CASE WHEN level = 5 THEN 1 ELSE 0 END)"
	notExcluded := "excluded = false"
	if !pg {
		notExcluded = "NOT excluded"
	}
	for _, q := range []string{
		"INSERT INTO rating_channel_counts (channel, shard, " + levelColumns + ") SELECT channel, window_id % " +
			fmt.Sprint(channelShards) + ", " + sums + " FROM ratings GROUP BY 1, 2",
		"INSERT INTO rating_window_days (day, window_id, " + levelColumns + ") SELECT " + day + ", window_id, " + sums +
			" FROM ratings WHERE " + notExcluded + " GROUP BY 1, 2 ORDER BY 1, 2",
		"INSERT INTO rating_staff_days (day, staff_id, window_id, " + levelColumns + ") SELECT " + day + ", staff_id, window_id, " + sums +
			" FROM ratings WHERE " + notExcluded + " AND staff_id IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
		// The planner needs to know the new tables' size at once, not after autovacuum's turn.
		"ANALYZE rating_window_days",
		"ANALYZE rating_staff_days",
		"ANALYZE rating_channel_counts",
	} {
		if err := tx.Exec(q).Error; err != nil {
			return err
		}
	}
	return nil
}

// migrateV11 creates the daily counts, the channel counts and their triggers, counts the ratings
// on record, and indexes the ratings by staff member and time.
func migrateV11(tx *gorm.DB) error {
	pg := tx.Dialector.Name() == DialectPostgres
	steps := ratingDaysTables(pg)
	if pg {
		steps = append(steps, ratingDaysPostgres()...)
	} else {
		steps = append(steps, ratingDaysSQLite()...)
	}
	for _, q := range steps {
		if err := tx.Exec(q).Error; err != nil {
			return err
		}
	}
	return fillRatingDays(tx, pg)
}

// RecountRatingDays empties the daily counts and counts every rating on record again, in one
// transaction. The triggers keep the counts without it; it is for a bulk load of ratings made
// with the triggers switched off (a data set generated for benchmarks, a restore of old
// ratings), which is several times faster than counting row by row.
func (s *Store) RecountRatingDays(ctx context.Context) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, t := range []string{"rating_window_days", "rating_staff_days", "rating_channel_counts"} {
			if err := tx.Exec("DELETE FROM " + t).Error; err != nil {
				return err
			}
		}
		return fillRatingDays(tx, s.dialect == DialectPostgres)
	})
	if err != nil {
		return fmt.Errorf("store: recount rating days: %w", err)
	}
	return nil
}

// utcDay is the start of t's UTC day.
func utcDay(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// span is a part of a period: [from, to) read from the ratings (raw) or from the daily counts,
// counted in bucket.
type span struct {
	bucket   int
	from, to time.Time
	raw      bool
}

// spans splits [from, to) into its whole UTC days, read from the daily counts, and the partial
// days at either end, read from the ratings.
func spans(bucket int, from, to time.Time) []span {
	from, to = from.UTC(), to.UTC()
	if !to.After(from) {
		return nil
	}
	first := utcDay(from)
	if first.Before(from) {
		first = first.AddDate(0, 0, 1)
	}
	last := utcDay(to)
	if !first.Before(last) {
		return []span{{bucket, from, to, true}}
	}
	var out []span
	if from.Before(first) {
		out = append(out, span{bucket, from, first, true})
	}
	out = append(out, span{bucket, first, last, false})
	if last.Before(to) {
		out = append(out, span{bucket, last, to, true})
	}
	return out
}

// countsSQL builds the tally of spans by window (staff false) or by staff member and window
// (staff true), with the bucket of each row: the parts are counted apart, then added up per
// bucket and key and joined to the windows for their center. Keys whose counts add up to
// nothing (every rating of the period excluded) are left out, as a count of the ratings
// themselves would not name them.
func (s *Store) countsSQL(staff bool, parts []span) (string, []any) {
	key, rawWhere, days, dayKey := "r.window_id", "", "rating_window_days", "d.window_id"
	if staff {
		key, rawWhere, days, dayKey = "r.staff_id", " AND r.staff_id IS NOT NULL", "rating_staff_days", "d.staff_id"
	}
	hint := ""
	if s.dialect == DialectSQLite {
		hint = " INDEXED BY idx_rating_time_cover"
	}
	var b strings.Builder
	var args []any
	b.WriteString(`SELECT t.b AS b, t.id AS id, w.center_id AS center_id,
 SUM(t.l1) AS l1, SUM(t.l2) AS l2, SUM(t.l3) AS l3, SUM(t.l4) AS l4, SUM(t.l5) AS l5
FROM (`)
	for i, p := range parts {
		if i > 0 {
			b.WriteString("\n UNION ALL ")
		}
		if p.raw {
			fmt.Fprintf(&b, `SELECT %[1]d AS b, %[2]s AS id, r.window_id AS window_id,
  SUM(CASE WHEN r.level = 1 THEN 1 ELSE 0 END) AS l1, SUM(CASE WHEN r.level = 2 THEN 1 ELSE 0 END) AS l2,
  SUM(CASE WHEN r.level = 3 THEN 1 ELSE 0 END) AS l3, SUM(CASE WHEN r.level = 4 THEN 1 ELSE 0 END) AS l4,
  SUM(CASE WHEN r.level = 5 THEN 1 ELSE 0 END) AS l5
 FROM ratings r%[3]s WHERE r.created_at >= ? AND r.created_at < ? AND r.excluded = ?%[4]s GROUP BY %[2]s, r.window_id`,
				p.bucket, key, hint, rawWhere)
			args = append(args, p.from, p.to, false)
			continue
		}
		fmt.Fprintf(&b, `SELECT %[1]d AS b, %[2]s AS id, d.window_id AS window_id,
  SUM(d.l1) AS l1, SUM(d.l2) AS l2, SUM(d.l3) AS l3, SUM(d.l4) AS l4, SUM(d.l5) AS l5
 FROM %[3]s d WHERE d.day >= ? AND d.day < ? GROUP BY %[2]s, d.window_id`, p.bucket, dayKey, days)
		args = append(args, p.from, p.to)
	}
	b.WriteString(`) t
JOIN windows w ON w.id = t.window_id
GROUP BY t.b, t.id, w.center_id
HAVING SUM(t.l1 + t.l2 + t.l3 + t.l4 + t.l5) > 0
ORDER BY t.b, t.id, w.center_id`)
	return b.String(), args
}

// CountsSQL returns the query that tallies [from, to) by window (staff false) or by staff member
// and window (staff true) from the daily counts and the partial days' ratings, with its
// arguments; benchmarks show its plan.
func (s *Store) CountsSQL(staff bool, from, to time.Time) (string, []any) {
	return s.countsSQL(staff, spans(0, from, to))
}

// countsByBucket runs the tally of parts and returns the tallies of each of n buckets.
func (s *Store) countsByBucket(ctx context.Context, staff bool, parts []span, n int) ([][]Tally, error) {
	out := make([][]Tally, n)
	if len(parts) == 0 {
		return out, nil
	}
	q, args := s.countsSQL(staff, parts)
	var rows []struct {
		B                  int
		ID, CenterID       uint
		L1, L2, L3, L4, L5 int
	}
	if err := s.reads(ctx).Raw(q, args...).Scan(&rows).Error; err != nil {
		return nil, err
	}
	for _, r := range rows {
		if r.B < 0 || r.B >= n {
			continue
		}
		out[r.B] = append(out[r.B], Tally{ID: r.ID, CenterID: r.CenterID, ByLevel: [5]int{r.L1, r.L2, r.L3, r.L4, r.L5}})
	}
	return out, nil
}
