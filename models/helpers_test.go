package models_test

import (
	"context"
	"log/slog"
	"sort"
	"testing"
	"time"

	"windowbot/flows"
	"windowbot/internal/testenv"
	"windowbot/models"
)

// The store must satisfy the interface the conversations declare.
var _ flows.Store = (*models.Store)(nil)

// testLogger discards output: the store logs at info on migrations and imports.
func testLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// open opens and migrates the database at url, closing it when the test ends.
func open(t *testing.T, url string) *models.Store {
	t.Helper()
	ctx := context.Background()
	s, err := models.Open(ctx, url, testLogger())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s
}

// forEachDB runs fn against a fresh, migrated SQLite and PostgreSQL database each.
func forEachDB(t *testing.T, fn func(t *testing.T, s *models.Store)) {
	t.Helper()
	urls := testenv.DatabaseURLs(t)
	names := make([]string, 0, len(urls))
	for name := range urls {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			fn(t, open(t, urls[name]))
		})
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func count(t *testing.T, s *models.Store, model any) int64 {
	t.Helper()
	var n int64
	if err := s.DB().Model(model).Count(&n).Error; err != nil {
		t.Fatalf("count: %v", err)
	}
	return n
}
