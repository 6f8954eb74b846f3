package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"windowbot/models"
)

func TestJobsCommands(t *testing.T) {
	e := baseEnv(t, nil)
	// Read-only commands leave a database that was never migrated alone, and say what to do.
	for _, args := range [][]string{{"jobs", "list"}, {"push", "failed"}} {
		if code, _, errs := runCmd(t, e, args...); code != 1 || !strings.Contains(errs, "run `windowbot migrate`") {
			t.Errorf("%v on a new database: %d %s", args, code, errs)
		}
	}
	if code, _, errs := runCmd(t, e, "seed", "--demo"); code != 0 {
		t.Fatal(errs)
	}
	code, out, errs := runCmd(t, e, "jobs", "list")
	if code != 0 {
		t.Fatalf("jobs list: %d %s", code, errs)
	}
	for _, want := range []string{"JOB", "NEXT RUN (Asia/Shanghai)", "monthly-star", "0 9 1 * *", "yearly-ranking", "daily-digest"} {
		if !strings.Contains(out, want) {
			t.Errorf("jobs list lacks %q:\n%s", want, out)
		}
	}
	// The jobs of working days are listed with their next run on a working day of the hall's
	// calendar, whatever day the test runs on.
	cal := models.DefaultTicketRules(mustZone(t)).Calendar
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 8 || (f[0] != "daily-digest" && f[0] != "deadline-reminders" && f[0] != "overdue-escalation") {
			continue
		}
		next, err := time.ParseInLocation("2006-01-02 15:04", f[6]+" "+f[7], mustZone(t))
		if err != nil {
			t.Fatalf("%s: next run %v: %v", f[0], f[6:], err)
		}
		if !cal.IsWorkday(next) {
			t.Errorf("%s next runs on %s, not a working day", f[0], next.Format("2006-01-02 Mon"))
		}
	}
	code, out, errs = runCmd(t, e, "jobs", "run", "monthly-star", "--period", "2026-10")
	if code != 0 || !strings.Contains(out, "monthly-star 2026-10 (as at 2026-11-01 09:00 CST): done") {
		t.Fatalf("jobs run: %d %q %s", code, out, errs)
	}
	code, out, _ = runCmd(t, e, "jobs", "run", "monthly-star", "--at", "2026-11-01T09:00:00+08:00")
	if code != 0 || !strings.Contains(out, "already ran (done by") || !strings.Contains(out, "nothing was sent again") {
		t.Errorf("second run: %d %q", code, out)
	}
	if code, out, _ = runCmd(t, e, "jobs", "run", "monthly-star", "--period", "2026-10", "--again"); code != 0 || !strings.Contains(out, ": done") {
		t.Errorf("forced run: %d %q", code, out)
	}
	// An occurrence that is not due is refused, and not recorded: the scheduled run will do it.
	sh, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Now().In(sh)
	for _, args := range [][]string{
		{"monthly-report", "--period", now.Format("2006-01")},
		{"monthly-report", "--period", now.AddDate(0, 2, 0).Format("2006-01")},
		{"yearly-ranking", "--period", now.Format("2006")},
		{"daily-digest", "--period", now.AddDate(0, 0, 2).Format(time.DateOnly)},
		{"monthly-star", "--at", now.AddDate(0, 0, 1).Format(time.RFC3339)},
		{"monthly-report", "--period", now.Format("2006-01"), "--again"},
	} {
		code, out, errs := runCmd(t, e, append([]string{"jobs", "run"}, args...)...)
		if code != 1 || !strings.Contains(errs, "refused") || !strings.Contains(errs, "is due at") || out != "" {
			t.Errorf("jobs run %v: %d %q %s", args, code, out, errs)
		}
	}
	code, out, _ = runCmd(t, e, "jobs", "list")
	if strings.Contains(out, now.Format("2006-01")+" ") {
		t.Errorf("a refused occurrence was recorded:\n%s", out)
	}
	if !strings.Contains(out, "2026-10 done at") {
		t.Errorf("jobs list shows no last run:\n%s", out)
	}
	for _, bad := range [][]string{
		{"jobs"}, {"jobs", "run"}, {"jobs", "run", "weekly-star"}, {"jobs", "run", "monthly-star", "--period", "October"},
		{"jobs", "run", "monthly-star", "--at", "tomorrow"}, {"jobs", "run", "monthly-star", "--period", "2026-10", "--at", "2026-11-01T09:00:00+08:00"},
		{"push"}, {"push", "sent"},
	} {
		if code, _, _ := runCmd(t, e, bad...); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}

	if code, out, _ = runCmd(t, e, "push", "failed"); code != 0 || !strings.Contains(out, "no failed pushes") {
		t.Errorf("push failed: %d %q", code, out)
	}
	ctx := context.Background()
	s, err := models.Open(ctx, e["WINDOWBOT_DATABASE_URL"], nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, _ := s.TouchCitizen(ctx, "telegram", "42", "zh-CN", time.Now())
	if err := s.EnqueuePushes(ctx, time.Now(), &models.Push{DedupeKey: "k", Kind: "monthly_star", CitizenID: c.ID, Text: "hello"}); err != nil {
		t.Fatal(err)
	}
	ps, _ := s.ClaimPushes(ctx, time.Now(), time.Minute, "x", 1)
	if err := s.SettlePush(ctx, &ps[0], "x", time.Now(), models.PushSettlement{State: models.PushFailed, Attempted: true, Reason: "telegram: send: bot: permanent send failure: bad request"}); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCmd(t, e, "push", "failed")
	if code != 0 || !strings.Contains(out, "monthly_star") || !strings.Contains(out, "telegram") || !strings.Contains(out, "bad request") || strings.Contains(out, "hello") {
		t.Errorf("push failed: %d\n%s", code, out)
	}
}

func mustZone(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
