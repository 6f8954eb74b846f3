package models_test

import (
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"windowbot/internal/testenv"
	"windowbot/models"
)

// seeded returns the demo data's citizen-independent records the store tests use.
func seeded(t *testing.T, s *models.Store) (w1, w2 *models.Window, staffW1 *models.Staff) {
	t.Helper()
	ctx := ctxT(t)
	if err := s.SeedDemo(ctx); err != nil {
		t.Fatalf("SeedDemo: %v", err)
	}
	var err error
	if w1, err = s.WindowByCode(ctx, "W001"); err != nil {
		t.Fatal(err)
	}
	if w2, err = s.WindowByCode(ctx, "W002"); err != nil {
		t.Fatal(err)
	}
	var st models.Staff
	if err := s.DB().Where("staff_no = ?", "DEMO-001").First(&st).Error; err != nil {
		t.Fatal(err)
	}
	return w1, w2, &st
}

func TestSeedDemoIdempotent(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		for i := 0; i < 2; i++ {
			if err := s.SeedDemo(ctx); err != nil {
				t.Fatalf("SeedDemo %d: %v", i+1, err)
			}
		}
		if n := count(t, s, &models.Center{}); n != 1 {
			t.Errorf("centers = %d, want 1", n)
		}
		if n := count(t, s, &models.Window{}); n != int64(len(models.DemoWindowCodes)) {
			t.Errorf("windows = %d, want %d", n, len(models.DemoWindowCodes))
		}
		if n := count(t, s, &models.Staff{}); n != 10 { // eight staff, W001's lead, the supervisor
			t.Errorf("staff = %d, want 10", n)
		}
		cs, err := s.Centers(ctx)
		if err != nil || len(cs) != 1 || cs[0].Code != models.DemoCenterCode || cs[0].Name != "示范政务服务中心" {
			t.Fatalf("Centers = %+v, %v", cs, err)
		}
		ws, err := s.WindowsOfCenter(ctx, cs[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		var codes []string
		for _, w := range ws {
			codes = append(codes, w.Code)
		}
		if fmt.Sprint(codes) != fmt.Sprint(models.DemoWindowCodes) {
			t.Errorf("WindowsOfCenter codes = %v, want %v in order", codes, models.DemoWindowCodes)
		}
		for _, code := range models.DemoWindowCodes {
			var n int64
			s.DB().Model(&models.Staff{}).Joins("JOIN windows ON windows.id = staffs.window_id").
				Where("windows.code = ? AND staffs.role = ?", code, models.RoleStaff).Count(&n)
			if n < 1 || n > 2 {
				t.Errorf("window %s has %d staff, want 1 or 2", code, n)
			}
		}
		var sup models.Staff
		if err := s.DB().Where("staff_no = ?", models.DemoSupervisorNo).First(&sup).Error; err != nil {
			t.Fatal(err)
		}
		if sup.Role != models.RoleSupervisor || sup.WindowID != nil || sup.CenterID == nil || *sup.CenterID != cs[0].ID {
			t.Errorf("supervisor = %+v, want role supervisor, no window, center %d", sup, cs[0].ID)
		}
	})
}

func TestWindowByCode(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		if err := s.SeedDemo(ctx); err != nil {
			t.Fatal(err)
		}
		for _, code := range []string{"W003", "w003", " W003 ", "Ｗ００３"} {
			w, err := s.WindowByCode(ctx, code)
			if err != nil {
				t.Fatalf("WindowByCode(%q): %v", code, err)
			}
			if w.Code != "W003" || w.Name != "户籍办理" || w.Center == nil || w.Center.Code != models.DemoCenterCode {
				t.Errorf("WindowByCode(%q) = %+v (center %+v)", code, w, w.Center)
			}
		}
		_, err := s.WindowByCode(ctx, "W404")
		if !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
		if want := `store: window by code "W404": ` + models.ErrNotFound.Error(); err.Error() != want {
			t.Errorf("err = %q, want %q", err, want)
		}
	})
}

func TestStaffByID(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		_, _, st := seeded(t, s)
		got, err := s.StaffByID(ctx, st.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "张伟" || got.Window == nil || got.Window.Code != "W001" {
			t.Errorf("StaffByID = %+v (window %+v)", got, got.Window)
		}
		if _, err := s.StaffByID(ctx, 999999); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
	})
}

func TestTouchCitizen(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
		c1, err := s.TouchCitizen(ctx, "telegram", "42", "zh-CN", t0)
		if err != nil {
			t.Fatal(err)
		}
		if c1.ID == 0 || c1.Lang != "zh-CN" || !c1.LastSeenAt.Equal(t0) {
			t.Fatalf("first touch = %+v", c1)
		}
		c2, err := s.TouchCitizen(ctx, "telegram", "42", "en", t0.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if c2.ID != c1.ID || c2.Lang != "zh-CN" || !c2.LastSeenAt.Equal(t0.Add(time.Hour)) {
			t.Errorf("second touch = %+v, want same id, lang kept, last seen moved", c2)
		}
		// A late, older delivery does not move last seen back.
		c3, err := s.TouchCitizen(ctx, "telegram", "42", "", t0)
		if err != nil {
			t.Fatal(err)
		}
		if !c3.LastSeenAt.Equal(t0.Add(time.Hour)) {
			t.Errorf("last seen went back to %v", c3.LastSeenAt)
		}
		other, err := s.TouchCitizen(ctx, "wechat", "42", "", t0)
		if err != nil {
			t.Fatal(err)
		}
		if other.ID == c1.ID {
			t.Error("same external id on another platform must be another citizen")
		}
		if n := count(t, s, &models.Citizen{}); n != 2 {
			t.Errorf("citizens = %d, want 2", n)
		}
	})
}

func TestCreateRating(t *testing.T) {
	day := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		w1, w2, staffW1 := seeded(t, s)
		citizen, err := s.TouchCitizen(ctx, "web", "v1", "", day)
		if err != nil {
			t.Fatal(err)
		}
		// A staff member of W001 logged in from Telegram.
		staffChat, err := s.TouchCitizen(ctx, "telegram", "staff-1", "", day)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.DB().Model(staffChat).Update("staff_id", staffW1.ID).Error; err != nil {
			t.Fatal(err)
		}
		rating := func(c *models.Citizen, w *models.Window, level int, at time.Time) *models.Rating {
			return &models.Rating{CitizenID: c.ID, WindowID: w.ID, Level: level, Channel: "web", CreatedAt: at}
		}
		tests := []struct {
			name  string
			r     *models.Rating
			since time.Time
			want  error
		}{
			{"first rating of the day", rating(citizen, w1, 5, day.Add(10*time.Hour)), day, nil},
			{"second the same day", rating(citizen, w1, 1, day.Add(11*time.Hour)), day, models.ErrAlreadyRated},
			{"another window the same day", rating(citizen, w2, 4, day.Add(11*time.Hour)), day, nil},
			{"the next day", rating(citizen, w1, 3, day.Add(34*time.Hour)), day.Add(24 * time.Hour), nil},
			{"staff rates own window", rating(staffChat, w1, 5, day.Add(12*time.Hour)), day, models.ErrOwnWindow},
			{"staff rates another window", rating(staffChat, w2, 5, day.Add(12*time.Hour)), day, nil},
			{"unknown window", &models.Rating{CitizenID: citizen.ID, WindowID: 999999, Level: 5, Channel: "web", CreatedAt: day}, day, models.ErrNotFound},
			{"unknown citizen", &models.Rating{CitizenID: 999999, WindowID: w1.ID, Level: 5, Channel: "web", CreatedAt: day}, day, models.ErrNotFound},
		}
		for _, tt := range tests {
			err := s.CreateRating(ctx, tt.r, tt.since)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
			}
			if err == nil && tt.r.ID == 0 {
				t.Errorf("%s: no id assigned", tt.name)
			}
		}
		if err := s.CreateRating(ctx, rating(citizen, w2, 6, day.Add(40*time.Hour)), day.Add(24*time.Hour)); err == nil {
			t.Error("level 6 accepted")
		}
		if n := count(t, s, &models.Rating{}); n != 4 {
			t.Errorf("ratings = %d, want 4", n)
		}
		for _, tt := range []struct {
			since time.Time
			want  bool
		}{{day, true}, {day.Add(34 * time.Hour), true}, {day.Add(34*time.Hour + time.Second), false}} {
			got, err := s.RatedSince(ctx, citizen.ID, w1.ID, tt.since)
			if err != nil || got != tt.want {
				t.Errorf("RatedSince(%v) = %v, %v; want %v", tt.since, got, err, tt.want)
			}
		}
	})
}

func TestStaffOfWindow(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		w1, w2, _ := seeded(t, s)
		names := func(w *models.Window) string {
			ss, err := s.StaffOfWindow(ctx, w.ID)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, st := range ss {
				out = append(out, st.StaffNo+" "+st.Name)
			}
			return fmt.Sprint(out)
		}
		// W001 also has the demo supervisor on record: not one of its staff.
		if got := names(w1); got != "[DEMO-001 张伟 DEMO-002 李娜]" {
			t.Errorf("staff of W001 = %s", got)
		}
		if got := names(w2); got != "[DEMO-003 王芳]" {
			t.Errorf("staff of W002 = %s", got)
		}
		if got := names(&models.Window{ID: 999999}); got != "[]" {
			t.Errorf("staff of an unknown window = %s", got)
		}
	})
}

// TestCreateRatingStaff: a rating names a staff member only while they work at the rated window.
func TestCreateRatingStaff(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		w1, w2, zhang := seeded(t, s)
		sup, err := s.StaffByNo(ctx, models.DemoSupervisorNo) // on record at W001
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name   string
			window *models.Window
			staff  *uint
			want   *uint
		}{
			{"staff member of the window", w1, &zhang.ID, &zhang.ID},
			{"nobody named", w1, nil, nil},
			{"staff member of another window", w2, &zhang.ID, nil},
			{"supervisor on record at the window", w1, &sup.ID, nil},
			{"no such staff member", w1, new(uint(999999)), nil},
		}
		for i, tt := range tests {
			c, err := s.TouchCitizen(ctx, "web", fmt.Sprint("staff-rating-", i), "", testenv.Monday10)
			if err != nil {
				t.Fatal(err)
			}
			r := &models.Rating{CitizenID: c.ID, WindowID: tt.window.ID, StaffID: tt.staff, Level: 4, Channel: "web", CreatedAt: testenv.Monday10}
			if err := s.CreateRating(ctx, r, testenv.Monday10); err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			var stored models.Rating
			if err := s.DB().First(&stored, r.ID).Error; err != nil {
				t.Fatal(err)
			}
			for what, got := range map[string]*uint{"returned": r.StaffID, "stored": stored.StaffID} {
				if (got == nil) != (tt.want == nil) || got != nil && *got != *tt.want {
					t.Errorf("%s: %s staff = %v, want %v", tt.name, what, got, tt.want)
				}
			}
		}
	})
}

// A citizen's double tap or a platform's retry delivers the same vote several times at once:
// exactly one may be stored.
func TestCreateRatingConcurrent(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		w1, _, _ := seeded(t, s)
		now := time.Now()
		c, err := s.TouchCitizen(ctx, "telegram", "racer", "", now)
		if err != nil {
			t.Fatal(err)
		}
		const n = 10
		warmPool(t, s, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[i] = s.CreateRating(ctx, &models.Rating{
					CitizenID: c.ID, WindowID: w1.ID, Level: 2, Channel: "telegram", CreatedAt: now,
				}, now.Add(-24*time.Hour))
			}()
		}
		close(start)
		wg.Wait()
		var ok, already int
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, models.ErrAlreadyRated):
				already++
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		if ok != 1 || already != n-1 {
			t.Errorf("%d stored, %d already rated; want 1 and %d", ok, already, n-1)
		}
		if got := count(t, s, &models.Rating{}); got != 1 {
			t.Errorf("ratings = %d, want 1", got)
		}
	})
}

func TestStatsInWindow(t *testing.T) {
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 1, 0)
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		w1, w2, _ := seeded(t, s)
		// Levels of one citizen each, at times relative to from; the last is outside the period.
		add := func(w *models.Window, level int, at time.Time, excluded bool) {
			t.Helper()
			c, err := s.TouchCitizen(ctx, "web", fmt.Sprintf("c-%d", time.Now().UnixNano()), "", at)
			if err != nil {
				t.Fatal(err)
			}
			r := &models.Rating{CitizenID: c.ID, WindowID: w.ID, Level: level, Channel: "web", CreatedAt: at}
			if err := s.CreateRating(ctx, r, at.Add(-24*time.Hour)); err != nil {
				t.Fatal(err)
			}
			if excluded {
				if err := s.DB().Model(r).Update("excluded", true).Error; err != nil {
					t.Fatal(err)
				}
			}
		}
		cst := time.FixedZone("CST", 8*3600)
		add(w1, 5, from, false)                           // first instant counts
		add(w1, 5, from.Add(48*time.Hour), false)         //
		add(w1, 4, from.Add(72*time.Hour).In(cst), false) // zones do not matter
		add(w1, 3, from.Add(96*time.Hour), false)         //
		add(w1, 1, from.Add(120*time.Hour), false)        //
		add(w1, 1, from.Add(121*time.Hour), true)         // upheld appeal: excluded
		add(w1, 2, to, false)                             // end is exclusive
		add(w1, 2, from.Add(-time.Second), false)         // before the period
		add(w2, 1, from.Add(time.Hour), false)            // another window
		window := models.Scope{WindowID: &w1.ID}
		st, err := s.StatsIn(ctx, window, from, to)
		if err != nil {
			t.Fatal(err)
		}
		if want := (models.Tally{ByLevel: [5]int{1, 0, 1, 1, 2}}); st != want || st.SatisfactionRate() != 0.8 || st.GoodRate() != 0.6 {
			t.Errorf("StatsIn = %+v, want %+v", st, want)
		}
		empty, err := s.StatsIn(ctx, window, to.AddDate(1, 0, 0), to.AddDate(2, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		if empty != (models.Tally{}) || empty.SatisfactionRate() != 0 {
			t.Errorf("empty period = %+v", empty)
		}
		// A zero bound is open: until now, from the first rating.
		for _, tc := range []struct {
			from, to time.Time
			want     [5]int
		}{
			{from, time.Time{}, [5]int{1, 1, 1, 1, 2}},
			{time.Time{}, to, [5]int{1, 1, 1, 1, 2}},
			{time.Time{}, time.Time{}, [5]int{1, 2, 1, 1, 2}},
		} {
			if st, err := s.StatsIn(ctx, window, tc.from, tc.to); err != nil || st.ByLevel != tc.want {
				t.Errorf("StatsIn from %v to %v = %v, %v; want %v", tc.from, tc.to, st.ByLevel, err, tc.want)
			}
		}
	})
}

// warmPool opens n idle connections, so that n goroutines start their transactions at once
// instead of queueing behind connection set-up, which would hide a race.
func warmPool(t *testing.T, s *models.Store, n int) {
	t.Helper()
	sqlDB, err := s.DB().DB()
	if err != nil {
		t.Fatal(err)
	}
	sqlDB.SetMaxIdleConns(n)
	conns := make([]*sql.Conn, n)
	for i := range conns {
		if conns[i], err = sqlDB.Conn(ctxT(t)); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range conns {
		c.Close()
	}
}
