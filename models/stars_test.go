package models_test

import (
	"fmt"
	"testing"
	"time"

	"windowbot/internal/testenv"
	"windowbot/models"
)

func TestServiceStars(t *testing.T) {
	tallies := []models.Tally{
		tallyOf(1, 1, 3, 3, 3),       // three perfect votes
		tallyOf(2, 1, 300, 294, 280), // 300 at 98%
		tallyOf(3, 1, 200, 150, 100), // pulls the pool down
		tallyOf(7, 1, 50, 50, 50),    // best, but barred
		tallyOf(4, 2, 10, 10, 5),
		tallyOf(5, 2, 10, 10, 9), // tie on score: more good reviews
		tallyOf(6, 3, 2, 2, 2),   // below the minimum
	}
	stars := models.ServiceStars(tallies, map[uint]bool{7: true}, 3)
	if len(stars) != 2 || stars[1].ID != 2 || stars[2].ID != 5 {
		t.Fatalf("stars = %+v, want center 1: 2, center 2: 5", stars)
	}
	if s := stars[1]; s.SatisfactionRate() != 0.98 || s.Score <= 0.97 || s.Score >= 0.99 {
		t.Fatalf("star of center 1 = %+v", s)
	}
	if len(models.ServiceStars(nil, nil, 20)) != 0 {
		t.Fatal("stars without tallies")
	}
}

func TestServiceStarPreview(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		r := newTicketRig(t, s)
		w1, w2, zhang := seeded(t, s)
		var wang models.Staff
		s.DB().Where("staff_no = ?", "DEMO-003").First(&wang) // W002
		rate := func(w *models.Window, st *models.Staff, level int, i int) *models.Rating {
			c := r.citizen(t, fmt.Sprint("star", i))
			rt := &models.Rating{WindowID: w.ID, StaffID: &st.ID, CitizenID: c.ID, Level: level, Aspects: "attitude.cold", Channel: "web", CreatedAt: testenv.Monday10}
			if err := s.CreateRating(ctx, rt, testenv.Monday10); err != nil {
				t.Fatal(err)
			}
			return rt
		}
		for i := range 4 {
			rate(w1, zhang, 3, i) // satisfied, but no good reviews: 王芳 ranks first
			rate(w2, &wang, 5, 10+i)
		}
		// A bad review naming 张伟, contested and upheld: it does not count against him.
		bad := rate(w1, zhang, 1, 20)
		for _, c := range []models.Change{
			{Action: models.ActAppeal, Note: "恶意", Actor: models.Actor{Role: models.RoleStaff, StaffID: zhang.ID, WindowID: &w1.ID}},
			{Action: models.ActReview, Outcome: models.ReviewUphold, Actor: models.Actor{Role: models.RoleAdmin}},
		} {
			c.At = testenv.Monday10
			if _, _, err := s.Transition(ctx, bad.Ticket.No, c); err != nil {
				t.Fatal(err)
			}
		}
		from, to := time.Date(2026, 11, 1, 0, 0, 0, 0, testenv.Shanghai), time.Date(2026, 12, 1, 0, 0, 0, 0, testenv.Shanghai)
		picks, err := s.ServiceStarPreview(ctx, &w1.CenterID, from, to, 3)
		if err != nil || len(picks) != 1 || picks[0].ID != wang.ID || picks[0].Staff.Window.Code != "W002" || picks[0].Total() != 4 {
			t.Fatalf("preview = %+v, %v", picks, err)
		}
		// A verified complaint on W002 takes 王芳 out; 张伟 is next.
		c := r.citizen(t, "complainer")
		tk, err := s.CreateComplaint(ctx, models.NewComplaint{CitizenID: c.ID, WindowID: &w2.ID, Category: "attitude", Description: "x", Channel: "web", At: testenv.Monday10})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Transition(ctx, tk.No, models.Change{Action: models.ActAccept, Actor: models.Actor{Role: models.RoleAdmin}, At: testenv.Monday10}); err != nil {
			t.Fatal(err)
		}
		picks, _ = s.ServiceStarPreview(ctx, nil, from, to, 3)
		if len(picks) != 1 || picks[0].ID != zhang.ID || picks[0].Total() != 4 {
			t.Fatalf("preview after the complaint = %+v", picks)
		}
		// Another month has nobody.
		if picks, _ := s.ServiceStarPreview(ctx, nil, to, to.AddDate(0, 1, 0), 3); len(picks) != 0 {
			t.Fatalf("December = %+v", picks)
		}
	})
}
