package jobs_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"windowbot/configs"
	"windowbot/flows/state"
	"windowbot/internal/testenv"
	"windowbot/jobs"
	"windowbot/models"
)

// redisMarks returns marks in the test Redis (the state store the server shares them through)
// under a prefix of this test's own.
func redisMarks(t testing.TB) (*state.Redis, string) {
	t.Helper()
	prefix := testenv.KeyPrefix(t)
	r, err := state.OpenRedis(context.Background(), testenv.RedisURL(t), prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		keys, _ := r.Client().Keys(ctx, prefix+"*").Result()
		if len(keys) > 0 {
			r.Client().Del(ctx, keys...)
		}
		r.Close()
	})
	return r, prefix
}

// testDeps returns the jobs' dependencies on the default Chinese calendar in Shanghai.
func testDeps(s *models.Store) *jobs.Deps {
	rules := s.TicketRules()
	return &jobs.Deps{Store: s, Calendar: rules.Calendar, Lang: "zh-CN", MinRatings: 5, Target: 0.95,
		RerateReminderDays: 2, Logger: testenv.Logger()}
}

func newScheduler(t testing.TB, s *models.Store, marks jobs.Marks, js []jobs.Job, now func() time.Time) *jobs.Scheduler {
	t.Helper()
	sch, err := jobs.NewScheduler(jobs.SchedulerOptions{
		Location: testenv.Shanghai, Claims: s, Marks: marks, Logger: testenv.Logger(), Now: now,
	}, js, configs.Default().Jobs.Schedules())
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func TestOccurrences(t *testing.T) {
	sch := newScheduler(t, nil, nil, jobs.Catalog(&jobs.Deps{Calendar: models.DefaultTicketRules(testenv.Shanghai).Calendar}), time.Now)
	at := func(y int, m time.Month, d, h, min int) time.Time {
		return time.Date(y, m, d, h, min, 0, 0, testenv.Shanghai)
	}
	for _, tt := range []struct {
		job, period string
		at          time.Time
		wantPeriod  string
		wantAt      time.Time
	}{
		{job: jobs.MonthlyStar, period: "2026-10", wantPeriod: "2026-10", wantAt: at(2026, 11, 1, 9, 0)},
		{job: jobs.MonthlyStar, period: "2026-12", wantPeriod: "2026-12", wantAt: at(2027, 1, 1, 9, 0)},
		{job: jobs.MonthlyStar, at: at(2027, 1, 1, 9, 0), wantPeriod: "2026-12", wantAt: at(2027, 1, 1, 9, 0)},
		// 1 November 00:30 in the hall is still 31 October in UTC: the hall's zone decides.
		{job: jobs.MonthlyReport, at: time.Date(2026, 10, 31, 16, 30, 0, 0, time.UTC), wantPeriod: "2026-10", wantAt: at(2026, 11, 1, 0, 30)},
		{job: jobs.YearlyRanking, at: at(2027, 1, 2, 10, 0), wantPeriod: "2026", wantAt: at(2027, 1, 2, 10, 0)},
		{job: jobs.YearlyRanking, period: "2026", wantPeriod: "2026", wantAt: at(2027, 1, 2, 10, 0)},
		{job: jobs.DailyDigest, period: "2026-11-23", wantPeriod: "2026-11-23", wantAt: at(2026, 11, 23, 8, 30)},
		{job: jobs.DailyDigest, at: at(2026, 11, 23, 23, 59), wantPeriod: "2026-11-23", wantAt: at(2026, 11, 23, 23, 59)},
	} {
		occ, err := sch.Occurrence(tt.job, tt.period, tt.at)
		if err != nil {
			t.Errorf("%s %q: %v", tt.job, tt.period, err)
			continue
		}
		if occ.Period != tt.wantPeriod || !occ.At.Equal(tt.wantAt) {
			t.Errorf("%s %q at %s = %s at %s; want %s at %s", tt.job, tt.period, tt.at, occ.Period, occ.At, tt.wantPeriod, tt.wantAt)
		}
	}
	for _, bad := range []struct{ job, period string }{{jobs.MonthlyStar, "2026-13"}, {jobs.DailyDigest, "2026-11"}, {jobs.YearlyRanking, "26"}} {
		if _, err := sch.Occurrence(bad.job, bad.period, time.Time{}); err == nil {
			t.Errorf("%s %q accepted", bad.job, bad.period)
		}
	}
	if _, err := sch.Occurrence("weekly-star", "", time.Now()); !errors.Is(err, jobs.ErrUnknownJob) {
		t.Errorf("unknown job: %v", err)
	}
}

func TestList(t *testing.T) {
	cat := jobs.Catalog(&jobs.Deps{Calendar: models.DefaultTicketRules(testenv.Shanghai).Calendar})
	sched := configs.Default().Jobs.Schedules()
	sched[jobs.Rerating] = "off"
	cal := models.DefaultTicketRules(testenv.Shanghai).Calendar
	sch, err := jobs.NewScheduler(jobs.SchedulerOptions{Location: testenv.Shanghai, Calendar: cal}, cat, sched)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 31, 23, 0, 0, 0, testenv.Shanghai)
	next := map[string]time.Time{}
	for _, l := range sch.List(now) {
		next[l.Name] = l.Next
		if l.Doc == "" {
			t.Errorf("%s has no doc", l.Name)
		}
		if l.Name == jobs.Rerating && (l.Schedule != "off" || !l.Next.IsZero()) {
			t.Errorf("rerating off: %+v", l)
		}
	}
	want := map[string]time.Time{
		jobs.MonthlyStar:   time.Date(2027, 1, 1, 9, 0, 0, 0, testenv.Shanghai),
		jobs.YearlyRanking: time.Date(2027, 1, 2, 10, 0, 0, 0, testenv.Shanghai),
		// The jobs of working days next run after New Year's Day and the weekend; the others
		// run every day.
		jobs.DailyDigest:       time.Date(2027, 1, 4, 8, 30, 0, 0, testenv.Shanghai),
		jobs.DeadlineReminders: time.Date(2027, 1, 4, 9, 0, 0, 0, testenv.Shanghai),
		jobs.OverdueEscalation: time.Date(2027, 1, 4, 9, 15, 0, 0, testenv.Shanghai),
	}
	for n, w := range want {
		if !next[n].Equal(w) {
			t.Errorf("next %s = %s, want %s", n, next[n], w)
		}
	}
	if len(next) != 7 {
		t.Errorf("listed %d jobs, want 7", len(next))
	}
	// A Friday morning after the digest: Monday's, not Saturday's; Sunday 20 September 2026,
	// an adjusted working day, has one.
	for _, tc := range []struct{ now, want time.Time }{
		{time.Date(2026, 12, 4, 10, 0, 0, 0, testenv.Shanghai), time.Date(2026, 12, 7, 8, 30, 0, 0, testenv.Shanghai)},
		{time.Date(2026, 9, 18, 10, 0, 0, 0, testenv.Shanghai), time.Date(2026, 9, 20, 8, 30, 0, 0, testenv.Shanghai)},
	} {
		for _, l := range sch.List(tc.now) {
			if l.Name == jobs.DailyDigest && !l.Next.Equal(tc.want) {
				t.Errorf("at %s the next digest is %s, want %s", tc.now, l.Next, tc.want)
			}
		}
	}
	if _, err := jobs.NewScheduler(jobs.SchedulerOptions{}, cat, map[string]string{jobs.MonthlyStar: "every day"}); err == nil {
		t.Error("a bad schedule was accepted")
	}
}

// TestExecuteOnce covers the claim of an occurrence: one run however often it is fired, in
// Redis and in SQL; a forced re-run; failures and panics recorded and the claim kept.
func TestExecuteOnce(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		marks, _ := redisMarks(t)
		var runs atomic.Int32
		fail := errors.New("no database")
		job := func(name string, run func() (int, error)) jobs.Job {
			return jobs.Job{Name: name, Period: jobs.PreviousMonth, Run: func(ctx context.Context, occ jobs.Occurrence) (int, error) {
				runs.Add(1)
				return run()
			}}
		}
		js := []jobs.Job{
			job("ok", func() (int, error) { return 3, nil }),
			job("fails", func() (int, error) { return 1, fail }),
			job("panics", func() (int, error) { panic("boom") }),
		}
		now := time.Date(2026, 11, 1, 9, 0, 0, 0, testenv.Shanghai)
		sch := newScheduler(t, s, marks, js, func() time.Time { return now })
		occ, _ := sch.Occurrence("ok", "2026-10", time.Time{})

		res, err := sch.Execute(ctx, occ, false)
		if err != nil || res.Status != jobs.RunDone || res.Items != 3 {
			t.Fatalf("first run = %+v, %v", res, err)
		}
		if ok, _ := marks.Has(ctx, "job:ok:2026-10"); !ok {
			t.Error("no claim in Redis")
		}
		res, _ = sch.Execute(ctx, occ, false)
		if res.Status != jobs.RunSkipped {
			t.Errorf("second run = %+v, want skipped", res)
		}
		// Redis lost the key (flushed, expired): the database row still holds.
		_ = marks.Delete(ctx, "job:ok:2026-10")
		res, _ = sch.Execute(ctx, occ, false)
		if res.Status != jobs.RunSkipped || res.Previous == nil || res.Previous.Status != models.JobDone || res.Previous.Items != 3 {
			t.Errorf("run after Redis lost the key = %+v, want skipped by the database", res)
		}
		// Without Redis at all the database alone decides.
		sqlOnly := newScheduler(t, s, nil, js, func() time.Time { return now })
		if res, _ := sqlOnly.Execute(ctx, occ, false); res.Status != jobs.RunSkipped {
			t.Errorf("SQL-only run = %+v, want skipped", res)
		}
		if runs.Load() != 1 {
			t.Fatalf("job ran %d times, want 1", runs.Load())
		}
		if res, err := sch.Execute(ctx, occ, true); err != nil || res.Status != jobs.RunDone || runs.Load() != 2 {
			t.Errorf("forced run = %+v, %v (runs %d)", res, err, runs.Load())
		}

		focc, _ := sch.Occurrence("fails", "2026-10", time.Time{})
		if res, err := sch.Execute(ctx, focc, false); !errors.Is(err, fail) || res.Status != jobs.RunFailed {
			t.Errorf("failing run = %+v, %v", res, err)
		}
		if res, _ := sqlOnly.Execute(ctx, focc, false); res.Status != jobs.RunSkipped || res.Previous == nil || res.Previous.Status != models.JobFailed || res.Previous.Error != "no database" {
			t.Errorf("failed occurrence again = %+v, want skipped with the failure on record", res)
		}

		pocc, _ := sch.Occurrence("panics", "2026-10", time.Time{})
		func() {
			defer func() {
				if recover() == nil {
					t.Error("the panic was swallowed; cron.Recover should see it")
				}
			}()
			_, _ = sch.Execute(ctx, pocc, false)
		}()
		var run models.JobRun
		testenv.DB(t, s).Where("name = ?", "panics").First(&run)
		if run.Status != models.JobFailed || !strings.Contains(run.Error, "boom") || run.FinishedAt == nil {
			t.Errorf("panicked run recorded as %+v", run)
		}
	})
}

// everySecond is a period per second, for driving the real cron clock in tests.
var everySecond = jobs.Period{
	Of: func(t time.Time) string { return t.Format(time.RFC3339) },
	Bounds: func(s string, loc *time.Location) (time.Time, time.Time, error) {
		t, err := time.ParseInLocation(time.RFC3339, s, loc)
		return t, t.Add(time.Second), err
	},
}

// TestCronChain runs the real cron: a job that panics runs again at its next time (Recover
// inside SkipIfStillRunning), and a job still running when its next time comes is skipped, not
// run twice at once.
func TestCronChain(t *testing.T) {
	s := openStore(t, testenv.SQLiteURL(t))
	var panicky, slow, concurrent, maxConcurrent atomic.Int32
	js := []jobs.Job{
		{Name: "panicky", Period: everySecond, Run: func(ctx context.Context, occ jobs.Occurrence) (int, error) {
			if panicky.Add(1) == 1 {
				panic("first run fails")
			}
			return 0, nil
		}},
		{Name: "slow", Period: everySecond, Run: func(ctx context.Context, occ jobs.Occurrence) (int, error) {
			slow.Add(1)
			n := concurrent.Add(1)
			defer concurrent.Add(-1)
			for {
				m := maxConcurrent.Load()
				if n <= m || maxConcurrent.CompareAndSwap(m, n) {
					break
				}
			}
			time.Sleep(2500 * time.Millisecond)
			return 0, nil
		}},
	}
	var logs testenv.LogBuffer
	sch, err := jobs.NewScheduler(jobs.SchedulerOptions{Location: testenv.Shanghai, Claims: s, Logger: logTo(&logs)},
		js, map[string]string{"panicky": "@every 1s", "slow": "@every 1s"})
	if err != nil {
		t.Fatal(err)
	}
	sch.Start(ctxT(t))
	// Three ticks: the first panics, and the second and third come while slow's first run (2.5 s)
	// still holds, so a chain that ran it again would overlap.
	testenv.WaitFor(t, 30*time.Second, "the panicking job to run again after its panic, three runs in all", func() bool { return panicky.Load() >= 3 && slow.Load() >= 1 })
	<-sch.Stop().Done()
	if maxConcurrent.Load() != 1 || slow.Load() > 2 {
		t.Errorf("slow job: %d runs, %d at once; want at most 2 runs, never overlapping", slow.Load(), maxConcurrent.Load())
	}
	// The skipped tick is a warning the operator sees; cron's routine wake-ups are not.
	out := logs.String()
	if !strings.Contains(out, "level=WARN msg=\"cron: job still running, this run skipped\"") {
		t.Errorf("no warning of the skipped run:\n%s", out)
	}
	if !strings.Contains(out, "level=DEBUG msg=\"cron: wake\"") || strings.Contains(out, "msg=\"cron: skip\"") {
		t.Errorf("cron's wake-ups not at debug, or the skip not worded:\n%s", out)
	}
}

// TestTwoReplicasMonthlyStar fires the monthly star of one month on two replicas at the same
// moment, sharing Redis and PostgreSQL: each recipient gets exactly one announcement.
func TestTwoReplicasMonthlyStar(t *testing.T) {
	url := testenv.PostgresURL(t)
	a, b := openStore(t, url), openStore(t, url)
	ctx := ctxT(t)
	fx := newStarFixture(t, a)
	marksA, prefix := redisMarks(t)
	marksB := state.NewRedis(marksA.Client(), prefix)
	at := time.Date(2026, 11, 1, 9, 0, 0, 0, testenv.Shanghai)
	clock := func() time.Time { return at }
	schA := newScheduler(t, a, marksA, jobs.Catalog(testDeps(a)), clock)
	schB := newScheduler(t, b, marksB, jobs.Catalog(testDeps(b)), clock)
	occ, err := schA.Occurrence(jobs.MonthlyStar, "", at)
	if err != nil || occ.Period != "2026-10" {
		t.Fatalf("occurrence = %+v, %v", occ, err)
	}
	for round := range 5 { // the race is decided differently each time
		_ = round
		var wg sync.WaitGroup
		results := make([]jobs.Result, 2)
		start := make(chan struct{})
		for i, sch := range []*jobs.Scheduler{schA, schB} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				var err error
				results[i], err = sch.Execute(ctx, occ, false)
				if err != nil {
					t.Error(err)
				}
			}()
		}
		close(start)
		wg.Wait()
		done := 0
		for _, r := range results {
			if r.Status == jobs.RunDone {
				done++
			}
		}
		if want := map[bool]int{true: 1, false: 0}[round == 0]; done != want {
			t.Fatalf("round %d: %d replicas ran the occurrence (%+v), want %d", round, done, results, want)
		}
	}
	// Each recipient has exactly one announcement queued, and gets exactly one message.
	var rows []struct {
		CitizenID uint
		N         int
	}
	testenv.DB(t, a).Table("pushes").Select("citizen_id, COUNT(*) AS n").Where("kind = ?", jobs.KindMonthlyStar).Group("citizen_id").Scan(&rows)
	if len(rows) != len(fx.recipients) {
		t.Errorf("%d recipients queued, want %d", len(rows), len(fx.recipients))
	}
	for _, r := range rows {
		if r.N != 1 {
			t.Errorf("citizen %d has %d announcements", r.CitizenID, r.N)
		}
	}
	sender := newRecorder(nil)
	var wg sync.WaitGroup
	for _, s := range []*models.Store{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := jobs.NewDispatcher(jobs.DispatcherOptions{Outbox: s, Senders: jobs.Senders{"telegram": sender, "wechat": sender},
				Announcements: jobs.Announcements, Logger: testenv.Logger(), Now: clock, Batch: 2})
			if err := drainRounds(ctx, d, 1000); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := sender.total(); got != len(fx.recipients) {
		t.Errorf("delivered %d announcements to %d recipients", got, len(fx.recipients))
	}
	perChat := map[string]int{}
	for _, to := range sender.order {
		perChat[string(to.Platform)+":"+to.ChatID]++
	}
	for chat, n := range perChat {
		if n != 1 {
			t.Errorf("%s got %d announcements", chat, n)
		}
	}
	var stars int64
	testenv.DB(t, a).Model(&models.ServiceStar{}).Count(&stars)
	if stars != 1 {
		t.Errorf("%d stars stored, want 1", stars)
	}
}

// brokenClaims fails to record claims, as a database that is down.
type brokenClaims struct{}

func (brokenClaims) ClaimJobRun(context.Context, string, string, string, time.Time) (bool, *models.JobRun, error) {
	return false, nil, errors.New("database down")
}

func (brokenClaims) FinishJobRun(context.Context, uint, int, error, time.Time) error { return nil }

// A claim taken in Redis whose database row could not be written is given back: nothing ran, and
// otherwise no replica would ever run that occurrence.
func TestExecuteReleasesRedisClaimWhenTheDatabaseFails(t *testing.T) {
	s := openStore(t, testenv.SQLiteURL(t))
	marks, _ := redisMarks(t)
	ran := 0
	js := []jobs.Job{{Name: "j", Period: jobs.Day, Run: func(context.Context, jobs.Occurrence) (int, error) { ran++; return 0, nil }}}
	broken, err := jobs.NewScheduler(jobs.SchedulerOptions{Location: testenv.Shanghai, Claims: brokenClaims{}, Marks: marks, Logger: testenv.Logger()}, js, nil)
	if err != nil {
		t.Fatal(err)
	}
	occ, _ := broken.Occurrence("j", "2026-11-23", time.Time{})
	if _, err := broken.Execute(ctxT(t), occ, false); err == nil {
		t.Fatal("no error from a failed claim")
	}
	ok := newScheduler(t, s, marks, js, time.Now)
	if res, err := ok.Execute(ctxT(t), occ, false); err != nil || res.Status != jobs.RunDone || ran != 1 {
		t.Errorf("after the database came back: %+v, %v, ran %d", res, err, ran)
	}
}
