package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"windowbot/bot"
	"windowbot/models"
)

// Outbox is the dispatcher's view of the push table; *models.Store implements it.
type Outbox interface {
	ClaimPushes(ctx context.Context, now time.Time, lease time.Duration, token string, limit int) ([]models.Push, error)
	SettlePush(ctx context.Context, p *models.Push, token string, now time.Time, st models.PushSettlement) error
}

var _ Outbox = (*models.Store)(nil)

// Pictures loads the picture a push carries (models.Push.PictureHash); *models.Store implements
// it.
type Pictures interface {
	Picture(ctx context.Context, hash string) (*models.Picture, error)
}

var _ Pictures = (*models.Store)(nil)

// DispatcherOptions configures a Dispatcher. Zero values take the defaults noted.
type DispatcherOptions struct {
	Outbox  Outbox
	Senders Senders
	// Pictures loads the pictures pushes carry; nil takes the Outbox when it can (a
	// *models.Store), else pushes go as their text alone.
	Pictures Pictures
	// Limits paces each platform (a Limiter for one replica, a SharedLimiter for several); a
	// platform without one is not paced.
	Limits map[bot.Platform]Pacer
	// Marks holds the sent log (shared by replicas through Redis); nil keeps none.
	Marks   Marks
	Metrics *Metrics
	Logger  *slog.Logger
	// Now is the clock of due times, leases and quiet hours (default time.Now).
	Now   func() time.Time
	Quiet QuietHours
	// Lang is the language of recipients who never said theirs, Location the hall's zone: the
	// messages queued as data are worded in them when sent (Renderer).
	Lang     string
	Location *time.Location
	// Announcements lists the kinds citizens get only while subscribed.
	Announcements []string
	Retry         RetryPolicy
	// Workers send in parallel (default 8); pushes to one chat always go through one worker, in
	// order.
	Workers int
	// Batch is how many pushes are claimed at once (default 64).
	Batch int
	// Lease is how long a claimed push is reserved for this dispatcher (default 5m); it must
	// exceed the time a batch takes, or another replica may send the tail a second time.
	Lease time.Duration
	// Poll is how long to wait for new pushes when the outbox had nothing due (default 1s).
	Poll time.Duration
	// SendTimeout bounds one send (default 30s).
	SendTimeout time.Duration
	// SentTTL is how long the sent log remembers a delivery (default 7 days).
	SentTTL time.Duration
}

// Dispatcher sends the outbox: it claims due pushes in batches and runs each through the
// pipeline mute → dedupe → render → rate limit → send, then records the outcome. A push is
// marked sent only after the platform accepted it. Several dispatchers (replicas) can run
// against one database: each claims its own batches.
type Dispatcher struct {
	o      DispatcherOptions
	stages []Stage
	wake   chan struct{}
}

// NewDispatcher returns a dispatcher; Run starts it.
func NewDispatcher(o DispatcherOptions) *Dispatcher {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Workers <= 0 {
		o.Workers = 8
	}
	if o.Batch <= 0 {
		o.Batch = 64
	}
	if o.Lease <= 0 {
		o.Lease = 5 * time.Minute
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.SendTimeout <= 0 {
		o.SendTimeout = 30 * time.Second
	}
	if o.SentTTL <= 0 {
		o.SentTTL = 7 * 24 * time.Hour
	}
	if o.Retry.MaxAttempts <= 0 {
		o.Retry.MaxAttempts = 8
	}
	if o.Retry.Base <= 0 {
		o.Retry.Base = 10 * time.Second
	}
	if o.Retry.Cap < o.Retry.Base {
		o.Retry.Cap = max(o.Retry.Base, time.Hour)
	}
	if o.Pictures == nil {
		o.Pictures, _ = o.Outbox.(Pictures)
	}
	ann := map[string]bool{}
	for _, k := range o.Announcements {
		ann[k] = true
	}
	d := &Dispatcher{o: o, wake: make(chan struct{}, 1)}
	d.stages = []Stage{
		&MuteStage{Quiet: o.Quiet, Announcements: ann, Now: o.Now},
		&DedupeStage{Marks: o.Marks, Logger: o.Logger},
		&RenderStage{Renderer: Renderer{Lang: o.Lang, Location: o.Location}},
		&LimitStage{Limits: o.Limits},
		&SendStage{Senders: o.Senders, Pictures: newPictureCache(o.Pictures), Limits: o.Limits, Retry: o.Retry, Marks: o.Marks,
			SentTTL: o.SentTTL, Timeout: o.SendTimeout, Now: o.Now, Logger: o.Logger},
	}
	return d
}

// Wake makes a waiting Run look at the outbox now (after a job queued pushes).
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run dispatches until ctx ends. It claims the next batch while the previous one is still being
// sent (at most two batches are held at once), so the platform's pace is kept across batches.
// Pushes claimed but not yet sent when ctx ends are released at once; a send in flight
// completes and is recorded. It returns nil on cancellation.
func (d *Dispatcher) Run(ctx context.Context) error {
	d.o.Logger.InfoContext(ctx, "push dispatcher started", "workers", d.o.Workers, "batch", d.o.Batch)
	var (
		mu       sync.Mutex
		held     int // claimed and not yet settled
		progress = make(chan struct{}, 1)
		wg       sync.WaitGroup
		queues   = make([]chan leased, d.o.Workers)
	)
	for i := range queues {
		queues[i] = make(chan leased, 2*d.o.Batch)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for l := range queues[i] {
				d.deliver(ctx, l.push, l.token)
				mu.Lock()
				held--
				mu.Unlock()
				select {
				case progress <- struct{}{}:
				default:
				}
			}
		}()
	}
	defer func() {
		for _, q := range queues {
			close(q)
		}
		wg.Wait()
	}()

	failures := 0
	for {
		mu.Lock()
		room := 2*d.o.Batch - held
		mu.Unlock()
		var wait time.Duration
		if room < d.o.Batch {
			// Enough in hand: claim again when half of it is done.
			wait = time.Hour
		} else {
			token := newLease()
			pushes, err := d.claim(ctx, token)
			if ctx.Err() != nil && err != nil {
				return nil
			}
			switch {
			case err != nil:
				failures++
				wait = min(d.o.Poll*time.Duration(1<<min(failures, 6)), time.Minute)
				d.o.Logger.WarnContext(ctx, "push dispatcher: claim failed", "error", err, "retry_in", wait)
			case len(pushes) < d.o.Batch:
				failures = 0
				wait = d.o.Poll
			default:
				failures = 0
			}
			mu.Lock()
			held += len(pushes)
			mu.Unlock()
			// Handed to the workers even when ctx just ended: they release them at once, where
			// dropping them here would leave them leased until the lease ran out.
			for _, p := range pushes {
				queues[d.shard(p)] <- leased{push: p, token: token}
			}
			if ctx.Err() != nil {
				return nil
			}
			if wait == 0 {
				continue
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-d.wake:
		case <-progress:
		case <-t.C:
		}
		t.Stop()
	}
}

// leased is a claimed push with its lease.
type leased struct {
	push  models.Push
	token string
}

// shard picks the worker of a push: one chat's pushes always go through one worker, in order,
// so the per-chat pace and the order of a ticket's notices hold.
func (d *Dispatcher) shard(p models.Push) int {
	h := fnv.New32a()
	if p.Citizen != nil {
		h.Write([]byte(p.Citizen.Platform + "\x00" + p.Citizen.ExternalID))
	}
	return int(h.Sum32() % uint32(d.o.Workers))
}

// RunOnce claims one batch of due pushes, delivers it, and returns how many it claimed (tests
// and the command line drive the dispatcher with it).
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	token := newLease()
	pushes, err := d.claim(ctx, token)
	if err != nil || len(pushes) == 0 {
		return 0, err
	}
	queues := make([][]models.Push, d.o.Workers)
	for _, p := range pushes {
		i := d.shard(p)
		queues[i] = append(queues[i], p)
	}
	var wg sync.WaitGroup
	for _, q := range queues {
		if len(q) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, p := range q {
				d.deliver(ctx, p, token)
			}
		}()
	}
	wg.Wait()
	return len(pushes), nil
}

// claim leases the next batch. A claim that has begun is finished even when ctx ends meanwhile:
// a claim cut short between its update and its read would leave the batch leased to nobody until
// the lease ran out, where a finished one goes to the workers, who release it at once.
func (d *Dispatcher) claim(ctx context.Context, token string) ([]models.Push, error) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	return d.o.Outbox.ClaimPushes(cctx, d.o.Now(), d.o.Lease, token, d.o.Batch)
}

// deliver runs one push through the stages and records the outcome.
func (d *Dispatcher) deliver(ctx context.Context, p models.Push, token string) {
	dl := &Delivery{Push: p, Lease: token}
	if p.Citizen != nil {
		dl.To = bot.Recipient{Platform: bot.Platform(p.Citizen.Platform), ChatID: p.Citizen.ExternalID}
	}
	for _, st := range d.stages {
		if ctx.Err() != nil {
			break
		}
		start := time.Now()
		err := st.Exec(ctx, dl)
		if _, ok := st.(*SendStage); ok && dl.Attempted {
			d.o.Metrics.sendTime(string(dl.To.Platform), time.Since(start))
		}
		if err != nil {
			if ctx.Err() == nil {
				d.o.Logger.WarnContext(ctx, "push: stage failed, released", "push_id", p.ID, "error", err)
			}
			break
		}
		if dl.Outcome != outcomePending {
			break
		}
	}
	if dl.Outcome == outcomePending {
		dl.decide(Released, d.o.Now(), "")
	}
	d.record(ctx, dl)
}

// record writes the outcome to the outbox. It runs even when ctx has ended: what happened must
// be written, or a sent push would be sent again after the lease.
func (d *Dispatcher) record(ctx context.Context, dl *Delivery) {
	now := d.o.Now()
	st := models.PushSettlement{Attempted: dl.Attempted, Reason: dl.Reason, Deactivate: dl.Gone}
	switch dl.Outcome {
	case Sent:
		st.State, st.SentAt = models.PushSent, now
		st.Attempted = st.Attempted || dl.Deduped
	case Retry, Held, Released:
		st.State, st.NotBefore = models.PushQueued, dl.Due
	case Failed:
		st.State = models.PushFailed
	case Dropped:
		st.State = models.PushDropped
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	// Built only when something is logged: most pushes are sent and logged by no one.
	log := func() *slog.Logger {
		return d.o.Logger.With("push_id", dl.Push.ID, "kind", dl.Push.Kind, "channel", dl.To.Platform, "citizen_id", dl.Push.CitizenID)
	}
	if err := d.o.Outbox.SettlePush(rctx, &dl.Push, dl.Lease, now, st); err != nil {
		if errors.Is(err, models.ErrLeaseLost) {
			log().WarnContext(ctx, "push: lease ended before the outcome was recorded; another dispatcher has it", "outcome", dl.Outcome)
		} else {
			// The lease will end and the push be claimed again; the sent log keeps a delivered
			// one from going out twice.
			log().ErrorContext(ctx, "push: outcome not recorded", "outcome", dl.Outcome, "error", err)
		}
		return
	}
	d.o.Metrics.outcome(dl)
	switch dl.Outcome {
	case Failed:
		log().WarnContext(ctx, "push failed", "attempts", dl.Push.Attempts+1, "reason", dl.Reason)
	case Dropped:
		log().InfoContext(ctx, "push dropped", "reason", dl.Reason, "recipient_inactive", dl.Gone)
	case Retry:
		log().InfoContext(ctx, "push will be retried", "attempt", dl.Push.Attempts+1, "at", dl.Due, "reason", dl.Reason)
	}
}

func newLease() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
