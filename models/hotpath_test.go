package models_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"windowbot/models"
)

// statements records the SQL a store runs, for tests that hold the hot path to its statements.
type statements struct {
	mu  sync.Mutex
	on  bool
	sql []string
}

func watchStatements(t *testing.T, s *models.Store) *statements {
	t.Helper()
	w := &statements{}
	record := func(tx *gorm.DB) {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.on && !tx.DryRun {
			w.sql = append(w.sql, tx.Statement.SQL.String())
		}
	}
	cb := s.DB().Callback()
	for _, err := range []error{
		cb.Create().After("gorm:create").Register("test:create", record),
		cb.Query().After("gorm:query").Register("test:query", record),
		cb.Update().After("gorm:update").Register("test:update", record),
		cb.Delete().After("gorm:delete").Register("test:delete", record),
		cb.Row().After("gorm:row").Register("test:row", record),
		cb.Raw().After("gorm:raw").Register("test:raw", record),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func (w *statements) start() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.on, w.sql = true, nil
}

func (w *statements) stop() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.on = false
	return w.sql
}

// reads counts the statements that read a row of table by its id (the window, the citizen; not
// the accounts of other people, which are citizens too).
func reads(sql []string, table string) int {
	n := 0
	for _, q := range sql {
		if !strings.HasPrefix(strings.TrimSpace(q), "SELECT") {
			continue
		}
		for _, quote := range []string{`"`, "`"} {
			if strings.Contains(q, "FROM "+quote+table+quote) && strings.Contains(q, quote+table+quote+"."+quote+"id"+quote+" = ") {
				n++
			}
		}
	}
	return n
}

// hotPathPlace imports one window W001 with one staff member and records a citizen: what a
// rating of the hot path names.
func hotPathPlace(t *testing.T, s *models.Store) (*models.Citizen, *models.Window, models.Staff, time.Time) {
	t.Helper()
	ctx := ctxT(t)
	if _, err := s.Import(ctx, strings.NewReader(models.WindowsCSVHeader+"\nC01,中心,W001,窗口,部门"), "w.csv",
		strings.NewReader(models.StaffCSVHeader+"\nS001,张三,W001,staff"), "s.csv"); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	c, err := s.TouchCitizen(ctx, "wechat", "o1", "zh-CN", now)
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.WindowByCode(ctx, "W001")
	if err != nil {
		t.Fatal(err)
	}
	staff, err := s.StaffOfWindow(ctx, w.ID)
	if err != nil || len(staff) != 1 {
		t.Fatal(staff, err)
	}
	return c, w, staff[0], now
}

// TestGoodReviewStatements: a good review — four in five ratings of a hall — is the citizen's
// lock, one statement of checks (the window is there, no ban, not rated today), the staff member's
// share lock, the rating and its report row: five statements (seven before the checks were one).
func TestGoodReviewStatements(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		c, w, staff, now := hotPathPlace(t, s)
		watch := watchStatements(t, s)
		watch.start()
		r := &models.Rating{WindowID: w.ID, CitizenID: c.ID, Level: 5, StaffID: &staff.ID, Channel: "wechat", CreatedAt: now}
		if err := s.CreateRating(context.Background(), r, now.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		sql := watch.stop()
		if r.StaffID == nil || *r.StaffID != staff.ID {
			t.Errorf("the rating names staff %v, want %d", r.StaffID, staff.ID)
		}
		t.Logf("%d statements:\n%s", len(sql), strings.Join(sql, "\n"))
		if len(sql) > 5 {
			t.Errorf("%d statements, want at most 5", len(sql))
		}
		// The checks still hold, each in its own way, through the one statement.
		again := &models.Rating{WindowID: w.ID, CitizenID: c.ID, Level: 5, Channel: "wechat", CreatedAt: now}
		if err := s.CreateRating(context.Background(), again, now.Add(-time.Hour)); !errors.Is(err, models.ErrAlreadyRated) {
			t.Errorf("a second rating today: %v, want ErrAlreadyRated", err)
		}
		if err := s.CreateRating(context.Background(), &models.Rating{WindowID: w.ID + 1000, CitizenID: c.ID, Level: 5,
			Channel: "wechat", CreatedAt: now}, now.Add(-time.Hour)); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("a rating of no window: %v, want ErrNotFound", err)
		}
	})
}

// TestBadReviewStatements: storing a bad review with its ticket reads the window and the
// citizen once each and stays within its statement budget (the hot path of issue 17: it was
// 20 statements with the window read three times and the citizen twice; 11 after it, 12 since
// the rating also writes its provincial report row in the same transaction, issue 14, and 11
// since the ban and "rated today" checks are one statement; the ticket counter is taken last).
func TestBadReviewStatements(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		c, w, staff, now := hotPathPlace(t, s)
		watch := watchStatements(t, s)
		watch.start()
		r := &models.Rating{WindowID: w.ID, CitizenID: c.ID, Level: 1, StaffID: &staff.ID,
			Aspects: "attitude.cold", Channel: "wechat", CreatedAt: now, TicketDescription: "冷淡"}
		if err := s.CreateRating(context.Background(), r, now.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		sql := watch.stop()
		if r.Ticket == nil || r.Ticket.Window == nil || r.Ticket.Window.Code != "W001" || r.Ticket.Center == nil {
			t.Fatalf("ticket %+v without its place", r.Ticket)
		}
		for _, tc := range []struct {
			table string
			want  int
		}{{"windows", 1}, {"citizens", 1}} {
			if got := reads(sql, tc.table); got != tc.want {
				t.Errorf("%s read %d times, want %d", tc.table, got, tc.want)
			}
		}
		reports := 0
		for _, q := range sql {
			if strings.Contains(q, "INSERT INTO `report_records`") || strings.Contains(q, `INSERT INTO "report_records"`) {
				reports++
			}
		}
		if reports != 1 {
			t.Errorf("%d report rows written with the rating, want 1", reports)
		}
		t.Logf("%d statements:\n%s", len(sql), strings.Join(sql, "\n"))
		// The day's ticket counter stays locked from its increment to the commit, and every new
		// ticket of the day waits for it: only the ticket and its event are written after it
		// (who hears of the ticket is read before).
		counter := slices.IndexFunc(sql, func(q string) bool { return strings.Contains(q, "ticket_counters") })
		if counter < 0 {
			t.Fatal("no ticket number taken")
		}
		if after := sql[counter+1:]; len(after) > 2 {
			t.Errorf("%d statements after the ticket counter, want at most 2: %s", len(after), strings.Join(after, "\n"))
		}
		if len(sql) > 11 {
			t.Errorf("%d statements, want at most 11", len(sql))
		}
	})
}
