package jobs

import (
	"context"
	"time"
)

// Marks is a store of expiring keys shared by the replicas: the claims of job occurrences and
// the log of delivered pushes. The state stores of flows/state implement it: Redis in
// production, shared by every replica; in-process for a single replica.
type Marks interface {
	// Claim sets key for ttl unless it is set, and reports whether this call set it.
	Claim(ctx context.Context, key string, ttl time.Duration) (bool, error)
	// Has reports whether key is set.
	Has(ctx context.Context, key string) (bool, error)
	// Delete removes key. Only a claim whose work never started is deleted (the database
	// refused to record it); a claim that ran is kept for good.
	Delete(ctx context.Context, key string) error
}
