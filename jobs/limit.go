package jobs

import (
	"context"
	"sync"
	"time"
)

// Limiter paces the pushes of one platform: at most one message per Interval overall and one per
// PerChat to the same chat, and none at all while the platform asked us to back off (Pause).
// It keeps no burst allowance, because a platform that counts "30 per second" over short windows
// answers a burst with 429 even when the average is fine.
//
// Limits hold per process. Replicas dispatching the same bot each keep their own, so with n
// replicas configure 1/n of the platform's limit (or dispatch from fewer replicas).
type Limiter struct {
	interval, perChat time.Duration
	now               func() time.Time

	mu     sync.Mutex
	next   time.Time            // earliest next send overall
	paused time.Time            // no send before this
	chats  map[string]time.Time // chat → earliest next send to it
	swept  time.Time
}

// NewLimiter returns a limiter allowing perSecond messages a second overall (0: no overall limit)
// and one message per perChat to a chat (0: no per-chat limit).
func NewLimiter(perSecond int, perChat time.Duration) *Limiter {
	l := &Limiter{perChat: perChat, now: time.Now, chats: map[string]time.Time{}}
	if perSecond > 0 {
		l.interval = time.Second / time.Duration(perSecond)
	}
	return l
}

// Wait blocks until a message to chat may be sent and counts it as sent. It returns ctx's error
// if ctx ends first, and then counts nothing.
func (l *Limiter) Wait(ctx context.Context, chat string) error {
	for {
		l.mu.Lock()
		now := l.now()
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
		t := time.NewTimer(at.Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Sent restarts a chat's interval when the send to it has completed. Measured from the start
// alone, two sends could reach the platform closer together than PerChat when the first was
// slow on the way; one worker sends to a chat at a time, so the interval between the end of one
// and the start of the next is what the platform sees at least.
func (l *Limiter) Sent(chat string) {
	if l.perChat <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if next := l.now().Add(l.perChat); next.After(l.chats[chat]) {
		l.chats[chat] = next
	}
}

// Pause holds every send back for d, as the platform asked (Telegram's retry_after).
func (l *Limiter) Pause(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if until := l.now().Add(d); until.After(l.paused) {
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
