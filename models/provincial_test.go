package models_test

import (
	"errors"
	"testing"
	"time"

	"windowbot/internal/testenv"
	"windowbot/models"
)

// TestCaseRatingOncePerCaseAndReported: a rating through a case is stored once per case, names
// the case's staff member, does not use up the citizen's rating of the window that day, and
// every rating queues exactly one report record in its own transaction.
func TestCaseRatingOncePerCaseAndReported(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, url string) {
		s := testenv.OpenDemoStore(t, url)
		ctx := ctxT(t)
		now := testenv.Monday10
		cs, err := s.RegisterCases(ctx, []models.NewCase{{CaseNo: "NS-1", WindowCode: "W001", StaffNo: "DEMO-002",
			FinishedAt: now.Format(time.RFC3339)}}, models.CaseOptions{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.TouchCitizen(ctx, "web", "v1", "", now)
		if err != nil {
			t.Fatal(err)
		}
		day := now.Add(-10 * time.Hour)
		id := cs[0].ID
		r := &models.Rating{WindowID: cs[0].WindowID, CitizenID: c.ID, Level: 5, Channel: "web", CreatedAt: now, CaseID: &id}
		if err := s.CreateRating(ctx, r, day); err != nil {
			t.Fatal(err)
		}
		if r.StaffID == nil || *r.StaffID != *cs[0].StaffID {
			t.Errorf("the rating names %v, the case %v", r.StaffID, cs[0].StaffID)
		}
		again := &models.Rating{WindowID: cs[0].WindowID, CitizenID: c.ID, Level: 1, Channel: "web", CreatedAt: now, CaseID: &id}
		if err := s.CreateRating(ctx, again, day); !errors.Is(err, models.ErrCaseRated) {
			t.Fatalf("second rating of the case: %v", err)
		}
		plain := &models.Rating{WindowID: cs[0].WindowID, CitizenID: c.ID, Level: 4, Channel: "web", CreatedAt: now}
		if err := s.CreateRating(ctx, plain, day); err != nil {
			t.Fatalf("the window without invitation: %v", err)
		}
		plain2 := &models.Rating{WindowID: cs[0].WindowID, CitizenID: c.ID, Level: 4, Channel: "web", CreatedAt: now}
		if err := s.CreateRating(ctx, plain2, day); !errors.Is(err, models.ErrAlreadyRated) {
			t.Fatalf("a second rating without invitation: %v", err)
		}
		if n := count(t, s, &models.ReportRecord{}); n != 2 {
			t.Errorf("%d report records for 2 ratings", n)
		}
		st, err := s.ReportStatus(ctx)
		if err != nil || st.Pending != 2 || st.Sent != 0 {
			t.Errorf("status %+v, %v", st, err)
		}
	})
}
