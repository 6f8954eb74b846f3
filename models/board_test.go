package models_test

import (
	"fmt"
	"testing"
	"time"

	"windowbot/internal/testenv"
	"windowbot/models"
)

func TestWindowTalliesByPeriod(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		w1, w2, _ := seeded(t, s)
		r := newTicketRig(t, s)
		at := func(month time.Month, day, hour int) time.Time {
			return time.Date(2026, month, day, hour, 30, 0, 0, testenv.Shanghai)
		}
		n := 0
		rate := func(w *models.Window, level int, when time.Time, excluded bool) {
			n++
			c := r.citizen(t, fmt.Sprint("p", n))
			rt := models.Rating{WindowID: w.ID, CitizenID: c.ID, Level: level, Channel: "web", Excluded: excluded, CreatedAt: when.UTC()}
			if err := s.DB().Create(&rt).Error; err != nil {
				t.Fatal(err)
			}
		}
		rate(w1, 5, at(9, 30, 23), false)                                       // before the first bound
		rate(w1, 5, at(10, 1, 0), false)                                        // October, 00:30 in Shanghai: still September in UTC
		rate(w1, 1, at(10, 31, 23), false)                                      // October, 31 Oct 23:30 in Shanghai
		rate(w2, 4, at(10, 15, 12), false)                                      // October
		rate(w1, 3, at(11, 1, 0), false)                                        // November, 1 Nov 00:30 in Shanghai: 31 Oct in UTC
		rate(w1, 2, at(11, 20, 9), true)                                        // excluded: never counted
		rate(w2, 5, at(12, 1, 0), false)                                        // December
		rate(w2, 5, at(12, 31, 23), false)                                      // December
		rate(w2, 1, at(12, 31, 23), true)                                       // excluded
		rate(w1, 5, time.Date(2027, 1, 1, 0, 0, 0, 0, testenv.Shanghai), false) // at the last bound: outside

		bounds := []time.Time{at(10, 1, 0).Add(-30 * time.Minute), at(11, 1, 0).Add(-30 * time.Minute),
			at(12, 1, 0).Add(-30 * time.Minute), time.Date(2027, 1, 1, 0, 0, 0, 0, testenv.Shanghai)}
		got, err := s.WindowTalliesByPeriod(ctx, bounds)
		if err != nil {
			t.Fatal(err)
		}
		want := [][]models.Tally{
			{{ID: w1.ID, CenterID: w1.CenterID, ByLevel: [5]int{1, 0, 0, 0, 1}}, {ID: w2.ID, CenterID: w2.CenterID, ByLevel: [5]int{0, 0, 0, 1, 0}}},
			{{ID: w1.ID, CenterID: w1.CenterID, ByLevel: [5]int{0, 0, 1, 0, 0}}},
			{{ID: w2.ID, CenterID: w2.CenterID, ByLevel: [5]int{0, 0, 0, 0, 2}}},
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("tallies by period =\n%v\nwant\n%v", got, want)
		}
		// The same counts as the one aggregate of each month alone.
		for i := range want {
			one, err := s.WindowTallies(ctx, bounds[i], bounds[i+1])
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(one) != fmt.Sprint(got[i]) {
				t.Errorf("period %d: WindowTallies %v, by period %v", i, one, got[i])
			}
		}
		// A period nobody rated in is empty, not missing.
		got, err = s.WindowTalliesByPeriod(ctx, []time.Time{bounds[0].AddDate(-2, 0, 0), bounds[0].AddDate(-1, 0, 0), bounds[0].AddDate(0, -1, 0)})
		if err != nil || len(got) != 2 || len(got[0])+len(got[1]) != 0 {
			t.Errorf("empty periods = %v, %v", got, err)
		}
		if _, err := s.WindowTalliesByPeriod(ctx, []time.Time{bounds[1], bounds[0]}); err == nil {
			t.Error("descending bounds accepted")
		}
		if got, err := s.WindowTalliesByPeriod(ctx, bounds[:1]); got != nil || err != nil {
			t.Errorf("one bound = %v, %v", got, err)
		}
	})
}

func TestTicketHandlings(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		w1, w2, _ := seeded(t, s)
		r := newTicketRig(t, s)
		admin := models.Actor{Role: models.RoleAdmin}
		n := 0
		// ticket files a complaint on w at opened and moves it with changes, each a day apart.
		ticket := func(w *models.Window, opened time.Time, changes ...models.Change) *models.Ticket {
			n++
			c := r.citizen(t, fmt.Sprint("h", n))
			tk, err := s.CreateComplaint(ctx, models.NewComplaint{CitizenID: c.ID, WindowID: &w.ID, Category: "attitude",
				Description: "x", Channel: "telegram", At: opened})
			if err != nil {
				t.Fatal(err)
			}
			at := opened
			for _, ch := range changes {
				at = at.AddDate(0, 0, 1)
				if ch.Actor.Role == "" {
					ch.Actor = admin
				}
				if ch.Actor.Role == models.RoleCitizen {
					ch.Actor.CitizenID = c.ID
				}
				ch.At = at
				if tk, _, err = s.Transition(ctx, tk.No, ch); err != nil {
					t.Fatalf("%s: %v", ch.Action, err)
				}
			}
			return tk
		}
		fix := []models.Change{{Action: models.ActAccept}, {Action: models.ActPlan, Note: "培训"}, {Action: models.ActDone, Note: "已培训全体窗口人员并张贴服务承诺"}, {Action: models.ActApprove}}
		rerate := func(outcome string) models.Change {
			return models.Change{Action: models.ActRerate, Outcome: outcome, Actor: models.Actor{Role: models.RoleCitizen}}
		}
		nov := testenv.Monday10                                           // 23 Nov 2026
		ticket(w1, nov, fix...)                                           // on time, awaiting the verdict
		ticket(w1, nov, append(fix, rerate(models.RerateSatisfied))...)   // on time, satisfied
		ticket(w1, nov, append(fix, rerate(models.RerateBasic))...)       // on time, basic counts as satisfied
		ticket(w2, nov, append(fix, rerate(models.RerateUnsatisfied))...) // turned down: reopened, not resolved now
		ticket(w2, nov.AddDate(0, 0, -40), fix...)                        // finished in October: outside
		late := ticket(w2, nov, models.Change{Action: models.ActAccept})  // accepted, then finished late
		if err := s.DB().Model(&models.Ticket{}).Where("id = ?", late.ID).Update("rectify_due", nov).Error; err != nil {
			t.Fatal(err)
		}
		for _, ch := range fix[1:] {
			ch.Actor, ch.At = admin, nov.AddDate(0, 0, 2)
			if _, _, err := s.Transition(ctx, late.No, ch); err != nil {
				t.Fatal(err)
			}
		}
		ticket(w1, nov) // still open

		from := time.Date(2026, 11, 1, 0, 0, 0, 0, testenv.Shanghai)
		hs, err := s.TicketHandlings(ctx, from, from.AddDate(0, 1, 0))
		if err != nil {
			t.Fatal(err)
		}
		if len(hs) != 1 || hs[0].CenterID != w1.CenterID {
			t.Fatalf("handlings = %+v, want the demo center's", hs)
		}
		h := hs[0]
		if h.Resolved != 4 || h.OnTime != 3 || h.Rerated != 3 || h.RerateSatisfied != 2 {
			t.Fatalf("handling = %+v, want 4 finished, 3 on time, 3 verdicts, 2 satisfied", h)
		}
		if h.OnTimeRate() != 0.75 || h.RerateRate() != 2.0/3 {
			t.Errorf("rates = %v, %v", h.OnTimeRate(), h.RerateRate())
		}
		var sum models.TicketHandling
		sum.Add(h)
		sum.Add(h)
		if sum.Resolved != 8 || sum.RerateSatisfied != 4 || (models.TicketHandling{}).OnTimeRate() != 0 {
			t.Errorf("sum = %+v", sum)
		}
	})
}

func TestRatingCountsAndPushStates(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		w1, _, _ := seeded(t, s)
		r := newTicketRig(t, s)
		for i, x := range []struct {
			level    int
			channel  string
			excluded bool
		}{{5, "web", false}, {5, "web", true}, {5, "telegram", false}, {1, "wechat", false}} {
			c := r.citizen(t, fmt.Sprint("rc", i))
			if err := s.DB().Create(&models.Rating{WindowID: w1.ID, CitizenID: c.ID, Level: x.level, Channel: x.channel,
				Excluded: x.excluded, CreatedAt: testenv.Monday10}).Error; err != nil {
				t.Fatal(err)
			}
		}
		counts, err := s.RatingCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(counts); got != "[{1 wechat 1} {5 telegram 1} {5 web 2}]" {
			t.Errorf("rating counts = %s", got)
		}

		now := testenv.Monday10
		c := r.citizen(t, "pushee")
		var pushes []*models.Push
		for i, p := range []struct {
			state string
			at    time.Time
		}{{models.PushQueued, now}, {models.PushQueued, now.Add(-time.Minute)}, {models.PushQueued, now.Add(time.Hour)},
			{models.PushSent, now.Add(time.Hour)}, {models.PushFailed, now}, {models.PushDropped, now}} {
			pushes = append(pushes, &models.Push{DedupeKey: fmt.Sprint("k", i), Kind: models.KindTicketStatus, CitizenID: c.ID,
				Text: "x", State: p.state, NotBefore: p.at})
		}
		if err := models.Enqueue(s.DB(), now, pushes...); err != nil {
			t.Fatal(err)
		}
		states, err := s.PushStates(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(states); got != "[{dropped 1} {due 2} {failed 1} {held 1} {sent 1}]" {
			t.Errorf("push states = %s", got)
		}
	})
}

func TestTopBottom(t *testing.T) {
	ranked := func(n int) []models.Ranked {
		var out []models.Ranked
		for i := range n {
			out = append(out, models.Ranked{Tally: models.Tally{ID: uint(i + 1)}, Rank: i + 1})
		}
		return out
	}
	ids := func(rs []models.Ranked) string {
		var out []uint
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return fmt.Sprint(out)
	}
	for _, tc := range []struct {
		n, limit    int
		top, bottom string
	}{
		{25, 10, "[1 2 3 4 5 6 7 8 9 10]", "[25 24 23 22 21 20 19 18 17 16]"},
		{20, 10, "[1 2 3 4 5 6 7 8 9 10]", "[20 19 18 17 16 15 14 13 12 11]"},
		{5, 10, "[1 2 3]", "[5 4]"},
		{1, 10, "[1]", "[]"},
		{0, 10, "[]", "[]"},
		{6, 2, "[1 2]", "[6 5]"},
	} {
		top, bottom := models.TopBottom(ranked(tc.n), tc.limit)
		if ids(top) != tc.top || ids(bottom) != tc.bottom {
			t.Errorf("TopBottom(%d, %d) = %s, %s; want %s, %s", tc.n, tc.limit, ids(top), ids(bottom), tc.top, tc.bottom)
		}
	}
}
