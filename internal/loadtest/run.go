// Package loadtest drives real dialogs against running windowbot replicas, as the platforms
// and citizens would: WeChat callbacks signed and encrypted in safe mode, Telegram webhook updates
// with the secret token header, and the web chat's JSON API, in a configurable mix. Citizens rate
// windows (with aspects, praise and comments), file complaints and track their tickets. It
// reports the time of each step, counts every error, keeps a ledger of the ratings and tickets
// whose final answer it received, and afterwards compares the ledger with the database.
//
// It plays both ends of windowbot's outgoing calls too (Platforms): windowbot's wechat.api_url
// and telegram.api_url point at it, so that a Telegram turn's replies and a WeChat answer sent
// through the customer-service API reach the dialog waiting for them.
//
// cmd/loadtest is its command line; docs/benchmarks.md has a run and docs/operations.md says how
// to start one.
package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"windowbot/bot/wechat"
)

// Options configures a run.
type Options struct {
	// Targets are the base URLs of the replicas (http://127.0.0.1:8080); requests go to them in
	// turn, so that one dialog's messages land on different replicas as behind a balancer.
	Targets []string
	// Duration is how long new dialogs are started (default 5 minutes); those under way finish.
	Duration time.Duration
	// Concurrency is how many citizens are in a dialog at once (default 16).
	Concurrency int
	// Think is a citizen's pause between two messages (0: none, the heaviest load).
	Think time.Duration
	// Mix is the share of dialogs per platform in percent: WeChat, Telegram, web (default
	// 70/20/10). A platform with a share of 0 is not used and needs no settings.
	Mix [3]int

	// WeChat is the official account: AppID, Token and AESKey as configured in windowbot
	// (safe mode); Account is its original id (ToUserName).
	WeChatAppID, WeChatToken, WeChatAESKey, WeChatAccount string
	// TelegramSecret is windowbot's telegram.webhook_secret.
	TelegramSecret string

	// Windows are the window codes rated; empty reads them from the database.
	Windows []string
	// DatabaseURL is windowbot's database, for the windows and the check after the run; empty
	// skips the check.
	DatabaseURL string
	// Platforms receives windowbot's outgoing calls; required when Telegram or WeChat is in the
	// mix.
	Platforms *Platforms
	// Seed makes the dialogs' choices repeatable; 0 picks one from the clock.
	Seed uint64
	// Progress receives a line every ProgressEvery (default 10 s); nil is quiet.
	Progress      io.Writer
	ProgressEvery time.Duration
	// HTTP is the client; nil uses one with enough idle connections for Concurrency.
	HTTP *http.Client
}

// Report is what a run found.
type Report struct {
	Started, Ended time.Time
	// Dialogs counts the dialogs started, by platform and kind ("wechat rate-good").
	Dialogs map[string]int
	// Steps are the timings of each step on every platform, Platforms of every step on each
	// platform, Detail of each step on each platform ("wechat rate.level"). A step that is not a
	// request ("dialog") counts the dialogs that ended on an unexpected answer.
	Steps, Platforms, Detail []StepFigures
	// Errors counts every failed step and unexpected answer; Samples holds the first ones.
	Errors  int
	Samples []string
	// Ratings and Tickets are the records whose final answer the tool received (the ledger).
	Ratings, Tickets int
	// Uncertain counts dialogs whose last message went out but whose answer did not come back:
	// their record may or may not exist.
	Uncertain int
	// WeChatRetries and TelegramRedeliveries count deliveries repeated as the platforms do when
	// a callback fails or takes more than 5 s.
	WeChatRetries, TelegramRedeliveries int64
	// Check compares the ledger with the database; nil without a database URL.
	Check *Check
}

// Requests is how many messages the citizens sent.
func (r *Report) Requests() int {
	n := 0
	for _, s := range r.Steps {
		n += s.Count + s.Errors
	}
	return n
}

// Run plays dialogs against opts.Targets until opts.Duration has passed or ctx ends, then checks
// the database. An error means the run could not be made; what went wrong during the run is in
// the report.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if len(opts.Targets) == 0 {
		return nil, errors.New("loadtest: no target URL")
	}
	if opts.Duration <= 0 {
		opts.Duration = 5 * time.Minute
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 16
	}
	if opts.Mix == [3]int{} {
		opts.Mix = [3]int{70, 20, 10}
	}
	if opts.Seed == 0 {
		opts.Seed = uint64(time.Now().UnixNano())
	}
	if opts.ProgressEvery <= 0 {
		opts.ProgressEvery = 10 * time.Second
	}
	hc := opts.HTTP
	if hc == nil {
		hc = &http.Client{Transport: &http.Transport{MaxIdleConns: 4 * opts.Concurrency,
			MaxIdleConnsPerHost: 4 * opts.Concurrency, IdleConnTimeout: time.Minute}}
	}
	if (opts.Mix[0] > 0 || opts.Mix[1] > 0) && opts.Platforms == nil {
		return nil, errors.New("loadtest: WeChat and Telegram need the fake platforms (Options.Platforms)")
	}
	var db *ledgerDB
	if opts.DatabaseURL != "" {
		var err error
		if db, err = openLedgerDB(opts.DatabaseURL); err != nil {
			return nil, err
		}
		defer db.close()
	}
	if len(opts.Windows) == 0 {
		if db == nil {
			return nil, errors.New("loadtest: name the windows, or give the database URL to read them")
		}
		var err error
		if opts.Windows, err = db.windows(ctx); err != nil {
			return nil, err
		}
		if len(opts.Windows) == 0 {
			return nil, errors.New("loadtest: the database has no windows (windowbot seed --demo)")
		}
	}

	tg := &targets{urls: opts.Targets}
	run := &runner{opts: opts, stats: newStats(), ledger: newLedger(), dialogs: map[string]int{},
		web: &webClient{targets: tg, http: hc}}
	if opts.Mix[0] > 0 {
		crypto, err := wechat.NewCrypto(opts.WeChatAppID, opts.WeChatAESKey)
		if err != nil {
			return nil, fmt.Errorf("loadtest: %w", err)
		}
		if opts.WeChatToken == "" {
			return nil, errors.New("loadtest: the WeChat token is not set")
		}
		account := opts.WeChatAccount
		if account == "" {
			account = "gh_loadtest0000"
		}
		run.wx = &wechatClient{targets: tg, token: opts.WeChatToken, account: account, crypto: crypto, http: hc, plat: opts.Platforms}
		run.wx.msgID.Store(time.Now().UnixNano())
	}
	if opts.Mix[1] > 0 {
		if opts.TelegramSecret == "" {
			return nil, errors.New("loadtest: the Telegram webhook secret is not set")
		}
		run.tg = &telegramClient{targets: tg, secret: opts.TelegramSecret, http: hc, plat: opts.Platforms}
		run.tg.update.Store(time.Now().UnixNano() / 1000)
	}
	// Citizens of this run have ids of their own: a run never meets an earlier run's sessions or
	// its one-rating-a-day rule.
	run.runID = strconv.FormatUint(opts.Seed%1_000_000_000, 36)

	rep := &Report{Started: time.Now()}
	stop := rep.Started.Add(opts.Duration)
	var wg sync.WaitGroup
	progressDone := make(chan struct{})
	go run.progress(ctx, progressDone)
	for w := range opts.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(opts.Seed, uint64(w)+1))
			for n := 0; time.Now().Before(stop) && ctx.Err() == nil; n++ {
				run.dialog(ctx, w, n, r)
			}
		}()
	}
	wg.Wait()
	close(progressDone)
	rep.Ended = time.Now()
	rep.Steps, rep.Platforms, rep.Detail = run.stats.figures(byStep), run.stats.figures(byPlatform), run.stats.figures(byKey)
	for _, s := range rep.Steps {
		rep.Errors += s.Errors
	}
	rep.Samples = run.stats.samples
	rep.Dialogs = run.dialogs
	rep.Ratings, rep.Tickets, rep.Uncertain = run.ledger.totals()
	if run.wx != nil {
		rep.WeChatRetries = run.wx.retries.Load()
	}
	if run.tg != nil {
		rep.TelegramRedeliveries = run.tg.redeliveries.Load()
	}
	if db != nil {
		// The check must not be cut short by the end of ctx: it is what the run is for.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		check, err := run.ledger.check(cctx, db, rep.Started)
		if err != nil {
			return rep, err
		}
		rep.Check = check
	}
	return rep, nil
}

type runner struct {
	opts   Options
	runID  string
	stats  *stats
	ledger *ledger
	wx     *wechatClient
	tg     *telegramClient
	web    *webClient

	mu      sync.Mutex
	dialogs map[string]int
	started atomic.Int64
	steps   atomic.Int64
}

// conversation opens citizen n of worker w on a platform drawn by the mix.
func (run *runner) conversation(w, n int, r *rand.Rand) conversation {
	x := r.IntN(run.opts.Mix[0] + run.opts.Mix[1] + run.opts.Mix[2])
	if n == 0 && run.opts.Mix[w%3] > 0 {
		// Each worker's first citizen is on the platforms in turn, so that even a short run
		// with a few workers plays every platform in the mix.
		x = run.opts.Mix[0]*min(w%3, 1) + run.opts.Mix[1]*min(max(w%3-1, 0), 1)
	}
	switch {
	case x < run.opts.Mix[0]:
		return &wechatConv{c: run.wx, openID: fmt.Sprintf("oLT%s-%d-%d", run.runID, w, n)}
	case x < run.opts.Mix[0]+run.opts.Mix[1]:
		// A private chat's id is the user's; ids of this run start far from real ones.
		id := int64(9_000_000_000_000) + int64(run.opts.Seed%1_000_000)*1_000_000 + int64(w)*10_000 + int64(n%10_000)
		return &telegramConv{c: run.tg, chat: id, name: strconv.FormatInt(id, 10)}
	}
	return &webConv{c: run.web}
}

// dialog plays one citizen's dialog, and /track after a ticket when the plan says so.
func (run *runner) dialog(ctx context.Context, w, n int, r *rand.Rand) {
	c := run.conversation(w, n, r)
	defer c.done()
	p := draw(r, run.opts.Windows)
	run.mu.Lock()
	run.dialogs[c.platform()+" "+p.kind.String()]++
	run.mu.Unlock()
	run.started.Add(1)
	step := func(name string, f func() (screen, error)) (screen, error) {
		pause(ctx, run.opts.Think, r)
		run.steps.Add(1)
		start := time.Now()
		sc, err := f()
		run.stats.add(c.platform()+" "+name, time.Since(start), err)
		if err != nil {
			return sc, &stepError{err}
		}
		return sc, nil
	}
	out, err := play(ctx, c, p, step, r)
	run.ledger.note(c.citizen(), p, out)
	if err != nil {
		if se := (*stepError)(nil); !errors.As(err, &se) {
			run.stats.failure(c.platform()+" dialog", fmt.Errorf("%s %s: %w", p.kind, c.citizen(), err))
		}
		return
	}
	if p.track && out.ticket != "" && !(p.kind == complain && p.anonymous) {
		if err := track(ctx, c, out.ticket, step); err != nil {
			if se := (*stepError)(nil); !errors.As(err, &se) {
				run.stats.failure(c.platform()+" dialog", fmt.Errorf("track %s: %w", c.citizen(), err))
			}
		}
	}
}

// stepError is the error of a step's request, counted by the step already.
type stepError struct{ error }

func (e *stepError) Unwrap() error { return e.error }

func (run *runner) progress(ctx context.Context, done <-chan struct{}) {
	if run.opts.Progress == nil {
		return
	}
	tk := time.NewTicker(run.opts.ProgressEvery)
	defer tk.Stop()
	start := time.Now()
	var lastSteps int64
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case <-tk.C:
			steps := run.steps.Load()
			ra, tk2, unc := run.ledger.totals()
			fmt.Fprintf(run.opts.Progress, "%5.0fs  dialogs %d  messages %d (%.0f/s)  ratings %d  tickets %d  uncertain %d  errors %d\n",
				time.Since(start).Seconds(), run.started.Load(), steps,
				float64(steps-lastSteps)/run.opts.ProgressEvery.Seconds(), ra, tk2, unc, run.stats.errorCount())
			lastSteps = steps
		}
	}
}
