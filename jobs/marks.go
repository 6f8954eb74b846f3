package jobs

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Marks is a store of expiring keys shared by the replicas: the claims of job occurrences and
// the log of delivered pushes. Redis in production; in-process for a single replica.
type Marks interface {
	// Claim sets key for ttl unless it is set, and reports whether this call set it.
	Claim(ctx context.Context, key string, ttl time.Duration) (bool, error)
	// Has reports whether key is set.
	Has(ctx context.Context, key string) (bool, error)
	// Release removes key. Only a claim whose work never started is released (the database
	// refused to record it); a claim that ran is kept for good.
	Release(ctx context.Context, key string) error
}

var (
	_ Marks = (*RedisMarks)(nil)
	_ Marks = (*MemoryMarks)(nil)
)

// RedisMarks keeps marks in Redis under a prefix.
type RedisMarks struct {
	client redis.UniversalClient
	prefix string
}

// NewRedisMarks returns marks stored in Redis, each key prefixed with prefix (e.g. "wb:").
func NewRedisMarks(client redis.UniversalClient, prefix string) *RedisMarks {
	return &RedisMarks{client: client, prefix: prefix}
}

// Claim is SET key NX with ttl.
func (m *RedisMarks) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	ok, err := m.client.SetNX(ctx, m.prefix+key, "1", ttl).Result()
	if err != nil {
		return false, fmt.Errorf("jobs: claim %s: %w", key, err)
	}
	return ok, nil
}

// Has is EXISTS key.
func (m *RedisMarks) Has(ctx context.Context, key string) (bool, error) {
	n, err := m.client.Exists(ctx, m.prefix+key).Result()
	if err != nil {
		return false, fmt.Errorf("jobs: check %s: %w", key, err)
	}
	return n > 0, nil
}

// Release is DEL key.
func (m *RedisMarks) Release(ctx context.Context, key string) error {
	if err := m.client.Del(ctx, m.prefix+key).Err(); err != nil {
		return fmt.Errorf("jobs: release %s: %w", key, err)
	}
	return nil
}

// MemoryMarks keeps marks in this process: correct for a single replica only.
type MemoryMarks struct {
	now  func() time.Time
	mu   sync.Mutex
	keys map[string]time.Time // key → expiry
}

// NewMemoryMarks returns empty in-process marks; now nil means time.Now.
func NewMemoryMarks(now func() time.Time) *MemoryMarks {
	if now == nil {
		now = time.Now
	}
	return &MemoryMarks{now: now, keys: map[string]time.Time{}}
}

// Claim sets key for ttl unless it is set.
func (m *MemoryMarks) Claim(_ context.Context, key string, ttl time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if exp, ok := m.keys[key]; ok && exp.After(now) {
		return false, nil
	}
	if len(m.keys) > 10000 {
		for k, exp := range m.keys {
			if !exp.After(now) {
				delete(m.keys, k)
			}
		}
	}
	m.keys[key] = now.Add(ttl)
	return true, nil
}

// Has reports whether key is set and unexpired.
func (m *MemoryMarks) Has(_ context.Context, key string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	exp, ok := m.keys[key]
	return ok && exp.After(m.now()), nil
}

// Release forgets key.
func (m *MemoryMarks) Release(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.keys, key)
	return nil
}
