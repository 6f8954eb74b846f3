package models_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"windowbot/internal/testenv"
	"windowbot/models"
)

func queuePushes(t *testing.T, s *models.Store, now time.Time, n int) *models.Citizen {
	t.Helper()
	ctx := ctxT(t)
	c, err := s.TouchCitizen(ctx, "telegram", "100", "zh-CN", now)
	if err != nil {
		t.Fatal(err)
	}
	ps := make([]*models.Push, n)
	for i := range ps {
		ps[i] = &models.Push{DedupeKey: fmt.Sprintf("k%d", i), Kind: "test", CitizenID: c.ID, Text: "hi"}
	}
	if err := s.EnqueuePushes(ctx, now, ps...); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClaimPushesLeases(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		now := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
		queuePushes(t, s, now, 5)
		got, err := s.ClaimPushes(ctx, now, time.Minute, "a", 3)
		if err != nil || len(got) != 3 {
			t.Fatalf("claim = %d, %v; want 3", len(got), err)
		}
		if got[0].Citizen == nil || got[0].Citizen.ExternalID != "100" || got[0].Lease != "a" {
			t.Errorf("claimed push = %+v", got[0])
		}
		rest, err := s.ClaimPushes(ctx, now, time.Minute, "b", 10)
		if err != nil || len(rest) != 2 {
			t.Fatalf("second claim = %d, %v; want the 2 left", len(rest), err)
		}
		if again, _ := s.ClaimPushes(ctx, now.Add(59*time.Second), time.Minute, "c", 10); len(again) != 0 {
			t.Fatalf("claimed %d leased pushes", len(again))
		}
		// Settle: sent, retried, and one whose lease another dispatcher took over.
		sentAt := now.Add(time.Second)
		if err := s.SettlePush(ctx, &got[0], "a", sentAt, models.PushSettlement{State: models.PushSent, SentAt: sentAt, Attempted: true}); err != nil {
			t.Fatal(err)
		}
		retry := models.PushSettlement{State: models.PushQueued, NotBefore: now.Add(time.Hour), Attempted: true, Reason: "timeout"}
		if err := s.SettlePush(ctx, &got[1], "a", sentAt, retry); err != nil {
			t.Fatal(err)
		}
		if err := s.SettlePush(ctx, &got[2], "wrong", sentAt, retry); !errors.Is(err, models.ErrLeaseLost) {
			t.Fatalf("settle with another lease: %v, want ErrLeaseLost", err)
		}
		if err := s.SettlePush(ctx, &got[0], "a", sentAt, retry); !errors.Is(err, models.ErrLeaseLost) {
			t.Fatalf("settle a sent push again: %v, want ErrLeaseLost", err)
		}
		// After the lease, the unsettled one comes back; the retried one waits for its hour.
		late, err := s.ClaimPushes(ctx, now.Add(2*time.Minute), time.Minute, "d", 10)
		if err != nil || len(late) != 3 {
			t.Fatalf("claim after lease = %d, %v; want 3 (1 unsettled + 2 from b)", len(late), err)
		}
		var p models.Push
		s.DB().First(&p, got[1].ID)
		if p.Attempts != 1 || p.LastError != "timeout" || p.Lease != "" || !p.NotBefore.Equal(now.Add(time.Hour)) {
			t.Errorf("retried push = %+v", p)
		}
		p = models.Push{}
		s.DB().First(&p, got[0].ID)
		if p.State != models.PushSent || p.SentAt == nil || !p.SentAt.Equal(sentAt) {
			t.Errorf("sent push = %+v", p)
		}
	})
}

func TestSettlePushDropDeactivates(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		now := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
		c := queuePushes(t, s, now, 1)
		got, err := s.ClaimPushes(ctx, now, time.Minute, "a", 1)
		if err != nil || len(got) != 1 {
			t.Fatal(len(got), err)
		}
		long := strings.Repeat("长", 600)
		err = s.SettlePush(ctx, &got[0], "a", now, models.PushSettlement{State: models.PushDropped, Reason: long, Deactivate: true, Attempted: true})
		if err != nil {
			t.Fatal(err)
		}
		var back models.Citizen
		s.DB().First(&back, c.ID)
		if !back.Inactive {
			t.Error("recipient not marked inactive")
		}
		// The reason is cut to fit its column, and the lease ends.
		var p models.Push
		s.DB().First(&p, got[0].ID)
		if p.State != models.PushDropped || p.Attempts != 1 || p.Lease != "" ||
			utf8.RuneCountInString(p.LastError) != 500 || !strings.HasSuffix(p.LastError, "长…") {
			t.Errorf("dropped push: state %s, attempts %d, lease %q, reason of %d runes", p.State, p.Attempts, p.Lease, utf8.RuneCountInString(p.LastError))
		}
		if n, _ := s.QueuedPushes(ctx); len(n) != 0 {
			t.Errorf("queued = %+v", n)
		}
	})
}

// Replicas claiming at the same moment take disjoint batches and together take every push.
func TestClaimPushesConcurrent(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		now := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
		queuePushes(t, s, now, 200)
		var mu sync.Mutex
		seen := map[uint]int{}
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// 200 pushes are 29 batches of 7: a replica that keeps claiming past that many
				// rounds is claiming what it already holds, and must not spin forever.
				for round := 0; ; round++ {
					if round > 29 {
						t.Errorf("replica r%d still claiming after %d rounds", i, round)
						return
					}
					got, err := s.ClaimPushes(ctx, now, time.Minute, fmt.Sprint("r", i), 7)
					if err != nil {
						t.Error(err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, p := range got {
						seen[p.ID]++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(seen) != 200 {
			t.Errorf("claimed %d distinct pushes, want 200", len(seen))
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("push %d claimed %d times", id, n)
			}
		}
	})
}

func TestClaimJobRunOnce(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		now := time.Date(2026, 11, 1, 1, 0, 0, 0, time.UTC)
		var wg sync.WaitGroup
		wins := make([]bool, 6)
		for i := range wins {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, run, err := s.ClaimJobRun(ctx, "monthly-star", "2026-10", fmt.Sprint("host-", i), now)
				if err != nil || run == nil {
					t.Errorf("claim: %v", err)
				}
				wins[i] = ok
			}()
		}
		wg.Wait()
		n := 0
		for _, w := range wins {
			if w {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d claims won, want 1", n)
		}
		_, run, _ := s.ClaimJobRun(ctx, "monthly-star", "2026-10", "x", now)
		if err := s.FinishJobRun(ctx, run.ID, 7, errors.New("boom"), now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		ok, _, _ := s.ClaimJobRun(ctx, "monthly-star", "2026-11", "x", now)
		if !ok {
			t.Error("another period was not claimable")
		}
		last, err := s.LastJobRuns(ctx)
		if err != nil || last["monthly-star"].Period != "2026-11" {
			t.Errorf("LastJobRuns = %+v, %v", last, err)
		}
		var failed models.JobRun
		s.DB().Where("period = ?", "2026-10").First(&failed)
		if failed.Status != models.JobFailed || failed.Error != "boom" || failed.Items != 7 || failed.FinishedAt == nil {
			t.Errorf("failed run = %+v", failed)
		}
	})
}

func TestTalliesAndRank(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		w1, w2, st := seeded(t, s)
		oct := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
		levels := map[*models.Window][]int{w1: {5, 5, 4, 3, 2}, w2: {1, 5}}
		i := 0
		for w, ls := range levels {
			for _, l := range ls {
				i++
				c, err := s.TouchCitizen(ctx, "web", fmt.Sprint("v", i), "zh-CN", oct)
				if err != nil {
					t.Fatal(err)
				}
				r := &models.Rating{WindowID: w.ID, CitizenID: c.ID, Level: l, Channel: "web", CreatedAt: oct.Add(time.Duration(i) * time.Hour), Comment: fmt.Sprint("c", i)}
				if w == w1 {
					r.StaffID = &st.ID
				}
				if err := s.CreateRating(ctx, r, oct.AddDate(0, 0, -1)); err != nil {
					t.Fatal(err)
				}
			}
		}
		// Outside the period and excluded ones do not count.
		c, _ := s.TouchCitizen(ctx, "web", "late", "zh-CN", oct)
		if err := s.CreateRating(ctx, &models.Rating{WindowID: w1.ID, CitizenID: c.ID, Level: 1, Channel: "web", CreatedAt: oct.AddDate(0, 1, 0)}, oct); err != nil {
			t.Fatal(err)
		}
		c2, _ := s.TouchCitizen(ctx, "web", "excl", "zh-CN", oct)
		if err := s.CreateRating(ctx, &models.Rating{WindowID: w2.ID, CitizenID: c2.ID, Level: 1, Channel: "web", CreatedAt: oct.Add(time.Hour), Excluded: true}, oct); err != nil {
			t.Fatal(err)
		}
		ts, err := s.WindowTallies(ctx, oct, oct.AddDate(0, 1, 0))
		if err != nil {
			t.Fatal(err)
		}
		want := []models.Tally{
			{ID: w1.ID, CenterID: w1.CenterID, ByLevel: [5]int{0, 1, 1, 1, 2}},
			{ID: w2.ID, CenterID: w2.CenterID, ByLevel: [5]int{1, 0, 0, 0, 1}},
		}
		if fmt.Sprint(ts) != fmt.Sprint(want) {
			t.Errorf("WindowTallies = %+v, want %+v", ts, want)
		}
		staff, err := s.StaffTallies(ctx, oct, oct.AddDate(0, 1, 0))
		if err != nil || len(staff) != 1 || staff[0].ID != st.ID || staff[0].Total() != 5 {
			t.Errorf("StaffTallies = %+v, %v", staff, err)
		}
		ranked := models.Rank(ts, 2)
		if len(ranked) != 2 || ranked[0].ID != w1.ID || ranked[0].Rank != 1 || ranked[1].Rank != 2 {
			t.Errorf("Rank = %+v", ranked)
		}
		if r := models.Rank(ts, 3); len(r) != 1 {
			t.Errorf("Rank with minimum 3 kept %d, want 1", len(r))
		}
		praise, err := s.PraiseComments(ctx, st.ID, oct, oct.AddDate(0, 1, 0), 3)
		if err != nil || len(praise) != 3 {
			t.Errorf("PraiseComments = %q, %v", praise, err)
		}
	})
}

func TestRankBayesian(t *testing.T) {
	// Three perfect votes do not beat 300 votes at 98% once shrunk towards the pool.
	ts := []models.Tally{
		tallyOf(1, 0, 3, 3, 3),
		tallyOf(2, 0, 300, 294, 280),
		tallyOf(3, 0, 200, 150, 100),
	}
	r := models.Rank(ts, 3)
	if r[0].ID != 2 {
		t.Errorf("best = %d, want 2: %+v", r[0].ID, r)
	}
	// Ties go to the good-review rate, then to more ratings.
	tie := models.Rank([]models.Tally{tallyOf(1, 0, 10, 10, 5), tallyOf(2, 0, 10, 10, 9)}, 0)
	if tie[0].ID != 2 {
		t.Errorf("tie broken to %d, want 2", tie[0].ID)
	}
}

func TestRecipients(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		w1, _, st := seeded(t, s)
		now := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)
		bind := func(ext string, staffNo string) *models.Citizen {
			c, err := s.TouchCitizen(ctx, "telegram", ext, "zh-CN", now)
			if err != nil {
				t.Fatal(err)
			}
			testenv.BindStaff(t, s, c, staffNo)
			return c
		}
		bind("s1", st.StaffNo)
		gone := bind("s2", "DEMO-003")
		s.DB().Model(gone).Update("inactive", true)
		bind("sup", models.DemoSupervisorNo)
		// An all-centers supervisor in another center's import.
		if err := s.DB().Create(&models.Staff{StaffNo: "CITY-S", Name: "市督查", Role: models.RoleSupervisor}).Error; err != nil {
			t.Fatal(err)
		}
		bind("city", "CITY-S")

		acc, err := s.CenterStaffAccounts(ctx, w1.CenterID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range acc {
			got = append(got, a.Citizen.ExternalID)
		}
		if fmt.Sprint(got) != "[s1 sup]" {
			t.Errorf("CenterStaffAccounts = %v, want [s1 sup] (inactive and all-centers left out)", got)
		}
		sups, err := s.SupervisorAccounts(ctx)
		if err != nil || len(sups) != 2 {
			t.Fatalf("SupervisorAccounts = %+v, %v", sups, err)
		}
		scopes := map[string]uint{}
		for _, a := range sups {
			scopes[a.Citizen.ExternalID] = models.SupervisorScope(a.Staff)
		}
		if scopes["sup"] != w1.CenterID || scopes["city"] != 0 {
			t.Errorf("scopes = %v", scopes)
		}

		fan, _ := s.TouchCitizen(ctx, "wechat", "fan", "zh-CN", now)
		quiet, _ := s.TouchCitizen(ctx, "wechat", "quiet", "zh-CN", now)
		for _, c := range []*models.Citizen{fan, quiet} {
			if err := s.CreateRating(ctx, &models.Rating{WindowID: w1.ID, CitizenID: c.ID, Level: 5, Channel: "wechat", CreatedAt: now}, now); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.SetSubscribed(ctx, fan.ID, true, now); err != nil {
			t.Fatal(err)
		}
		subs, err := s.SubscribersOfCenter(ctx, w1.CenterID, now.AddDate(0, -1, 0))
		if err != nil || len(subs) != 1 || subs[0].ID != fan.ID {
			t.Errorf("SubscribersOfCenter = %+v, %v", subs, err)
		}
		if subs, _ := s.SubscribersOfCenter(ctx, w1.CenterID, now.Add(time.Hour)); len(subs) != 0 {
			t.Errorf("subscribers who rated before since = %d", len(subs))
		}
		if err := s.SetSubscribed(ctx, 99999, true, now); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("SetSubscribed unknown = %v", err)
		}
	})
}

func TestEnqueueNewCountsOnlyNew(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		now := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
		c, _ := s.TouchCitizen(ctxT(t), "telegram", "1", "zh-CN", now)
		mk := func(k string) *models.Push {
			return &models.Push{DedupeKey: k, Kind: "t", CitizenID: c.ID, Text: "x"}
		}
		if n, err := models.EnqueueNew(s.DB(), now, mk("a"), mk("b")); n != 2 || err != nil {
			t.Fatalf("first = %d, %v", n, err)
		}
		if n, err := models.EnqueueNew(s.DB(), now, mk("a"), mk("b"), mk("c")); n != 1 || err != nil {
			t.Fatalf("second = %d, %v; want 1 new", n, err)
		}
	})
}
