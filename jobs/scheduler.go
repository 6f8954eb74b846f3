package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"windowbot/models"
)

// Job is one scheduled task of the hall.
type Job struct {
	// Name is how the job is configured, listed and run by hand ("monthly-star").
	Name string
	// Doc says in one line what the job does, for `windowbot jobs list`.
	Doc string
	// Period names the occurrences.
	Period Period
	// Workdays means the job does its work on working days only (its Run does nothing on other
	// days), so its next run that counts is the next one on a working day.
	Workdays bool
	// Run does the work of one occurrence and returns how many items it queued or changed
	// (pushes, escalations, closed tickets). It must be safe
	// to run again for the same occurrence (forced re-runs): pushes carry dedupe keys that name
	// the occurrence, and stored results are kept when they exist.
	Run func(ctx context.Context, occ Occurrence) (int, error)
}

// Occurrence is one run of a job: the period it covers and the moment it stands for, which is
// the job's clock (a run by hand for a past period sees the time it would have run at).
type Occurrence struct {
	Job    string
	Period string
	At     time.Time
}

// Period names the occurrences of a job: which period a run at a given moment covers, and back.
type Period struct {
	// Of names the occurrence a run at t stands for, t in the hall's zone.
	Of func(t time.Time) string
	// Bounds returns the span [from, to) a period name covers, in loc.
	Bounds func(name string, loc *time.Location) (from, to time.Time, err error)
	// Closing means the job runs after the period it covers (last month's star), so a run by hand
	// for a period is placed at the first scheduled time after the period; otherwise within it.
	Closing bool
}

// Day is the period of daily jobs: the day they run on, 2006-01-02.
var Day = Period{
	Of: func(t time.Time) string { return t.Format(time.DateOnly) },
	Bounds: func(s string, loc *time.Location) (time.Time, time.Time, error) {
		d, err := time.ParseInLocation(time.DateOnly, s, loc)
		if err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("jobs: period %q is not a day such as 2026-11-23", s)
		}
		return d, d.AddDate(0, 0, 1), nil
	},
}

// PreviousMonth is the period of monthly jobs run on the first days of a month about the month
// before: 2006-01.
var PreviousMonth = Period{
	Of: func(t time.Time) string {
		return time.Date(t.Year(), t.Month()-1, 1, 0, 0, 0, 0, t.Location()).Format("2006-01")
	},
	Bounds: func(s string, loc *time.Location) (time.Time, time.Time, error) {
		m, err := time.ParseInLocation("2006-01", s, loc)
		if err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("jobs: period %q is not a month such as 2026-10", s)
		}
		return m, m.AddDate(0, 1, 0), nil
	},
	Closing: true,
}

// PreviousYear is the period of yearly jobs about the year before: 2006.
var PreviousYear = Period{
	Of: func(t time.Time) string { return fmt.Sprint(t.Year() - 1) },
	Bounds: func(s string, loc *time.Location) (time.Time, time.Time, error) {
		y, err := time.ParseInLocation("2006", s, loc)
		if err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("jobs: period %q is not a year such as 2026", s)
		}
		return y, y.AddDate(1, 0, 0), nil
	},
	Closing: true,
}

// Claims is where occurrences are claimed for good; *models.Store implements it.
type Claims interface {
	ClaimJobRun(ctx context.Context, name, period, owner string, now time.Time) (bool, *models.JobRun, error)
	FinishJobRun(ctx context.Context, id uint, items int, runErr error, now time.Time) error
}

var _ Claims = (*models.Store)(nil)

// SchedulerOptions configures a Scheduler.
type SchedulerOptions struct {
	// Location is the hall's zone: schedules and periods are read in it.
	Location *time.Location
	// Calendar says which days are working days, for the next run of a Workdays job in List;
	// nil takes every day as one.
	Calendar *models.Calendar
	Claims   Claims
	// Marks, when set (Redis), is asked first, so replicas settle a race without the database.
	Marks Marks
	// ClaimTTL is how long a claim lives in Marks (default 400 days); the database row stays.
	ClaimTTL time.Duration
	// Timeout bounds one run (default 10 minutes).
	Timeout time.Duration
	// Now is the clock (default time.Now).
	Now     func() time.Time
	Logger  *slog.Logger
	Metrics *Metrics
	// Owner names this process in claims (default host:pid).
	Owner string
	// Queued is called after a run that queued or changed something (wake the dispatcher).
	Queued func()
}

// Scheduler runs jobs on their cron schedules in the hall's zone, each occurrence once across
// replicas: before running, an occurrence is claimed under job:<name>:<period>, in Redis with
// SET NX when configured and always by a unique row in job_runs, and the claim is never
// released. A replica that loses the race, or a run repeated later, does nothing.
type Scheduler struct {
	o     SchedulerOptions
	cron  *cron.Cron
	jobs  map[string]entry
	names []string

	mu   sync.Mutex
	root context.Context
}

type entry struct {
	job      Job
	spec     string
	schedule cron.Schedule // nil when off
}

// ErrUnknownJob is returned for a job name the scheduler does not have.
var ErrUnknownJob = errors.New("jobs: unknown job")

// ErrNotDue is returned by Due for an occurrence whose time has not come.
var ErrNotDue = errors.New("jobs: occurrence not due yet")

// NewScheduler prepares jobs on schedules (job name → cron line or "off"); a job without a
// schedule is off. Start starts the clock.
func NewScheduler(o SchedulerOptions, jobs []Job, schedules map[string]string) (*Scheduler, error) {
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Minute
	}
	if o.ClaimTTL <= 0 {
		o.ClaimTTL = 400 * 24 * time.Hour
	}
	if o.Owner == "" {
		host, _ := os.Hostname()
		o.Owner = fmt.Sprintf("%s:%d", host, os.Getpid())
	}
	l := cronLogger{o.Logger}
	s := &Scheduler{
		o: o,
		// Skip before Recover: the reverse order never gives the skip token back after a panic,
		// and the job would never run again.
		cron: cron.New(cron.WithLocation(o.Location), cron.WithLogger(l),
			cron.WithChain(cron.SkipIfStillRunning(l), cron.Recover(l))),
		jobs: map[string]entry{},
		root: context.Background(),
	}
	for _, j := range jobs {
		spec := schedules[j.Name]
		e := entry{job: j, spec: spec}
		if spec != "" && spec != "off" {
			sched, err := cron.ParseStandard(spec)
			if err != nil {
				return nil, fmt.Errorf("jobs: schedule of %s %q: %w", j.Name, spec, err)
			}
			e.schedule = sched
			s.cron.Schedule(sched, cron.FuncJob(func() { s.fire(j.Name) }))
		}
		if _, dup := s.jobs[j.Name]; dup {
			return nil, fmt.Errorf("jobs: job %s given twice", j.Name)
		}
		s.jobs[j.Name] = e
		s.names = append(s.names, j.Name)
	}
	sort.Strings(s.names)
	return s, nil
}

// Start runs the schedules until Stop. Runs get contexts derived from ctx.
func (s *Scheduler) Start(ctx context.Context) {
	s.mu.Lock()
	s.root = ctx
	s.mu.Unlock()
	s.cron.Start()
	s.o.Logger.InfoContext(ctx, "scheduler started", "zone", s.o.Location.String(), "jobs", len(s.cron.Entries()))
}

// Stop stops the schedules and returns a context that is done when running jobs finished.
func (s *Scheduler) Stop() context.Context { return s.cron.Stop() }

// Listing is one line of `windowbot jobs list`.
type Listing struct {
	Name, Schedule, Doc string
	// Next is the next scheduled run in the hall's zone — for a job of working days, the next
	// on a working day; zero when the job is off.
	Next time.Time
}

// List returns every job with its schedule and next run after now, by name.
func (s *Scheduler) List(now time.Time) []Listing {
	out := make([]Listing, 0, len(s.names))
	for _, n := range s.names {
		e := s.jobs[n]
		l := Listing{Name: n, Schedule: e.spec, Doc: e.job.Doc}
		if e.schedule == nil {
			l.Schedule = "off"
		} else {
			l.Next = s.next(e, now.In(s.o.Location))
		}
		out = append(out, l)
	}
	return out
}

// next returns e's next scheduled run after t that does work: the next one on a working day for
// a job of working days (looking a year ahead at most), else simply the next one.
func (s *Scheduler) next(e entry, t time.Time) time.Time {
	n := e.schedule.Next(t)
	if !e.job.Workdays || s.o.Calendar == nil {
		return n
	}
	limit := t.AddDate(1, 0, 0)
	for !n.IsZero() && n.Before(limit) {
		if s.o.Calendar.IsWorkday(n) {
			return n
		}
		n = e.schedule.Next(n)
	}
	return e.schedule.Next(t)
}

// Occurrence returns the occurrence of a job for a period name, placed at the time it is (or
// would have been) scheduled; with period "" the one a run at `at` stands for.
func (s *Scheduler) Occurrence(name, period string, at time.Time) (Occurrence, error) {
	e, ok := s.jobs[name]
	if !ok {
		return Occurrence{}, fmt.Errorf("%w %q (have %v)", ErrUnknownJob, name, s.names)
	}
	p := e.job.Period
	if period == "" {
		at = at.In(s.o.Location)
		return Occurrence{Job: name, Period: p.Of(at), At: at}, nil
	}
	from, to, err := p.Bounds(period, s.o.Location)
	if err != nil {
		return Occurrence{}, err
	}
	anchor := from
	if p.Closing {
		anchor = to
	}
	occAt := anchor
	if e.schedule != nil {
		if next := e.schedule.Next(anchor.Add(-time.Second)); p.Of(next) == period {
			occAt = next
		}
	}
	return Occurrence{Job: name, Period: period, At: occAt}, nil
}

// Due checks that occ's time has come, for a run by hand: an occurrence run before it is due
// would count a period that is not over (this month's report on its first days' ratings), hold
// its pushes until their time, and be recorded as done, so that the scheduled run on the real
// date would find it claimed and do nothing. The scheduler's own runs are due by definition.
func (s *Scheduler) Due(occ Occurrence) error {
	now := s.o.Now()
	if !occ.At.After(now) {
		return nil
	}
	what := "the period it counts is not over"
	if e, ok := s.jobs[occ.Job]; ok && !e.job.Period.Closing {
		what = "its time has not come"
	}
	return fmt.Errorf("%w: %s %s is due at %s and %s; run it then, or leave it to the schedule",
		ErrNotDue, occ.Job, occ.Period, occ.At.In(s.o.Location).Format("2006-01-02 15:04 MST"), what)
}

// Outcome of Execute.
const (
	RunDone    = "done"
	RunFailed  = "failed"
	RunSkipped = "skipped"
)

// Result says what Execute did.
type Result struct {
	Status string
	// Items is what the job reported it queued or changed.
	Items int
	// Previous is the earlier claim when the occurrence was skipped (nil if only Redis knew).
	Previous *models.JobRun
}

// Execute runs one occurrence unless it was claimed before. force runs it again anyway (an
// operator re-running a failed occurrence); the job's dedupe keys keep what was queued before
// from being queued again.
func (s *Scheduler) Execute(ctx context.Context, occ Occurrence, force bool) (res Result, err error) {
	e, ok := s.jobs[occ.Job]
	if !ok {
		return Result{}, fmt.Errorf("%w %q", ErrUnknownJob, occ.Job)
	}
	log := s.o.Logger.With("job", occ.Job, "period", occ.Period)
	key := "job:" + occ.Job + ":" + occ.Period
	now := s.o.Now()

	if !force && s.o.Marks != nil {
		won, err := s.o.Marks.Claim(ctx, key, s.o.ClaimTTL)
		switch {
		case err != nil:
			// The database row below still decides; Redis only spares it the race.
			log.WarnContext(ctx, "job claim in Redis failed, relying on the database", "error", err)
		case !won:
			s.o.Metrics.jobRun(occ.Job, RunSkipped)
			log.InfoContext(ctx, "job occurrence already claimed", "key", key)
			return Result{Status: RunSkipped}, nil
		}
	}
	// A forced run goes ahead on the row of the earlier claim.
	won, run, err := s.o.Claims.ClaimJobRun(ctx, occ.Job, occ.Period, s.o.Owner, now)
	if err != nil {
		// Nothing ran: give the Redis claim back, or no replica would ever run this occurrence.
		if !force && s.o.Marks != nil {
			if rerr := s.o.Marks.Delete(context.WithoutCancel(ctx), key); rerr != nil {
				log.ErrorContext(ctx, "job claim in Redis not released after the database failed", "key", key, "error", rerr)
			}
		}
		return Result{}, err
	}
	if !won && !force {
		s.o.Metrics.jobRun(occ.Job, RunSkipped)
		log.InfoContext(ctx, "job occurrence already claimed", "key", key, "by", run.Owner, "status", run.Status)
		return Result{Status: RunSkipped, Previous: run}, nil
	}
	if force && s.o.Marks != nil {
		_, _ = s.o.Marks.Claim(ctx, key, s.o.ClaimTTL)
	}

	rctx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	defer cancel()
	start := time.Now()
	log.InfoContext(ctx, "job started", "at", occ.At, "forced", force)
	defer func() {
		p := recover()
		if p != nil {
			err = fmt.Errorf("jobs: %s %s panicked: %v", occ.Job, occ.Period, p)
		}
		status := RunDone
		if err != nil {
			status = RunFailed
			log.ErrorContext(ctx, "job failed", "error", err, "items", res.Items, "duration", time.Since(start))
		} else {
			log.InfoContext(ctx, "job done", "items", res.Items, "duration", time.Since(start))
		}
		fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer fcancel()
		if ferr := s.o.Claims.FinishJobRun(fctx, run.ID, res.Items, err, s.o.Now()); ferr != nil {
			log.ErrorContext(ctx, "job run not recorded", "error", ferr)
		}
		s.o.Metrics.jobRun(occ.Job, status)
		res.Status = status
		if res.Items > 0 && s.o.Queued != nil {
			s.o.Queued()
		}
		if p != nil {
			panic(p) // cron.Recover logs it with the stack
		}
	}()
	res.Items, err = e.job.Run(rctx, occ)
	return res, err
}

// fire is what cron calls: the occurrence of this minute.
func (s *Scheduler) fire(name string) {
	s.mu.Lock()
	root := s.root
	s.mu.Unlock()
	occ, err := s.Occurrence(name, "", s.o.Now())
	if err != nil {
		s.o.Logger.ErrorContext(root, "job occurrence", "job", name, "error", err)
		return
	}
	// Errors are logged by Execute.
	_, _ = s.Execute(root, occ, false)
}

// Names lists the jobs by name.
func (s *Scheduler) Names() []string { return slices.Clone(s.names) }

// cronLogger routes cron's logging to slog; its routine wake-ups go to debug.
type cronLogger struct{ l *slog.Logger }

// Info implements cron.Logger.
func (c cronLogger) Info(msg string, kv ...any) {
	if msg == "skip" {
		c.l.Warn("cron: job still running, this run skipped", kv...)
		return
	}
	c.l.Debug("cron: "+msg, kv...)
}

// Error implements cron.Logger.
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "error", err)...)
}
