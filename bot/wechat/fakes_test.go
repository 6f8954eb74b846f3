package wechat_test

import (
	"context"
	"strings"
	"sync"
	"time"

	"windowbot/bot"
	"windowbot/flows"
	"windowbot/models"
)

// memState is a minimal in-process wechat.State for the adapter's unit tests.
type memState struct {
	mu   sync.Mutex
	kv   map[string]memEntry
	cond *sync.Cond
}

type memEntry struct {
	v   []byte
	exp time.Time
}

func newMemState() *memState {
	s := &memState{kv: map[string]memEntry{}}
	s.cond = sync.NewCond(&s.mu)
	return s
}

func (s *memState) getLocked(key string) ([]byte, bool) {
	e, ok := s.kv[key]
	if !ok || time.Now().After(e.exp) {
		delete(s.kv, key)
		return nil, false
	}
	return e.v, true
}

func (s *memState) Claim(_ context.Context, key string, ttl time.Duration) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.getLocked(key); ok {
		return false, nil
	}
	s.kv[key] = memEntry{[]byte("1"), time.Now().Add(ttl)}
	return true, nil
}

func (s *memState) Get(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.getLocked(key); ok {
		return v, nil
	}
	return nil, flows.ErrNotFound
}

func (s *memState) Set(_ context.Context, key string, v []byte, ttl time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kv[key] = memEntry{append([]byte(nil), v...), time.Now().Add(ttl)}
	return nil
}

func (s *memState) Delete(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.kv, key)
	s.cond.Broadcast()
	return nil
}

func (s *memState) Lock(ctx context.Context, key string, ttl time.Duration) (func(), error) {
	for {
		ok, _ := s.Claim(ctx, key, ttl)
		if ok {
			var once sync.Once
			return func() { once.Do(func() { _ = s.Delete(ctx, key) }) }, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// keys returns the live keys containing sub.
func (s *memState) keys(sub string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k := range s.kv {
		if _, ok := s.getLocked(k); ok && strings.Contains(k, sub) {
			out = append(out, k)
		}
	}
	return out
}

// fakeCitizens is a wechat.Citizens over a map.
type fakeCitizens struct {
	mu sync.Mutex
	m  map[string]*models.Citizen
}

func newFakeCitizens() *fakeCitizens { return &fakeCitizens{m: map[string]*models.Citizen{}} }

func (f *fakeCitizens) put(openID string, lastSeen time.Time, inactive bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.m[openID] = &models.Citizen{Platform: "wechat", ExternalID: openID, LastSeenAt: lastSeen, Inactive: inactive}
}

func (f *fakeCitizens) CitizenByExternalID(_ context.Context, platform, id string) (*models.Citizen, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.m[id]
	if !ok || platform != "wechat" {
		return nil, models.ErrNotFound
	}
	cp := *c
	return &cp, nil
}

func (f *fakeCitizens) SetCitizenInactive(_ context.Context, platform, id string, inactive bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.m[id]; ok && platform == "wechat" {
		c.Inactive = inactive
	}
	return nil
}

func (f *fakeCitizens) inactive(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.m[id]
	return ok && c.Inactive
}

// stubHandler records every Inbound and answers with a fixed reply after an optional delay.
type stubHandler struct {
	mu      sync.Mutex
	got     []bot.Inbound
	replies []bot.Reply
	err     error
	delay   time.Duration
	panics  bool
}

func (h *stubHandler) Handle(ctx context.Context, in bot.Inbound) ([]bot.Reply, error) {
	h.mu.Lock()
	h.got = append(h.got, in)
	replies, err, delay, panics := h.replies, h.err, h.delay, h.panics
	h.mu.Unlock()
	if panics {
		panic("stub handler panics")
	}
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return replies, err
}

func (h *stubHandler) calls() []bot.Inbound {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]bot.Inbound(nil), h.got...)
}

func (h *stubHandler) set(fn func(h *stubHandler)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	fn(h)
}
