package testenv

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	gormlogger "gorm.io/gorm/logger"

	"windowbot/models"
)

// Logger returns the logger for the code under test: silent, or everything at debug on stderr
// when WINDOWBOT_TEST_LOG is set.
func Logger() *slog.Logger {
	if os.Getenv("WINDOWBOT_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// OpenStore opens and migrates the database at url (one of DatabaseURLs, say) and closes it when
// the test ends, failing the test if it does not close.
//
// This package imports models, so of models' own tests only the external ones (package
// models_test) can use it: one inside package models would make an import cycle.
func OpenStore(t testing.TB, url string, opts ...models.Option) *models.Store {
	t.Helper()
	ctx := context.Background()
	s, err := models.Open(ctx, url, Logger(), opts...)
	if err != nil {
		t.Fatalf("testenv: open %s: %v", url, err)
	}
	own := &ownDB{url: url}
	opened.Store(s, own)
	t.Cleanup(func() {
		opened.Delete(s)
		own.close()
		if err := s.Close(); err != nil {
			t.Errorf("testenv: close %s: %v", url, err)
		}
	})
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("testenv: migrate %s: %v", url, err)
	}
	return s
}

// OpenDemoStore is OpenStore with the ticket rules of a hall in Shanghai and the demo center's
// windows and staff (models.SeedDemo). opts come after the Shanghai rules, so they may replace
// them.
func OpenDemoStore(t testing.TB, url string, opts ...models.Option) *models.Store {
	t.Helper()
	s := OpenStore(t, url, append([]models.Option{models.WithTicketRules(models.DefaultTicketRules(Shanghai))}, opts...)...)
	if err := s.SeedDemo(context.Background()); err != nil {
		t.Fatalf("testenv: seed %s: %v", url, err)
	}
	return s
}

// opened maps each store OpenStore opened to its database URL and the test's own connection
// to it, for DB and Reopen.
var opened sync.Map

// ownDB is the test's own connection to a store's database, opened on first use and closed with
// the store.
type ownDB struct {
	url  string
	once sync.Once
	db   *gorm.DB
	err  error
}

func (o *ownDB) close() {
	if o.db != nil {
		if sqlDB, err := o.db.DB(); err == nil {
			sqlDB.Close()
		}
	}
}

func ownOf(t testing.TB, s *models.Store) *ownDB {
	t.Helper()
	o, ok := opened.Load(s)
	if !ok {
		t.Fatal("testenv: the store was not opened by testenv.OpenStore")
	}
	return o.(*ownDB)
}

// Reopen opens a second store on the database of s (opened by OpenStore), configured with opts:
// another replica, or the same database under other settings.
func Reopen(t testing.TB, s *models.Store, opts ...models.Option) *models.Store {
	t.Helper()
	return OpenStore(t, ownOf(t, s).url, opts...)
}

// DB returns a connection of the test's own to the database of s (opened by OpenStore), for
// reading and writing rows that no method of the store reads or writes as the test needs. The
// store's own connections stay its own: the store has no accessor to them. The connection is
// closed with the store.
func DB(t testing.TB, s *models.Store) *gorm.DB {
	t.Helper()
	o := ownOf(t, s)
	o.once.Do(func() { o.db, o.err = openDB(o.url) })
	if o.err != nil {
		t.Fatalf("testenv: open a connection to %s: %v", o.url, o.err)
	}
	return o.db
}

// OpenDB opens a connection of the test's own to the database at url, a URL of SQLiteURL or
// PostgresURL (or "sqlite:PATH", "postgres://…" alike), and closes it when the test ends.
func OpenDB(t testing.TB, url string) *gorm.DB {
	t.Helper()
	db, err := openDB(url)
	if err != nil {
		t.Fatalf("testenv: open a connection to %s: %v", url, err)
	}
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			sqlDB.Close()
		}
	})
	return db
}

func openDB(url string) (*gorm.DB, error) {
	var dialector gorm.Dialector
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		dialector = postgres.Open(url)
	default:
		path := strings.TrimPrefix(strings.TrimPrefix(url, "sqlite://"), "sqlite:")
		// Wait for the store's writers rather than fail at once; enforce foreign keys as it does.
		dialector = sqlite.Open(path + "?_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)")
	}
	return gorm.Open(dialector, &gorm.Config{
		Logger:         gormlogger.Discard,
		NowFunc:        func() time.Time { return time.Now().UTC() },
		TranslateError: true,
	})
}

// All returns every row of T's table in s, in the order of their ids.
func All[T any](t testing.TB, s *models.Store) []T {
	t.Helper()
	var rows []T
	if err := DB(t, s).Order("id").Find(&rows).Error; err != nil {
		t.Fatalf("testenv: read all %T: %v", rows, err)
	}
	return rows
}

// BindStaff makes the platform identity c act as the staff member staffNo, as redeeming an invite
// would, and returns the staff record.
func BindStaff(t testing.TB, s *models.Store, c *models.Citizen, staffNo string) *models.Staff {
	t.Helper()
	var st models.Staff
	db := DB(t, s)
	if err := db.Where("staff_no = ?", staffNo).First(&st).Error; err != nil {
		t.Fatalf("testenv: staff %s: %v", staffNo, err)
	}
	if err := db.Model(c).Update("staff_id", st.ID).Error; err != nil {
		t.Fatalf("testenv: bind %s: %v", staffNo, err)
	}
	// Written behind the store's back: its cached citizen rows must go.
	s.ForgetCaches()
	c.StaffID = &st.ID
	return &st
}

// Count counts the rows of T's table in s that match where (a condition with its arguments).
func Count[T any](t testing.TB, s *models.Store, where string, args ...any) int64 {
	t.Helper()
	var n int64
	var row T
	if err := DB(t, s).Model(&row).Where(where, args...).Count(&n).Error; err != nil {
		t.Fatalf("testenv: count %T: %v", row, err)
	}
	return n
}
