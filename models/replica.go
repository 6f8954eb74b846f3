package models

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
)

// replicaCheckEvery is how long a replica's lag reading is trusted before it is read again.
const replicaCheckEvery = time.Second

// WithReadReplica has the store read reports, rankings, the board's figures, statistics and
// exports from a PostgreSQL replica (hot standby) at readURL, as long as it answers and lags the
// primary by no more than maxLag; otherwise those reads go to the primary. Dialogs and everything
// that writes always use the primary. Open connects to the replica too but does not fail when it
// is down: the primary serves until the replica is back.
func WithReadReplica(readURL string, maxLag time.Duration) Option {
	return func(s *Store) { s.replicaURL, s.replicaMaxLag = readURL, maxLag }
}

// replica is a read-only pool on a standby and what is known of its lag.
type replica struct {
	db     *gorm.DB
	maxLag time.Duration
	logger interface {
		WarnContext(ctx context.Context, msg string, args ...any)
		InfoContext(ctx context.Context, msg string, args ...any)
	}

	mu      sync.Mutex
	checked time.Time
	usable  bool
}

// openReplica connects the read pool. Unlike the primary, it is not pinged: a replica that is down
// at start-up is skipped until it answers.
func (s *Store) openReplica() error {
	if s.replicaURL == "" {
		return nil
	}
	dialect, dsn, err := parseDatabaseURL(s.replicaURL)
	if err != nil {
		return fmt.Errorf("store: read replica: %w", err)
	}
	if dialect != DialectPostgres || s.dialect != DialectPostgres {
		return errors.New("store: a read replica needs PostgreSQL for both the database and the replica")
	}
	db, err := gorm.Open(postgres.Open(dsn), &gorm.Config{
		Logger:               &gormSlog{logger: s.logger},
		NowFunc:              func() time.Time { return time.Now().UTC() },
		TranslateError:       true,
		DisableAutomaticPing: true,
	})
	if err != nil {
		return fmt.Errorf("store: read replica: %w", err)
	}
	if s.observe != nil {
		observe := func(tx *gorm.DB) { s.observe(tx.Statement.Context) }
		if err := errors.Join(
			db.Callback().Query().Before("gorm:query").Register("windowbot:observe", observe),
			db.Callback().Row().Before("gorm:row").Register("windowbot:observe", observe),
		); err != nil {
			return fmt.Errorf("store: read replica: %w", err)
		}
	}
	sqlDB, err := db.DB()
	if err != nil {
		return fmt.Errorf("store: read replica: %w", err)
	}
	sqlDB.SetMaxOpenConns(maxOpenConns / 2)
	sqlDB.SetMaxIdleConns(maxOpenConns / 2)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	s.replica = &replica{db: db, maxLag: s.replicaMaxLag, logger: s.logger}
	return nil
}

// replicaLagSQL reads how far a standby is behind: nothing when it has replayed all it received,
// else the age of the last transaction it replayed. On a server that is not in recovery (a
// promoted standby, or a primary named by mistake) it answers -1: not a replica.
const replicaLagSQL = `SELECT CASE
	WHEN NOT pg_is_in_recovery() THEN -1
	WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
	ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 1e9)
END`

// usableNow tells whether reads may go to the replica, reading its lag at most once a
// replicaCheckEvery. A lag reading that fails or takes long makes it unusable until the next one.
func (r *replica) usableNow(ctx context.Context) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if now.Sub(r.checked) < replicaCheckEvery {
		return r.usable
	}
	r.checked = now
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 500*time.Millisecond)
	defer cancel()
	var lag float64
	err := r.db.WithContext(cctx).Raw(replicaLagSQL).Scan(&lag).Error
	usable := err == nil && lag >= 0 && time.Duration(lag*float64(time.Second)) <= r.maxLag
	if usable != r.usable {
		switch {
		case usable:
			r.logger.InfoContext(ctx, "read replica in use")
		case err != nil:
			r.logger.WarnContext(ctx, "read replica skipped: it does not answer", "err", err)
		case lag < 0:
			r.logger.WarnContext(ctx, "read replica skipped: it is not in recovery (promoted, or a primary)")
		default:
			r.logger.WarnContext(ctx, "read replica skipped: it lags", "lag", time.Duration(lag*float64(time.Second)).Round(time.Millisecond), "max_lag", r.maxLag)
		}
	}
	r.usable = usable
	return usable
}

// reads returns the pool for a read that may be a little behind the primary: a report, a ranking,
// the board's figures, statistics or an export. Never use it for what a dialog reads or for a read
// that leads to a write in the same request.
func (s *Store) reads(ctx context.Context) *gorm.DB {
	if s.replica != nil && s.replica.usableNow(ctx) {
		return s.replica.db.WithContext(ctx)
	}
	return s.db.WithContext(ctx)
}

// ReadsFromReplica tells whether reads that may lag go to the read replica now: false without
// one, or while it is down or lags too much.
func (s *Store) ReadsFromReplica(ctx context.Context) bool {
	return s.replica != nil && s.replica.usableNow(ctx)
}

func (s *Store) closeReplica() error {
	if s.replica == nil {
		return nil
	}
	sqlDB, err := s.replica.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}
