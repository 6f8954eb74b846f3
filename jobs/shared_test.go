package jobs_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"windowbot/bot"
	"windowbot/flows/state"
	"windowbot/internal/testenv"
	"windowbot/jobs"
	"windowbot/models"
)

// paceStores returns n Redis state stores sharing one key prefix of this test's own: the
// connections of n replicas.
func paceStores(t testing.TB, n int) []*state.Redis {
	t.Helper()
	url, prefix := testenv.RedisURL(t), testenv.KeyPrefix(t)
	var out []*state.Redis
	for range n {
		r, err := state.OpenRedis(context.Background(), url, prefix)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		if keys, _ := out[0].Client().Keys(ctx, prefix+"*").Result(); len(keys) > 0 {
			out[0].Client().Del(ctx, keys...)
		}
		for _, r := range out {
			r.Close()
		}
	})
	return out
}

// TestSharedLimiter: limiters of two replicas drawing on one pace keep the limits together.
// Real time, so only lower bounds are checked: nothing went out sooner than the limits allow.
func TestSharedLimiter(t *testing.T) {
	ctx := ctxT(t)
	t.Run("overall", func(t *testing.T) {
		rs := paceStores(t, 2)
		start := time.Now()
		var wg sync.WaitGroup
		for i, r := range rs {
			l := jobs.NewSharedLimiter(r, "telegram:1", 50, 0, testenv.Logger())
			for w := range 3 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for j := range 10 {
						if err := l.Wait(ctx, fmt.Sprint(i, w, j)); err != nil {
							t.Error(err)
						}
					}
				}()
			}
		}
		wg.Wait()
		// 60 messages at 50/s between both: 59 intervals of 20ms. Each alone would have
		// allowed its 30 in 580ms.
		if el := time.Since(start); el < 59*20*time.Millisecond {
			t.Errorf("60 messages at a shared 50/s took %s, want at least 1.18s", el)
		}
	})
	t.Run("per chat and pause", func(t *testing.T) {
		rs := paceStores(t, 2)
		a := jobs.NewSharedLimiter(rs[0], "telegram:1", 0, 300*time.Millisecond, testenv.Logger())
		b := jobs.NewSharedLimiter(rs[1], "telegram:1", 0, 300*time.Millisecond, testenv.Logger())
		if err := a.Wait(ctx, "x"); err != nil {
			t.Fatal(err)
		}
		a.Sent(ctx, "x")
		start := time.Now()
		if err := b.Wait(ctx, "x"); err != nil {
			t.Fatal(err)
		}
		if el := time.Since(start); el < 250*time.Millisecond {
			t.Errorf("the other replica sent to the same chat after %s, want the chat's 300ms", el)
		}
		a.Pause(ctx, 300*time.Millisecond)
		start = time.Now()
		if err := b.Wait(ctx, "y"); err != nil {
			t.Fatal(err)
		}
		if el := time.Since(start); el < 250*time.Millisecond {
			t.Errorf("the other replica sent %s into a 300ms pause", el)
		}
	})
	t.Run("without redis it paces alone", func(t *testing.T) {
		broken, err := state.OpenRedis(ctx, testenv.RedisURL(t), testenv.KeyPrefix(t))
		if err != nil {
			t.Fatal(err)
		}
		broken.Close() // every call now fails
		l := jobs.NewSharedLimiter(broken, "telegram:1", 50, 0, testenv.Logger())
		start := time.Now()
		for i := range 11 {
			if err := l.Wait(ctx, fmt.Sprint(i)); err != nil {
				t.Fatalf("Wait without redis: %v", err)
			}
		}
		l.Sent(ctx, "0")
		l.Pause(ctx, time.Millisecond)
		if el := time.Since(start); el < 10*20*time.Millisecond {
			t.Errorf("11 messages at 50/s without redis took %s, want at least 200ms", el)
		}
	})
}

// TestTwoReplicasShareTelegramPace runs two dispatchers, each with its own connections to one
// PostgreSQL and one Redis and its own Telegram adapter, against a fake Bot API that allows 30
// messages a second (a bucket of 5) and one a second per chat, as Telegram does. Each paces at
// the full 30/s, which alone would be twice the limit together: drawing on one shared pace,
// they get no 429 and deliver every push exactly once.
func TestTwoReplicasShareTelegramPace(t *testing.T) {
	ctx := ctxT(t)
	url := testenv.PostgresURL(t)
	stores := []*models.Store{openStore(t, url), openStore(t, url)}
	rs := paceStores(t, 2)
	// A bucket of 10 lets requests that a stalled, loaded test machine releases together arrive
	// at once (up to ~330 ms of stall); two replicas pacing alone would send 60/s and meet the
	// limit within half a second of starting.
	api := newFakeBotAPI(t, 30, 10, time.Second)

	const chats, each = 60, 2
	var ps []*models.Push
	for i := range chats {
		c := citizen(t, stores[0], bot.Telegram, strconv.Itoa(20000+i))
		for j := range each {
			ps = append(ps, push(fmt.Sprintf("p%d-%d", i, j), c))
		}
	}
	// Round robin, as a job queues them: a chat's second push lands in a later batch, often
	// the other replica's, so the per-chat interval must hold across replicas too.
	for j := range each {
		var round []*models.Push
		for i := range chats {
			round = append(round, ps[i*each+j])
		}
		enqueue(t, stores[0], time.Now(), round...)
	}

	var sent [2]atomic.Int32
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 2)
	for i := range 2 {
		tg := api.adapter(t)
		counting := senderFunc(func(ctx context.Context, to bot.Recipient, msg bot.Reply) error {
			err := tg.Send(ctx, to, msg)
			if err == nil {
				sent[i].Add(1)
			}
			return err
		})
		d := jobs.NewDispatcher(jobs.DispatcherOptions{
			Outbox: stores[i], Senders: jobs.Senders{bot.Telegram: counting}, Marks: rs[i], Logger: testenv.Logger(),
			Limits: map[bot.Platform]jobs.Pacer{bot.Telegram: jobs.NewSharedLimiter(rs[i], "telegram:4242", 30, time.Second, testenv.Logger())},
			Batch:  16, Workers: 4, Poll: 20 * time.Millisecond,
			Retry: jobs.RetryPolicy{Base: 50 * time.Millisecond, Cap: time.Second, MaxAttempts: 5},
		})
		go func() { done <- d.Run(runCtx) }()
	}
	waitSettled(t, stores[0], 2*time.Minute)
	cancel()
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}

	delivered, limited, _, span := api.stats()
	if delivered != chats*each || limited != 0 {
		t.Errorf("delivered %d of %d, 429 for breaking the limits %d (want none): %v", delivered, chats*each, limited, api.why)
	}
	for chat, msgs := range api.delivered {
		if len(msgs) != each || msgs[0] == msgs[1] {
			t.Errorf("chat %s got %v, want its %d pushes once each", chat, msgs, each)
		}
	}
	if st := statesOf(t, stores[0]); st[models.PushSent] != chats*each {
		t.Errorf("states %v", st)
	}
	if sent[0].Load() == 0 || sent[1].Load() == 0 {
		t.Errorf("replicas sent %d and %d: both should have taken part", sent[0].Load(), sent[1].Load())
	}
	// The shared pace hands out a slot every 1/30 s with no burst: 120 messages take at least
	// 119/30 s; the bound leaves a few slots for arrivals that jitter late and early.
	if least := time.Duration(chats*each-5) * time.Second / 30; span < least {
		t.Errorf("first to last delivery %s, faster than 30/s allows (%s)", span, least)
	}
	t.Logf("replicas sent %d and %d in %s", sent[0].Load(), sent[1].Load(), span.Round(time.Millisecond))
}
