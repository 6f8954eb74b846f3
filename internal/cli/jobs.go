package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"windowbot/jobs"
	"windowbot/models"
)

// scheduler builds the scheduled jobs of the configuration. queued (may be nil) is called after
// a run queued something.
func (a *app) scheduler(store *models.Store, marks jobs.Marks, metrics *jobs.Metrics, queued func()) (*jobs.Scheduler, error) {
	rules := store.TicketRules()
	deps := &jobs.Deps{
		Store: store, Calendar: rules.Calendar, Lang: a.cfg.Language, Logger: a.logger,
		MinRatings: a.cfg.Jobs.MinRatings, Target: a.cfg.Jobs.Target(),
		RerateReminderDays: a.cfg.Jobs.RerateReminderDays,
		StarsPerCenter:     a.cfg.Posters.StarsPerCenter, RunnersUp: a.cfg.Posters.RunnersUp,
		YearlyStars: a.cfg.Posters.YearlyStars,
	}
	if r, err := a.posterRenderer(); err != nil {
		// Stars and reports still go out, in words: a missing font is no reason to hold them.
		a.logger.Warn("no CJK font: star posters and report charts are not drawn", "error", err)
	} else {
		deps.Artist = r
	}
	return jobs.NewScheduler(jobs.SchedulerOptions{
		Location: a.loc, Calendar: rules.Calendar, Claims: store, Marks: marks, Timeout: a.cfg.Jobs.Timeout,
		Logger: a.logger, Metrics: metrics, Queued: queued,
	}, jobs.Catalog(deps), a.cfg.Jobs.Schedules())
}

// cmdJobs is `windowbot jobs list` and `windowbot jobs run NAME [--period P | --at TIME] [--again]`.
func cmdJobs(ctx context.Context, a *app, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(a.stderr, "jobs: say list or run")
		return errUsage
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "list":
		if err := parse(flags("jobs list", a.stderr), args); err != nil {
			return err
		}
		return a.jobsList(ctx)
	case "run":
		name := ""
		if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
			name, args = args[0], args[1:]
		}
		fs := flags("jobs run", a.stderr)
		period := fs.String("period", "", "the occurrence to run: 2026-10 (monthly jobs), 2026 (yearly), 2026-11-23 (daily)")
		at := fs.String("at", "", "run the occurrence due at this time (RFC 3339, e.g. 2026-11-01T09:00:00+08:00), as if it were then")
		again := fs.Bool("again", false, "run an occurrence that already ran (a failed one); what it queued before is not queued twice")
		if err := parse(fs, args); err != nil {
			return err
		}
		if name == "" || (*period != "" && *at != "") {
			fmt.Fprintln(a.stderr, "jobs run: name one job, and at most one of --period and --at")
			return errUsage
		}
		when := time.Now()
		if *at != "" {
			t, err := time.Parse(time.RFC3339, *at)
			if err != nil {
				fmt.Fprintf(a.stderr, "jobs run: --at %q is not an RFC 3339 time such as 2026-11-01T09:00:00+08:00\n", *at)
				return errUsage
			}
			when = t
		}
		return a.jobsRun(ctx, name, *period, when, *again)
	}
	fmt.Fprintf(a.stderr, "jobs: unknown subcommand %q (list or run)\n", sub)
	return errUsage
}

func (a *app) jobsList(ctx context.Context) error {
	store, err := a.openStoreReading(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	sch, err := a.scheduler(store, nil, nil, nil)
	if err != nil {
		return err
	}
	last, err := store.LastJobRuns(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "JOB\tSCHEDULE\tNEXT RUN (%s)\tLAST RUN\n", a.loc)
	for _, l := range sch.List(time.Now()) {
		next := "-"
		if !l.Next.IsZero() {
			next = l.Next.Format("2006-01-02 15:04 Mon")
		}
		lr := "-"
		if r, ok := last[l.Name]; ok {
			lr = fmt.Sprintf("%s %s at %s", r.Period, r.Status, r.StartedAt.In(a.loc).Format("2006-01-02 15:04"))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", l.Name, l.Schedule, next, lr)
	}
	return tw.Flush()
}

func (a *app) jobsRun(ctx context.Context, name, period string, at time.Time, again bool) error {
	store, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	st, err := a.openStateQuiet(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	sch, err := a.scheduler(store, st, nil, nil)
	if err != nil {
		return err
	}
	occ, err := sch.Occurrence(name, period, at)
	if errors.Is(err, jobs.ErrUnknownJob) {
		fmt.Fprintf(a.stderr, "jobs run: no job %q (see windowbot jobs list)\n", name)
		return errUsage
	}
	if err != nil {
		fmt.Fprintf(a.stderr, "jobs run: %v\n", strings.TrimPrefix(err.Error(), "jobs: "))
		return errUsage
	}
	if err := sch.Due(occ); err != nil {
		return fmt.Errorf("jobs run: refused: %s", strings.TrimPrefix(err.Error(), jobs.ErrNotDue.Error()+": "))
	}
	res, err := sch.Execute(ctx, occ, again)
	if err != nil {
		return err
	}
	switch res.Status {
	case jobs.RunSkipped:
		msg := fmt.Sprintf("%s %s already ran", name, occ.Period)
		if p := res.Previous; p != nil {
			msg += fmt.Sprintf(" (%s by %s at %s", p.Status, p.Owner, p.StartedAt.In(a.loc).Format("2006-01-02 15:04"))
			if p.Error != "" {
				msg += ": " + p.Error
			}
			msg += ")"
		}
		fmt.Fprintln(a.stdout, msg+"; nothing was sent again (use --again to re-run it)")
	default:
		fmt.Fprintf(a.stdout, "%s %s (as at %s): %s, %d queued or changed; the server's dispatcher sends the pushes\n",
			name, occ.Period, occ.At.Format("2006-01-02 15:04 MST"), res.Status, res.Items)
	}
	return nil
}
