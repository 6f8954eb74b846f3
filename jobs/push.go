package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"windowbot/bot"
	"windowbot/models"
)

// Outcome is what became of a push in one pass through the pipeline.
type Outcome int

// Outcomes of a pass. Every outcome except outcomePending ends the pass; the record stage then
// writes it to the outbox.
const (
	outcomePending Outcome = iota
	// Sent: the platform accepted the message (or an earlier pass already delivered it).
	Sent
	// Retry: the attempt failed in a way that may pass later; queued again at Due.
	Retry
	// Held: not tried, held back until Due (quiet hours).
	Held
	// Released: not tried because the dispatcher is stopping; queued again at once.
	Released
	// Failed: will never be delivered (refused as it is, or attempts exhausted).
	Failed
	// Dropped: the recipient cannot or does not want to be reached.
	Dropped
)

var outcomeNames = map[Outcome]string{
	outcomePending: "pending", Sent: "sent", Retry: "retry", Held: "held",
	Released: "released", Failed: "failed", Dropped: "dropped",
}

// String names the outcome for logs.
func (o Outcome) String() string { return outcomeNames[o] }

// Delivery is one push on its way through the pipeline.
type Delivery struct {
	Push models.Push
	To   bot.Recipient
	// Lease is the dispatcher's claim on the push (models.ClaimPushes).
	Lease string
	// Msg is the message as it is sent, set by the render stage.
	Msg bot.Reply

	// Outcome is set by the stage that decides the pass; the later stages are skipped.
	Outcome Outcome
	// Due is when a push that stays queued (Retry, Held, Released) is tried again.
	Due time.Time
	// Reason says why it was retried, held, failed or dropped; it is stored as LastError.
	Reason string
	// Attempted is set once the message was handed to the platform.
	Attempted bool
	// Gone marks the recipient inactive with the push (they blocked the bot).
	Gone bool
	// Deduped is set when the sent log showed an earlier pass delivered it.
	Deduped bool
}

func (d *Delivery) decide(o Outcome, due time.Time, reason string) {
	d.Outcome, d.Due, d.Reason = o, due, reason
}

// Stage is one step of the push pipeline (DESIGN.md style rule 6). A stage either decides the
// pass by setting d.Outcome or leaves it for the next stage; an error means the stage could not
// do its work, and the push is released to be tried again.
type Stage interface {
	Exec(ctx context.Context, d *Delivery) error
}

var (
	_ Stage = (*MuteStage)(nil)
	_ Stage = (*DedupeStage)(nil)
	_ Stage = (*RenderStage)(nil)
	_ Stage = (*LimitStage)(nil)
	_ Stage = (*SendStage)(nil)
)

// Senders maps each platform to the adapter that delivers its pushes.
type Senders map[bot.Platform]bot.Sender

// QuietHours is a daily span in the hall's zone during which staff are not disturbed. Start and
// End are minutes after midnight; a span that wraps midnight has Start > End. Start == End
// means none.
type QuietHours struct {
	Start, End int
	Loc        *time.Location
}

// ParseQuietHours reads "21:00-08:00"; "" means no quiet hours.
func ParseQuietHours(s string, loc *time.Location) (QuietHours, error) {
	q := QuietHours{Loc: loc}
	if s == "" {
		return q, nil
	}
	var h1, m1, h2, m2 int
	if n, err := fmt.Sscanf(s, "%d:%d-%d:%d", &h1, &m1, &h2, &m2); err != nil || n != 4 ||
		h1 < 0 || h1 > 23 || h2 < 0 || h2 > 23 || m1 < 0 || m1 > 59 || m2 < 0 || m2 > 59 {
		return q, fmt.Errorf("jobs: quiet hours %q: want HH:MM-HH:MM, e.g. 21:00-08:00", s)
	}
	q.Start, q.End = h1*60+m1, h2*60+m2
	return q, nil
}

// Until returns the end of the quiet span t falls in, and false when t is not quiet.
func (q QuietHours) Until(t time.Time) (time.Time, bool) {
	if q.Start == q.End {
		return time.Time{}, false
	}
	loc := q.Loc
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	m := t.Hour()*60 + t.Minute()
	var quiet bool
	if q.Start < q.End {
		quiet = m >= q.Start && m < q.End
	} else {
		quiet = m >= q.Start || m < q.End
	}
	if !quiet {
		return time.Time{}, false
	}
	end := time.Date(t.Year(), t.Month(), t.Day(), q.End/60, q.End%60, 0, 0, loc)
	if !end.After(t) {
		end = time.Date(t.Year(), t.Month(), t.Day()+1, q.End/60, q.End%60, 0, 0, loc)
	}
	return end, true
}

// MuteStage drops pushes to recipients who cannot or do not want to be reached, and holds
// non-urgent pushes to staff accounts during quiet hours until the span ends.
type MuteStage struct {
	Quiet QuietHours
	// Announcements lists the kinds a citizen receives only while Subscribed.
	Announcements map[string]bool
	Now           func() time.Time
}

// Exec decides drops and holds.
func (s *MuteStage) Exec(_ context.Context, d *Delivery) error {
	c := d.Push.Citizen
	switch {
	case c == nil:
		d.decide(Dropped, time.Time{}, "recipient missing")
	case c.Inactive:
		d.decide(Dropped, time.Time{}, "recipient inactive (blocked the bot or unsubscribed)")
	case c.StaffID == nil && s.Announcements[d.Push.Kind] && !c.Subscribed:
		d.decide(Dropped, time.Time{}, "recipient unsubscribed from announcements")
	case c.StaffID != nil && !d.Push.Urgent:
		if until, quiet := s.Quiet.Until(s.Now()); quiet {
			d.decide(Held, until, "quiet hours")
		}
	}
	return nil
}

// DedupeStage skips the send of a push that an earlier pass delivered but could not record
// (the database failed, or the process died between the send and the record): the sent log
// is written right after each successful send.
type DedupeStage struct {
	Marks  Marks
	Logger *slog.Logger
}

// sentKey is the sent-log key of a push.
func sentKey(p models.Push) string { return "push:sent:" + p.DedupeKey }

// Exec marks an already delivered push Sent.
func (s *DedupeStage) Exec(ctx context.Context, d *Delivery) error {
	if s.Marks == nil {
		return nil
	}
	sent, err := s.Marks.Has(ctx, sentKey(d.Push))
	if err != nil {
		// The outbox lease still keeps replicas apart; a missing sent log only widens the
		// crash window, so send rather than stall every push while Redis is away.
		s.Logger.WarnContext(ctx, "push: sent log unavailable, sending without it", "push_id", d.Push.ID, "error", err)
		return nil
	}
	if sent {
		d.Deduped = true
		d.decide(Sent, time.Time{}, "")
	}
	return nil
}

// RenderStage words the push for its recipient (Renderer). A push that cannot be worded never
// will be: it fails.
type RenderStage struct {
	Renderer Renderer
}

// Exec renders.
func (s *RenderStage) Exec(_ context.Context, d *Delivery) error {
	msg, err := s.Renderer.Reply(&d.Push)
	if err != nil {
		d.decide(Failed, time.Time{}, err.Error())
		return nil
	}
	d.Msg = msg
	return nil
}

// LimitStage waits for the platform's pace (Pacer) before a push goes out.
type LimitStage struct {
	Limits map[bot.Platform]Pacer
}

// Exec waits; ctx ending releases the push.
func (s *LimitStage) Exec(ctx context.Context, d *Delivery) error {
	l := s.Limits[d.To.Platform]
	if l == nil {
		return nil
	}
	return l.Wait(ctx, d.To.ChatID)
}

// paceTimeout bounds telling the pace about a completed send.
const paceTimeout = 5 * time.Second

// RetryPolicy says how often and how long after a failed send a push is tried again: the n-th
// retry waits Base·2ⁿ⁻¹, at most Cap, and after MaxAttempts attempts the push fails.
type RetryPolicy struct {
	Base, Cap   time.Duration
	MaxAttempts int
}

// Delay is the wait before the attempt that follows attempt number n (1 = the first).
func (r RetryPolicy) Delay(n int) time.Duration {
	d := r.Base
	for i := 1; i < n && d < r.Cap; i++ {
		d *= 2
	}
	return min(d, r.Cap)
}

// SendStage hands a push to its platform's sender and classifies the result (bot's error
// classes): delivered; recipient gone; refused for good; asked to wait (the platform's
// limiter pauses for as long as asked); or failed for now, retried with backoff through the
// outbox rather than by sleeping here, so one slow push never holds a worker and a retry
// survives a restart.
type SendStage struct {
	Senders Senders
	// Pictures loads the picture of a push that has one; nil sends the text alone.
	Pictures Pictures
	Limits   map[bot.Platform]Pacer
	Retry    RetryPolicy
	Marks    Marks
	// SentTTL is how long the sent log remembers a delivery.
	SentTTL time.Duration
	// Timeout bounds one send. The send is not cut short when the dispatcher stops, so a
	// message that went out is recorded as sent rather than sent again after a restart.
	Timeout time.Duration
	Now     func() time.Time
	Logger  *slog.Logger
}

// Exec sends.
func (s *SendStage) Exec(ctx context.Context, d *Delivery) error {
	sender := s.Senders[d.To.Platform]
	if sender == nil {
		d.decide(Failed, time.Time{}, fmt.Sprintf("no sender for channel %q on this server", d.To.Platform))
		return nil
	}
	if d.Push.PictureHash != "" && s.Pictures != nil {
		p, err := s.Pictures.Picture(ctx, d.Push.PictureHash)
		switch {
		case errors.Is(err, models.ErrNotFound):
			// Pruned or never stored: the text still says everything.
			s.Logger.WarnContext(ctx, "push: picture gone, sending the text alone", "push_id", d.Push.ID)
		case err != nil:
			d.decide(Retry, s.Now().Add(s.Retry.Delay(d.Push.Attempts+1)), "load picture: "+err.Error())
			return nil
		default:
			d.Msg.Picture = &bot.Picture{Key: p.Hash, MIMEType: p.MIMEType, Name: pictureName(d.Push.Kind, p.MIMEType), Data: p.Data}
		}
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.Timeout)
	err := sender.Send(sctx, d.To, d.Msg)
	cancel()
	var ra *bot.RetryAfterError
	errors.As(err, &ra) // nil unless the platform asked to wait
	if l := s.Limits[d.To.Platform]; l != nil {
		// The pace is told on a context of its own: a send that went out counts even when the
		// dispatcher is stopping.
		pctx, pcancel := context.WithTimeout(context.WithoutCancel(ctx), paceTimeout)
		l.Sent(pctx, d.To.ChatID)
		if ra != nil {
			// The platform counts every message of the bot: hold them all back, not just this
			// one (every replica's, when the pace is shared).
			l.Pause(pctx, ra.After)
		}
		pcancel()
	}
	d.Attempted = true
	attempt := d.Push.Attempts + 1
	now := s.Now()
	switch {
	case err == nil:
		d.decide(Sent, time.Time{}, "")
		if s.Marks != nil {
			if _, merr := s.Marks.Claim(context.WithoutCancel(ctx), sentKey(d.Push), s.SentTTL); merr != nil {
				s.Logger.WarnContext(ctx, "push: sent log not written", "push_id", d.Push.ID, "error", merr)
			}
		}
	case errors.Is(err, bot.ErrRecipientGone):
		d.Gone = true
		d.decide(Dropped, time.Time{}, err.Error())
	case errors.Is(err, bot.ErrPermanent):
		d.decide(Failed, time.Time{}, err.Error())
	case attempt >= s.Retry.MaxAttempts:
		d.decide(Failed, time.Time{}, fmt.Sprintf("gave up after %d attempts: %v", attempt, err))
	case ra != nil:
		d.decide(Retry, now.Add(ra.After), err.Error())
	default:
		d.decide(Retry, now.Add(s.Retry.Delay(attempt)), err.Error())
	}
	return nil
}

// pictureName is the file name a push's picture is offered under, e.g. "monthly_star.png".
func pictureName(kind, mime string) string {
	if mime == "image/jpeg" {
		return kind + ".jpg"
	}
	return kind + ".png"
}

// pictureCache keeps the pictures loaded last: an announcement sends one poster to every
// subscriber, and each would otherwise read it from the database again.
type pictureCache struct {
	src  Pictures
	mu   sync.Mutex
	keep []*models.Picture // most recent last
}

// pictureCacheSize bounds the pictures kept (a few hundred kilobytes each).
const pictureCacheSize = 8

func newPictureCache(src Pictures) Pictures {
	if src == nil {
		return nil
	}
	return &pictureCache{src: src}
}

// Picture returns the picture under hash, from the cache or the source.
func (c *pictureCache) Picture(ctx context.Context, hash string) (*models.Picture, error) {
	c.mu.Lock()
	for i, p := range c.keep {
		if p.Hash == hash {
			c.keep = append(append(c.keep[:i:i], c.keep[i+1:]...), p)
			c.mu.Unlock()
			return p, nil
		}
	}
	c.mu.Unlock()
	p, err := c.src.Picture(ctx, hash)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.keep) >= pictureCacheSize {
		c.keep = c.keep[1:]
	}
	c.keep = append(c.keep, p)
	return p, nil
}
