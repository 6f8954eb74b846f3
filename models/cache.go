package models

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"
)

// The cached kinds of rows, each with its row in cache_versions: a transaction that changes rows
// of a kind raises its version (Store.change), and every process that caches them, replica or
// one-off command, reads the versions at most CacheCheckEvery apart.
const (
	// VersionPlaces counts changes of centers, windows and staff records (imports, photos).
	VersionPlaces = "places"
	// VersionCitizens counts changes of citizen rows other than TouchCitizen's own: bindings,
	// inactive and subscribed flags.
	VersionCitizens = "citizens"
)

// CacheCheckEvery is how often a process reads the versions of what it caches: a change committed
// by another process is seen here within this time. A change made by this process is seen at once.
const CacheCheckEvery = 100 * time.Millisecond

// cacheMaxEntries bounds each cache's map; a full map is emptied and fills again from the
// database.
const cacheMaxEntries = 100_000

// cacheVersion is a row of cache_versions.
type cacheVersion struct {
	Name    string `gorm:"primaryKey;size:20"`
	Version int64  `gorm:"not null;default:0"`
}

func (cacheVersion) TableName() string { return "cache_versions" }

// change runs fn in one transaction that also raises the version of every kind of cached rows
// it changes, and drops this process's entries of those kinds once the transaction has ended
// (committed or not). Every write of cached rows goes through it, so that no replica keeps
// serving a row another one changed.
func (s *Store) change(ctx context.Context, fn func(tx *gorm.DB) error, kinds ...*shared) error {
	for _, k := range kinds {
		defer k.changed()
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := fn(tx); err != nil {
			return err
		}
		for _, k := range kinds {
			if err := tx.Exec("UPDATE cache_versions SET version = version + 1 WHERE name = ?", k.name).Error; err != nil {
				return err
			}
		}
		return nil
	})
}

// versions reads cache_versions for the caches of one store.
type versions struct {
	db    *gorm.DB
	kinds []*shared

	mu      sync.Mutex
	checked time.Time // zero: read at the next lookup
	seen    map[string]int64
}

// openCaches makes the store's caches, all empty.
func (s *Store) openCaches() {
	v := &versions{db: s.db, seen: map[string]int64{}}
	s.places = &shared{name: VersionPlaces, v: v}
	s.citizens = &shared{name: VersionCitizens, v: v}
	v.kinds = []*shared{s.places, s.citizens}
	s.windowByCode = newMemo[string, Window](s.places)
	s.staffOfWindow = newMemo[uint, []Staff](s.places)
	s.citizenByKey = newMemo[citizenKey, Citizen](s.citizens)
}

// check reads the versions if the last read is CacheCheckEvery old, and raises the epoch of
// every kind whose version moved.
func (v *versions) check(ctx context.Context) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	now := time.Now()
	if !v.checked.IsZero() && now.Sub(v.checked) < CacheCheckEvery && !now.Before(v.checked) {
		return true
	}
	var rows []cacheVersion
	if err := v.db.WithContext(ctx).Find(&rows).Error; err != nil {
		v.checked = time.Time{}
		return false
	}
	for _, r := range rows {
		if old, ok := v.seen[r.Name]; !ok || old != r.Version {
			v.seen[r.Name] = r.Version
			for _, k := range v.kinds {
				if k.name == r.Name {
					k.epoch.Add(1)
				}
			}
		}
	}
	v.checked = now
	return true
}

// shared is one cached kind of rows: the epoch of its entries, raised whenever its version moves
// (by this process or another). An entry is good only in the epoch it was read in.
type shared struct {
	name  string
	v     *versions
	epoch atomic.Uint64
}

// current returns the epoch a lookup starting now belongs to, after reading the versions if they
// are CacheCheckEvery old; ok is false when they could not be read (read the database, cache
// nothing). Concurrent lookups wait for one read.
func (s *shared) current(ctx context.Context) (epoch uint64, ok bool) {
	if !s.v.check(ctx) {
		return 0, false
	}
	return s.epoch.Load(), true
}

// changed is called after this process committed a transaction that raised the version: its
// entries are dropped at once (other processes drop theirs within CacheCheckEvery).
func (s *shared) changed() {
	s.epoch.Add(1)
	s.v.mu.Lock()
	s.v.checked = time.Time{}
	s.v.mu.Unlock()
}

// citizenKey names a citizen row by its platform identity.
type citizenKey struct{ platform, externalID string }

// memo is one map of a cached kind. Its entries keep the epoch they were read in.
type memo[K comparable, V any] struct {
	kind *shared
	mu   sync.Mutex
	m    map[K]memoEntry[V]
}

type memoEntry[V any] struct {
	epoch uint64
	v     V
}

func newMemo[K comparable, V any](kind *shared) *memo[K, V] {
	return &memo[K, V]{kind: kind, m: map[K]memoEntry[V]{}}
}

// get returns the entry of k if it was read in epoch.
func (m *memo[K, V]) get(epoch uint64, k K) (V, bool) {
	m.mu.Lock()
	e, ok := m.m[k]
	m.mu.Unlock()
	if !ok || e.epoch != epoch {
		var zero V
		return zero, false
	}
	return e.v, true
}

// put keeps v, read in epoch, unless the epoch has moved on meanwhile (a change committed while
// it was being read: it may be the old row).
func (m *memo[K, V]) put(epoch uint64, k K, v V) {
	if m.kind.epoch.Load() != epoch {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.m) >= cacheMaxEntries {
		clear(m.m)
	}
	m.m[k] = memoEntry[V]{epoch: epoch, v: v}
}

// ForgetCaches drops every row this store has cached, for rows changed behind its back (a test's
// own connection). Other processes see such a change only if it also raised cache_versions.
func (s *Store) ForgetCaches() {
	s.places.changed()
	s.citizens.changed()
}
