package cli

import (
	"context"
	"fmt"

	"windowbot/models"
)

// cmdMigrate is `windowbot migrate`: it applies the pending schema migrations. The store logs
// each migration it applies; the one line printed says what the run did as a whole — moved the
// schema from one version to another, or found it up to date — never both. With --recount it
// then makes the daily counts of the ratings again from the ratings themselves, for after a bulk
// load with the ratings' triggers switched off (docs/operations.md).
func cmdMigrate(ctx context.Context, a *app, args []string) error {
	fs := flags("migrate", a.stderr)
	recount := fs.Bool("recount", false, "count the ratings into the daily counts again, after a bulk load with the triggers off")
	if err := parse(fs, args); err != nil {
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
	} else {
		fmt.Fprintf(a.stdout, "database schema migrated from version %d to %d\n", before, after)
	}
	if !*recount {
		return nil
	}
	if err := s.RecountRatingDays(ctx); err != nil {
		return err
	}
	// The channel counts were just made from every rating: their sum is how many there are.
	counts, err := s.RatingCounts(ctx)
	if err != nil {
		return err
	}
	n := 0
	for _, c := range counts {
		n += c.N
	}
	fmt.Fprintf(a.stdout, "daily counts made again from %d ratings\n", n)
	return nil
}
