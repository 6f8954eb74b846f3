package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"windowbot/bot"
	"windowbot/bot/poster"
	"windowbot/bot/telegram"
	"windowbot/bot/web"
	"windowbot/bot/wechat"
	"windowbot/configs"
	"windowbot/flows"
	"windowbot/flows/state"
	"windowbot/handlers"
	"windowbot/internal/text"
	"windowbot/jobs"
	"windowbot/models"
)

var _ flows.Store = (*models.Store)(nil)

// app is what every subcommand starts from: the validated configuration and a logger.
// Stores are opened by the commands that need them.
type app struct {
	cfg    configs.Config
	loc    *time.Location
	logger *slog.Logger
	stdout io.Writer
	stderr io.Writer
}

func newApp(configPath string, getenv func(string) (string, bool), stdout, stderr io.Writer) (*app, error) {
	cfg, err := configs.Load(configPath, getenv)
	if err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	loc, err := cfg.Location()
	if err != nil {
		return nil, err
	}
	level, err := cfg.SlogLevel()
	if err != nil {
		return nil, err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	return &app{cfg: cfg, loc: loc, logger: logger, stdout: stdout, stderr: stderr}, nil
}

// openStoreReading opens the database for a command that only reads: it migrates nothing and
// refuses a database whose schema is behind.
func (a *app) openStoreReading(ctx context.Context) (*models.Store, error) {
	return a.openDatabase(ctx, (*models.Store).CheckSchema)
}

// openStore opens the database, applies pending migrations, and sets the ticket deadlines of the
// configured calendar and the notices ticket events push.
func (a *app) openStore(ctx context.Context) (*models.Store, error) {
	rules, err := a.cfg.TicketRules(a.loc)
	if err != nil {
		return nil, err
	}
	s, err := a.openDatabase(ctx, (*models.Store).Migrate)
	if err != nil {
		return nil, err
	}
	s.SetTicketRules(rules)
	s.SetTicketNotifier(flows.NewNotifier(a.cfg.Language, a.loc).Func())
	return s, nil
}

// openDatabase opens the database and readies it with prepare (a migration, a schema check),
// closing it again if that fails.
func (a *app) openDatabase(ctx context.Context, prepare func(*models.Store, context.Context) error) (*models.Store, error) {
	s, err := models.Open(ctx, a.cfg.DatabaseURL, a.logger)
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
	if a.cfg.RedisURL == "" {
		a.logger.Warn("state: in-process store (no redis_url): dialogs, dedupe keys and locks live in this process; run a single replica only")
	}
	return a.openStateQuiet(ctx)
}

// openStateQuiet is openState without the single-replica warning, for one-off commands.
func (a *app) openStateQuiet(ctx context.Context) (sharedState, error) {
	if a.cfg.RedisURL == "" {
		return state.NewMemory(nil), nil
	}
	return state.OpenRedis(ctx, a.cfg.RedisURL, "wb:")
}

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
	fmt.Fprintf(a.stdout, "demo center %s is ready; rate it at %s/?w=%s\n", models.DemoCenterCode, strings.TrimSuffix(a.cfg.PublicURL, "/"), models.DemoWindowCodes[0])
	return nil
}

func cmdImport(ctx context.Context, a *app, args []string) error {
	fs := flags("import", a.stderr)
	windowsPath := fs.String("windows", "", "windows CSV: center_code,center_name,window_code,window_name,department")
	staffPath := fs.String("staff", "", "staff CSV: staff_no,name,window_code,role")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *windowsPath == "" && *staffPath == "" {
		fmt.Fprintln(a.stderr, "import: name --windows FILE, --staff FILE or both")
		return errUsage
	}
	open := func(p string) (io.Reader, string, func(), error) {
		if p == "" {
			return nil, "", func() {}, nil // the store imports only the other file
		}
		f, err := os.Open(p)
		if err != nil {
			return nil, "", nil, err
		}
		return f, filepath.Base(p), func() { f.Close() }, nil
	}
	wr, wname, wclose, err := open(*windowsPath)
	if err != nil {
		return err
	}
	defer wclose()
	sr, sname, sclose, err := open(*staffPath)
	if err != nil {
		return err
	}
	defer sclose()
	s, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	res, err := s.Import(ctx, wr, wname, sr, sname)
	if err != nil {
		var ie *models.ImportError
		if errors.As(err, &ie) {
			fmt.Fprintln(a.stderr, ie.Error())
			return errors.New("nothing was imported; fix the rows above and run again")
		}
		return err
	}
	fmt.Fprintf(a.stdout, "imported: centers %d new, %d updated; windows %d new, %d updated; staff %d new, %d updated\n",
		res.CentersCreated, res.CentersUpdated, res.WindowsCreated, res.WindowsUpdated, res.StaffCreated, res.StaffUpdated)
	return nil
}

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

	engine := flows.NewEngine(flows.Options{
		State: st, Store: store, Logger: a.logger, Location: a.loc,
		SessionTTL: a.cfg.SessionTTL, Lang: a.cfg.Language, RatingPeriodDays: a.cfg.RatingPeriodDays,
	}, flows.CitizenFlows(store, st, a.loc, a.cfg.RatingPeriodDays, a.cfg.SessionTTL)...)
	refs := a.pseudonyms()
	// The desk ranks and picks stars with the thresholds of the jobs, so /rank and /star agree
	// with the announcements.
	target := a.cfg.Jobs.Target()
	desk := handlers.NewDesk(handlers.DeskOptions{Store: store, State: st, Pseudonyms: refs, Logger: a.logger,
		Target: target, MinRatings: a.cfg.Jobs.MinRatings})
	router := handlers.NewRouter(engine, a.logger, handlers.WithDesk(desk), handlers.WithSubscriptions(store))

	mux := http.NewServeMux()
	handlers.Health(mux, map[string]handlers.Pinger{"database": store, "state": st})
	handlers.NewAPI(store, a.cfg.AdminToken, a.loc, a.logger, handlers.WithPseudonyms(refs), handlers.WithTarget(target)).Routes(mux)
	webChat := web.New(web.Options{Handler: router, Logger: a.logger, Lang: a.cfg.Language})
	webChat.Routes(mux)
	handlers.NewBoard(store, a.loc, a.logger).Routes(mux)
	senders := jobs.Senders{bot.Web: webChat}

	var wx *wechat.Adapter
	if a.cfg.WeChat.AppID != "" {
		if wx, err = a.wechat(router, st, store); err != nil {
			return err
		}
		wx.Routes(mux)
		a.logger.Info("wechat: callbacks on /wechat", "safe_mode", a.cfg.WeChat.AESKey != "")
		senders[bot.WeChat] = wx
	}

	var tg *telegram.Adapter
	if a.cfg.Telegram.Token != "" {
		if tg, err = a.telegram(router, st); err != nil {
			return err
		}
		if a.cfg.Telegram.Mode == configs.TelegramWebhook {
			mux.Handle("POST /telegram", tg.WebhookHandler())
		}
		senders[bot.Telegram] = tg
	}

	// Pushes and scheduled jobs: every replica dispatches the outbox and runs the schedules;
	// claims keep each push and each job occurrence to one replica. The state store keeps the
	// job claims and the push sent log: in Redis, shared by the replicas; in process otherwise.
	reg := prometheus.NewRegistry()
	metrics := jobs.NewMetrics(reg, store, a.logger)
	mux.Handle("GET /metrics", a.metricsHandler(reg))
	dispatcher, err := a.dispatcher(store, senders, st, metrics)
	if err != nil {
		return err
	}
	scheduler, err := a.scheduler(store, st, metrics, dispatcher.Wake)
	if err != nil {
		return err
	}

	srv := &http.Server{
		Addr:              a.cfg.HTTPAddr,
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		// Requests outlive the signal: Shutdown lets the turns under way finish.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	ln, err := net.Listen("tcp", a.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("serve: listen %s: %w", a.cfg.HTTPAddr, err)
	}
	a.logger.Info("windowbot: serving", "addr", ln.Addr().String(), "web_chat", localURL(ln.Addr()))
	fmt.Fprintf(a.stderr, "\n  web chat: %s\n  rate the demo window: %s/?w=%s\n\n", localURL(ln.Addr()), localURL(ln.Addr()), models.DemoWindowCodes[0])

	// Everything below runs until ctx ends or one part fails; then the rest is stopped and waited
	// for before the stores close.
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	errc := make(chan error, 3)
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
	background(func() error { return srv.Serve(ln) })
	background(func() error { return dispatcher.Run(ctx) })
	scheduler.Start(ctx)
	if tg != nil {
		if a.cfg.Telegram.Mode == configs.TelegramWebhook {
			// Telegram delivers as soon as the webhook is set, so it is set once the server listens.
			background(func() error { return a.setWebhook(ctx, tg) })
		} else {
			background(func() error { return tg.Run(ctx) })
		}
	}

	var failed error
	select {
	case <-ctx.Done():
	case failed = <-errc:
	}
	a.logger.Info("windowbot: shutting down")
	stop()
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && failed == nil {
		failed = fmt.Errorf("serve: shutdown: %w", err)
	}
	if wx != nil {
		// Answers that missed WeChat's reply budget are still being sent.
		if err := wx.Close(sctx); err != nil && failed == nil {
			failed = fmt.Errorf("serve: %w", err)
		}
	}
	// Running jobs saw ctx end; wait for them to record how far they got.
	select {
	case <-scheduler.Stop().Done():
	case <-sctx.Done():
		a.logger.Warn("windowbot: a scheduled job did not stop within the shutdown timeout")
	}
	wg.Wait()
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

func (a *app) telegram(h bot.Handler, st flows.State) (*telegram.Adapter, error) {
	return telegram.New(telegram.Options{
		Token: a.cfg.Telegram.Token, APIURL: a.cfg.Telegram.APIURL, Mode: a.cfg.Telegram.Mode,
		WebhookSecret: a.cfg.Telegram.WebhookSecret, Username: a.cfg.Telegram.Username,
		Handler: h, Dedupe: st, Logger: a.logger,
		// A webhook turn must finish inside the server's write timeout.
		HandleTimeout: 25 * time.Second,
	})
}

// wechat builds the WeChat channel. The commands that only call the API (menu, qr) pass a
// handler that is never asked anything.
func (a *app) wechat(h bot.Handler, st flows.State, store *models.Store) (*wechat.Adapter, error) {
	w := a.cfg.WeChat
	return wechat.New(wechat.Options{
		AppID: w.AppID, AppSecret: w.AppSecret, Token: w.Token, AESKey: w.AESKey, APIURL: w.APIURL,
		ReplyBudget: w.ReplyBudget, TimestampWindow: w.TimestampWindow, Templates: w.Templates,
		Lang: a.cfg.Language, Handler: h, State: st, Citizens: store, Logger: a.logger,
	})
}

// wechatAPI opens what a command calling the WeChat API needs: the state store, where the access
// token is shared with running replicas, and the adapter. release closes both.
func (a *app) wechatAPI(ctx context.Context, store *models.Store) (wx *wechat.Adapter, release func(), err error) {
	if a.cfg.WeChat.AppID == "" {
		return nil, nil, errors.New("wechat: set WINDOWBOT_WECHAT_APP_ID, _APP_SECRET and _TOKEN first")
	}
	st, err := a.openState(ctx)
	if err != nil {
		return nil, nil, err
	}
	noHandler := bot.HandlerFunc(func(context.Context, bot.Inbound) ([]bot.Reply, error) { return nil, nil })
	if wx, err = a.wechat(noHandler, st, store); err != nil {
		st.Close()
		return nil, nil, err
	}
	return wx, func() { _ = wx.Close(context.Background()); st.Close() }, nil
}

// cmdWeChat runs the WeChat set-up subcommands: `wechat menu` installs the menu whose buttons
// start rating, a complaint and tracking.
func cmdWeChat(ctx context.Context, a *app, args []string) error {
	if len(args) == 0 || args[0] != "menu" {
		fmt.Fprintln(a.stderr, "wechat: name a subcommand: menu")
		return errUsage
	}
	if err := parse(flags("wechat menu", a.stderr), args[1:]); err != nil {
		return err
	}
	s, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	wx, closeWx, err := a.wechatAPI(ctx, s)
	if err != nil {
		return err
	}
	defer closeWx()
	if err := wx.InstallMenu(ctx); err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, "wechat: menu installed (rate, complain, track)")
	return nil
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

func cmdQR(ctx context.Context, a *app, args []string) error {
	fs := flags("qr", a.stderr)
	code := fs.String("window", "", "window code")
	all := fs.Bool("all", false, "every window")
	staffNo := fs.String("staff", "", "staff number: the staff member's own poster, rating their window with them chosen")
	out := fs.String("out", "", "PNG file (with --window or --staff) or directory (with --all)")
	channel := fs.String("channel", "", "what the code opens: telegram (default when a bot token is set), wechat (default when only WeChat is set) or web")
	if err := parse(fs, args); err != nil {
		return err
	}
	named := 0
	for _, set := range []bool{*code != "", *all, *staffNo != ""} {
		if set {
			named++
		}
	}
	if named != 1 || *out == "" {
		fmt.Fprintln(a.stderr, "qr: name one of --window CODE, --all or --staff NO, and --out")
		return errUsage
	}
	if *channel == "" {
		switch {
		case a.cfg.Telegram.Token != "":
			*channel = "telegram"
		case a.cfg.WeChat.AppID != "":
			*channel = "wechat"
		default:
			*channel = "web"
		}
	}
	if *channel != "web" && *channel != "telegram" && *channel != "wechat" {
		fmt.Fprintf(a.stderr, "qr: unknown --channel %q (telegram, wechat or web)\n", *channel)
		return errUsage
	}
	s, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer s.Close()

	var staff *models.Staff
	var windows []models.Window
	if *staffNo != "" {
		if staff, err = qrStaff(ctx, s, *staffNo); err != nil {
			return err
		}
	} else if *all {
		centers, err := s.Centers(ctx)
		if err != nil {
			return err
		}
		for _, c := range centers {
			ws, err := s.WindowsOfCenter(ctx, c.ID)
			if err != nil {
				return err
			}
			for _, w := range ws {
				w.Center = &c
				windows = append(windows, w)
			}
		}
		if err := os.MkdirAll(*out, 0o755); err != nil {
			return err
		}
	} else {
		w, err := s.WindowByCode(ctx, *code)
		if errors.Is(err, models.ErrNotFound) {
			return fmt.Errorf("qr: no window %q", *code)
		}
		if err != nil {
			return err
		}
		windows = append(windows, *w)
	}

	var link linkFunc
	if *channel == "wechat" {
		// A permanent parametric QR code per window (scene w_<code>) or staff member (scene
		// s_<staff no>), made through the API.
		wx, closeWx, err := a.wechatAPI(ctx, s)
		if err != nil {
			return err
		}
		defer closeWx()
		link = func(ctx context.Context, p string) (string, error) {
			if no, ok := strings.CutPrefix(p, models.StaffLinkPrefix); ok {
				return wx.StaffQRCodeURL(ctx, no)
			}
			return wx.QRCodeURL(ctx, strings.TrimPrefix(p, "w_"))
		}
	} else if link, err = a.linkMaker(ctx, *channel); err != nil {
		return err
	}
	fontPath, err := poster.FindFont(a.cfg.QRFont)
	if err != nil {
		return err
	}
	r, err := poster.NewRenderer(fontPath)
	if err != nil {
		return err
	}
	if staff != nil {
		return a.staffPoster(ctx, r, link, staff, *out)
	}
	for _, w := range windows {
		path := *out
		if *all {
			path = filepath.Join(*out, w.Code+".png")
		}
		url, err := link(ctx, "w_"+w.Code)
		if err != nil {
			return err
		}
		center := ""
		if w.Center != nil {
			center = w.Center.Name
		}
		if err := writePoster(r, path, poster.Poster{
			URL: url, Title: w.Name, Subtitle: text.T(a.cfg.Language, "poster.window_subtitle", "Code", w.Code, "Center", center),
			Footer: text.T(a.cfg.Language, "poster.window_footer"),
		}); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "%s\t%s\t%s\n", w.Code, path, url)
	}
	return nil
}

func writePoster(r *poster.Renderer, path string, p poster.Poster) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := r.Render(f, p); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// qrStaff loads the staff member whose own poster is asked for: a window's staff member (role
// staff) with a number that fits in a link.
func qrStaff(ctx context.Context, s *models.Store, no string) (*models.Staff, error) {
	st, err := s.StaffByNo(ctx, no)
	if errors.Is(err, models.ErrNotFound) {
		return nil, fmt.Errorf("qr: no staff member %q", no)
	}
	if err != nil {
		return nil, err
	}
	if st.Role != models.RoleStaff || st.Window == nil {
		return nil, fmt.Errorf("qr: %s is a %s, not a window's staff member: only they are rated", no, st.Role)
	}
	if !models.StaffLinkPattern.MatchString(st.StaffNo) {
		return nil, fmt.Errorf("qr: staff number %q cannot be put in a link (A-Z a-z 0-9 _ -, at most 40): print the window's poster instead", no)
	}
	return st, nil
}

// staffPoster writes a staff member's own poster (亮牌上岗): their name large, their number and
// window under it.
func (a *app) staffPoster(ctx context.Context, r *poster.Renderer, link linkFunc, st *models.Staff, path string) error {
	url, err := link(ctx, models.StaffLinkPrefix+st.StaffNo)
	if err != nil {
		return err
	}
	if err := writePoster(r, path, poster.Poster{
		URL: url, Title: st.Name,
		Subtitle: text.T(a.cfg.Language, "poster.staff_subtitle", "StaffNo", st.StaffNo, "Code", st.Window.Code, "Window", st.Window.Name),
		Footer:   text.T(a.cfg.Language, "poster.staff_footer"),
	}); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%s\t%s\t%s\n", st.StaffNo, path, url)
	return nil
}

// linkFunc builds the link a poster's QR code opens from a deep-link payload: "w_<window code>"
// or "s_<staff no>".
type linkFunc func(ctx context.Context, payload string) (string, error)

// linkMaker returns the function building a poster's link for channel.
func (a *app) linkMaker(ctx context.Context, channel string) (linkFunc, error) {
	if channel == "telegram" {
		if a.cfg.Telegram.Token == "" {
			return nil, errors.New("qr: --channel telegram needs WINDOWBOT_TELEGRAM_TOKEN")
		}
		tg, err := a.telegram(bot.HandlerFunc(func(context.Context, bot.Inbound) ([]bot.Reply, error) { return nil, nil }), state.NewMemory(nil))
		if err != nil {
			return nil, err
		}
		return tg.DeepLink, nil
	}
	base := strings.TrimSuffix(a.cfg.PublicURL, "/")
	return func(_ context.Context, payload string) (string, error) {
		if no, ok := strings.CutPrefix(payload, models.StaffLinkPrefix); ok {
			return base + "/?s=" + no, nil // models.StaffLinkPattern: nothing to escape
		}
		return base + "/?w=" + strings.TrimPrefix(payload, "w_"), nil
	}, nil
}
