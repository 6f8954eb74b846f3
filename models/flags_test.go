package models_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"windowbot/internal/testenv"
	"windowbot/models"
)

// fraudStream is a synthetic week of ratings at the demo center: honest citizens (on every
// platform, web visitors mostly first seen minutes before they rate, as a QR scan makes them)
// and four labelled frauds, one per signal.
type fraudStream struct {
	ratings []models.Rating
	// fraud says which ratings (by index in ratings) were planted.
	fraud map[int]string
	// citizens are made before the ratings, with their first-seen times.
	citizens []models.Citizen
}

func newFraudStream(windows []models.Window, staff map[uint][]uint, start time.Time) *fraudStream {
	rnd := rand.New(rand.NewPCG(7, 11))
	fs := &fraudStream{fraud: map[int]string{}}
	citizen := func(platform string, seen time.Time) int {
		fs.citizens = append(fs.citizens, models.Citizen{Platform: platform,
			ExternalID: fmt.Sprintf("%s-%d", platform, len(fs.citizens)), CreatedAt: seen, UpdatedAt: seen, LastSeenAt: seen})
		return len(fs.citizens) - 1
	}
	rate := func(c int, w models.Window, staffID *uint, level int, at time.Time, label string) {
		fs.ratings = append(fs.ratings, models.Rating{WindowID: w.ID, StaffID: staffID, CitizenID: uint(c), Level: level,
			Channel: fs.citizens[c].Platform, CreatedAt: at})
		if label != "" {
			fs.fraud[len(fs.ratings)-1] = label
		}
	}
	levels := []int{5, 5, 5, 5, 5, 4, 4, 4, 3, 2, 1}
	platforms := []string{"web", "web", "wechat", "wechat", "telegram"}
	// Honest: 7 days × 9 hours, about 1.2 ratings an hour for each window.
	for day := range 7 {
		for _, w := range windows {
			for h := range 9 {
				for range rnd.IntN(3) {
					at := start.AddDate(0, 0, day).Add(time.Duration(h)*time.Hour + time.Duration(rnd.IntN(3600))*time.Second)
					p := platforms[rnd.IntN(len(platforms))]
					seen := at.AddDate(0, 0, -rnd.IntN(300)-1)
					if p == "web" {
						seen = at.Add(-time.Duration(rnd.IntN(6)+1) * time.Minute)
					}
					var sid *uint
					if ids := staff[w.ID]; len(ids) > 0 && rnd.IntN(10) < 6 {
						sid = &ids[rnd.IntN(len(ids))]
					}
					rate(citizen(p, seen), w, sid, levels[rnd.IntN(len(levels))], at, "")
				}
			}
		}
	}
	w1, w3, w5 := windows[0], windows[2], windows[4]
	day2 := start.AddDate(0, 0, 1)
	// A burst: six 5-star ratings of one staff member in eight minutes, from old WeChat accounts.
	for i := range 6 {
		at := day2.Add(2*time.Hour + time.Duration(i*90)*time.Second)
		rate(citizen("wechat", at.AddDate(0, -2, 0)), w1, &staff[w1.ID][1], 5, at, models.SignalBurst)
	}
	// Fresh accounts: four 4-star ratings of one staff member in forty minutes, each account made
	// two minutes before it rates.
	for i := range 4 {
		at := day2.Add(5*time.Hour + time.Duration(i*10)*time.Minute)
		rate(citizen("web", at.Add(-2*time.Minute)), w3, &staff[w3.ID][0], 4, at, models.SignalFresh)
	}
	// One browser rating three windows in two hours.
	dev := citizen("web", day2.Add(-time.Hour))
	for i, w := range windows[:3] {
		rate(dev, w, nil, 5, day2.Add(3*time.Hour+time.Duration(i)*time.Hour), models.SignalDevice)
	}
	// One citizen giving one window the lowest level on three days.
	grudge := citizen("telegram", start.AddDate(0, -1, 0))
	for i := range 3 {
		rate(grudge, w5, nil, 1, start.AddDate(0, 0, 2*i).Add(4*time.Hour), models.SignalLowRepeat)
	}
	return fs
}

// TestFraudSignals plays a labelled synthetic week through the scan, five minutes at a time as
// the job runs it, and checks that every planted fraud is flagged and held out, that precision
// stays high, and that the supervisor's decisions let a rating count again or keep it out.
func TestFraudSignals(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		if err := s.SeedDemo(ctx); err != nil {
			t.Fatal(err)
		}
		db := testenv.DB(t, s)
		var windows []models.Window
		db.Order("code").Limit(5).Find(&windows)
		staff := map[uint][]uint{}
		var all []models.Staff
		db.Where("role = ? AND window_id IS NOT NULL", models.RoleStaff).Order("staff_no").Find(&all)
		for _, st := range all {
			staff[*st.WindowID] = append(staff[*st.WindowID], st.ID)
		}
		if len(staff[windows[0].ID]) < 2 || len(staff[windows[2].ID]) < 1 {
			t.Fatalf("demo staff: %v", staff)
		}
		start := time.Date(2026, 11, 23, 0, 30, 0, 0, time.UTC) // 08:30 in the hall
		fs := newFraudStream(windows, staff, start)
		if err := db.CreateInBatches(&fs.citizens, 200).Error; err != nil {
			t.Fatal(err)
		}
		for i := range fs.ratings {
			fs.ratings[i].CitizenID = fs.citizens[fs.ratings[i].CitizenID].ID
		}
		if err := db.CreateInBatches(&fs.ratings, 200).Error; err != nil {
			t.Fatal(err)
		}

		total := 0
		for at := start; at.Before(start.AddDate(0, 0, 7)); at = at.Add(5 * time.Minute) {
			n, err := s.ScanFraud(ctx, at.Add(-10*time.Minute), at.Add(5*time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			total += n
		}
		if again, err := s.ScanFraud(ctx, start, start.AddDate(0, 0, 7)); err != nil || again != 0 {
			t.Fatalf("a second scan stored %d more flags (%v)", again, err)
		}
		var flags []models.RatingFlag
		db.Find(&flags)
		if len(flags) != total {
			t.Fatalf("%d flags stored, scans counted %d", len(flags), total)
		}
		index := map[uint]int{}
		for i, r := range fs.ratings {
			index[r.ID] = i
		}
		flaggedBy := map[int]map[string]bool{}
		for _, f := range flags {
			i := index[f.RatingID]
			if flaggedBy[i] == nil {
				flaggedBy[i] = map[string]bool{}
			}
			flaggedBy[i][f.Signal] = true
		}
		// Per signal: precision over what it flagged, recall over what was planted for it.
		tp, fp, fn := 0, 0, 0
		for _, sig := range models.Signals {
			sigTP, sigFP, sigFN := 0, 0, 0
			for i := range fs.ratings {
				planted := fs.fraud[i] == sig
				switch got := flaggedBy[i][sig]; {
				case got && fs.fraud[i] != "":
					sigTP++ // a planted rating caught, maybe by another signal than planted
				case got:
					sigFP++
				case planted:
					sigFN++
				}
			}
			t.Logf("%-10s flagged %3d: %d planted, %d honest; missed %d planted", sig, sigTP+sigFP, sigTP, sigFP, sigFN)
			tp, fp, fn = tp+sigTP, fp+sigFP, fn+sigFN
		}
		precision, recall := float64(tp)/float64(tp+fp), float64(tp)/float64(tp+fn)
		t.Logf("%d ratings, %d planted: precision %.2f, recall %.2f", len(fs.ratings), len(fs.fraud), precision, recall)
		if fn > 0 {
			t.Errorf("%d planted ratings not flagged by their signal", fn)
		}
		if precision < 0.5 {
			t.Errorf("precision %.2f: more honest ratings flagged than planted ones", precision)
		}

		// A flagged rating is held out until decided.
		var burst []uint
		for i, label := range fs.fraud {
			if label == models.SignalBurst {
				burst = append(burst, fs.ratings[i].ID)
			}
		}
		var held int64
		db.Model(&models.Rating{}).Where("id IN ? AND excluded = ?", burst, true).Count(&held)
		if int(held) != len(burst) {
			t.Fatalf("%d of %d burst ratings held out", held, len(burst))
		}
		center := windows[0].CenterID
		other := center + 1000
		sup := models.Actor{Role: models.RoleSupervisor, CenterID: &center}
		pending, err := s.PendingFlags(ctx, sup, 1000)
		if err != nil || len(pending) != len(flags) || pending[0].Window.Code == "" {
			t.Fatalf("pending: %d of %d, %v", len(pending), len(flags), err)
		}
		if none, _ := s.PendingFlags(ctx, models.Actor{Role: models.RoleSupervisor, CenterID: &other}, 10); len(none) != 0 {
			t.Fatalf("another center's supervisor sees %d flags", len(none))
		}
		flagOf := func(rating uint) uint {
			var f models.RatingFlag
			db.Where("rating_id = ?", rating).First(&f)
			return f.ID
		}
		if _, err := s.DecideFlag(ctx, models.Actor{Role: models.RoleSupervisor, CenterID: &other}, flagOf(burst[0]), models.DecisionKeep, start); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("another center decided: %v", err)
		}
		if _, err := s.DecideFlag(ctx, sup, flagOf(burst[0]), models.DecisionKeep, start); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DecideFlag(ctx, sup, flagOf(burst[0]), models.DecisionExclude, start); !errors.Is(err, models.ErrFlagDecided) {
			t.Fatalf("decided twice: %v", err)
		}
		if _, err := s.DecideFlag(ctx, sup, flagOf(burst[1]), models.DecisionExclude, start); err != nil {
			t.Fatal(err)
		}
		var kept, out models.Rating
		db.First(&kept, burst[0])
		db.First(&out, burst[1])
		if kept.Excluded || !out.Excluded {
			t.Fatalf("after the decisions: kept excluded=%v, excluded excluded=%v", kept.Excluded, out.Excluded)
		}
	})
}
