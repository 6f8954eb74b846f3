package api

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// cacheLoadTimeout bounds one load: it runs for every caller waiting on it, so it does not end
// when the caller that started it goes away.
const cacheLoadTimeout = 30 * time.Second

// cache keeps what load returned under a key for ttl and makes the loads of one key that
// overlap into one: a burst of visitors to a public page costs one set of queries, however long
// the queries take. A load that fails leaves the last value in place, which is served (and the
// failure logged) until a load succeeds again; without one the error goes to the callers. With
// a ttl of 0 nothing is kept, but overlapping loads are still one.
type cache[V any] struct {
	ttl    time.Duration
	now    func() time.Time
	logger *slog.Logger
	group  singleflight.Group

	mu      sync.Mutex
	entries map[string]cacheEntry[V]
}

type cacheEntry[V any] struct {
	v  V
	at time.Time
}

func newCache[V any](ttl time.Duration, now func() time.Time, logger *slog.Logger) *cache[V] {
	return &cache[V]{ttl: ttl, now: now, logger: logger, entries: map[string]cacheEntry[V]{}}
}

// get returns the value of key, loading it when it is missing or older than the ttl. The keys
// must come from a small set (they are never evicted, only replaced).
func (c *cache[V]) get(ctx context.Context, key string, load func(ctx context.Context) (V, error)) (V, error) {
	if v, ok := c.fresh(key); ok {
		return v, nil
	}
	ch := c.group.DoChan(key, func() (any, error) {
		// A load that ended just before this one began has stored what this one would read.
		if v, ok := c.fresh(key); ok {
			return v, nil
		}
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cacheLoadTimeout)
		defer cancel()
		v, err := load(lctx)
		if err != nil {
			c.mu.Lock()
			old, ok := c.entries[key]
			c.mu.Unlock()
			if ok {
				c.logger.WarnContext(ctx, "api: reload failed, serving the last value", "key", key, "age", c.now().Sub(old.at).Round(time.Second), "err", err)
				return old.v, nil
			}
			return v, err
		}
		if c.ttl > 0 {
			c.mu.Lock()
			c.entries[key] = cacheEntry[V]{v: v, at: c.now()}
			c.mu.Unlock()
		}
		return v, nil
	})
	select {
	case r := <-ch:
		v, _ := r.Val.(V)
		return v, r.Err
	case <-ctx.Done():
		var zero V
		return zero, ctx.Err()
	}
}

// fresh returns the value of key if it was stored less than ttl ago.
func (c *cache[V]) fresh(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || c.ttl <= 0 || c.now().Sub(e.at) >= c.ttl {
		var zero V
		return zero, false
	}
	return e.v, true
}
