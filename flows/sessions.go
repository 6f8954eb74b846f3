package flows

import (
	"context"
	"errors"
	"time"

	"windowbot/bot"
)

// ErrConflict is returned by SessionStore.Save when the stored session moved on since it was
// loaded: another delivery of the same conversation won the race.
var ErrConflict = errors.New("state: version conflict")

// SessionStore keeps one JSON value per conversation under one key with one TTL.
// Implementations: flows/state (Redis and in-process).
type SessionStore interface {
	// Load returns the raw JSON stored under key, or bot.ErrNotFound.
	Load(ctx context.Context, key string) ([]byte, error)
	// Save stores data under key with ttl only if the stored value's version is expect
	// (0 meaning nothing is stored), else ErrConflict. data is a JSON object whose top-level
	// "version" field is expect+1.
	Save(ctx context.Context, key string, expect int64, data []byte, ttl time.Duration) error
	// Delete removes key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
}

// Holder takes a conversation's lock and loads its session in one step, so a turn costs the
// state store two round trips (Hold, then Held.Save or Held.Delete) instead of four (lock, load,
// save, unlock). Implementations: flows/state.
type Holder interface {
	// Hold blocks until the caller holds lockKey (as bot.Locker's Lock, lapsing after ttl) or ctx
	// ends, and returns the raw value under key with it: nil when nothing is stored.
	Hold(ctx context.Context, lockKey, key string, ttl time.Duration) (Held, []byte, error)
}

// Held is a conversation's session under its lock, as Holder.Hold took it. Each method releases
// the lock; after the first, the others do nothing but Release.
type Held interface {
	// Save stores data under the session's key as SessionStore.Save does (ErrConflict when the
	// stored version is not expect) and releases the lock, in one step.
	Save(ctx context.Context, expect int64, data []byte, ttl time.Duration) error
	// Delete removes the session and releases the lock, in one step.
	Delete(ctx context.Context) error
	// Release releases the lock without touching the session.
	Release()
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
	Holder
	bot.Locker
	bot.Deduper
	bot.KV
	Counter
	// Ping reports whether the store is reachable (for /readyz).
	Ping(ctx context.Context) error
	// Close releases connections.
	Close() error
}
