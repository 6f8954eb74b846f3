package cli

import (
	"context"

	"windowbot/bot/poster"
	"windowbot/flows"
	"windowbot/flows/state"
	"windowbot/jobs"
	"windowbot/models"
)

// openStoreReading opens the database for a command that only reads: it migrates nothing and
// refuses a database whose schema is behind.
func (a *app) openStoreReading(ctx context.Context) (*models.Store, error) {
	return a.openDatabase(ctx, (*models.Store).CheckSchema)
}

// openStore opens the database, applies pending migrations, and sets the ticket deadlines of the
// configured calendar.
func (a *app) openStore(ctx context.Context) (*models.Store, error) {
	rules, err := a.cfg.TicketRules(a.loc)
	if err != nil {
		return nil, err
	}
	sup, err := a.cfg.SupervisionRules()
	if err != nil {
		return nil, err
	}
	opts := []models.Option{models.WithTicketRules(rules), models.WithSupervision(sup)}
	if a.cfg.SMS.Provider != "" {
		// Complainants on the web chat who left a phone are texted their ticket's progress.
		opts = append(opts, models.WithTicketSMS(func(token string) string { return poster.WebTicketLink(a.cfg.PublicURL, token) }))
	}
	return a.openDatabase(ctx, (*models.Store).Migrate, opts...)
}

// openDatabase opens the database and readies it with prepare (a migration, a schema check),
// closing it again if that fails.
func (a *app) openDatabase(ctx context.Context, prepare func(*models.Store, context.Context) error, opts ...models.Option) (*models.Store, error) {
	if a.cfg.Database.ReadURL != "" {
		opts = append(opts, models.WithReadReplica(a.cfg.Database.ReadURL, a.cfg.Database.ReadMaxLag))
	}
	s, err := models.Open(ctx, a.cfg.DatabaseURL, a.logger, opts...)
	if err != nil {
		return nil, err
	}
	if err := prepare(s, ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// sharedState is what the state stores of flows/state keep outside the database: the dialogs'
// State, and the job claims and push sent log of package jobs.
type sharedState interface {
	flows.State
	jobs.Marks
}

var (
	_ sharedState = (*state.Redis)(nil)
	_ sharedState = (*state.Memory)(nil)
)

// openState opens the state store for the server, warning that an in-process one confines the
// deployment to a single replica.
func (a *app) openState(ctx context.Context) (sharedState, error) {
	if !a.cfg.UsesRedis() {
		a.logger.Warn("state: in-process store (no redis_url): dialogs, dedupe keys and locks live in this process; run a single replica only")
	}
	return a.openStateQuiet(ctx)
}

// openStateQuiet is openState without the single-replica warning, for one-off commands.
func (a *app) openStateQuiet(ctx context.Context) (sharedState, error) {
	switch {
	case a.cfg.RedisURL != "":
		return state.OpenRedis(ctx, a.cfg.RedisURL, "wb:")
	case len(a.cfg.Redis.Addrs) > 0:
		return state.OpenRedisHA(ctx, state.RedisOptions{
			Mode: a.cfg.Redis.Mode, Addrs: a.cfg.Redis.Addrs, MasterName: a.cfg.Redis.MasterName, Password: a.cfg.Redis.Password,
		}, "wb:")
	}
	return state.NewMemory(nil).Limit(a.cfg.MemoryMaxEntries, a.logger), nil
}
