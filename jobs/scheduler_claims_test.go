package jobs_test

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"windowbot/internal/testenv"
	"windowbot/jobs"
	"windowbot/models"
)

// logTo returns a logger writing text lines into a buffer the test reads afterwards.
func logTo(buf *testenv.LogBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// The scheduler keeps the options it was given: the owner named in the run's row, the logger
// the operator reads, the claim's lifetime in Redis (about a year and a month by default, so that
// a monthly occurrence is never run again the next month), and it wakes the dispatcher only after
// a run that queued something.
func TestSchedulerKeepsItsOptions(t *testing.T) {
	s := openStore(t, testenv.SQLiteURL(t))
	marks, prefix := redisMarks(t)
	var logs testenv.LogBuffer
	var woken atomic.Int32
	items := map[string]int{"quiet": 0, "busy": 2}
	var js []jobs.Job
	for name, n := range items {
		js = append(js, jobs.Job{Name: name, Period: jobs.PreviousMonth, Run: func(context.Context, jobs.Occurrence) (int, error) { return n, nil }})
	}
	sch, err := jobs.NewScheduler(jobs.SchedulerOptions{
		Location: testenv.Shanghai, Claims: s, Marks: marks, Logger: logTo(&logs), Owner: "replica-a",
		Queued: func() { woken.Add(1) },
	}, js, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	quiet, _ := sch.Occurrence("quiet", "2026-10", time.Time{})
	if res, err := sch.Execute(ctx, quiet, false); err != nil || res.Status != jobs.RunDone {
		t.Fatalf("quiet run = %+v, %v", res, err)
	}
	if n := woken.Load(); n != 0 {
		t.Errorf("a run that queued nothing woke the dispatcher %d times", n)
	}
	busy, _ := sch.Occurrence("busy", "2026-10", time.Time{})
	if res, err := sch.Execute(ctx, busy, false); err != nil || res.Items != 2 {
		t.Fatalf("busy run = %+v, %v", res, err)
	}
	if n := woken.Load(); n != 1 {
		t.Errorf("a run that queued two pushes woke the dispatcher %d times, want 1", n)
	}
	if res, _ := sch.Execute(ctx, busy, false); res.Status != jobs.RunSkipped {
		t.Errorf("second busy run = %+v, want skipped", res)
	}

	var run models.JobRun
	testenv.DB(t, s).Where("name = ?", "busy").First(&run)
	if run.Owner != "replica-a" {
		t.Errorf("run owned by %q, want the configured replica-a", run.Owner)
	}
	ttl, err := marks.Client().TTL(ctx, prefix+"job:busy:2026-10").Result()
	if err != nil || ttl < 390*24*time.Hour || ttl > 400*24*time.Hour {
		t.Errorf("the Redis claim lives %s (%v), want about 400 days", ttl, err)
	}
	out := logs.String()
	for _, want := range []string{"job done", "job occurrence already claimed"} {
		if !strings.Contains(out, want) {
			t.Errorf("the configured logger did not get %q:\n%s", want, out)
		}
	}
	for _, wrong := range []string{"not recorded", "not released", "level=ERROR"} {
		if strings.Contains(out, wrong) {
			t.Errorf("a run that went well logged %q:\n%s", wrong, out)
		}
	}
}

// A forced run takes the Redis claim (so that a scheduled run after it is skipped) when Redis is
// there, works without it, and never gives back a claim it did not take when the database fails.
func TestForcedRunAndTheRedisClaim(t *testing.T) {
	s := openStore(t, testenv.SQLiteURL(t))
	marks, _ := redisMarks(t)
	ran := 0
	js := []jobs.Job{{Name: "j", Period: jobs.Day, Run: func(context.Context, jobs.Occurrence) (int, error) { ran++; return 0, nil }}}
	ctx := ctxT(t)

	withRedis := newScheduler(t, s, marks, js, time.Now)
	occ, _ := withRedis.Occurrence("j", "2026-11-23", time.Time{})
	if res, err := withRedis.Execute(ctx, occ, true); err != nil || res.Status != jobs.RunDone {
		t.Fatalf("forced run = %+v, %v", res, err)
	}
	if ok, _ := marks.Has(ctx, "job:j:2026-11-23"); !ok {
		t.Error("a forced run left no claim in Redis")
	}

	sqlOnly := newScheduler(t, s, nil, js, time.Now)
	occ2, _ := sqlOnly.Occurrence("j", "2026-11-24", time.Time{})
	if res, err := sqlOnly.Execute(ctx, occ2, true); err != nil || res.Status != jobs.RunDone {
		t.Errorf("forced run without Redis = %+v, %v", res, err)
	}
	if ran != 2 {
		t.Errorf("ran %d times, want 2", ran)
	}

	// The database is down during a forced re-run of an occurrence claimed earlier: the earlier
	// claim stays, and the error is only that the database failed.
	var logs testenv.LogBuffer
	broken, err := jobs.NewScheduler(jobs.SchedulerOptions{Location: testenv.Shanghai, Claims: brokenClaims{}, Marks: marks, Logger: logTo(&logs)}, js, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := broken.Execute(ctx, occ, true); err == nil {
		t.Fatal("no error from a failed claim")
	}
	if ok, _ := marks.Has(ctx, "job:j:2026-11-23"); !ok {
		t.Error("a forced run that failed gave back the claim of the earlier run")
	}
	// A scheduled run whose database claim fails gives its own Redis claim back, quietly.
	occ3, _ := broken.Occurrence("j", "2026-11-25", time.Time{})
	if _, err := broken.Execute(ctx, occ3, false); err == nil {
		t.Fatal("no error from a failed claim")
	}
	if ok, _ := marks.Has(ctx, "job:j:2026-11-25"); ok {
		t.Error("the Redis claim of a run that never happened was kept")
	}
	if out := logs.String(); strings.Contains(out, "not released") {
		t.Errorf("a claim given back was logged as not released:\n%s", out)
	}
}

// An occurrence is at the first time its schedule fires for its period, even when the schedule
// fires at the very start of the period and again later in it.
func TestOccurrenceIsTheFirstFiring(t *testing.T) {
	js := []jobs.Job{
		{Name: "closing", Period: jobs.PreviousMonth, Run: func(context.Context, jobs.Occurrence) (int, error) { return 0, nil }},
		{Name: "daily", Period: jobs.Day, Run: func(context.Context, jobs.Occurrence) (int, error) { return 0, nil }},
	}
	sch, err := jobs.NewScheduler(jobs.SchedulerOptions{Location: testenv.Shanghai}, js,
		map[string]string{"closing": "0 0,9 1 * *", "daily": "0 0,12 * * *"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		job, period string
		want        time.Time
	}{
		{"closing", "2026-10", time.Date(2026, 11, 1, 0, 0, 0, 0, testenv.Shanghai)},
		{"daily", "2026-11-23", time.Date(2026, 11, 23, 0, 0, 0, 0, testenv.Shanghai)},
	} {
		occ, err := sch.Occurrence(tc.job, tc.period, time.Time{})
		if err != nil || !occ.At.Equal(tc.want) {
			t.Errorf("%s %s at %s (%v), want %s", tc.job, tc.period, occ.At, err, tc.want)
		}
	}
}
