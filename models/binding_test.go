package models_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"windowbot/internal/testenv"
	"windowbot/models"
)

func TestInviteBindRevoke(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		seeded(t, s)
		now := testenv.Monday10
		code, st, err := s.CreateInvite(ctx, "DEMO-001", 0, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(code) != 12 || strings.ContainsAny(code, "01ILO") || st.StaffNo != "DEMO-001" {
			t.Fatalf("code %q for %+v", code, st)
		}
		var inv models.StaffInvite
		s.DB().First(&inv)
		if strings.Contains(inv.CodeHash, code) || len(inv.CodeHash) != 64 || !inv.ExpiresAt.Equal(now.Add(72*time.Hour)) {
			t.Fatalf("stored invite = %+v", inv)
		}
		if _, _, err := s.CreateInvite(ctx, "NOBODY", 0, now); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("invite for unknown staff: %v", err)
		}

		a, _ := s.TouchCitizen(ctx, "telegram", "a", "", now)
		b, _ := s.TouchCitizen(ctx, "wechat", "b", "", now)
		// Typed in lower case with a space: still the code.
		got, err := s.RedeemInvite(ctx, strings.ToLower(code[:6])+" "+code[6:], a.ID, now.Add(time.Hour))
		if err != nil || got.ID != st.ID || got.Window == nil || got.Window.Code != "W001" {
			t.Fatalf("redeem = %+v, %v", got, err)
		}
		// Used, unknown and bound already.
		if _, err := s.RedeemInvite(ctx, code, b.ID, now.Add(time.Hour)); !errors.Is(err, models.ErrInvalidCode) {
			t.Fatalf("second use: %v", err)
		}
		if _, err := s.RedeemInvite(ctx, "ABCDEFGHJKMN", b.ID, now); !errors.Is(err, models.ErrInvalidCode) {
			t.Fatalf("unknown: %v", err)
		}
		code2, _, _ := s.CreateInvite(ctx, "DEMO-001", time.Hour, now)
		if _, err := s.RedeemInvite(ctx, code2, a.ID, now); !errors.Is(err, models.ErrAlreadyBound) {
			t.Fatalf("bound account: %v", err)
		}
		// Expired.
		if _, err := s.RedeemInvite(ctx, code2, b.ID, now.Add(time.Hour)); !errors.Is(err, models.ErrInvalidCode) {
			t.Fatalf("expired: %v", err)
		}
		code3, _, _ := s.CreateInvite(ctx, "DEMO-001", time.Hour, now)
		if _, err := s.RedeemInvite(ctx, code3, b.ID, now); err != nil {
			t.Fatal(err)
		}
		// Unbind one, revoke the rest, and an unused code dies with the revocation.
		if err := s.Unbind(ctx, a.ID, now); err != nil {
			t.Fatal(err)
		}
		if err := s.Unbind(ctx, a.ID, now); !errors.Is(err, models.ErrNotBound) {
			t.Fatalf("unbind twice: %v", err)
		}
		code4, _, _ := s.CreateInvite(ctx, "DEMO-001", time.Hour, now)
		n, err := s.RevokeStaff(ctx, "DEMO-001", now)
		if err != nil || n != 1 {
			t.Fatalf("revoke = %d, %v", n, err)
		}
		var bound int64
		s.DB().Model(&models.Citizen{}).Where("staff_id IS NOT NULL").Count(&bound)
		if bound != 0 {
			t.Fatalf("%d accounts still bound", bound)
		}
		if _, err := s.RedeemInvite(ctx, code4, a.ID, now); !errors.Is(err, models.ErrInvalidCode) {
			t.Fatalf("revoked code: %v", err)
		}
		if _, err := s.RevokeStaff(ctx, "NOBODY", now); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("revoke unknown: %v", err)
		}
	})
}

// Ten accounts racing for one code: exactly one is bound.
func TestRedeemInviteConcurrent(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		seeded(t, s)
		code, _, err := s.CreateInvite(ctx, "DEMO-002", 0, testenv.Monday10)
		if err != nil {
			t.Fatal(err)
		}
		var ids []uint
		for i := range 10 {
			c, _ := s.TouchCitizen(ctx, "telegram", fmt.Sprint("race", i), "", testenv.Monday10)
			ids = append(ids, c.ID)
		}
		var wg sync.WaitGroup
		errs := make([]error, len(ids))
		for i, id := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.RedeemInvite(ctx, code, id, testenv.Monday10)
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, models.ErrInvalidCode):
				t.Errorf("unexpected error: %v", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d accounts bound, want 1", won)
		}
	})
}

func TestActorFor(t *testing.T) {
	w, c := uint(7), uint(3)
	cases := []struct {
		name string
		st   *models.Staff
		want models.Actor
	}{
		{"citizen", nil, models.Actor{Role: models.RoleCitizen, CitizenID: 1}},
		{"staff", &models.Staff{ID: 9, Role: models.RoleStaff, WindowID: &w}, models.Actor{Role: models.RoleStaff, CitizenID: 1, StaffID: 9, WindowID: &w}},
		{"staff without window", &models.Staff{ID: 9, Role: models.RoleStaff}, models.Actor{Role: models.RoleCitizen, CitizenID: 1}},
		{"center supervisor", &models.Staff{ID: 9, Role: models.RoleSupervisor, CenterID: &c}, models.Actor{Role: models.RoleSupervisor, CitizenID: 1, StaffID: 9, CenterID: &c}},
		{"supervisor via window", &models.Staff{ID: 9, Role: models.RoleSupervisor, WindowID: &w, Window: &models.Window{ID: w, CenterID: c}}, models.Actor{Role: models.RoleSupervisor, CitizenID: 1, StaffID: 9, CenterID: &c}},
		{"city supervisor", &models.Staff{ID: 9, Role: models.RoleSupervisor}, models.Actor{Role: models.RoleSupervisor, CitizenID: 1, StaffID: 9}},
		{"admin", &models.Staff{ID: 9, Role: models.RoleAdmin, CenterID: &c}, models.Actor{Role: models.RoleAdmin, CitizenID: 1, StaffID: 9}},
		{"unknown role", &models.Staff{ID: 9, Role: "janitor"}, models.Actor{Role: models.RoleCitizen, CitizenID: 1}},
	}
	show := func(a models.Actor) string {
		p := func(u *uint) string {
			if u == nil {
				return "nil"
			}
			return fmt.Sprint(*u)
		}
		return fmt.Sprintf("%s c%d s%d w%s ctr%s", a.Role, a.CitizenID, a.StaffID, p(a.WindowID), p(a.CenterID))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := models.ActorFor(1, tc.st); show(got) != show(tc.want) {
				t.Errorf("ActorFor = %s, want %s", show(got), show(tc.want))
			}
		})
	}
}

func TestBansStopRatingAndComplaining(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		r := newTicketRig(t, s)
		w1, _, sup := seeded(t, s)
		c := r.citizen(t, "troll")
		if err := s.CreateRating(ctx, &models.Rating{WindowID: w1.ID, CitizenID: c.ID, Level: 1, Aspects: "attitude.cold", Channel: "telegram", CreatedAt: testenv.Monday10}, testenv.Monday10.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		var tk models.Ticket
		s.DB().First(&tk)
		if err := s.BanCitizen(ctx, c.ID, sup.ID, "刷差评", testenv.Monday10); err != nil {
			t.Fatal(err)
		}
		if err := s.BanCitizen(ctx, c.ID, sup.ID, "again", testenv.Monday10); !errors.Is(err, models.ErrAlreadyBanned) {
			t.Fatalf("ban twice: %v", err)
		}
		if b, err := s.Banned(ctx, c.ID); err != nil || !b {
			t.Fatalf("Banned = %v, %v", b, err)
		}
		next := testenv.Monday10.AddDate(0, 0, 1)
		err := s.CreateRating(ctx, &models.Rating{WindowID: w1.ID, CitizenID: c.ID, Level: 1, Channel: "telegram", CreatedAt: next}, next.Add(-time.Hour))
		if !errors.Is(err, models.ErrBanned) {
			t.Fatalf("rating while banned: %v", err)
		}
		_, err = s.CreateComplaint(ctx, models.NewComplaint{CitizenID: c.ID, WindowID: &w1.ID, Category: "attitude", Description: "x", Channel: "telegram", At: next})
		if !errors.Is(err, models.ErrBanned) {
			t.Fatalf("complaint while banned: %v", err)
		}
		if _, err := s.JoinTicket(ctx, tk.No, c.ID, "me too", nil, next); !errors.Is(err, models.ErrBanned) {
			t.Fatalf("join while banned: %v", err)
		}
		// The earlier rating and its ticket stay.
		if n := count(t, s, &models.Rating{}); n != 1 {
			t.Fatalf("ratings = %d", n)
		}
		if err := s.UnbanCitizen(ctx, c.ID, sup.ID, next); err != nil {
			t.Fatal(err)
		}
		if err := s.UnbanCitizen(ctx, c.ID, sup.ID, next); !errors.Is(err, models.ErrNotBanned) {
			t.Fatalf("unban twice: %v", err)
		}
		if err := s.CreateRating(ctx, &models.Rating{WindowID: w1.ID, CitizenID: c.ID, Level: 4, Channel: "telegram", CreatedAt: next}, next.Add(-time.Hour)); err != nil {
			t.Fatalf("rating after unban: %v", err)
		}
		var bans []models.CitizenBan
		s.DB().Find(&bans)
		if len(bans) != 1 || bans[0].LiftedAt == nil || bans[0].Reason != "刷差评" || *bans[0].StaffID != sup.ID || *bans[0].LiftedBy != sup.ID {
			t.Fatalf("ban record = %+v", bans)
		}
	})
}

func TestPseudonyms(t *testing.T) {
	p := models.NewPseudonyms([]byte("secret"))
	a, b := p.Citizen(1), p.Citizen(2)
	if a == b || len(a) != 12 || !strings.HasPrefix(a, "C-") || a != p.Citizen(1) {
		t.Fatalf("pseudonyms %q %q", a, b)
	}
	if other := models.NewPseudonyms([]byte("other")).Citizen(1); other == a {
		t.Fatal("the secret does not change the pseudonym")
	}
	if models.NormRef(strings.ToLower(a[2:])) != a || models.NormRef(" "+strings.ToLower(a)) != a {
		t.Fatalf("NormRef does not read %q back", a)
	}
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		w1, _, _ := seeded(t, s)
		c, _ := s.TouchCitizen(ctx, "telegram", "rater", "", testenv.Monday10)
		if err := s.CreateRating(ctx, &models.Rating{WindowID: w1.ID, CitizenID: c.ID, Level: 5, Channel: "telegram", CreatedAt: testenv.Monday10}, testenv.Monday10); err != nil {
			t.Fatal(err)
		}
		got, err := s.CitizenByRef(ctx, p, strings.ToLower(p.Citizen(c.ID)), &w1.CenterID)
		if err != nil || got.ID != c.ID {
			t.Fatalf("CitizenByRef = %+v, %v", got, err)
		}
		other := w1.CenterID + 100
		if _, err := s.CitizenByRef(ctx, p, p.Citizen(c.ID), &other); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("outside the scope: %v", err)
		}
		if _, err := s.CitizenByRef(ctx, p, "C-AAAAAAAAAA", nil); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("unknown ref: %v", err)
		}
	})
}

func TestReports(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		r := newTicketRig(t, s)
		w1, w2, sup := seeded(t, s)
		for i, l := range []int{5, 4, 3, 1} {
			c := r.citizen(t, fmt.Sprint("r", i))
			if err := s.CreateRating(ctx, &models.Rating{WindowID: w1.ID, CitizenID: c.ID, Level: l, Aspects: "efficiency.slow", Channel: "web", CreatedAt: testenv.Monday10}, testenv.Monday10); err != nil {
				t.Fatal(err)
			}
		}
		c := r.citizen(t, "w2")
		if err := s.CreateRating(ctx, &models.Rating{WindowID: w2.ID, CitizenID: c.ID, Level: 2, Channel: "web", CreatedAt: testenv.Monday10}, testenv.Monday10); err != nil {
			t.Fatal(err)
		}
		from, to := testenv.Monday10.AddDate(0, 0, -1), testenv.Monday10.AddDate(0, 0, 1)
		st, err := s.StatsIn(ctx, models.Scope{CenterID: &w1.CenterID}, from, to)
		if err != nil || st.Total() != 5 || st.Bad() != 2 || st.SatisfactionRate() != 0.6 {
			t.Fatalf("center stats = %+v, %v", st, err)
		}
		st, _ = s.StatsIn(ctx, models.Scope{WindowID: &w1.ID}, from, to)
		if st.Total() != 4 || st.GoodRate() != 0.5 {
			t.Fatalf("window stats = %+v", st)
		}
		by, err := s.WindowTallies(ctx, from, to)
		if err != nil || len(by) != 2 || by[0].ID != w1.ID || by[0].Total() != 4 || by[1].ID != w2.ID || by[1].Count(models.Dissatisfied) != 1 {
			t.Fatalf("by window = %+v, %v", by, err)
		}
		// Two bad-review tickets: one overdue once its call-back day has passed.
		counts, err := s.TicketCounts(ctx, &w1.CenterID, testenv.Monday10.AddDate(0, 0, 3))
		if err != nil {
			t.Fatal(err)
		}
		if all := models.SumTicketCounts(counts, nil); all.Open != 2 || all.Overdue != 2 {
			t.Fatalf("counts = %+v", counts)
		}
		if one := models.SumTicketCounts(counts, &w2.ID); one.Open != 1 {
			t.Fatalf("w2 counts = %+v", one)
		}
		if counts, _ := s.TicketCounts(ctx, nil, testenv.Monday10); models.SumTicketCounts(counts, nil).Overdue != 0 {
			t.Fatalf("overdue at once: %+v", counts)
		}
		od, err := s.Tickets(ctx, models.TicketFilter{OverdueAt: testenv.Monday10.AddDate(0, 0, 3), WindowID: &w2.ID})
		if err != nil || len(od) != 1 {
			t.Fatalf("overdue tickets = %d, %v", len(od), err)
		}
		if n, _ := s.CountTickets(ctx, models.TicketFilter{SupervisorOwned: true}); n != 0 {
			t.Fatalf("supervisor-owned = %d", n)
		}
		rows, err := s.Ratings(ctx, models.RatingFilter{WindowID: &w1.ID, Limit: 2, Offset: 2})
		if err != nil || len(rows) != 2 || rows[0].WindowCode != "W001" || rows[0].CenterCode != "DEMO" || rows[1].Level != 1 || rows[1].TicketNo == "" || rows[0].TicketNo != "" {
			t.Fatalf("rating rows = %+v, %v", rows, err)
		}
		if n, _ := s.CountRatings(ctx, models.RatingFilter{CenterID: &w1.CenterID, From: from, To: to}); n != 5 {
			t.Fatalf("count ratings = %d", n)
		}
		// Inspections.
		if err := s.RecordInspection(ctx, &models.Inspection{WindowID: w1.ID, StaffID: &sup.ID, Score: 101, Findings: "x", CreatedAt: testenv.Monday10}); err == nil {
			t.Fatal("score 101 accepted")
		}
		for _, sc := range []int{80, 90} {
			if err := s.RecordInspection(ctx, &models.Inspection{WindowID: w1.ID, StaffID: &sup.ID, Score: sc, Findings: "桌面杂乱", CreatedAt: testenv.Monday10}); err != nil {
				t.Fatal(err)
			}
		}
		sum, err := s.Inspections(ctx, models.Scope{CenterID: &w1.CenterID}, from, to)
		if err != nil || sum.Count != 2 || sum.AverageScore != 85 {
			t.Fatalf("inspections = %+v, %v", sum, err)
		}
	})
}
