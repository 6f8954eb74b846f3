package flows

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned by a state store when a key holds nothing (never set or expired).
var ErrNotFound = errors.New("state: not found")

// ErrConflict is returned by SessionStore.Save when the stored session moved on since it was
// loaded: another delivery of the same conversation won the race.
var ErrConflict = errors.New("state: version conflict")

// SessionStore keeps one JSON value per conversation under one key with one TTL.
// Implementations: flows/state (Redis and in-process).
type SessionStore interface {
	// Load returns the raw JSON stored under key, or ErrNotFound.
	Load(ctx context.Context, key string) ([]byte, error)
	// Save stores data under key with ttl only if the stored value's version is expect
	// (0 meaning nothing is stored), else ErrConflict. data is a JSON object whose top-level
	// "version" field is expect+1.
	Save(ctx context.Context, key string, expect int64, data []byte, ttl time.Duration) error
	// Delete removes key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
}

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

// Counter counts events in a window that starts with the first increment (rate limits, lock-outs).
type Counter interface {
	// Incr adds one to key, starting its ttl on the first increment, and returns the new count.
	Incr(ctx context.Context, key string, ttl time.Duration) (int64, error)
}

// State is everything the engine keeps outside the database. flows/state provides a Redis
// implementation for production and an in-process one for a single replica.
type State interface {
	SessionStore
	Locker
	Deduper
	KV
	Counter
	// Ping reports whether the store is reachable (for /readyz).
	Ping(ctx context.Context) error
	// Close releases connections.
	Close() error
}
