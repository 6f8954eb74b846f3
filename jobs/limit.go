package jobs

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Pacer keeps the sends of one platform within its limits: LimitStage waits on it before each
// send, SendStage tells it when a send completed and when the platform asked to back off.
type Pacer interface {
	// Wait blocks until a message to chat may be sent and counts it as sent. It returns ctx's
	// error if ctx ends first.
	Wait(ctx context.Context, chat string) error
	// Sent restarts chat's interval when the send to it has completed.
	Sent(ctx context.Context, chat string)
	// Pause holds every send back for d, as the platform asked (Telegram's retry_after).
	Pause(ctx context.Context, d time.Duration)
}

var (
	_ Pacer = (*Limiter)(nil)
	_ Pacer = (*SharedLimiter)(nil)
)

// LimiterOption changes how a limiter is built.
type LimiterOption func(*limiterClock)

// limiterClock is the time of a limiter: real time unless a test injects its own.
type limiterClock struct {
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

// WithClock makes a limiter read the time from now and wait with sleep, which returns ctx's
// error if ctx ends first. Tests pass a fake clock that moves when slept on, so they check the
// pace exactly instead of measuring wall-clock time.
func WithClock(now func() time.Time, sleep func(ctx context.Context, d time.Duration) error) LimiterOption {
	return func(c *limiterClock) {
		if now != nil {
			c.now = now
		}
		if sleep != nil {
			c.sleep = sleep
		}
	}
}

func newLimiterClock(opts []LimiterOption) limiterClock {
	c := limiterClock{now: time.Now, sleep: sleepCtx}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// sleepCtx waits for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// interval is the least time between two messages at perSecond (0: none).
func interval(perSecond int) time.Duration {
	if perSecond <= 0 {
		return 0
	}
	return time.Second / time.Duration(perSecond)
}

// Limiter paces the pushes of one platform in this process: at most one message per Interval
// overall and one per PerChat to the same chat, and none at all while the platform asked us to
// back off (Pause). It keeps no burst allowance, because a platform that counts "30 per second"
// over short windows answers a burst with 429 even when the average is fine.
//
// It holds for this process only: it is what a single replica (no Redis) uses, and what a
// SharedLimiter falls back to while Redis cannot be reached.
type Limiter struct {
	interval, perChat time.Duration
	clock             limiterClock

	mu     sync.Mutex
	next   time.Time            // earliest next send overall
	paused time.Time            // no send before this
	chats  map[string]time.Time // chat → earliest next send to it
	swept  time.Time
}

// NewLimiter returns a limiter allowing perSecond messages a second overall (0: no overall limit)
// and one message per perChat to a chat (0: no per-chat limit).
func NewLimiter(perSecond int, perChat time.Duration, opts ...LimiterOption) *Limiter {
	return &Limiter{interval: interval(perSecond), perChat: perChat, clock: newLimiterClock(opts), chats: map[string]time.Time{}}
}

// Wait blocks until a message to chat may be sent and counts it as sent. It returns ctx's error
// if ctx ends first, and then counts nothing.
func (l *Limiter) Wait(ctx context.Context, chat string) error {
	for {
		l.mu.Lock()
		now := l.clock.now()
		at := l.next
		if l.paused.After(at) {
			at = l.paused
		}
		if c := l.chats[chat]; c.After(at) {
			at = c
		}
		if !at.After(now) {
			// Keep the cadence from the slot, not from when the timer woke us (a little late
			// every time, which would add up to a few percent of the rate); after an idle spell
			// start afresh rather than allow a burst.
			base := at
			if now.Sub(at) > l.interval {
				base = now
			}
			l.next = base.Add(l.interval)
			if l.perChat > 0 {
				l.chats[chat] = now.Add(l.perChat)
			}
			l.sweep(now)
			l.mu.Unlock()
			return nil
		}
		l.mu.Unlock()
		// Another waiter may take the slot first; then this one computes the next slot again.
		if err := l.clock.sleep(ctx, at.Sub(now)); err != nil {
			return err
		}
	}
}

// Sent restarts a chat's interval when the send to it has completed. Measured from the start
// alone, two sends could reach the platform closer together than PerChat when the first was
// slow on the way; one worker sends to a chat at a time, so the interval between the end of one
// and the start of the next is what the platform sees at least.
func (l *Limiter) Sent(_ context.Context, chat string) {
	if l.perChat <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if next := l.clock.now().Add(l.perChat); next.After(l.chats[chat]) {
		l.chats[chat] = next
	}
}

// Pause holds every send back for d, as the platform asked (Telegram's retry_after).
func (l *Limiter) Pause(_ context.Context, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if until := l.clock.now().Add(d); until.After(l.paused) {
		l.paused = until
	}
}

// sweep forgets chats whose wait is over, at most once a minute, so the map stays as small as
// the set of chats messaged in the last PerChat.
func (l *Limiter) sweep(now time.Time) {
	if now.Sub(l.swept) < time.Minute {
		return
	}
	l.swept = now
	for c, t := range l.chats {
		if !t.After(now) {
			delete(l.chats, c)
		}
	}
}

// PaceStore keeps the pace of a platform where every replica draws on it; *state.Redis
// implements it with a script per step, on the Redis server's clock, so the replicas' clocks
// need not agree. key names the platform's budget; a store keeps each key apart.
type PaceStore interface {
	// TakeSlot takes the next send slot of key for a message to chat. While key is paused or
	// chat's interval has not passed, it takes nothing and returns how long until it may (ok
	// false). Otherwise it takes the first free slot, at least interval after the slot taken
	// before it (0: no overall limit), counts chat as sent to at that slot (perChat 0: no
	// per-chat limit), and returns how long until the slot (ok true).
	TakeSlot(ctx context.Context, key, chat string, interval, perChat time.Duration) (wait time.Duration, ok bool, err error)
	// PausedFor returns how long key is still paused (0: not paused).
	PausedFor(ctx context.Context, key string) (time.Duration, error)
	// PauseFor pauses key for d from now, unless it is paused for longer already.
	PauseFor(ctx context.Context, key string, d time.Duration) error
	// ChatSent restarts chat's interval: nothing goes to it under key for perChat from now.
	ChatSent(ctx context.Context, key, chat string, perChat time.Duration) error
}

// SharedLimiter paces one platform across every replica sending through the same bot: the
// slots, the per-chat intervals and the platform's back-off live in a PaceStore (Redis), so n
// replicas together stay within the limit that one would. Each send costs one round trip to
// the store, two when it had to wait for its slot, and one more when it completes (nothing
// beside a platform's 30 messages a second).
//
// While the store cannot be reached it paces this process alone with a Limiter of the same
// limits, and says so in the log: the pushes keep flowing, and several replicas may then exceed
// the limit by their number until the store is back, when they meet 429s and back off.
type SharedLimiter struct {
	store             PaceStore
	key               string
	interval, perChat time.Duration
	clock             limiterClock
	local             *Limiter
	logger            *slog.Logger

	mu     sync.Mutex
	warned time.Time // when the fallback was last logged
}

// NewSharedLimiter returns a limiter of perSecond messages a second overall (0: none) and one
// per perChat to a chat (0: none), counted in store under key (the platform's name) by every
// replica that uses the same key and store.
func NewSharedLimiter(store PaceStore, key string, perSecond int, perChat time.Duration, logger *slog.Logger, opts ...LimiterOption) *SharedLimiter {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &SharedLimiter{
		store: store, key: key, interval: interval(perSecond), perChat: perChat,
		clock: newLimiterClock(opts), local: NewLimiter(perSecond, perChat, opts...), logger: logger,
	}
}

// Wait takes a slot in the store and sleeps until it comes. A slot that lay ahead is checked
// again when it comes: if the platform asked to back off meanwhile, or this process woke up
// more than an interval late (a stalled runtime, a loaded host), the slot is given up and a new
// one taken, once, so late sends are not bunched together with the punctual ones of the other
// replicas, which a platform counting over short windows would answer with 429.
func (l *SharedLimiter) Wait(ctx context.Context, chat string) error {
	retaken := false
	for {
		asked := l.clock.now()
		wait, ok, err := l.store.TakeSlot(ctx, l.key, chat, l.interval, l.perChat)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			l.fallback(ctx, err)
			return l.local.Wait(ctx, chat)
		}
		if err := l.clock.sleep(ctx, wait); err != nil {
			return err
		}
		switch {
		case !ok:
			continue
		case wait <= 0:
			return nil
		}
		if late := l.clock.now().Sub(asked) - wait; l.interval > 0 && late > l.interval && !retaken {
			retaken = true
			continue
		}
		held, err := l.store.PausedFor(ctx, l.key)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			l.fallback(ctx, err)
			return nil // the slot was taken; the platform answers a pause it asked for with 429 again
		}
		if held <= 0 {
			return nil
		}
	}
}

// Sent restarts chat's interval in the store (and in the fallback).
func (l *SharedLimiter) Sent(ctx context.Context, chat string) {
	l.local.Sent(ctx, chat)
	if l.perChat <= 0 {
		return
	}
	if err := l.store.ChatSent(ctx, l.key, chat, l.perChat); err != nil {
		l.fallback(ctx, err)
	}
}

// Pause holds back every replica's sends for d (and this process's fallback).
func (l *SharedLimiter) Pause(ctx context.Context, d time.Duration) {
	l.local.Pause(ctx, d)
	if err := l.store.PauseFor(ctx, l.key, d); err != nil {
		l.fallback(ctx, err)
	}
}

// fallback logs, at most once a minute, that the store failed and this process paces alone.
func (l *SharedLimiter) fallback(ctx context.Context, err error) {
	l.mu.Lock()
	now := l.clock.now()
	log := l.warned.IsZero() || now.Sub(l.warned) >= time.Minute
	if log {
		l.warned = now
	}
	l.mu.Unlock()
	if log {
		l.logger.WarnContext(ctx, "push: shared pace unavailable, pacing this replica alone", "platform", l.key, "error", err)
	}
}
