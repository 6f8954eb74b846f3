package models_test

import (
	"testing"
	"time"

	"windowbot/models"
)

func TestEnqueueKeepsTheFirstOfADedupeKey(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		now := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
		c, err := s.TouchCitizen(ctx, "telegram", "42", "zh-CN", now)
		if err != nil {
			t.Fatal(err)
		}
		first := &models.Push{DedupeKey: "ticket_status:T1:accepted:c1", Kind: "ticket_status", CitizenID: c.ID, Text: "已受理"}
		again := &models.Push{DedupeKey: "ticket_status:T1:accepted:c1", Kind: "ticket_status", CitizenID: c.ID, Text: "second copy"}
		other := &models.Push{DedupeKey: "ticket_status:T1:resolved:c1", Kind: "ticket_status", CitizenID: c.ID, Text: "已办结", Urgent: true}
		if err := s.EnqueuePushes(ctx, now, first); err != nil {
			t.Fatal(err)
		}
		if err := s.EnqueuePushes(ctx, now.Add(time.Hour), again, other); err != nil {
			t.Fatal(err)
		}
		var got []models.Push
		if err := s.DB().Order("id").Find(&got).Error; err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 {
			t.Fatalf("pushes = %d, want 2", len(got))
		}
		if got[0].Text != "已受理" || got[0].State != models.PushQueued || !got[0].NotBefore.Equal(now) {
			t.Errorf("first push = %+v", got[0])
		}
		if got[1].Text != "已办结" || !got[1].Urgent {
			t.Errorf("second push = %+v", got[1])
		}
		if err := s.EnqueuePushes(ctx, now, &models.Push{Kind: "x", CitizenID: c.ID, Text: "no key"}); err == nil {
			t.Error("a push without a dedupe key was queued")
		}
	})
}
