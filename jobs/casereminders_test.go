package jobs_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"windowbot/bot"
	"windowbot/internal/testenv"
	"windowbot/jobs"
	"windowbot/models"
)

// TestCaseRemindersOncePerInvitation: an unrated invitation gets its one reminder after the
// configured wait — by SMS with its web link to a phone given with consent, in the chat that
// opened it otherwise — and nothing goes to a phone without consent or for a case already rated;
// two replicas running at once queue each reminder once.
func TestCaseRemindersOncePerInvitation(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		oneWindow(t, s)
		t0 := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
		cases, err := s.RegisterCases(ctx, []models.NewCase{
			{CaseNo: "A", WindowCode: "W001", FinishedAt: "2026-11-23T09:00:00+08:00", Phone: "13800138000", Consent: true},
			{CaseNo: "B", WindowCode: "W001", FinishedAt: "2026-11-23T09:00:00+08:00"},
			{CaseNo: "C", WindowCode: "W001", FinishedAt: "2026-11-23T09:00:00+08:00", Phone: "13900139000"},
			{CaseNo: "D", WindowCode: "W001", FinishedAt: "2026-11-23T09:00:00+08:00", Phone: "13700137000", Consent: true},
		}, models.CaseOptions{Now: t0})
		if err != nil {
			t.Fatal(err)
		}
		opener := citizen(t, s, bot.Telegram, "4242")
		if err := s.OpenCase(ctx, cases[1].ID, opener.ID); err != nil {
			t.Fatal(err)
		}
		rater := citizen(t, s, bot.Web, "rater")
		if err := s.CreateRating(ctx, &models.Rating{WindowID: cases[3].WindowID, CitizenID: rater.ID, Level: 5, Channel: "web",
			CaseID: &cases[3].ID, CreatedAt: t0.Add(time.Hour)}, t0); err != nil {
			t.Fatal(err)
		}

		clk := testenv.NewClock(t0.Add(time.Hour))
		r := &jobs.CaseReminders{Store: s, After: 24 * time.Hour, Now: clk.Now,
			Link: func(token string) string { return "https://hall.example.cn/?c=" + token }}
		if n, err := r.Once(ctx); err != nil || n != 0 {
			t.Fatalf("an hour after: %d reminders (%v), want none yet", n, err)
		}
		clk.Add(24 * time.Hour)
		var wg sync.WaitGroup
		var mu sync.Mutex
		total := 0
		for range 2 { // two replicas at once
			wg.Go(func() {
				n, err := r.Once(ctx)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				total += n
				mu.Unlock()
			})
		}
		wg.Wait()
		if total != 2 {
			t.Fatalf("%d reminders queued, want 2 (A by SMS, B in its chat)", total)
		}
		if n, err := r.Once(ctx); err != nil || n != 0 {
			t.Fatalf("a second run queued %d (%v)", n, err)
		}
		var pushes []models.Push
		if err := testenv.DB(t, s).Where("kind = ?", models.KindCaseReminder).Order("id").Find(&pushes).Error; err != nil {
			t.Fatal(err)
		}
		if len(pushes) != 2 {
			t.Fatalf("%d reminder pushes", len(pushes))
		}
		got := map[string]models.Push{}
		for _, p := range pushes {
			var c models.Citizen
			if err := testenv.DB(t, s).First(&c, p.CitizenID).Error; err != nil {
				t.Fatal(err)
			}
			got[c.Platform+":"+c.ExternalID] = p
		}
		sms, ok := got["sms:+8613800138000"]
		if !ok {
			t.Fatalf("no SMS reminder to A's phone: %v", got)
		}
		if !strings.Contains(sms.Message.Args["Link"], "?c="+cases[0].Token) {
			t.Errorf("A's reminder: %+v", sms.Message)
		}
		if _, ok := got["telegram:4242"]; !ok {
			t.Errorf("no reminder in the chat that opened B: %v", got)
		}
	})
}
