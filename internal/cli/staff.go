package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"windowbot/models"
)

// cmdStaff issues binding codes and revokes bindings:
//
//	windowbot staff invite --staff-no NO [--valid 72h]   prints a one-time code alone on stdout
//	windowbot staff revoke --staff-no NO                  unbinds every chat account of NO
func cmdStaff(ctx context.Context, a *app, args []string) error {
	if len(args) == 0 {
		return errUsage
	}
	sub, args := args[0], args[1:]
	fs := flags("staff "+sub, a.stderr)
	staffNo := fs.String("staff-no", "", "the staff number (工号) as imported")
	valid := a.cfg.Staff.InviteValidity
	if sub == "invite" {
		fs.DurationVar(&valid, "valid", valid, "how long the code can be used")
	}
	if sub != "invite" && sub != "revoke" {
		fmt.Fprintf(a.stderr, "staff: unknown subcommand %q (invite or revoke)\n", sub)
		return errUsage
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if *staffNo == "" {
		fmt.Fprintln(a.stderr, "staff: name the person with --staff-no")
		return errUsage
	}
	if valid <= 0 {
		fmt.Fprintln(a.stderr, "staff: --valid must be positive")
		return errUsage
	}
	s, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	now := time.Now()
	if sub == "revoke" {
		n, err := s.RevokeStaff(ctx, *staffNo, now)
		if errors.Is(err, models.ErrNotFound) {
			return fmt.Errorf("staff: no staff member %q", *staffNo)
		}
		if err != nil {
			return err
		}
		a.logger.Info("staff bindings revoked", "staff_no", *staffNo, "accounts", n)
		fmt.Fprintf(a.stdout, "%s: %d chat account(s) unbound, unused codes revoked\n", *staffNo, n)
		return nil
	}
	code, st, err := s.CreateInvite(ctx, *staffNo, valid, now)
	if errors.Is(err, models.ErrNotFound) {
		return fmt.Errorf("staff: no staff member %q", *staffNo)
	}
	if err != nil {
		return err
	}
	a.logger.Info("binding code issued", "staff_no", st.StaffNo, "valid", valid)
	// The code goes alone to stdout, so that it can be captured; the explanation to stderr.
	fmt.Fprintf(a.stderr, "binding code for %s %s (%s), valid until %s; send \"/bind CODE\" from the chat account:\n",
		st.StaffNo, st.Name, st.Role, now.Add(valid).In(a.loc).Format("2006-01-02 15:04 MST"))
	fmt.Fprintln(a.stdout, code)
	return nil
}
