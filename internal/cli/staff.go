package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"windowbot/models"
)

// cmdStaff lists the staff, issues binding codes and revokes bindings:
//
//	windowbot staff list                                  a table of every staff record
//	windowbot staff invite --staff-no NO [--valid 72h]   prints a one-time code alone on stdout
//	windowbot staff revoke --staff-no NO                  unbinds every chat account of NO
func cmdStaff(ctx context.Context, a *app, args []string) error {
	if len(args) == 0 {
		return errUsage
	}
	sub, args := args[0], args[1:]
	if sub == "list" {
		if err := parse(flags("staff list", a.stderr), args); err != nil {
			return err
		}
		return a.staffList(ctx)
	}
	fs := flags("staff "+sub, a.stderr)
	staffNo := fs.String("staff-no", "", "the staff number (工号) as imported")
	valid := a.cfg.Staff.InviteValidity
	if sub == "invite" {
		fs.DurationVar(&valid, "valid", valid, "how long the code can be used")
	}
	if sub != "invite" && sub != "revoke" {
		fmt.Fprintf(a.stderr, "staff: unknown subcommand %q (list, invite or revoke)\n", sub)
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

// staffList prints every staff record: the staff number to give `staff invite`, the name, the
// role, the window (and center) they work at, and whether a chat account is bound to them.
func (a *app) staffList(ctx context.Context) error {
	s, err := a.openStoreReading(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	list, err := s.StaffList(ctx)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(a.stdout, "no staff yet: import them with `windowbot import --staff staff.csv` (or `windowbot seed --demo`)")
		return nil
	}
	rows := [][]string{{"STAFF NO", "NAME", "ROLE", "WINDOW", "CENTER", "BOUND"}}
	for _, l := range list {
		window, center := "-", "-"
		if w := l.Window; w != nil {
			window = w.Code + " " + w.Name
			if w.Center != nil {
				center = w.Center.Code
			}
		}
		if l.Center != nil {
			center = l.Center.Code
		}
		bound := "no"
		if l.Accounts > 0 {
			bound = fmt.Sprintf("yes (%d)", l.Accounts)
		}
		rows = append(rows, []string{l.StaffNo, l.Name, l.Role, window, center, bound})
	}
	return writeTable(a.stdout, rows)
}
