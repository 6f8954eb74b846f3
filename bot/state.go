package bot

import (
	"context"
	"errors"
	"time"
)

// The small key-value contract that the adapters and the dialog engine share, so that one state
// store (flows/state: Redis, or in process) serves both. Each user declares the part it needs.

// ErrNotFound is returned by a state store when a key holds nothing (never set or expired).
var ErrNotFound = errors.New("state: not found")

// Locker serialises work on one key across goroutines and replicas.
type Locker interface {
	// Lock blocks until the caller holds key or ctx ends. The lock lapses after ttl even if its
	// holder dies, so a crashed replica never wedges a conversation. unlock is safe to call once.
	Lock(ctx context.Context, key string, ttl time.Duration) (unlock func(), err error)
}

// Deduper remembers keys it has seen, so a retried delivery is recognised.
type Deduper interface {
	// Claim records key for ttl and reports true the first time, false while it is still recorded.
	Claim(ctx context.Context, key string, ttl time.Duration) (bool, error)
}

// KV is a small expiring key-value store (cached replies, one-off tokens).
type KV interface {
	// Get returns the value under key, or ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, error)
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
}
