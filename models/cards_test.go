package models_test

import (
	"testing"
	"time"

	"windowbot/internal/testenv"
	"windowbot/models"
)

// TestPaperCardsCountButNeverMakeAStar: paper cards (channel 纸质) entered one after another for
// the same window all count in the window's statistics and tallies, a bad one opens its ticket,
// and none is counted for a person, so none can make a service star.
func TestPaperCardsCountButNeverMakeAStar(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, url string) {
		s := testenv.OpenDemoStore(t, url)
		ctx := ctxT(t)
		w, err := s.WindowByCode(ctx, "W001")
		if err != nil {
			t.Fatal(err)
		}
		sup, err := s.StaffByNo(ctx, models.DemoSupervisorNo)
		if err != nil {
			t.Fatal(err)
		}
		at := testenv.Monday10
		for i, lvl := range []int{5, 5, 2} {
			r, err := s.RecordPaperCard(ctx, models.PaperCard{WindowID: w.ID, Level: lvl, Comment: "卡片意见", EnteredBy: sup.ID, At: at.Add(time.Duration(i) * time.Minute)})
			if err != nil {
				t.Fatalf("card %d: %v", i, err)
			}
			if r.Channel != models.ChannelPaper || r.StaffID != nil {
				t.Fatalf("card %d stored as %+v", i, r)
			}
			if (lvl == 2) != (r.Ticket != nil) {
				t.Fatalf("card %d of level %d: ticket %v", i, lvl, r.Ticket)
			}
		}
		ts, err := s.WindowTallies(ctx, at.Add(-time.Hour), at.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(ts) != 1 || ts[0].ID != w.ID || ts[0].Total() != 3 {
			t.Fatalf("window tallies: %+v", ts)
		}
		staff, err := s.StaffTallies(ctx, at.Add(-time.Hour), at.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(staff) != 0 {
			t.Fatalf("paper cards counted for a person: %+v", staff)
		}
		if n := testenv.Count[models.Citizen](t, s, "platform = ? AND inactive = ?", models.ChannelPaper, true); n != 3 {
			t.Fatalf("paper raters: %d, want one unreachable rater per card", n)
		}
	})
}
