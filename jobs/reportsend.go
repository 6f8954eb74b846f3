package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"windowbot/bot"
	"windowbot/jobs/report"
	"windowbot/models"
)

// ReportRecord makes the provincial record of sub: an evaluation for a rating, a rectification
// for what became of a bad review. The sender and `windowbot report export` share it, so a file
// and the platform get the same fields.
func ReportRecord(mp *report.Mapper, sub models.ReportSubject) (report.Record, error) {
	r := sub.Rating
	var c *report.Case
	if r.Case != nil {
		c = &report.Case{MatterCode: r.Case.MatterCode, MatterName: r.Case.MatterName}
		if r.Case.CaseNo != nil {
			c.No = *r.Case.CaseNo
		}
	}
	center := ""
	if sub.Window.Center != nil {
		center = sub.Window.Center.Code
	}
	ratingID := strconv.FormatUint(uint64(r.ID), 10)
	if sub.Record.Type == models.ReportRectification {
		if sub.Record.EventID == nil {
			return report.Record{}, fmt.Errorf("jobs: report record %d: a rectification without its event: %w", sub.Record.ID, report.ErrInvalid)
		}
		o := report.Outcome{
			ID: strconv.FormatUint(uint64(*sub.Record.EventID), 10), RatingID: ratingID, At: sub.Record.At,
			Result: sub.Record.Result, ReRating: sub.Record.ReRating,
			CenterCode: center, WindowCode: sub.Window.Code, WindowName: sub.Window.Name, Case: c,
		}
		if sub.Ticket != nil {
			o.Rectification = sub.Ticket.Result
		}
		if sub.Event != nil && sub.Record.ReRating > 0 {
			o.ReRatingComment = sub.Event.Note
		}
		return mp.Outcome(o)
	}
	rt := report.Rating{
		ID: ratingID, At: r.CreatedAt, Level: r.Level, Comment: r.Comment, Platform: r.Channel,
		CenterCode: center, WindowCode: sub.Window.Code, WindowName: sub.Window.Name, Case: c,
	}
	rt.Aspects = append(models.SplitKeys(r.Aspects), models.SplitKeys(r.Praise)...)
	if sub.Staff != nil {
		rt.StaffNo, rt.StaffName = sub.Staff.StaffNo, sub.Staff.Name
	}
	return mp.Rating(rt)
}

// ReportSender sends the report outbox to the provincial platform: it leases a batch of due
// records (replicas lease disjoint batches), makes each record, posts it under its record ID and
// settles it — sent, queued again with a backoff, or failed for good. A replica killed mid-batch
// leaves its records leased; they fall due again when the lease lapses and another replica sends
// them under the same ID, which the platform treats as the same record.
type ReportSender struct {
	Store  *models.Store
	Client *report.Client
	Mapper *report.Mapper
	Logger *slog.Logger
	// Now is the clock (nil: time.Now). Batch is the records per lease (default 50), Lease how
	// long a batch is held (default 2 minutes), Every how often Run looks (default 10 s).
	Now   func() time.Time
	Batch int
	Lease time.Duration
	Every time.Duration
	// MaxAttempts fails a record for good after this many tries (default 20, about two days
	// with the backoff).
	MaxAttempts int
}

func (s *ReportSender) defaults() {
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Batch <= 0 {
		s.Batch = 50
	}
	if s.Lease <= 0 {
		s.Lease = 2 * time.Minute
	}
	if s.Every <= 0 {
		s.Every = 10 * time.Second
	}
	if s.MaxAttempts <= 0 {
		s.MaxAttempts = 20
	}
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
}

// ReportBatch is what one Once did.
type ReportBatch struct{ Sent, Retried, Failed int }

// reportBackoff is the wait before try n+1: a minute doubling up to three hours.
func reportBackoff(attempts int) time.Duration {
	d := time.Minute << min(attempts, 8)
	return min(d, 3*time.Hour)
}

// Once sends one batch. It returns when the batch is settled or ctx ends (a record in flight
// then stays leased and is sent again after the lease).
func (s *ReportSender) Once(ctx context.Context) (ReportBatch, error) {
	s.defaults()
	var b ReportBatch
	token := "rep-" + newLease()
	recs, err := s.Store.ClaimReports(ctx, s.Now(), s.Lease, token, s.Batch)
	if err != nil || len(recs) == 0 {
		return b, err
	}
	subs, err := s.Store.ReportSubjects(ctx, recs)
	if err != nil {
		return b, err
	}
	for _, sub := range subs {
		if err := ctx.Err(); err != nil {
			return b, err
		}
		st := models.ReportSettlement{State: models.ReportSent, Attempted: true}
		rec, err := ReportRecord(s.Mapper, sub)
		if err == nil {
			err = s.Client.Send(ctx, rec)
		}
		if err != nil && ctx.Err() != nil {
			return b, ctx.Err() // killed mid-send: the lease brings it back
		}
		switch {
		case err == nil:
			b.Sent++
		case !report.Retryable(err) || errors.Is(err, report.ErrInvalid) || sub.Record.Attempts+1 >= s.MaxAttempts:
			st = models.ReportSettlement{State: models.ReportFailed, Attempted: true, Reason: err.Error()}
			b.Failed++
			s.Logger.Error("report: a record failed for good", "record", sub.Record.DedupeKey, "attempts", sub.Record.Attempts+1, "err", err)
		default:
			wait := reportBackoff(sub.Record.Attempts)
			if ra, ok := errors.AsType[*bot.RetryAfterError](err); ok && ra.After > 0 {
				wait = ra.After // the platform said when (429, 503 with Retry-After)
			}
			st = models.ReportSettlement{State: models.ReportQueued, Attempted: true, Reason: err.Error(),
				NotBefore: s.Now().Add(wait)}
			b.Retried++
			s.Logger.Warn("report: sending a record failed; it is tried again", "record", sub.Record.DedupeKey, "attempts", sub.Record.Attempts+1, "err", err)
		}
		if err := s.Store.SettleReport(ctx, sub.Record.ID, token, s.Now(), st); err != nil {
			if errors.Is(err, models.ErrLeaseLost) {
				s.Logger.Warn("report: the lease of a batch lapsed while it was sent; another replica took it", "record", sub.Record.DedupeKey)
				continue
			}
			return b, err
		}
	}
	return b, nil
}

// Run sends batches until ctx ends: at once while a batch was full, else every s.Every.
func (s *ReportSender) Run(ctx context.Context) error {
	s.defaults()
	for {
		b, err := s.Once(ctx)
		if err != nil && ctx.Err() == nil {
			s.Logger.Error("report: sending the outbox", "err", err)
		}
		wait := s.Every
		if err == nil && b.Sent+b.Retried+b.Failed >= s.Batch {
			wait = 0
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}
