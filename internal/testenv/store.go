package testenv

import (
	"context"
	"log/slog"
	"os"
	"testing"

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
func OpenStore(t testing.TB, url string) *models.Store {
	t.Helper()
	ctx := context.Background()
	s, err := models.Open(ctx, url, Logger())
	if err != nil {
		t.Fatalf("testenv: open %s: %v", url, err)
	}
	t.Cleanup(func() {
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
// windows and staff (models.SeedDemo).
func OpenDemoStore(t testing.TB, url string) *models.Store {
	t.Helper()
	s := OpenStore(t, url)
	s.SetTicketRules(models.DefaultTicketRules(Shanghai))
	if err := s.SeedDemo(context.Background()); err != nil {
		t.Fatalf("testenv: seed %s: %v", url, err)
	}
	return s
}

// All returns every row of T's table in s, in the order of their ids.
func All[T any](t testing.TB, s *models.Store) []T {
	t.Helper()
	var rows []T
	if err := s.DB().Order("id").Find(&rows).Error; err != nil {
		t.Fatalf("testenv: read all %T: %v", rows, err)
	}
	return rows
}

// BindStaff makes the platform identity c act as the staff member staffNo, as redeeming an invite
// would, and returns the staff record.
func BindStaff(t testing.TB, s *models.Store, c *models.Citizen, staffNo string) *models.Staff {
	t.Helper()
	var st models.Staff
	if err := s.DB().Where("staff_no = ?", staffNo).First(&st).Error; err != nil {
		t.Fatalf("testenv: staff %s: %v", staffNo, err)
	}
	if err := s.DB().Model(c).Update("staff_id", st.ID).Error; err != nil {
		t.Fatalf("testenv: bind %s: %v", staffNo, err)
	}
	c.StaffID = &st.ID
	return &st
}
