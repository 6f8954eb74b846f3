package models_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"windowbot/internal/testenv"
	"windowbot/models"
)

type migrationRow struct {
	Version   int
	Name      string
	AppliedAt time.Time
}

func migrationRows(t *testing.T, s *models.Store) []migrationRow {
	t.Helper()
	var rows []migrationRow
	if err := s.DB().Table("schema_migrations").Order("version").Find(&rows).Error; err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	return rows
}

func TestMigrateTwiceIsNoop(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		before := migrationRows(t, s) // open already migrated once
		if len(before) == 0 || before[0].Version != 1 {
			t.Fatalf("schema_migrations = %+v, want version 1 first", before)
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("second Migrate: %v", err)
		}
		after := migrationRows(t, s)
		if len(after) != len(before) {
			t.Fatalf("second Migrate recorded %d rows, had %d", len(after), len(before))
		}
		for i := range after {
			if after[i].Version != before[i].Version || !after[i].AppliedAt.Equal(before[i].AppliedAt) {
				t.Errorf("row %d changed: %+v → %+v", i, before[i], after[i])
			}
		}
		v, err := s.SchemaVersion(ctx)
		if err != nil || v != after[len(after)-1].Version {
			t.Errorf("SchemaVersion = %d, %v; want %d", v, err, after[len(after)-1].Version)
		}
	})
}

func TestSchemaVersionBeforeMigrate(t *testing.T) {
	ctx := ctxT(t)
	s, err := models.Open(ctx, testenv.SQLiteURL(t), testenv.Logger())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, err := s.SchemaVersion(ctx); err != nil || v != 0 {
		t.Errorf("SchemaVersion = %d, %v; want 0", v, err)
	}
}

// Two replicas starting at once against one fresh database must both succeed and record each step
// exactly once.
func TestMigrateConcurrent(t *testing.T) {
	for name, url := range testenv.DatabaseURLs(t) {
		t.Run(name, func(t *testing.T) {
			ctx := ctxT(t)
			stores := make([]*models.Store, 2)
			for i := range stores {
				s, err := models.Open(ctx, url, testenv.Logger())
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				stores[i] = s
			}
			var wg sync.WaitGroup
			errs := make([]error, len(stores))
			start := make(chan struct{})
			for i, s := range stores {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					errs[i] = s.Migrate(ctx)
				}()
			}
			close(start)
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("Migrate %d: %v", i, err)
				}
			}
			var dup []struct {
				Version int
				N       int
			}
			err := stores[0].DB().Table("schema_migrations").Select("version, COUNT(*) AS n").
				Group("version").Having("COUNT(*) <> 1").Scan(&dup).Error
			if err != nil {
				t.Fatal(err)
			}
			if len(dup) > 0 {
				t.Errorf("versions recorded more than once: %+v", dup)
			}
			if rows := migrationRows(t, stores[1]); len(rows) == 0 {
				t.Error("nothing recorded")
			}
		})
	}
}

// TestSchemaMatchesEntities fails when an entity gains a column or an index that no migration
// step creates: entity structs move on, while released steps are frozen.
func TestSchemaMatchesEntities(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		db := s.DB().WithContext(ctxT(t))
		for _, entity := range []any{&models.Center{}, &models.Window{}, &models.Staff{}, &models.Citizen{}, &models.Rating{}, &models.Push{}, &models.Ticket{}, &models.TicketEvent{}, &models.TicketAttachment{}, &models.TicketFollower{}, &models.JobRun{}, &models.ServiceStar{}, &models.StaffInvite{}, &models.CitizenBan{}, &models.Inspection{}, &models.Picture{}, &models.WebPush{}, &models.Case{}, &models.ReportRecord{}, &models.Matter{}, &models.InspectionItem{}, &models.RatingFlag{}} {
			stmt := &gorm.Statement{DB: db}
			if err := stmt.Parse(entity); err != nil {
				t.Fatal(err)
			}
			table := stmt.Schema.Table
			if !db.Migrator().HasTable(entity) {
				t.Errorf("table %s missing", table)
				continue
			}
			for _, f := range stmt.Schema.Fields {
				if f.DBName != "" && !db.Migrator().HasColumn(entity, f.DBName) {
					t.Errorf("column %s.%s missing", table, f.DBName)
				}
			}
			for _, idx := range stmt.Schema.ParseIndexes() {
				if !db.Migrator().HasIndex(entity, idx.Name) {
					t.Errorf("index %s on %s missing", idx.Name, table)
				}
			}
		}
	})
}

func TestOpenRejectsUnknownScheme(t *testing.T) {
	_, err := models.Open(context.Background(), "mysql://root@localhost/wb", testenv.Logger())
	if err == nil || !strings.Contains(err.Error(), `"mysql"`) {
		t.Fatalf("err = %v, want it to name the scheme", err)
	}
}

func TestOpenDialect(t *testing.T) {
	for name, url := range testenv.DatabaseURLs(t) {
		t.Run(name, func(t *testing.T) {
			s := testenv.OpenStore(t, url)
			if s.Dialect() != name {
				t.Errorf("Dialect = %q, want %q", s.Dialect(), name)
			}
			if err := s.Ping(ctxT(t)); err != nil {
				t.Errorf("Ping: %v", err)
			}
			if name == models.DialectSQLite {
				var mode string
				if err := s.DB().Raw("PRAGMA journal_mode").Scan(&mode).Error; err != nil || mode != "wal" {
					t.Errorf("journal_mode = %q, %v; want wal", mode, err)
				}
			}
			// Foreign keys are enforced (SQLite needs a pragma for that) and reported as gorm's error.
			err := s.DB().Create(&models.Rating{WindowID: 999999, CitizenID: 999999, Level: 5, Channel: "web"}).Error
			if !errors.Is(err, gorm.ErrForeignKeyViolated) {
				t.Errorf("rating of an unknown window and citizen: err = %v, want ErrForeignKeyViolated", err)
			}
		})
	}
}
