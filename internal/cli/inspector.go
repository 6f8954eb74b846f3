package cli

import (
	"context"
	"fmt"
	"time"
)

// cmdInspector adds citizen inspectors (市民督察员) and issues their binding codes:
//
//	windowbot inspector invite --name NAME --phone PHONE [--valid 72h]   prints a one-time code alone on stdout
//
// The inspector then sends "/bind CODE" from any channel.
func cmdInspector(ctx context.Context, a *app, args []string) error {
	if len(args) == 0 || args[0] != "invite" {
		fmt.Fprintln(a.stderr, "inspector: the subcommand is invite")
		return errUsage
	}
	fs := flags("inspector invite", a.stderr)
	name := fs.String("name", "", "the inspector's name")
	phone := fs.String("phone", "", "the inspector's mobile number, for the office to reach them")
	valid := a.cfg.Staff.InviteValidity
	fs.DurationVar(&valid, "valid", valid, "how long the code can be used")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *name == "" || *phone == "" {
		fmt.Fprintln(a.stderr, "inspector: name the inspector with --name and --phone")
		return errUsage
	}
	if valid <= 0 {
		fmt.Fprintln(a.stderr, "inspector: --valid must be positive")
		return errUsage
	}
	s, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	now := time.Now()
	code, st, err := s.CreateInspector(ctx, *name, *phone, valid, now)
	if err != nil {
		return err
	}
	a.logger.Info("citizen inspector added", "staff_no", st.StaffNo, "valid", valid)
	fmt.Fprintf(a.stderr, "citizen inspector %s %s added; binding code valid until %s; send \"/bind CODE\" from any channel:\n",
		st.StaffNo, st.Name, now.Add(valid).In(a.loc).Format("2006-01-02 15:04 MST"))
	fmt.Fprintln(a.stdout, code)
	return nil
}
