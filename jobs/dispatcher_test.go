package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"windowbot/bot"
	"windowbot/flows/state"
	"windowbot/internal/testenv"
	"windowbot/jobs"
	"windowbot/models"
)

// metricValue returns the value of the sample of name whose labels include want.
func metricValue(t testing.TB, reg *prometheus.Registry, name string, want map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if labels[k] != v {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				total += m.Counter.GetValue()
			case m.Gauge != nil:
				total += m.Gauge.GetValue()
			}
		}
	}
	return total
}

func TestQuietHours(t *testing.T) {
	q, err := jobs.ParseQuietHours("21:00-08:00", testenv.Shanghai)
	if err != nil {
		t.Fatal(err)
	}
	day := func(d, h, m int) time.Time { return time.Date(2026, 12, d, h, m, 0, 0, testenv.Shanghai) }
	for _, tt := range []struct {
		at    time.Time
		quiet bool
		until time.Time
	}{
		{day(31, 20, 59), false, time.Time{}},
		{day(31, 21, 0), true, time.Date(2027, 1, 1, 8, 0, 0, 0, testenv.Shanghai)}, // across the new year
		{day(31, 23, 59), true, time.Date(2027, 1, 1, 8, 0, 0, 0, testenv.Shanghai)},
		{day(30, 7, 59), true, day(30, 8, 0)},
		{day(30, 8, 0), false, time.Time{}},
		{day(30, 12, 0), false, time.Time{}},
		// The same instant seen from UTC is still judged in the hall's zone.
		{time.Date(2026, 12, 30, 13, 30, 0, 0, time.UTC), true, day(31, 8, 0)},
	} {
		until, quiet := q.Until(tt.at)
		if quiet != tt.quiet || !until.Equal(tt.until) {
			t.Errorf("Until(%s) = %s, %v; want %s, %v", tt.at, until, quiet, tt.until, tt.quiet)
		}
	}
	day2, _ := jobs.ParseQuietHours("12:00-13:30", testenv.Shanghai)
	if _, quiet := day2.Until(day(1, 13, 29)); !quiet {
		t.Error("12:00-13:30 not quiet at 13:29")
	}
	none, _ := jobs.ParseQuietHours("", testenv.Shanghai)
	if _, quiet := none.Until(day(1, 23, 0)); quiet {
		t.Error("no quiet hours, but quiet")
	}
	for _, bad := range []string{"21-08", "25:00-08:00", "21:00-08:60", "night"} {
		if _, err := jobs.ParseQuietHours(bad, testenv.Shanghai); err == nil {
			t.Errorf("ParseQuietHours(%q) accepted", bad)
		}
	}
}

func TestRetryPolicyDelay(t *testing.T) {
	r := jobs.RetryPolicy{Base: 10 * time.Second, Cap: time.Minute, MaxAttempts: 8}
	want := []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, time.Minute, time.Minute}
	for i, w := range want {
		if got := r.Delay(i + 1); got != w {
			t.Errorf("Delay(%d) = %s, want %s", i+1, got, w)
		}
	}
}

// TestLimiter checks the in-process pace on an injected clock, which moves only when the
// limiter sleeps: every grant comes at exactly the time the limits allow.
func TestLimiter(t *testing.T) {
	ctx := ctxT(t)
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, testenv.Shanghai)
	t.Run("overall", func(t *testing.T) {
		clk := newClock(t0)
		l := jobs.NewLimiter(100, 0, jobs.WithClock(clk.Now, clk.Sleep))
		for i := range 20 {
			if err := l.Wait(ctx, fmt.Sprint("chat", i)); err != nil {
				t.Fatal(err)
			}
			// 100/s: the first at once, each next one 10ms after the one before.
			if got, want := clk.Now().Sub(t0), time.Duration(i)*10*time.Millisecond; got != want {
				t.Fatalf("message %d granted at +%s, want +%s", i, got, want)
			}
		}
		// After an idle spell the pace starts afresh: no burst of saved-up slots.
		clk.Add(time.Second)
		idle := clk.Now()
		for i := range 3 {
			if err := l.Wait(ctx, "after"); err != nil {
				t.Fatal(err)
			}
			if got, want := clk.Now().Sub(idle), time.Duration(i)*10*time.Millisecond; got != want {
				t.Errorf("after idling, message %d granted at +%s, want +%s", i, got, want)
			}
		}
	})
	t.Run("overall concurrent", func(t *testing.T) {
		// Real time, lower bound only: concurrent waiters never share a slot.
		l := jobs.NewLimiter(100, 0)
		start := time.Now()
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range 5 {
					if err := l.Wait(ctx, fmt.Sprint(i, j)); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		// 20 messages at 100/s: the first goes at once, the other 19 each 10ms apart.
		if el := time.Since(start); el < 190*time.Millisecond {
			t.Errorf("20 messages at 100/s took %s, want at least 190ms", el)
		}
	})
	t.Run("per chat", func(t *testing.T) {
		clk := newClock(t0)
		l := jobs.NewLimiter(0, 100*time.Millisecond, jobs.WithClock(clk.Now, clk.Sleep))
		at := func() time.Duration { return clk.Now().Sub(t0) }
		for i := range 3 {
			if err := l.Wait(ctx, "a"); err != nil {
				t.Fatal(err)
			}
			if got, want := at(), time.Duration(i)*100*time.Millisecond; got != want {
				t.Errorf("message %d to one chat granted at +%s, want +%s", i, got, want)
			}
		}
		// The interval restarts when the send completes (a slow send must not shorten it).
		if err := l.Wait(ctx, "c"); err != nil || at() != 200*time.Millisecond {
			t.Fatalf("first message to another chat at +%s, %v; want at once", at(), err)
		}
		clk.Add(60 * time.Millisecond) // the send takes 60ms
		l.Sent(ctx, "c")
		if err := l.Wait(ctx, "c"); err != nil || at() != 360*time.Millisecond {
			t.Errorf("next message to c at +%s, %v; want 100ms after the previous completed (+360ms)", at(), err)
		}
		// Another chat is not held up.
		if err := l.Wait(ctx, "b"); err != nil || at() != 360*time.Millisecond {
			t.Errorf("other chat granted at +%s, %v; want at once (+360ms)", at(), err)
		}
	})
	t.Run("pause", func(t *testing.T) {
		clk := newClock(t0)
		l := jobs.NewLimiter(0, 0, jobs.WithClock(clk.Now, clk.Sleep))
		l.Pause(ctx, 150*time.Millisecond)
		l.Pause(ctx, 50*time.Millisecond) // a shorter pause does not cut the longer one
		if err := l.Wait(ctx, "a"); err != nil || clk.Now().Sub(t0) != 150*time.Millisecond {
			t.Errorf("granted at +%s during a 150ms pause, %v", clk.Now().Sub(t0), err)
		}
	})
	t.Run("cancel counts nothing", func(t *testing.T) {
		clk := newClock(t0)
		l := jobs.NewLimiter(100, 0, jobs.WithClock(clk.Now, clk.Sleep))
		if err := l.Wait(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := l.Wait(cctx, "b"); !errors.Is(err, context.Canceled) {
			t.Fatalf("Wait with an ended ctx = %v", err)
		}
		if err := l.Wait(ctx, "c"); err != nil || clk.Now().Sub(t0) != 10*time.Millisecond {
			t.Errorf("next message at +%s, %v; want the slot the cancelled wait did not take (+10ms)", clk.Now().Sub(t0), err)
		}
	})
	t.Run("cancel during a pause", func(t *testing.T) {
		l := jobs.NewLimiter(0, 0)
		l.Pause(ctx, time.Hour)
		cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		if err := l.Wait(cctx, "a"); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Wait during a pause with a short ctx = %v", err)
		}
	})
}

// TestDispatcherOutcomes runs every kind of push through the pipeline with an injected clock:
// delivered, recipient gone, refused, retried with backoff, exhausted, asked to wait, quiet
// hours, unsubscribed, no sender for the channel.
func TestDispatcherOutcomes(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		if err := s.SeedDemo(ctx); err != nil {
			t.Fatal(err)
		}
		// 22:30 on a Monday in the hall: quiet hours for staff.
		t0 := time.Date(2026, 11, 23, 22, 30, 0, 0, testenv.Shanghai)
		clk := newClock(t0)
		var (
			ok        = citizen(t, s, bot.Telegram, "ok")
			gone      = citizen(t, s, bot.Telegram, "blocked")
			perm      = citizen(t, s, bot.Telegram, "perm")
			flaky     = citizen(t, s, bot.Telegram, "flaky")
			broken    = citizen(t, s, bot.Telegram, "broken")
			slow      = citizen(t, s, bot.Telegram, "slow")
			fan       = citizen(t, s, bot.Telegram, "fan")
			bystander = citizen(t, s, bot.Telegram, "bystander")
			wx        = citizen(t, s, bot.WeChat, "openid")
			staff     = staffAccount(t, s, bot.Telegram, "staff", "DEMO-001")
		)
		if err := s.SetSubscribed(ctx, fan.ID, true, t0); err != nil {
			t.Fatal(err)
		}
		star := func(key string, c *models.Citizen) *models.Push {
			p := push(key, c)
			p.Kind = "monthly_star"
			return p
		}
		urgent := push("staff-urgent", staff)
		urgent.Urgent = true
		enqueue(t, s, t0,
			push("ok", ok), push("gone-1", gone), push("gone-2", gone), push("perm", perm),
			push("flaky", flaky), push("broken", broken), push("slow", slow),
			star("star-fan", fan), star("star-bystander", bystander), star("star-staff", staff),
			push("wechat", wx), push("staff-normal", staff), urgent)

		sender := newRecorder(func(to bot.Recipient, msg bot.Reply, n int) error {
			switch to.ChatID {
			case "blocked":
				return fmt.Errorf("telegram: forbidden: %w", bot.ErrRecipientGone)
			case "perm":
				return fmt.Errorf("telegram: bad request: %w", bot.ErrPermanent)
			case "flaky":
				if n <= 2 {
					return errors.New("telegram: connection reset")
				}
			case "broken":
				return errors.New("telegram: 502")
			case "slow":
				if n == 1 {
					return &bot.RetryAfterError{After: 2 * time.Second, Err: errors.New("429")}
				}
			}
			return nil
		})
		reg := prometheus.NewRegistry()
		quiet, _ := jobs.ParseQuietHours("21:00-08:00", testenv.Shanghai)
		d := jobs.NewDispatcher(jobs.DispatcherOptions{
			Outbox: s, Senders: jobs.Senders{bot.Telegram: sender}, Now: clk.Now, Quiet: quiet,
			Announcements: []string{"monthly_star"}, Metrics: jobs.NewMetrics(reg, s, testenv.Logger()),
			Retry:  jobs.RetryPolicy{Base: time.Minute, Cap: 2 * time.Minute, MaxAttempts: 3},
			Logger: testenv.Logger(), Workers: 3,
		})
		drain(t, ctx, d)
		want := func(key, state string, attempts int, reason string) {
			t.Helper()
			p := pushByKey(t, s, key)
			if p.State != state || p.Attempts != attempts || !strings.Contains(p.LastError, reason) || p.Lease != "" {
				t.Errorf("%s: state %s, attempts %d, last error %q, lease %q; want %s, %d, %q", key, p.State, p.Attempts, p.LastError, p.Lease, state, attempts, reason)
			}
		}
		want("ok", models.PushSent, 1, "")
		want("gone-1", models.PushDropped, 1, "recipient gone")
		want("gone-2", models.PushDropped, 1, "recipient gone")
		want("perm", models.PushFailed, 1, "permanent")
		want("flaky", models.PushQueued, 1, "connection reset")
		want("slow", models.PushQueued, 1, "retry after")
		want("star-fan", models.PushSent, 1, "")
		want("star-bystander", models.PushDropped, 0, "unsubscribed")
		want("star-staff", models.PushQueued, 0, "quiet hours")
		want("staff-normal", models.PushQueued, 0, "quiet hours")
		want("staff-urgent", models.PushSent, 1, "")
		want("wechat", models.PushFailed, 0, "no sender")
		if p := pushByKey(t, s, "staff-normal"); !p.NotBefore.Equal(time.Date(2026, 11, 24, 8, 0, 0, 0, testenv.Shanghai)) {
			t.Errorf("staff push held until %s, want 08:00 next morning", p.NotBefore.In(testenv.Shanghai))
		}
		if p := pushByKey(t, s, "slow"); !p.NotBefore.Equal(t0.Add(2 * time.Second)) {
			t.Errorf("429 push due %s, want retry_after later", p.NotBefore.In(testenv.Shanghai))
		}
		var g models.Citizen
		testenv.DB(t, s).First(&g, gone.ID)
		if !g.Inactive {
			t.Error("blocked chat not marked inactive")
		}

		clk.Add(2 * time.Second)
		drain(t, ctx, d)
		want("slow", models.PushSent, 2, "")
		clk.Set(t0.Add(time.Minute))
		drain(t, ctx, d)
		want("flaky", models.PushQueued, 2, "connection reset")
		want("broken", models.PushQueued, 2, "502")
		if p := pushByKey(t, s, "flaky"); !p.NotBefore.Equal(t0.Add(3 * time.Minute)) {
			t.Errorf("second retry due %s, want base·2 later", p.NotBefore.In(testenv.Shanghai))
		}
		clk.Set(t0.Add(3 * time.Minute))
		drain(t, ctx, d)
		want("flaky", models.PushSent, 3, "")
		want("broken", models.PushFailed, 3, "gave up after 3 attempts")

		// A push to the blocked chat queued later is dropped without calling the platform.
		enqueue(t, s, clk.Now(), push("gone-3", gone))
		drain(t, ctx, d)
		want("gone-3", models.PushDropped, 0, "inactive")
		if n := sender.calls["text of gone-3"]; n != 0 {
			t.Errorf("blocked chat called %d times for a later push", n)
		}

		clk.Set(time.Date(2026, 11, 24, 8, 0, 0, 0, testenv.Shanghai))
		drain(t, ctx, d)
		want("staff-normal", models.PushSent, 1, "")
		want("star-staff", models.PushSent, 1, "")

		for _, c := range []struct {
			name string
			kind string
			want float64
		}{
			{"windowbot_pushes_sent_total", "test", 5},
			{"windowbot_pushes_sent_total", "monthly_star", 2},
			{"windowbot_pushes_failed_total", "test", 3},
			{"windowbot_pushes_dropped_total", "test", 3},
			{"windowbot_pushes_dropped_total", "monthly_star", 1},
			{"windowbot_pushes_retried_total", "test", 5},
			{"windowbot_pushes_held_total", "", 2},
		} {
			labels := map[string]string{}
			if c.kind != "" {
				labels["kind"] = c.kind
			}
			if got := metricValue(t, reg, c.name, labels); got != c.want {
				t.Errorf("%s{kind=%q} = %v, want %v", c.name, c.kind, got, c.want)
			}
		}
		if dupes := sender.dupes(); len(dupes) > 0 {
			t.Errorf("sent twice: %v", dupes)
		}
		if got := metricValue(t, reg, "windowbot_pushes_queued", nil); got != 0 {
			t.Errorf("queued gauge = %v, want 0", got)
		}
	})
}

// TestDispatcherCancelMidBatch stops the dispatcher in the middle of a batch and starts a new
// one: no push is lost and none is sent twice except one that was in flight.
func TestDispatcherCancelMidBatch(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		now := time.Now()
		var ps []*models.Push
		for i := range 300 {
			c := citizen(t, s, bot.Telegram, fmt.Sprint("chat", i%60))
			ps = append(ps, push(fmt.Sprint("p", i), c))
		}
		enqueue(t, s, now, ps...)
		sender := newRecorder(nil)
		sender.delay = time.Millisecond
		opts := jobs.DispatcherOptions{
			Outbox: s, Senders: jobs.Senders{bot.Telegram: sender}, Logger: testenv.Logger(),
			Limits:  map[bot.Platform]jobs.Pacer{bot.Telegram: jobs.NewLimiter(1000, 0)},
			Workers: 4, Batch: 100, Poll: 10 * time.Millisecond,
		}
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- jobs.NewDispatcher(opts).Run(runCtx) }()
		testenv.WaitFor(t, time.Minute, "the first 50 of 300 pushes sent", func() bool { return sender.total() >= 50 })
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		first := sender.total()
		st := statesOf(t, s)
		if first >= 300 || st[models.PushSent]+st[models.PushQueued] != 300 {
			t.Fatalf("after stop: %d sent, states %v", first, st)
		}
		// The stopped dispatcher released its claims: all left are due now, none leased.
		var leased int64
		testenv.DB(t, s).Model(&models.Push{}).Where("lease <> '' OR (state = ? AND not_before > ?)", models.PushQueued, time.Now().UTC()).Count(&leased)
		if leased != 0 {
			t.Errorf("%d pushes still leased after a graceful stop", leased)
		}
		if st[models.PushSent] != first {
			t.Errorf("recorded sent %d, platform got %d: a delivered push was not recorded", st[models.PushSent], first)
		}

		ctx2, cancel2 := context.WithCancel(ctx)
		defer cancel2()
		go func() { done <- jobs.NewDispatcher(opts).Run(ctx2) }()
		testenv.WaitFor(t, time.Minute, "the restarted dispatcher to send all 300 pushes", func() bool { return statesOf(t, s)[models.PushSent] >= 300 })
		cancel2()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if st := statesOf(t, s); st[models.PushSent] != 300 {
			t.Fatalf("after restart: states %v, want 300 sent", st)
		}
		if n := sender.total(); n != 300 {
			t.Errorf("platform got %d messages for 300 pushes (duplicates %v)", n, sender.dupes())
		}
		t.Logf("stopped after %d of 300, restart sent the rest", first)
	})
}

// stopDuringClaim is an outbox whose claim commits and then sees the dispatcher stopped, as when
// a shutdown lands between the claim's update and its reply: the driver reports the context's
// error although the rows are leased.
type stopDuringClaim struct {
	*models.Store
	stop    context.CancelFunc
	stopped atomic.Bool
}

func (o *stopDuringClaim) ClaimPushes(ctx context.Context, now time.Time, lease time.Duration, token string, limit int) ([]models.Push, error) {
	ps, err := o.Store.ClaimPushes(context.WithoutCancel(ctx), now, lease, token, limit)
	if len(ps) > 0 && o.stopped.CompareAndSwap(false, true) {
		o.stop()
		<-time.After(10 * time.Millisecond)
	}
	if err == nil && ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return ps, err
}

// TestDispatcherStopDuringClaim: a batch claimed as the dispatcher stops is given back at once,
// not left leased to nobody until the lease runs out.
func TestDispatcherStopDuringClaim(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		c := citizen(t, s, bot.Telegram, "claim-1")
		var ps []*models.Push
		for i := range 5 {
			ps = append(ps, push(fmt.Sprint("c", i), c))
		}
		enqueue(t, s, time.Now(), ps...)
		runCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		outbox := &stopDuringClaim{Store: s, stop: cancel}
		sender := newRecorder(nil)
		d := jobs.NewDispatcher(jobs.DispatcherOptions{
			Outbox: outbox, Senders: jobs.Senders{bot.Telegram: sender}, Logger: testenv.Logger(),
			Lease: time.Hour, Poll: 10 * time.Millisecond,
		})
		if err := d.Run(runCtx); err != nil {
			t.Fatal(err)
		}
		if !outbox.stopped.Load() {
			t.Fatal("the dispatcher never claimed the batch")
		}
		var leased int64
		testenv.DB(t, s).Model(&models.Push{}).Where("lease <> '' OR not_before > ?", time.Now().UTC()).Count(&leased)
		if leased != 0 {
			t.Errorf("%d of 5 pushes left leased (for the hour's lease) after a stop during the claim", leased)
		}
		if st := statesOf(t, s); st[models.PushQueued]+st[models.PushSent] != 5 || st[models.PushSent] != sender.total() {
			t.Errorf("states %v, platform got %d", st, sender.total())
		}
	})
}

// TestDispatcherCrashAfterSend covers a dispatcher that died holding a lease: its pushes are
// claimed again once the lease ends, and one it had delivered (the sent log says so) is recorded
// without a second send.
func TestDispatcherCrashAfterSend(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, testenv.Shanghai)
		c := citizen(t, s, bot.Telegram, "42")
		enqueue(t, s, t0, push("a", c), push("b", c), push("c", c))
		// The dead dispatcher claimed all three and delivered "a" before dying.
		if _, err := s.ClaimPushes(ctx, t0, 5*time.Minute, "dead", 10); err != nil {
			t.Fatal(err)
		}
		marks := state.NewMemory(nil)
		if _, err := marks.Claim(ctx, "push:sent:a", time.Hour); err != nil {
			t.Fatal(err)
		}
		sender := newRecorder(nil)
		clk := newClock(t0.Add(time.Minute))
		d := jobs.NewDispatcher(jobs.DispatcherOptions{Outbox: s, Senders: jobs.Senders{bot.Telegram: sender}, Marks: marks, Now: clk.Now, Logger: testenv.Logger()})
		if n, err := d.RunOnce(ctx); n != 0 || err != nil {
			t.Fatalf("claimed %d leased pushes before the lease ended (%v)", n, err)
		}
		clk.Set(t0.Add(5*time.Minute + time.Second))
		if n, err := d.RunOnce(ctx); n != 3 || err != nil {
			t.Fatalf("claimed %d after the lease, %v; want 3", n, err)
		}
		if st := statesOf(t, s); st[models.PushSent] != 3 {
			t.Errorf("states %v", st)
		}
		if sender.count("text of a") != 0 || sender.count("text of b") != 1 || sender.count("text of c") != 1 {
			t.Errorf("sent %v; want b and c once, a not again", sender.sent)
		}
	})
}

// Two dispatchers on one database send every push exactly once.
func TestDispatcherTwoReplicas(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		var ps []*models.Push
		for i := range 400 {
			ps = append(ps, push(fmt.Sprint("p", i), citizen(t, s, bot.Telegram, fmt.Sprint(i%97))))
		}
		enqueue(t, s, time.Now(), ps...)
		sender := newRecorder(nil)
		var wg sync.WaitGroup
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d := jobs.NewDispatcher(jobs.DispatcherOptions{Outbox: s, Senders: jobs.Senders{bot.Telegram: sender}, Logger: testenv.Logger(), Batch: 25, Workers: 4})
				if err := drainRounds(ctx, d, 400); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if n := sender.total(); n != 400 || len(sender.dupes()) > 0 {
			t.Errorf("sent %d, duplicates %v", n, sender.dupes())
		}
		if st := statesOf(t, s); st[models.PushSent] != 400 {
			t.Errorf("states %v", st)
		}
	})
}

// One chat's pushes go out in the order they were queued.
func TestDispatcherKeepsChatOrder(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		c := citizen(t, s, bot.Telegram, "1")
		var ps []*models.Push
		for i := range 20 {
			ps = append(ps, push(fmt.Sprintf("p%02d", i), c))
		}
		enqueue(t, s, time.Now(), ps...)
		var mu sync.Mutex
		var got []string
		sender := bot.Sender(senderFunc(func(_ context.Context, _ bot.Recipient, msg bot.Reply) error {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, strings.TrimPrefix(msg.Text, "text of "))
			return nil
		}))
		d := jobs.NewDispatcher(jobs.DispatcherOptions{Outbox: s, Senders: jobs.Senders{bot.Telegram: sender}, Logger: testenv.Logger(), Batch: 7})
		drain(t, ctx, d)
		if len(got) != 20 {
			t.Fatalf("sent %d of 20: %v", len(got), got)
		}
		for i, k := range got {
			if k != fmt.Sprintf("p%02d", i) {
				t.Fatalf("order %v", got)
			}
		}
	})
}

type senderFunc func(ctx context.Context, to bot.Recipient, msg bot.Reply) error

func (f senderFunc) Send(ctx context.Context, to bot.Recipient, msg bot.Reply) error {
	return f(ctx, to, msg)
}
