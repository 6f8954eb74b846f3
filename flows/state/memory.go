package state

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"windowbot/bot"
	"windowbot/flows"
)

// sweepEvery is how often, on the injected clock, a write also removes every expired entry.
// Reads skip expired entries anyway; the sweep only keeps keys nobody asks for again (finished
// dialogs, dedupe keys) from piling up.
const sweepEvery = time.Minute

// lockPoll bounds how long a waiting Lock sleeps before it looks again: a release wakes waiters at
// once, but a lapse is only noticed by looking, because the clock may be a test's.
const lockPoll = 20 * time.Millisecond

// Memory is the in-process State: correct for a single replica only, since another process sees
// none of its sessions, locks or dedupe keys. It is safe for concurrent use, and every ttl is
// measured on the clock it was given, so tests can let sessions and locks expire by moving a
// fake clock.
type Memory struct {
	now func() time.Time

	mu        sync.Mutex
	items     map[string]memEntry
	lastSweep time.Time
	// released is closed and replaced whenever a key is deleted, waking Lock waiters.
	released chan struct{}
	closed   bool

	// limit caps the entries other than locks (0: no cap); logger tells when the cap is reached,
	// at most once per fullLogEvery.
	limit    int
	logger   *slog.Logger
	lastFull time.Time
	locks    int // entries in items that are locks, not counted against limit
}

// ErrFull is returned when a new session, dedupe key, counter or value would take the in-process
// store past its cap. The turn is answered "busy" and nothing already stored is dropped: an
// ongoing dialog keeps going, a new one can start as soon as old ones expire.
var ErrFull = errors.New("state: the in-process store is full")

// fullLogEvery bounds how often a full store is logged.
const fullLogEvery = time.Minute

// Limit caps the store at n entries (sessions, dedupe keys, counters, values; locks are
// transient and not counted) and logs to logger when the cap is reached. n <= 0 means no cap.
// It returns m.
func (m *Memory) Limit(n int, logger *slog.Logger) *Memory {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.limit = n
	if logger == nil {
		logger = slog.Default()
	}
	m.logger = logger
	return m
}

// Len is the number of entries the store holds, expired ones not yet swept included, locks
// excluded.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.items) - m.locks
}

type memEntry struct {
	val     []byte
	expires time.Time
	lock    bool
}

var _ flows.State = (*Memory)(nil)

// NewMemory returns an empty in-process store on clock now (nil means time.Now).
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{now: now, items: map[string]memEntry{}, released: make(chan struct{}), lastSweep: now()}
}

// getLocked returns the live entry under key, dropping it if it expired.
func (m *Memory) getLocked(key string, now time.Time) (memEntry, bool) {
	e, ok := m.items[key]
	if !ok {
		return memEntry{}, false
	}
	if !now.Before(e.expires) {
		m.deleteLocked(key)
		return memEntry{}, false
	}
	return e, true
}

func (m *Memory) setLocked(key string, val []byte, ttl time.Duration, now time.Time) error {
	old, exists := m.items[key]
	if !exists && m.limit > 0 && len(m.items)-m.locks >= m.limit {
		m.sweepLocked(now)
		if len(m.items)-m.locks >= m.limit {
			if now.Sub(m.lastFull) >= fullLogEvery {
				m.lastFull = now
				m.logger.Warn("state: the in-process store is full; new dialogs are answered busy until old ones expire (session_ttl) — raise memory_max_entries or run with Redis",
					"entries", len(m.items)-m.locks, "cap", m.limit)
			}
			return fmt.Errorf("%w (%d entries)", ErrFull, m.limit)
		}
	}
	if old.lock {
		m.locks--
	}
	m.items[key] = memEntry{val: bytes.Clone(val), expires: now.Add(ttl)}
	if now.Sub(m.lastSweep) >= sweepEvery {
		m.sweepLocked(now)
	}
	return nil
}

// lockLocked stores a lock: never refused by the cap, so that a dialog already under way can
// always take its turn.
func (m *Memory) lockLocked(key string, token []byte, ttl time.Duration, now time.Time) {
	if _, exists := m.items[key]; !exists {
		m.locks++
	}
	m.items[key] = memEntry{val: bytes.Clone(token), expires: now.Add(ttl), lock: true}
}

func (m *Memory) deleteLocked(key string) {
	e, ok := m.items[key]
	if !ok {
		return
	}
	if e.lock {
		m.locks--
	}
	delete(m.items, key)
	close(m.released)
	m.released = make(chan struct{})
}

func (m *Memory) sweepLocked(now time.Time) {
	for k, e := range m.items {
		if !now.Before(e.expires) {
			if e.lock {
				m.locks--
			}
			delete(m.items, k)
		}
	}
	m.lastSweep = now
}

func (m *Memory) begin(ctx context.Context) (time.Time, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, err
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return time.Time{}, errClosed
	}
	return m.now(), nil
}

var errClosed = fmt.Errorf("state: memory store is closed")

// Load implements flows.SessionStore.
func (m *Memory) Load(ctx context.Context, key string) ([]byte, error) {
	return m.Get(ctx, key)
}

// Save implements flows.SessionStore.
func (m *Memory) Save(ctx context.Context, key string, expect int64, data []byte, ttl time.Duration) error {
	if err := checkTTL("save", key, ttl); err != nil {
		return err
	}
	now, err := m.begin(ctx)
	if err != nil {
		return err
	}
	defer m.mu.Unlock()
	var cur int64
	if e, ok := m.getLocked(key, now); ok {
		cur = storedVersion(e.val)
	}
	if cur != expect {
		return fmt.Errorf("%w: %s is at version %d, not %d", flows.ErrConflict, key, cur, expect)
	}
	return m.setLocked(key, data, ttl, now)
}

// Delete implements flows.SessionStore.
func (m *Memory) Delete(ctx context.Context, key string) error {
	if _, err := m.begin(ctx); err != nil {
		return err
	}
	defer m.mu.Unlock()
	m.deleteLocked(key)
	return nil
}

// Lock implements bot.Locker.
func (m *Memory) Lock(ctx context.Context, key string, ttl time.Duration) (func(), error) {
	if err := checkTTL("lock", key, ttl); err != nil {
		return nil, err
	}
	token := []byte(newToken())
	for {
		now, err := m.begin(ctx)
		if err != nil {
			return nil, fmt.Errorf("state: lock %s: %w", key, err)
		}
		if _, held := m.getLocked(key, now); !held {
			m.lockLocked(key, token, ttl, now)
			m.mu.Unlock()
			return m.unlocker(key, token), nil
		}
		wake := m.released
		m.mu.Unlock()
		t := time.NewTimer(lockPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("state: lock %s: %w", key, ctx.Err())
		case <-wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// Hold implements flows.Holder: Lock, and the session read under the same mutex.
func (m *Memory) Hold(ctx context.Context, lockKey, key string, ttl time.Duration) (flows.Held, []byte, error) {
	if err := checkTTL("lock", lockKey, ttl); err != nil {
		return nil, nil, err
	}
	token := []byte(newToken())
	for {
		now, err := m.begin(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("state: lock %s: %w", lockKey, err)
		}
		if _, held := m.getLocked(lockKey, now); !held {
			m.lockLocked(lockKey, token, ttl, now)
			var data []byte
			if e, ok := m.getLocked(key, now); ok {
				data = bytes.Clone(e.val)
			}
			m.mu.Unlock()
			return &memHeld{m: m, key: key, release: m.unlocker(lockKey, token)}, data, nil
		}
		wake := m.released
		m.mu.Unlock()
		t := time.NewTimer(lockPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, nil, fmt.Errorf("state: lock %s: %w", lockKey, ctx.Err())
		case <-wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// memHeld is a session held by Memory.Hold.
type memHeld struct {
	m       *Memory
	key     string
	release func()
	done    atomic.Bool
}

// Save implements flows.Held.
func (h *memHeld) Save(ctx context.Context, expect int64, data []byte, ttl time.Duration) error {
	if h.done.Swap(true) {
		return fmt.Errorf("state: save %s: the lock was already released", h.key)
	}
	defer h.release()
	return h.m.Save(ctx, h.key, expect, data, ttl)
}

// Delete implements flows.Held.
func (h *memHeld) Delete(ctx context.Context) error {
	if h.done.Swap(true) {
		return fmt.Errorf("state: delete %s: the lock was already released", h.key)
	}
	defer h.release()
	return h.m.Delete(ctx, h.key)
}

// Release implements flows.Held.
func (h *memHeld) Release() {
	h.done.Store(true)
	h.release()
}

// unlocker releases key only while it still holds token: after a lapse the key may belong to
// somebody else, whose lock must survive.
func (m *Memory) unlocker(key string, token []byte) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			m.mu.Lock()
			defer m.mu.Unlock()
			if e, ok := m.getLocked(key, m.now()); ok && bytes.Equal(e.val, token) {
				m.deleteLocked(key)
			}
		})
	}
}

// Claim implements bot.Deduper.
func (m *Memory) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if err := checkTTL("claim", key, ttl); err != nil {
		return false, err
	}
	now, err := m.begin(ctx)
	if err != nil {
		return false, err
	}
	defer m.mu.Unlock()
	if _, ok := m.getLocked(key, now); ok {
		return false, nil
	}
	if err := m.setLocked(key, []byte("1"), ttl, now); err != nil {
		return false, err
	}
	return true, nil
}

// Has reports whether key holds a live value of any kind (a claim, a counter, a session).
func (m *Memory) Has(ctx context.Context, key string) (bool, error) {
	now, err := m.begin(ctx)
	if err != nil {
		return false, err
	}
	defer m.mu.Unlock()
	_, ok := m.getLocked(key, now)
	return ok, nil
}

// Get implements bot.KV.
func (m *Memory) Get(ctx context.Context, key string) ([]byte, error) {
	now, err := m.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	e, ok := m.getLocked(key, now)
	if !ok {
		return nil, bot.ErrNotFound
	}
	return bytes.Clone(e.val), nil
}

// Set implements bot.KV.
func (m *Memory) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := checkTTL("set", key, ttl); err != nil {
		return err
	}
	now, err := m.begin(ctx)
	if err != nil {
		return err
	}
	defer m.mu.Unlock()
	return m.setLocked(key, value, ttl, now)
}

// SetGet stores value under key for ttl and then reads other, as Redis.SetGet does.
func (m *Memory) SetGet(ctx context.Context, key string, value []byte, ttl time.Duration, other string) ([]byte, error, error) {
	if err := m.Set(ctx, key, value, ttl); err != nil {
		_, gerr := m.Get(ctx, other)
		return nil, err, gerr
	}
	b, err := m.Get(ctx, other)
	return b, nil, err
}

// Incr implements flows.Counter. Like Redis, the count is kept as decimal text, so Get on a
// counter returns "3".
func (m *Memory) Incr(ctx context.Context, key string, ttl time.Duration) (int64, error) {
	if err := checkTTL("incr", key, ttl); err != nil {
		return 0, err
	}
	now, err := m.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer m.mu.Unlock()
	e, ok := m.getLocked(key, now)
	if !ok {
		if err := m.setLocked(key, []byte("1"), ttl, now); err != nil {
			return 0, err
		}
		return 1, nil
	}
	n, err := strconv.ParseInt(string(e.val), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: incr %s", ErrNotInteger, key)
	}
	n++
	// The window keeps the expiry set by the first increment.
	m.items[key] = memEntry{val: []byte(strconv.FormatInt(n, 10)), expires: e.expires}
	return n, nil
}

// Ping implements flows.State: the store answers while it is open.
func (m *Memory) Ping(ctx context.Context) error {
	if _, err := m.begin(ctx); err != nil {
		return err
	}
	m.mu.Unlock()
	return nil
}

// Close implements flows.State. It drops every entry; later calls fail.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.closed {
		m.closed = true
		m.items, m.locks = nil, 0
		close(m.released)
	}
	return nil
}

// newToken returns a random lock token, so a holder can tell its own lock from a successor's.
func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
