package jobs

import (
	"context"
	"log/slog"
	"time"

	"windowbot/models"
)

// runEvery calls once now and then every `every` until ctx ends, logging its errors and, when it
// did something, how much (done, with count). It is the loop of the jobs every replica runs on
// its own clock, outside the scheduler, because the job is idempotent across replicas.
func runEvery(ctx context.Context, every time.Duration, log *slog.Logger, what, done string, once func(context.Context) (int, error)) error {
	if log == nil {
		log = slog.Default()
	}
	for {
		n, err := once(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error(what, "err", err)
		case n > 0:
			log.Info(done, "count", n)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(every):
		}
	}
}

// FraudScan raises the rating-fraud signals (models.Store.ScanFraud) on the ratings of the last
// Every, looking back one more Every so that a scan late or missed by a restart is made up.
// Every replica may run it: flags are unique per rating and signal.
type FraudScan struct {
	Store *models.Store
	// Every is how often Run scans (default 5 minutes); Now the clock (default time.Now).
	Every  time.Duration
	Now    func() time.Time
	Logger *slog.Logger
}

func (f *FraudScan) every() time.Duration {
	if f.Every <= 0 {
		return 5 * time.Minute
	}
	return f.Every
}

// Once scans the ratings of the last two periods and returns how many flags it raised.
func (f *FraudScan) Once(ctx context.Context) (int, error) {
	now := time.Now
	if f.Now != nil {
		now = f.Now
	}
	to := now()
	return f.Store.ScanFraud(ctx, to.Add(-2*f.every()), to.Add(time.Second))
}

// Run calls Once every f.Every until ctx ends.
func (f *FraudScan) Run(ctx context.Context) error {
	return runEvery(ctx, f.every(), f.Logger, "supervision: scanning ratings for fraud", "supervision: ratings flagged for review", f.Once)
}
