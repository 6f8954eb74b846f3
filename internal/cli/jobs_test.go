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
	code, out, _ = runCmd(t, e, "jobs", "list")
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
