package state

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestRedisPace checks the shared pace's steps on the Redis server's clock. The intervals are
// long, so the few milliseconds between two calls never matter.
func TestRedisPace(t *testing.T) {
	r := openTestRedis(t)
	ctx := context.Background()
	const key = "telegram:42"
	take := func(chat string, interval, perChat time.Duration) (time.Duration, bool) {
		t.Helper()
		w, ok, err := r.TakeSlot(ctx, key, chat, interval, perChat)
		if err != nil {
			t.Fatal(err)
		}
		return w, ok
	}

	t.Run("slots follow each other", func(t *testing.T) {
		for i := range 3 {
			w, ok := take("s"+string(rune('a'+i)), 10*time.Second, 0)
			lo, hi := time.Duration(i)*10*time.Second-time.Second, time.Duration(i)*10*time.Second
			if !ok || w > hi || w < max(lo, 0) {
				t.Errorf("slot %d: wait %s, %v; want about %s", i, w, ok, hi)
			}
		}
		if err := r.Delete(ctx, "pace:{"+key+"}:next"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("concurrent takers get distinct slots", func(t *testing.T) {
		var (
			mu    sync.Mutex
			waits []time.Duration
			wg    sync.WaitGroup
		)
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w, ok, err := r.TakeSlot(ctx, key, string(rune('A'+i)), time.Minute, 0)
				if err != nil || !ok {
					t.Error(err, ok)
				}
				mu.Lock()
				waits = append(waits, w)
				mu.Unlock()
			}()
		}
		wg.Wait()
		seen := map[int]bool{}
		for _, w := range waits {
			n := int((w + 30*time.Second) / time.Minute) // the slot's number
			if seen[n] {
				t.Fatalf("two takers got slot %d: %v", n, waits)
			}
			seen[n] = true
		}
		if err := r.Delete(ctx, "pace:{"+key+"}:next"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("per chat", func(t *testing.T) {
		if w, ok := take("c1", 0, 10*time.Second); !ok || w != 0 {
			t.Fatalf("first message to c1: wait %s, %v", w, ok)
		}
		w, ok := take("c1", 0, 10*time.Second)
		if ok || w <= 9*time.Second || w > 10*time.Second {
			t.Errorf("second message to c1: wait %s, granted %v; want refused for about 10s", w, ok)
		}
		if w, ok := take("c2", 0, 10*time.Second); !ok || w != 0 {
			t.Errorf("another chat: wait %s, %v; want at once", w, ok)
		}
		// A completed send restarts the interval; an earlier time never shortens it.
		if err := r.ChatSent(ctx, key, "c2", 20*time.Second); err != nil {
			t.Fatal(err)
		}
		if err := r.ChatSent(ctx, key, "c2", time.Second); err != nil {
			t.Fatal(err)
		}
		if w, ok := take("c2", 0, 10*time.Second); ok || w <= 19*time.Second {
			t.Errorf("c2 after ChatSent: wait %s, %v; want refused for about 20s", w, ok)
		}
	})
	t.Run("pause", func(t *testing.T) {
		if d, err := r.PausedFor(ctx, key); err != nil || d != 0 {
			t.Fatalf("PausedFor before a pause = %s, %v", d, err)
		}
		if err := r.PauseFor(ctx, key, 30*time.Second); err != nil {
			t.Fatal(err)
		}
		if err := r.PauseFor(ctx, key, time.Second); err != nil { // does not shorten it
			t.Fatal(err)
		}
		if d, err := r.PausedFor(ctx, key); err != nil || d <= 29*time.Second || d > 30*time.Second {
			t.Errorf("PausedFor = %s, %v; want about 30s", d, err)
		}
		if w, ok := take("p", 0, 0); ok || w <= 29*time.Second {
			t.Errorf("slot during a pause: wait %s, %v; want refused for about 30s", w, ok)
		}
	})
	t.Run("keys are prefixed and expire", func(t *testing.T) {
		keys, err := r.Client().Keys(ctx, r.Prefix()+"pace:{"+key+"}:*").Result()
		if err != nil || len(keys) == 0 {
			t.Fatalf("pace keys %v, %v", keys, err)
		}
		for _, k := range keys {
			if ttl, err := r.Client().PTTL(ctx, k).Result(); err != nil || ttl <= 0 {
				t.Errorf("%s: ttl %s, %v", k, ttl, err)
			}
		}
	})
}
