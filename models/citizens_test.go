package models_test

import (
	"errors"
	"testing"
	"time"

	"windowbot/models"
)

func TestCitizenInactive(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
		if _, err := s.CitizenByExternalID(ctx, "wechat", "o-1"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("unknown citizen: err = %v, want ErrNotFound", err)
		}
		// Nobody to mark is not an error, and creates nothing.
		if err := s.SetCitizenInactive(ctx, "wechat", "o-1", true); err != nil {
			t.Fatal(err)
		}
		if n := count(t, s, &models.Citizen{}); n != 0 {
			t.Fatalf("citizens = %d, want 0", n)
		}
		if _, err := s.TouchCitizen(ctx, "wechat", "o-1", "", t0); err != nil {
			t.Fatal(err)
		}
		if _, err := s.TouchCitizen(ctx, "telegram", "o-1", "", t0); err != nil {
			t.Fatal(err)
		}
		for _, want := range []bool{true, false, true} {
			if err := s.SetCitizenInactive(ctx, "wechat", "o-1", want); err != nil {
				t.Fatal(err)
			}
			c, err := s.CitizenByExternalID(ctx, "wechat", "o-1")
			if err != nil {
				t.Fatal(err)
			}
			if c.Inactive != want || !c.LastSeenAt.Equal(t0) {
				t.Errorf("after SetCitizenInactive(%t): %+v", want, c)
			}
		}
		if c, _ := s.CitizenByExternalID(ctx, "telegram", "o-1"); c == nil || c.Inactive {
			t.Errorf("the same id on another platform changed: %+v", c)
		}
		// Writing again (every inbound touches the citizen) makes a blocked user reachable again.
		c, err := s.TouchCitizen(ctx, "wechat", "o-1", "", t0.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if c.Inactive || !c.LastSeenAt.Equal(t0.Add(time.Hour)) {
			t.Errorf("after writing again: inactive %t, last seen %s", c.Inactive, c.LastSeenAt)
		}
	})
}
