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

// ServiceStar is a center's service star (服务之星) of one month, as announced. It is stored
// once per center and month: a re-run finds it and announces the same person.
type ServiceStar struct {
	ID uint `gorm:"primaryKey"`
	// Period is the month, 2006-01.
	Period   string `gorm:"size:7;not null;uniqueIndex:idx_star_period_center,priority:1"`
	CenterID uint   `gorm:"not null;uniqueIndex:idx_star_period_center,priority:2"`
	Center   *Center
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

// saveServiceStar stores star inside tx unless the center already has one for the period, and
// returns the stored one (the new or the earlier).
func saveServiceStar(tx *gorm.DB, star *ServiceStar) (*ServiceStar, error) {
	res := tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "period"}, {Name: "center_id"}},
		DoNothing: true,
	}).Create(star)
	if res.Error != nil {
		return nil, fmt.Errorf("store: save service star %s center %d: %w", star.Period, star.CenterID, res.Error)
	}
	if res.RowsAffected == 1 {
		return star, nil
	}
	var old ServiceStar
	err := tx.Where("period = ? AND center_id = ?", star.Period, star.CenterID).First(&old).Error
	if err != nil {
		return nil, fmt.Errorf("store: load service star %s center %d: %w", star.Period, star.CenterID, notFound(err))
	}
	return &old, nil
}

// AnnounceServiceStar stores star unless its center already has one for the period, and queues
// the pushes announce builds from the stored star and its staff member (with Window), in one
// transaction: the result and its announcement are recorded together or not at all. A re-run
// gets the star stored first, so it announces the same person even if late ratings arrived
// since, and queues nothing already queued. It returns the stored star and how many pushes were
// new.
func (s *Store) AnnounceServiceStar(ctx context.Context, now time.Time, star *ServiceStar,
	announce func(stored *ServiceStar, staff *Staff) []*Push) (*ServiceStar, int, error) {
	var (
		stored *ServiceStar
		queued int
	)
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if stored, err = saveServiceStar(tx, star); err != nil {
			return err
		}
		var st Staff
		if err := tx.Preload("Window").First(&st, stored.StaffID).Error; err != nil {
			return fmt.Errorf("store: staff %d of service star %s: %w", stored.StaffID, stored.Period, notFound(err))
		}
		queued, err = EnqueueNew(tx, now, announce(stored, &st)...)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return stored, queued, nil
}

// ServiceStars lists the stored stars of a month with their staff, windows and centers, by
// center code.
func (s *Store) ServiceStars(ctx context.Context, period string) ([]ServiceStar, error) {
	var out []ServiceStar
	err := s.db.WithContext(ctx).Preload("Center").Preload("Staff.Window").
		Joins("JOIN centers ON centers.id = service_stars.center_id").
		Where("service_stars.period = ?", period).Order("centers.code").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: service stars %s: %w", period, err)
	}
	return out, nil
}
