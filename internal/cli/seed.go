package cli

import (
	"context"
	"fmt"

	"windowbot/bot/poster"
	"windowbot/models"
)

// cmdSeed is `windowbot seed --demo`: it adds the demo service center with its windows and staff.
func cmdSeed(ctx context.Context, a *app, args []string) error {
	fs := flags("seed", a.stderr)
	demo := fs.Bool("demo", false, "add the demo service center with its windows and staff")
	if err := parse(fs, args); err != nil {
		return err
	}
	if !*demo {
		fmt.Fprintln(a.stderr, "seed: say what to add: --demo")
		return errUsage
	}
	s, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.SeedDemo(ctx); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "demo center %s is ready; rate it at %s\n", models.DemoCenterCode,
		poster.WebLink(a.cfg.PublicURL, poster.Target{WindowCode: models.DemoWindowCodes[0]}))
	return nil
}
