package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Job run states.
const (
	JobRunning = "running"
	JobDone    = "done"
	JobFailed  = "failed"
)

// JobRun is the claim of one occurrence of a scheduled job, e.g. monthly-star for period 2026-10.
// The pair (Name, Period) is unique and the row is never deleted, so an occurrence runs once no
// matter how many replicas fire it or how often an operator re-runs it.
type JobRun struct {
	ID     uint   `gorm:"primaryKey"`
	Name   string `gorm:"size:60;not null;uniqueIndex:idx_job_run_occurrence,priority:1"`
	Period string `gorm:"size:40;not null;uniqueIndex:idx_job_run_occurrence,priority:2"`
	// Owner names the process that claimed it (host and pid), for the operator.
	Owner  string `gorm:"size:200;not null"`
	Status string `gorm:"size:20;not null"`
	// Items counts what the run queued or changed: pushes, escalations, closed tickets.
	Items      int    `gorm:"not null;default:0"`
	Error      string `gorm:"size:500"`
	StartedAt  time.Time
	FinishedAt *time.Time
}

// ClaimJobRun inserts the claim row of an occurrence. It reports false, with the existing row,
// when the occurrence was claimed before (by this or any replica, finished or not).
func (s *Store) ClaimJobRun(ctx context.Context, name, period, owner string, now time.Time) (bool, *JobRun, error) {
	run := JobRun{Name: name, Period: period, Owner: truncateRunes(owner, 200), Status: JobRunning, StartedAt: now.UTC()}
	db := s.db.WithContext(ctx)
	res := db.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "name"}, {Name: "period"}},
		DoNothing: true,
	}).Create(&run)
	if res.Error != nil {
		return false, nil, fmt.Errorf("store: claim job %s %s: %w", name, period, res.Error)
	}
	if res.RowsAffected == 1 {
		return true, &run, nil
	}
	var old JobRun
	if err := db.Where("name = ? AND period = ?", name, period).First(&old).Error; err != nil {
		return false, nil, fmt.Errorf("store: claim job %s %s: %w", name, period, notFound(err))
	}
	return false, &old, nil
}

// FinishJobRun records how a claimed run ended: done with the number of items it queued or
// changed, or failed with runErr. The claim stays either way.
func (s *Store) FinishJobRun(ctx context.Context, id uint, items int, runErr error, now time.Time) error {
	set := map[string]any{"status": JobDone, "items": items, "finished_at": now.UTC(), "error": ""}
	if runErr != nil {
		set["status"] = JobFailed
		set["error"] = truncateRunes(runErr.Error(), 500)
	}
	if err := s.db.WithContext(ctx).Model(&JobRun{}).Where("id = ?", id).Updates(set).Error; err != nil {
		return fmt.Errorf("store: finish job run %d: %w", id, err)
	}
	return nil
}

// LastJobRuns returns the latest run of each job name, by name.
func (s *Store) LastJobRuns(ctx context.Context) (map[string]JobRun, error) {
	var runs []JobRun
	err := s.db.WithContext(ctx).
		Where("id IN (?)", s.db.Model(&JobRun{}).Select("MAX(id)").Group("name")).
		Find(&runs).Error
	if err != nil {
		return nil, fmt.Errorf("store: last job runs: %w", err)
	}
	out := make(map[string]JobRun, len(runs))
	for _, r := range runs {
		out[r.Name] = r
	}
	return out, nil
}

// ServiceStar is one place of a center's service stars (服务之星) of one month, as announced:
// the stars first (Place 1…N), then the runners-up (RunnerUp, the places after them). The
// yearly ten best (十佳服务明星) are stored the same way under the year ("2026"), placed city-wide,
// each under their own center. Each place is stored once: a re-run finds it and announces the
// same people.
type ServiceStar struct {
	ID uint `gorm:"primaryKey"`
	// Period is the month, 2006-01, or the year, 2006.
	Period   string `gorm:"size:7;not null;uniqueIndex:idx_star_period_center_place,priority:1"`
	CenterID uint   `gorm:"not null;uniqueIndex:idx_star_period_center_place,priority:2"`
	Center   *Center
	// Place is 1 for the best; a year's places count across all centers.
	Place int `gorm:"not null;default:1;uniqueIndex:idx_star_period_center_place,priority:3"`
	// RunnerUp marks a place after the stars: named, not starred.
	RunnerUp bool `gorm:"not null;default:false"`
	StaffID  uint `gorm:"not null;index"`
	Staff    *Staff
	// WindowID is the window the staff member served at when chosen.
	WindowID *uint
	// Ratings is the number of ratings counted; the rates and the adjusted Score are in [0,1].
	Ratings          int     `gorm:"not null"`
	SatisfactionRate float64 `gorm:"not null"`
	GoodRate         float64 `gorm:"not null"`
	Score            float64 `gorm:"not null"`
	// Praise is a JSON array of up to three citizens' comments quoted in the announcement.
	Praise    string `gorm:"size:2000"`
	CreatedAt time.Time
}

// StoreServiceStars records the places of one period: of one center (centerID), or of all
// centers at once (nil: a year's city-wide ten best). When the period already has places there,
// nothing is written and those are returned: a re-run announces the people chosen first, even if
// late ratings arrived since. The places come back in order, with their Staff (and its Window)
// and Center.
func (s *Store) StoreServiceStars(ctx context.Context, period string, centerID *uint, places []*ServiceStar) ([]ServiceStar, error) {
	var out []ServiceStar
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		q := tx.Model(&ServiceStar{}).Where("period = ?", period)
		if centerID != nil {
			q = q.Where("center_id = ?", *centerID)
		}
		var n int64
		if err := q.Count(&n).Error; err != nil {
			return err
		}
		if n == 0 && len(places) > 0 {
			for _, p := range places {
				if p.Period != period || (centerID != nil && p.CenterID != *centerID) {
					return fmt.Errorf("place %d of %s center %d is not of this period and center", p.Place, p.Period, p.CenterID)
				}
			}
			if err := tx.Create(places).Error; err != nil {
				return err
			}
		}
		q = tx.Preload("Center").Preload("Staff.Window").Where("period = ?", period)
		if centerID != nil {
			q = q.Where("center_id = ?", *centerID)
		}
		return q.Order("place, center_id").Find(&out).Error
	})
	if err != nil {
		return nil, fmt.Errorf("store: service stars %s: %w", period, err)
	}
	return out, nil
}

// EnqueueWithPictures stores pictures (those stored already are kept) and queues pushes, in one
// transaction, and says how many pushes were new; see Enqueue.
func (s *Store) EnqueueWithPictures(ctx context.Context, now time.Time, pictures []*Picture, pushes []*Push) (int, error) {
	var n int
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, p := range pictures {
			if err := savePicture(tx, now, p); err != nil {
				return err
			}
		}
		var err error
		n, err = EnqueueNew(tx, now, pushes...)
		return err
	})
	return n, err
}

// ServiceStars lists the stored stars of a month (or of a year) with their staff, windows and
// centers, by center code and place; the runners-up are left out.
func (s *Store) ServiceStars(ctx context.Context, period string) ([]ServiceStar, error) {
	var out []ServiceStar
	err := s.db.WithContext(ctx).Preload("Center").Preload("Staff.Window").
		Joins("JOIN centers ON centers.id = service_stars.center_id").
		Where("service_stars.period = ? AND service_stars.runner_up = ?", period, false).
		Order("centers.code, service_stars.place").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: service stars %s: %w", period, err)
	}
	return out, nil
}
