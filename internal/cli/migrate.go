package cli

import (
	"context"
	"fmt"
)

// cmdMigrate is `windowbot migrate`: it applies the pending schema migrations.
func cmdMigrate(ctx context.Context, a *app, args []string) error {
	if err := parse(flags("migrate", a.stderr), args); err != nil {
		return err
	}
	s, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Fprintln(a.stdout, "database schema is up to date")
	return nil
}
