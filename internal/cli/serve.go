package cli

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"windowbot/bot"
	"windowbot/bot/poster"
	"windowbot/bot/telegram"
	"windowbot/bot/web"
	"windowbot/bot/wechat"
	"windowbot/configs"
	"windowbot/flows"
	"windowbot/handlers"
	"windowbot/handlers/api"
	"windowbot/jobs"
	"windowbot/models"
)

// cmdServe is `windowbot serve`: the HTTP server with the web chat, the admin API and the board,
// the Telegram and WeChat channels when configured, the push dispatcher and the schedules, until
// ctx ends.
func cmdServe(ctx context.Context, a *app, args []string) error {
	if err := parse(flags("serve", a.stderr), args); err != nil {
		return err
	}
	store, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := a.seedIfEmptyEmbedded(ctx, store); err != nil {
		return err
	}
	st, err := a.openState(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	srv, err := a.newServer(store, st)
	if err != nil {
		return err
	}
	if srv.sampleWindow, err = store.FirstWindowCode(ctx); err != nil {
		return err
	}
	return srv.run(ctx)
}

// server is what serve runs, built over open stores.
type server struct {
	a          *app
	http       *http.Server
	tg         *telegram.Adapter // nil without a bot token
	wx         *wechat.Adapter   // nil without an app id
	dispatcher *jobs.Dispatcher
	scheduler  *jobs.Scheduler
	reports    *jobs.ReportSender // nil without report.url
	reminders  *jobs.CaseReminders
	fraud      *jobs.FraudScan
	// sampleWindow is a window the start-up banner links to, "" when there is none yet.
	sampleWindow string
}

// newServer builds the dialogs, the channels, the HTTP routes, the push pipeline and the
// schedules over store and st. Nothing runs yet.
func (a *app) newServer(store *models.Store, st sharedState) (*server, error) {
	engine := flows.NewEngine(flows.Options{
		State: st, Store: store, Logger: a.logger, SessionTTL: a.cfg.SessionTTL, Lang: a.cfg.Language,
	}, flows.CitizenFlows(store, st, a.loc, a.cfg.RatingPeriodDays, a.cfg.SessionTTL)...)
	refs := a.pseudonyms()
	// The desk ranks and picks stars with the thresholds of the jobs, so /rank and /star agree
	// with the announcements.
	target := a.cfg.Jobs.Target()
	desk := handlers.NewDesk(handlers.DeskOptions{Store: store, State: st, Pseudonyms: refs, Logger: a.logger,
		Target: target, MinRatings: a.cfg.Jobs.MinRatings})
	router := handlers.NewRouter(engine, a.logger, handlers.WithDesk(desk), handlers.WithSubscriptions(store))

	mux := http.NewServeMux()
	api.Health(mux, map[string]api.Pinger{"database": store, "state": st})
	api.NewAdmin(api.Options{Store: store, Token: a.cfg.AdminToken, Target: target, Location: a.loc,
		Pseudonyms: refs, Logger: a.logger}).Routes(mux)
	api.NewBoard(api.BoardOptions{Store: store, Target: target, MinRatings: a.cfg.Jobs.MinRatings, CacheTTL: a.cfg.Board.CacheTTL,
		StaffNames: a.cfg.Board.StaffNames, Location: a.loc, Logger: a.logger}).Routes(mux)

	s := &server{a: a}
	senders, err := s.channels(mux, router, store, st)
	if err != nil {
		return nil, err
	}
	// The channels exist only now; the invitations' links and /invite's pictures need them.
	cases := a.casesOptions(store, s.tg, s.wx)
	api.NewCases(cases).Routes(mux)
	desk.SetInvitations(poster.CounterQR{Links: cases.Links}, a.cfg.Cases.ExpiryDays)
	// Pushes and scheduled jobs: every replica dispatches the outbox and runs the schedules;
	// claims keep each push and each job occurrence to one replica. The state store keeps the
	// job claims and the push sent log: in Redis, shared by the replicas; in process otherwise.
	reg := prometheus.NewRegistry()
	metrics := jobs.NewMetrics(reg, store, a.logger)
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		api.NewBusinessCollector(api.BusinessOptions{Store: store, Logger: a.logger}))
	mux.Handle("GET /metrics", api.Metrics(reg, a.cfg.AdminToken))
	if s.dispatcher, err = a.dispatcher(store, senders, st, metrics); err != nil {
		return nil, err
	}
	if s.scheduler, err = a.scheduler(store, st, metrics, s.dispatcher.Wake); err != nil {
		return nil, err
	}
	if s.reports, err = a.reportSender(store); err != nil {
		return nil, err
	}
	s.fraud = &jobs.FraudScan{Store: store, Logger: a.logger}
	s.reminders = &jobs.CaseReminders{Store: store, After: a.cfg.Cases.ReminderAfter, Logger: a.logger, Queued: s.dispatcher.Wake,
		Link: func(token string) string { return poster.WebCaseLink(a.cfg.PublicURL, token) }}
	s.http = &http.Server{
		Addr:              a.cfg.HTTPAddr,
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	return s, nil
}

// channels builds the web chat and, when configured, the WeChat and Telegram channels over
// router, adds their routes to mux, and returns them as the senders of pushes.
func (s *server) channels(mux *http.ServeMux, router bot.Handler, store *models.Store, st sharedState) (jobs.Senders, error) {
	a := s.a
	proxies, err := a.cfg.TrustedProxyPrefixes() // checked by Validate
	if err != nil {
		return nil, err
	}
	webChat := web.New(web.Options{Handler: router, Logger: a.logger, Lang: a.cfg.Language, TrustedProxies: proxies,
		Inbox: store, History: st, HistoryTTL: a.cfg.WebHistoryTTL})
	webChat.Routes(mux)
	senders := jobs.Senders{bot.Web: webChat}
	if a.cfg.WeChat.AppID != "" {
		if s.wx, err = a.wechat(router, st, store); err != nil {
			return nil, err
		}
		s.wx.Routes(mux)
		a.logger.Info("wechat: callbacks on /wechat", "safe_mode", a.cfg.WeChat.AESKey != "")
		senders[bot.WeChat] = s.wx
	}
	if a.cfg.Telegram.Token != "" {
		if s.tg, err = a.telegram(router, st); err != nil {
			return nil, err
		}
		if a.cfg.Telegram.Mode == configs.TelegramWebhook {
			mux.Handle("POST /telegram", s.tg.WebhookHandler())
		}
		senders[bot.Telegram] = s.tg
	}
	if a.cfg.SMS.Provider != "" {
		sender, err := a.smsSender()
		if err != nil {
			return nil, err
		}
		senders[bot.SMS] = sender
	}
	return senders, nil
}

// run listens and serves until ctx ends or one part fails; then the rest is stopped and waited
// for, so that the stores can close.
func (s *server) run(ctx context.Context) error {
	a := s.a
	// Requests outlive the signal: Shutdown lets the turns under way finish.
	s.http.BaseContext = func(net.Listener) context.Context { return context.WithoutCancel(ctx) }
	ln, err := net.Listen("tcp", s.http.Addr)
	if err != nil {
		return fmt.Errorf("serve: listen %s: %w", s.http.Addr, err)
	}
	a.logger.Info("windowbot: serving", "addr", ln.Addr().String(), "web_chat", localURL(ln.Addr()))
	banner := fmt.Sprintf("\n  web chat: %s\n", localURL(ln.Addr()))
	if s.sampleWindow != "" {
		banner += fmt.Sprintf("  rate window %s: %s\n\n", s.sampleWindow,
			poster.WebLink(localURL(ln.Addr()), poster.Target{WindowCode: s.sampleWindow}))
	} else {
		banner += "  no windows yet: add them with `windowbot import` (or `windowbot seed --demo`)\n\n"
	}
	fmt.Fprint(a.stderr, banner)

	ctx, stop := context.WithCancel(ctx)
	defer stop()
	errc := make(chan error, 8) // one for each background part, so none blocks
	var wg sync.WaitGroup
	background := func(f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, context.Canceled) {
				errc <- err
			}
		}()
	}
	background(func() error { return s.http.Serve(ln) })
	background(func() error { return s.dispatcher.Run(ctx) })
	if s.reports != nil {
		background(func() error { return s.reports.Run(ctx) })
	}
	background(func() error { return s.reminders.Run(ctx) })
	background(func() error { return s.fraud.Run(ctx) })
	s.scheduler.Start(ctx)
	if s.tg != nil {
		if a.cfg.Telegram.Mode == configs.TelegramWebhook {
			// Telegram delivers as soon as the webhook is set, so it is set once the server listens.
			background(func() error { return a.setWebhook(ctx, s.tg) })
		} else {
			background(func() error { return s.tg.Run(ctx) })
		}
	}

	var failed error
	select {
	case <-ctx.Done():
	case failed = <-errc:
	}
	a.logger.Info("windowbot: shutting down")
	stop()
	if err := s.shutdown(); err != nil && failed == nil {
		failed = err
	}
	wg.Wait()
	return failed
}

// shutdown stops the HTTP server and waits, within the configured shutdown timeout, for what is
// still under way: requests, WeChat answers that missed the reply budget, running jobs.
func (s *server) shutdown() error {
	sctx, cancel := context.WithTimeout(context.Background(), s.a.cfg.ShutdownTimeout)
	defer cancel()
	var failed error
	if err := s.http.Shutdown(sctx); err != nil {
		failed = fmt.Errorf("serve: shutdown: %w", err)
	}
	if s.wx != nil {
		if err := s.wx.Close(sctx); err != nil && failed == nil {
			failed = fmt.Errorf("serve: %w", err)
		}
	}
	// Running jobs saw ctx end; wait for them to record how far they got.
	select {
	case <-s.scheduler.Stop().Done():
	case <-sctx.Done():
		s.a.logger.Warn("windowbot: a scheduled job did not stop within the shutdown timeout")
	}
	return failed
}

// seedIfEmptyEmbedded gives a newcomer something to rate: on the embedded SQLite default with
// no centers at all, the demo center is added. A PostgreSQL deployment is never seeded unasked.
func (a *app) seedIfEmptyEmbedded(ctx context.Context, s *models.Store) error {
	if s.Dialect() != "sqlite" {
		return nil
	}
	centers, err := s.Centers(ctx)
	if err != nil || len(centers) > 0 {
		return err
	}
	a.logger.Info("windowbot: empty database, adding the demo center (import your own with `windowbot import`)")
	return s.SeedDemo(ctx)
}

// setWebhook points Telegram at public_url/telegram, retrying with backoff while Telegram is
// unreachable: the web chat keeps serving meanwhile. A refused token ends the server, since no
// retry can fix it. It returns nil once the webhook is set or ctx ends.
func (a *app) setWebhook(ctx context.Context, tg *telegram.Adapter) error {
	url := strings.TrimSuffix(a.cfg.PublicURL, "/") + "/telegram"
	wait := 2 * time.Second
	for {
		err := tg.SetWebhook(ctx, url)
		switch {
		case err == nil, ctx.Err() != nil:
			return nil
		case errors.Is(err, telegram.ErrTokenRefused):
			return err
		}
		a.logger.Warn("telegram: setting the webhook failed, retrying", "err", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(wait*2, 5*time.Minute)
	}
}

// localURL is the address a person on this machine opens.
func localURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// pseudonyms returns the pseudonyms of citizens for supervisors and the admin API, keyed by
// staff.pseudonym_secret, else by the admin token. With neither, a random key lasts until the
// process ends, and the log says so: pseudonyms then change on restart and differ between replicas.
func (a *app) pseudonyms() *models.Pseudonyms {
	switch {
	case a.cfg.Staff.PseudonymSecret != "":
		return models.NewPseudonyms([]byte(a.cfg.Staff.PseudonymSecret))
	case a.cfg.AdminToken != "":
		sum := sha256.Sum256([]byte("windowbot pseudonyms\x00" + a.cfg.AdminToken))
		return models.NewPseudonyms(sum[:])
	}
	a.logger.Warn("staff: neither staff.pseudonym_secret nor admin_token is set: citizen pseudonyms change on restart and differ between replicas")
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return models.NewPseudonyms(key)
}
