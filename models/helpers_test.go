package models_test

import (
	"context"
	"testing"
	"time"

	"windowbot/internal/testenv"
	"windowbot/models"
)

// forEachDB runs fn against a fresh, migrated SQLite and PostgreSQL database each.
func forEachDB(t *testing.T, fn func(t *testing.T, s *models.Store)) {
	t.Helper()
	testenv.ForEachDB(t, func(t *testing.T, url string) { fn(t, testenv.OpenStore(t, url)) })
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
