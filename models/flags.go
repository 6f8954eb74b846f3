package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The rating-fraud signals (刷评): patterns in the ratings that a person should look at.
const (
	// SignalBurst: many top ratings of one staff member within minutes.
	SignalBurst = "burst"
	// SignalFresh: many ratings of one staff member from accounts first seen minutes before.
	SignalFresh = "fresh"
	// SignalDevice: one web visitor (one browser) rating several windows within a day.
	SignalDevice = "device"
	// SignalLowRepeat: one citizen giving one window the lowest level again and again, across days.
	SignalLowRepeat = "low_repeat"
)

// Signals lists the signals, in the order they are shown.
var Signals = []string{SignalBurst, SignalFresh, SignalDevice, SignalLowRepeat}

// A supervisor's decision on a flag.
const (
	// DecisionKeep: the rating is genuine; it counts again (unless something else holds it out).
	DecisionKeep = "keep"
	// DecisionExclude: the rating is fraud; it stays on record and never counts.
	DecisionExclude = "exclude"
)

// RatingFlag is one signal raised on one rating. A flagged rating is held out of the statistics,
// the rankings and the service star (Rating.Excluded) until a supervisor decides.
type RatingFlag struct {
	ID       uint    `gorm:"primaryKey"`
	RatingID uint    `gorm:"not null;uniqueIndex:idx_rating_flag,priority:1"`
	Rating   *Rating `gorm:"foreignKey:RatingID"`
	Signal   string  `gorm:"size:20;not null;uniqueIndex:idx_rating_flag,priority:2"`
	// Detail is what the signal counted: ratings in the burst, windows, days.
	Detail string `gorm:"size:200;not null;default:''"`
	// Decision is "", DecisionKeep or DecisionExclude.
	Decision  string `gorm:"size:10;not null;default:'';index"`
	DecidedBy *uint
	Decider   *Staff `gorm:"foreignKey:DecidedBy"`
	DecidedAt *time.Time
	CreatedAt time.Time `gorm:"not null;index"`
}

// FraudRules returns the thresholds in force (SupervisionRules.Fraud with the defaults filled).
func (s *Store) FraudRules() FraudRules { return s.supervision.Fraud.withDefaults() }

// scanRating is a rating as the fraud scan reads it.
type scanRating struct {
	ID         uint
	WindowID   uint
	StaffID    *uint
	CitizenID  uint
	Level      int
	CreatedAt  time.Time
	Platform   string
	CitizenNew time.Time
}

// flagged is a rating a signal raised, with what it saw.
type flagged struct {
	rating uint
	signal string
	detail string
}

// ScanFraud raises the signals (FraudRules) on the ratings created in [from, to), looking back as
// far as each signal needs, and returns how many new flags it stored. Flags are unique per rating
// and signal, so overlapping scans, and several replicas scanning at once, store each flag once.
// A newly flagged rating is held out (Rating.Excluded) until DecideFlag.
func (s *Store) ScanFraud(ctx context.Context, from, to time.Time) (int, error) {
	r := s.FraudRules()
	from, to = from.UTC(), to.UTC()
	db := s.db.WithContext(ctx)
	load := func(q func(*gorm.DB) *gorm.DB) ([]scanRating, error) {
		var out []scanRating
		err := q(db.Table("ratings r").Joins("JOIN citizens c ON c.id = r.citizen_id").
			Select("r.id, r.window_id, r.staff_id, r.citizen_id, r.level, r.created_at, c.platform, c.created_at AS citizen_new")).
			Order("r.created_at, r.id").Scan(&out).Error
		return out, err
	}
	var found []flagged
	// Burst and fresh accounts: the ratings of one staff member, in a sliding window.
	if r.BurstCount > 0 || r.FreshCount > 0 {
		back := max(r.BurstWindow, r.FreshWindow)
		rs, err := load(func(q *gorm.DB) *gorm.DB {
			return q.Where("r.staff_id IS NOT NULL AND r.created_at >= ? AND r.created_at < ?", from.Add(-back), to)
		})
		if err != nil {
			return 0, fmt.Errorf("store: fraud scan: %w", err)
		}
		byStaff := map[uint][]scanRating{}
		for _, x := range rs {
			byStaff[*x.StaffID] = append(byStaff[*x.StaffID], x)
		}
		for _, list := range byStaff {
			if r.BurstCount > 0 {
				top := slices.DeleteFunc(slices.Clone(list), func(x scanRating) bool { return x.Level != int(VerySatisfied) })
				found = append(found, windowed(top, r.BurstCount, r.BurstWindow, SignalBurst)...)
			}
			if r.FreshCount > 0 {
				fresh := slices.DeleteFunc(slices.Clone(list), func(x scanRating) bool {
					return x.CreatedAt.Sub(x.CitizenNew) > r.FreshAge
				})
				found = append(found, windowed(fresh, r.FreshCount, r.FreshWindow, SignalFresh)...)
			}
		}
	}
	// One browser, several windows: the web visitors who rated in [from, to).
	if r.DeviceWindows > 0 {
		rs, err := load(func(q *gorm.DB) *gorm.DB {
			return q.Where("c.platform = ? AND r.created_at >= ? AND r.created_at < ?", PlatformWeb, from.Add(-r.DeviceWindow), to).
				Where("r.citizen_id IN (?)", db.Session(&gorm.Session{NewDB: true}).Table("ratings").Select("citizen_id").
					Where("created_at >= ? AND created_at < ?", from, to))
		})
		if err != nil {
			return 0, fmt.Errorf("store: fraud scan: %w", err)
		}
		byCitizen := map[uint][]scanRating{}
		for _, x := range rs {
			byCitizen[x.CitizenID] = append(byCitizen[x.CitizenID], x)
		}
		for _, list := range byCitizen {
			found = append(found, distinctWithin(list, r.DeviceWindows, r.DeviceWindow, SignalDevice,
				func(x scanRating) uint { return x.WindowID })...)
		}
	}
	// The lowest level again and again: one citizen, one window, distinct days.
	if r.LowRepeat > 0 {
		days := time.Duration(r.LowDays) * 24 * time.Hour
		rs, err := load(func(q *gorm.DB) *gorm.DB {
			return q.Where("r.level = ? AND r.created_at >= ? AND r.created_at < ?", int(VeryDissatisfied), from.Add(-days), to).
				Where("r.citizen_id IN (?)", db.Session(&gorm.Session{NewDB: true}).Table("ratings").Select("citizen_id").
					Where("level = ? AND created_at >= ? AND created_at < ?", int(VeryDissatisfied), from, to))
		})
		if err != nil {
			return 0, fmt.Errorf("store: fraud scan: %w", err)
		}
		byPair := map[[2]uint][]scanRating{}
		for _, x := range rs {
			k := [2]uint{x.CitizenID, x.WindowID}
			byPair[k] = append(byPair[k], x)
		}
		loc := s.rules.Location()
		for _, list := range byPair {
			found = append(found, distinctWithin(list, r.LowRepeat, days, SignalLowRepeat,
				func(x scanRating) uint { y, m, d := x.CreatedAt.In(loc).Date(); return uint(y*10000 + int(m)*100 + d) })...)
		}
	}
	return s.storeFlags(ctx, found, to)
}

// windowed flags every rating of list (in time order) that lies in a span of at most span
// holding n or more of them.
func windowed(list []scanRating, n int, span time.Duration, signal string) []flagged {
	var out []flagged
	marked := map[uint]int{}
	start := 0
	for end := range list {
		for list[end].CreatedAt.Sub(list[start].CreatedAt) > span {
			start++
		}
		if count := end - start + 1; count >= n {
			out = mark(out, marked, list[start:end+1], signal, count)
		}
	}
	return out
}

// mark flags each rating of span with count, or raises the count of its flag in out: a rating
// in several overlapping spans shows the largest.
func mark(out []flagged, marked map[uint]int, span []scanRating, signal string, count int) []flagged {
	for _, x := range span {
		i, ok := marked[x.ID]
		if !ok {
			marked[x.ID] = len(out)
			out = append(out, flagged{x.ID, signal, fmt.Sprint(count)})
			continue
		}
		if prev, _ := strconv.Atoi(out[i].detail); count > prev {
			out[i].detail = fmt.Sprint(count)
		}
	}
	return out
}

// distinctWithin flags the ratings of list (one person's, in time order) in a span of at most
// span that holds n or more distinct keys (windows, days).
func distinctWithin(list []scanRating, n int, span time.Duration, signal string, key func(scanRating) uint) []flagged {
	var out []flagged
	marked := map[uint]int{}
	for end := range list {
		keys := map[uint]bool{}
		start := end
		for i := end; i >= 0 && list[end].CreatedAt.Sub(list[i].CreatedAt) <= span; i-- {
			keys[key(list[i])] = true
			start = i
		}
		if len(keys) < n {
			continue
		}
		out = mark(out, marked, list[start:end+1], signal, len(keys))
	}
	return out
}

// storeFlags inserts the flags not stored yet and holds their ratings out, in one transaction.
func (s *Store) storeFlags(ctx context.Context, found []flagged, now time.Time) (int, error) {
	if len(found) == 0 {
		return 0, nil
	}
	n := 0
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, f := range found {
			res := tx.Clauses(clause.OnConflict{DoNothing: true}).
				Create(&RatingFlag{RatingID: f.rating, Signal: f.signal, Detail: f.detail, CreatedAt: now})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				continue
			}
			n++
			if err := tx.Model(&Rating{}).Where("id = ? AND excluded = ?", f.rating, false).Update("excluded", true).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: store flags: %w", err)
	}
	return n, nil
}

// FlagView is an undecided flag as a supervisor reviews it: the rating, its window and the staff
// member it names.
type FlagView struct {
	RatingFlag
	Rating Rating
	Window Window
	Staff  *Staff
}

// PendingFlags returns the undecided flags on ratings of the centers the actor supervises (all
// for nil CenterID), oldest first, at most limit.
func (s *Store) PendingFlags(ctx context.Context, a Actor, limit int) ([]FlagView, error) {
	db := s.db.WithContext(ctx)
	q := db.Where("decision = ?", "")
	if a.CenterID != nil {
		q = q.Where("rating_id IN (?)", db.Session(&gorm.Session{NewDB: true}).Table("ratings").Select("ratings.id").
			Joins("JOIN windows w ON w.id = ratings.window_id").Where("w.center_id = ?", *a.CenterID))
	}
	var flags []RatingFlag
	if err := q.Order("id").Limit(limit).Find(&flags).Error; err != nil {
		return nil, fmt.Errorf("store: pending flags: %w", err)
	}
	out := make([]FlagView, len(flags))
	for i, f := range flags {
		out[i].RatingFlag = f
		if err := db.First(&out[i].Rating, f.RatingID).Error; err != nil {
			return nil, fmt.Errorf("store: pending flags: %w", err)
		}
		if err := db.Preload("Center").First(&out[i].Window, out[i].Rating.WindowID).Error; err != nil {
			return nil, fmt.Errorf("store: pending flags: %w", err)
		}
		if id := out[i].Rating.StaffID; id != nil {
			var st Staff
			if err := db.First(&st, *id).Error; err != nil {
				return nil, fmt.Errorf("store: pending flags: %w", err)
			}
			out[i].Staff = &st
		}
	}
	return out, nil
}

// ErrFlagDecided means a supervisor decided the flag already.
var ErrFlagDecided = errors.New("store: the flag was decided already")

// DecideFlag records a supervisor's decision on flag id and every other undecided flag of its
// rating: DecisionExclude keeps the rating out for good; DecisionKeep lets it count again, unless
// an upheld appeal excluded it. ErrNotFound for a flag outside the actor's centers;
// ErrFlagDecided when it was decided already.
func (s *Store) DecideFlag(ctx context.Context, a Actor, id uint, decision string, now time.Time) (*RatingFlag, error) {
	if decision != DecisionKeep && decision != DecisionExclude {
		return nil, fmt.Errorf("store: decide flag: %w: decision %q", ErrBadInput, decision)
	}
	var f RatingFlag
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&f, id).Error; err != nil {
			return notFound(err)
		}
		if a.CenterID != nil {
			var w Window
			err := tx.Table("windows").Select("windows.center_id").Joins("JOIN ratings ON ratings.window_id = windows.id").
				Where("ratings.id = ?", f.RatingID).Take(&w).Error
			if err != nil || w.CenterID != *a.CenterID {
				return ErrNotFound
			}
		}
		if f.Decision != "" {
			return ErrFlagDecided
		}
		var by *uint
		if a.StaffID != 0 {
			by = &a.StaffID
		}
		at := now.UTC()
		err := tx.Model(&RatingFlag{}).Where("rating_id = ? AND decision = ?", f.RatingID, "").
			Updates(map[string]any{"decision": decision, "decided_by": by, "decided_at": at}).Error
		if err != nil {
			return err
		}
		f.Decision, f.DecidedBy, f.DecidedAt = decision, by, &at
		if decision == DecisionExclude {
			return nil
		}
		upheld := tx.Session(&gorm.Session{NewDB: true}).Model(&Ticket{}).Select("1").
			Where("rating_id = ? AND close_reason = ?", f.RatingID, CloseAppealUpheld)
		excludedFlag := tx.Session(&gorm.Session{NewDB: true}).Model(&RatingFlag{}).Select("1").
			Where("rating_id = ? AND decision = ?", f.RatingID, DecisionExclude)
		return tx.Model(&Rating{}).Where("id = ? AND NOT EXISTS (?) AND NOT EXISTS (?)", f.RatingID, upheld, excludedFlag).
			Update("excluded", false).Error
	})
	if err != nil {
		return nil, fmt.Errorf("store: decide flag %d: %w", id, err)
	}
	return &f, nil
}
