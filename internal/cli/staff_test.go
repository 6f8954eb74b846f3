package cli

import (
	"context"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"windowbot/internal/testenv"
	"windowbot/models"
)

func TestStaffInviteAndRevoke(t *testing.T) {
	e := baseEnv(t, map[string]string{"WINDOWBOT_STAFF_INVITE_VALIDITY": "2h"})
	if code, _, errs := runCmd(t, e, "seed", "--demo"); code != 0 {
		t.Fatalf("seed: %d %s", code, errs)
	}
	code, out, errs := runCmd(t, e, "staff", "invite", "--staff-no", "DEMO-001")
	if code != 0 || !regexp.MustCompile(`^[2-9A-HJKMNP-Z]{12}\n$`).MatchString(out) {
		t.Fatalf("invite: %d stdout %q stderr %q", code, out, errs)
	}
	if !strings.Contains(errs, "DEMO-001 张伟 (staff)") || !strings.Contains(errs, "/bind") {
		t.Fatalf("invite explanation = %q", errs)
	}
	invite := strings.TrimSpace(out)

	ctx := context.Background()
	s, err := models.Open(ctx, e["WINDOWBOT_DATABASE_URL"], slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var inv models.StaffInvite
	testenv.OpenDB(t, e["WINDOWBOT_DATABASE_URL"]).Order("id DESC").First(&inv)
	if d := inv.ExpiresAt.Sub(inv.CreatedAt); d != 2*time.Hour {
		t.Fatalf("validity = %s, want the configured 2h", d)
	}
	c, _ := s.TouchCitizen(ctx, "telegram", "42", "", time.Now())
	if _, err := s.RedeemInvite(ctx, invite, c.ID, time.Now()); err != nil {
		t.Fatalf("the printed code does not bind: %v", err)
	}
	if code, out, _ := runCmd(t, e, "staff", "invite", "--staff-no", "DEMO-001", "--valid", "30m"); code != 0 || len(strings.TrimSpace(out)) != 12 {
		t.Fatalf("invite --valid: %d %q", code, out)
	}

	code, out, errs = runCmd(t, e, "staff", "revoke", "--staff-no", "DEMO-001")
	if code != 0 || !strings.Contains(out, "DEMO-001: 1 chat account(s) unbound") {
		t.Fatalf("revoke: %d %q %q", code, out, errs)
	}
	back, _ := s.TouchCitizen(ctx, "telegram", "42", "", time.Now())
	if back.StaffID != nil {
		t.Fatal("still bound after revoke")
	}
	var unused models.StaffInvite
	testenv.OpenDB(t, e["WINDOWBOT_DATABASE_URL"]).Order("id DESC").First(&unused)
	if unused.RevokedAt == nil {
		t.Fatal("the unused code was not revoked")
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"staff"}, 2, "usage: windowbot staff list | staff invite"},
		{[]string{"staff", "list", "now"}, 2, `unexpected argument "now"`},
		{[]string{"staff", "promote", "--staff-no", "X"}, 2, `unknown subcommand "promote"`},
		{[]string{"staff", "invite"}, 2, "--staff-no"},
		{[]string{"staff", "revoke", "--staff-no", "X", "--valid", "1h"}, 2, "usage: windowbot staff"},
		{[]string{"staff", "invite", "--staff-no", "NOBODY"}, 1, `no staff member "NOBODY"`},
		{[]string{"staff", "revoke", "--staff-no", "NOBODY"}, 1, `no staff member "NOBODY"`},
	} {
		code, out, errs := runCmd(t, e, tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.want) || out != "" {
			t.Errorf("%v: %d stdout %q stderr %q, want %d and %q", tc.args, code, out, errs, tc.code, tc.want)
		}
	}
}

// TestStaffList: every staff record with the number `staff invite` takes, the window, and
// whether a chat account is bound; columns line up on a terminal although names are Chinese.
func TestStaffList(t *testing.T) {
	e := baseEnv(t, nil)
	if code, out, _ := runCmd(t, e, "staff", "list"); code != 1 {
		t.Fatalf("staff list before migrate: %d %q", code, out)
	}
	if code, _, errs := runCmd(t, e, "seed", "--demo"); code != 0 {
		t.Fatalf("seed: %d %s", code, errs)
	}
	code, out, errs := runCmd(t, e, "staff", "list")
	if code != 0 {
		t.Fatalf("staff list: %d %s", code, errs)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 11 || !strings.HasPrefix(lines[0], "STAFF NO") {
		t.Fatalf("staff list:\n%s", out)
	}
	for _, want := range []string{"DEMO-001  张伟  staff       W001 不动产登记  DEMO    no", "DEMO-L01  孙敏  lead        W001 不动产登记  DEMO    no", "DEMO-S01  周强  supervisor  -                DEMO    no"} {
		if !strings.Contains(out, want) {
			t.Errorf("staff list lacks %q:\n%s", want, out)
		}
	}
	// Bind one, and the list says so.
	code, invite, _ := runCmd(t, e, "staff", "invite", "--staff-no", "DEMO-003")
	if code != 0 {
		t.Fatal("invite")
	}
	ctx := context.Background()
	s, err := models.Open(ctx, e["WINDOWBOT_DATABASE_URL"], slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, _ := s.TouchCitizen(ctx, "wechat", "o-staff", "", time.Now())
	if _, err := s.RedeemInvite(ctx, strings.TrimSpace(invite), c.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, out, _ = runCmd(t, e, "staff", "list"); !strings.Contains(out, "DEMO-003  王芳  staff       W002 社保医保    DEMO    yes (1)") {
		t.Errorf("bound staff not shown:\n%s", out)
	}
}
