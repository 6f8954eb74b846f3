package wechat_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"windowbot/bot"
	"windowbot/internal/testenv"
	"windowbot/models"
)

// citizenStore returns a migrated SQLite store: the adapter's citizens are real rows.
func citizenStore(t testing.TB) *models.Store {
	t.Helper()
	return testenv.OpenStore(t, testenv.SQLiteURL(t))
}

// putCitizen records a WeChat follower last seen at lastSeen.
func putCitizen(t testing.TB, s *models.Store, openID string, lastSeen time.Time, inactive bool) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.TouchCitizen(ctx, "wechat", openID, "", lastSeen); err != nil {
		t.Fatal(err)
	}
	// TouchCitizen keeps the latest time; a test that goes back in time sets it outright.
	if err := testenv.DB(t, s).Model(&models.Citizen{}).Where("platform = ? AND external_id = ?", "wechat", openID).
		Update("last_seen_at", lastSeen.UTC()).Error; err != nil {
		t.Fatal(err)
	}
	if err := s.SetCitizenInactive(ctx, "wechat", openID, inactive); err != nil {
		t.Fatal(err)
	}
}

// isInactive reports whether the follower is marked inactive.
func isInactive(t testing.TB, s *models.Store, openID string) bool {
	t.Helper()
	c, err := s.CitizenByExternalID(context.Background(), "wechat", openID)
	if err != nil {
		return false
	}
	return c.Inactive
}

// stubHandler records every Inbound and answers with a fixed reply after an optional delay, or
// once gate is closed.
type stubHandler struct {
	mu      sync.Mutex
	got     []bot.Inbound
	replies []bot.Reply
	err     error
	delay   time.Duration
	gate    chan struct{}
	panics  bool
}

func (h *stubHandler) Handle(ctx context.Context, in bot.Inbound) ([]bot.Reply, error) {
	h.mu.Lock()
	h.got = append(h.got, in)
	replies, err, delay, gate, panics := h.replies, h.err, h.delay, h.gate, h.panics
	h.mu.Unlock()
	if panics {
		panic("stub handler panics")
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return replies, err
}

func (h *stubHandler) calls() []bot.Inbound {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]bot.Inbound(nil), h.got...)
}

func (h *stubHandler) set(fn func(h *stubHandler)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	fn(h)
}
