package jobs

import (
	"context"
	"log/slog"
	"time"

	"windowbot/models"
)

// CaseReminders gives each unrated invitation its one reminder once After has passed since the
// case was registered: a push to the chat that opened the invitation, or an SMS to a
// phone given with consent, with the invitation's web link. Every replica may run it: a case is
// claimed by the update that marks it reminded, and the push has its dedupe key.
type CaseReminders struct {
	Store *models.Store
	// After is how long an invitation waits for its rating before the reminder; 0 sends none.
	After time.Duration
	// Link is the web link of an invitation token.
	Link func(token string) string
	// Every is how often Run looks (default 10 minutes); Now the clock (default time.Now).
	Every  time.Duration
	Now    func() time.Time
	Logger *slog.Logger
	// Queued, when set, is called after reminders were queued (the dispatcher's wake-up).
	Queued func()
}

// Once queues the reminders due now and returns how many.
func (r *CaseReminders) Once(ctx context.Context) (int, error) {
	if r.After <= 0 {
		return 0, nil
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	n, err := r.Store.RemindCases(ctx, now(), r.After, r.Link)
	if n > 0 && r.Queued != nil {
		r.Queued()
	}
	return n, err
}

// Run calls Once every r.Every until ctx ends.
func (r *CaseReminders) Run(ctx context.Context) error {
	every := r.Every
	if every <= 0 {
		every = 10 * time.Minute
	}
	return runEvery(ctx, every, r.Logger, "cases: queueing invitation reminders", "cases: invitation reminders queued", r.Once)
}
