package cli

import (
	"context"
	"fmt"

	"windowbot/models"
)

// cmdMigrate is `windowbot migrate`: it applies the pending schema migrations. The store logs
// each migration it applies; the one line printed says what the run did as a whole — moved the
// schema from one version to another, or found it up to date — never both.
func cmdMigrate(ctx context.Context, a *app, args []string) error {
	if err := parse(flags("migrate", a.stderr), args); err != nil {
		return err
	}
	var before, after int
	s, err := a.openDatabase(ctx, func(s *models.Store, ctx context.Context) error {
		var err error
		if before, err = s.SchemaVersion(ctx); err != nil {
			return err
		}
		if err := s.Migrate(ctx); err != nil {
			return err
		}
		after, err = s.SchemaVersion(ctx)
		return err
	})
	if err != nil {
		return err
	}
	defer s.Close()
	if after == before {
		fmt.Fprintf(a.stdout, "database schema is up to date (version %d)\n", after)
		return nil
	}
	fmt.Fprintf(a.stdout, "database schema migrated from version %d to %d\n", before, after)
	return nil
}
