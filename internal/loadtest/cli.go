package loadtest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Main is the command line of cmd/loadtest: it parses args, serves the fake platforms, runs, and
// prints the report. It returns the exit code: 0 when every step answered and the database
// holds exactly what the ledger says, 1 otherwise, 2 for a mistake on the command line.
// Settings windowbot reads from WINDOWBOT_* variables are read from the same variables, so
// one environment serves both.
func Main(ctx context.Context, args []string, getenv func(string) (string, bool), stdout, stderr io.Writer) int {
	env := func(name string) string { v, _ := getenv(name); return v }
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	urls := fs.String("url", "http://127.0.0.1:8080", "base URLs of the replicas, comma-separated; requests go to each in turn")
	duration := fs.Duration("duration", 5*time.Minute, "how long new dialogs are started")
	concurrency := fs.Int("concurrency", 16, "citizens in a dialog at once")
	think := fs.Duration("think", 0, "a citizen's pause between two messages (0: none)")
	mix := fs.String("mix", "70,20,10", "share of dialogs in percent: WeChat,Telegram,web")
	platforms := fs.String("platforms", "127.0.0.1:9099", "address to serve the fake WeChat API and Bot API on (windowbot's wechat.api_url and telegram.api_url)")
	dbURL := fs.String("database-url", env("WINDOWBOT_DATABASE_URL"), "windowbot's database, for the windows and the check afterwards ($WINDOWBOT_DATABASE_URL); empty skips the check")
	windows := fs.String("windows", "", "window codes to rate, comma-separated (default: every window in the database)")
	appID := fs.String("wechat-app-id", env("WINDOWBOT_WECHAT_APP_ID"), "official account AppID ($WINDOWBOT_WECHAT_APP_ID)")
	wxToken := fs.String("wechat-token", env("WINDOWBOT_WECHAT_TOKEN"), "callback token ($WINDOWBOT_WECHAT_TOKEN)")
	aesKey := fs.String("wechat-aes-key", env("WINDOWBOT_WECHAT_AES_KEY"), "EncodingAESKey, safe mode ($WINDOWBOT_WECHAT_AES_KEY)")
	tgToken := fs.String("telegram-token", env("WINDOWBOT_TELEGRAM_TOKEN"), "bot token windowbot calls the Bot API with ($WINDOWBOT_TELEGRAM_TOKEN)")
	tgSecret := fs.String("telegram-secret", env("WINDOWBOT_TELEGRAM_WEBHOOK_SECRET"), "webhook secret ($WINDOWBOT_TELEGRAM_WEBHOOK_SECRET)")
	detail := fs.Bool("detail", false, "also print the timings of each step on each platform")
	seed := fs.Uint64("seed", 0, "seed of the citizens' choices (0: from the clock)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: loadtest [flags]")
		fmt.Fprintln(stderr, "Drives WeChat, Telegram and web chat dialogs against running windowbot replicas and checks the database afterwards (docs/operations.md).")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	m, err := parseMix(*mix)
	if err != nil {
		fmt.Fprintf(stderr, "loadtest: --mix: %v\n", err)
		return 2
	}
	opts := Options{Targets: splitList(*urls), Duration: *duration, Concurrency: *concurrency, Think: *think, Mix: m,
		WeChatAppID: *appID, WeChatToken: *wxToken, WeChatAESKey: *aesKey, TelegramSecret: *tgSecret,
		Windows: splitList(*windows), DatabaseURL: *dbURL, Seed: *seed, Progress: stdout}
	if m[0] > 0 || m[1] > 0 {
		if m[1] > 0 && *tgToken == "" {
			fmt.Fprintln(stderr, "loadtest: Telegram is in the mix: set --telegram-token (or WINDOWBOT_TELEGRAM_TOKEN)")
			return 2
		}
		opts.Platforms = NewPlatforms(*tgToken)
		ln, err := net.Listen("tcp", *platforms)
		if err != nil {
			fmt.Fprintf(stderr, "loadtest: %v\n", err)
			return 1
		}
		srv := &http.Server{Handler: opts.Platforms, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
		fmt.Fprintf(stdout, "fake platforms on http://%s (windowbot's WINDOWBOT_WECHAT_API_URL and WINDOWBOT_TELEGRAM_API_URL)\n", ln.Addr())
	}
	fmt.Fprintf(stdout, "%d citizens for %s against %s, mix WeChat/Telegram/web %d/%d/%d\n",
		opts.Concurrency, opts.Duration, strings.Join(opts.Targets, ", "), m[0], m[1], m[2])
	rep, err := Run(ctx, opts)
	if rep != nil {
		rep.Write(stdout, *detail)
	}
	if err != nil {
		fmt.Fprintf(stderr, "loadtest: %v\n", err)
		return 1
	}
	if rep.Errors > 0 || (rep.Check != nil && !rep.Check.OK()) {
		return 1
	}
	return 0
}

// Write prints the report: the dialogs, a Markdown table of the steps, the errors and the check.
func (r *Report) Write(w io.Writer, detail bool) {
	secs := r.Ended.Sub(r.Started).Seconds()
	fmt.Fprintf(w, "\n%s to %s (%.0f s): %d messages, %.1f/s\n", r.Started.Format(time.RFC3339), r.Ended.Format(time.TimeOnly),
		secs, r.Requests(), float64(r.Requests())/max(secs, 1))
	keys := make([]string, 0, len(r.Dialogs))
	total := 0
	for k, n := range r.Dialogs {
		keys = append(keys, k)
		total += n
	}
	sort.Strings(keys)
	fmt.Fprintf(w, "dialogs: %d —", total)
	for _, k := range keys {
		fmt.Fprintf(w, " %s %d;", k, r.Dialogs[k])
	}
	fmt.Fprintf(w, "\nledger: %d ratings, %d tickets, %d unanswered final messages; WeChat retries %d, Telegram redeliveries %d\n\n",
		r.Ratings, r.Tickets, r.Uncertain, r.WeChatRetries, r.TelegramRedeliveries)
	fmt.Fprintln(w, "By step, all platforms:")
	WriteTable(w, r.Steps)
	fmt.Fprintln(w, "\nBy platform, all steps:")
	WriteTable(w, r.Platforms)
	if detail {
		fmt.Fprintln(w, "\nBy platform and step:")
		WriteTable(w, r.Detail)
	}
	fmt.Fprintf(w, "\nerrors: %d\n", r.Errors)
	if len(r.Samples) > 0 {
		fmt.Fprintln(w, "  "+strings.Join(r.Samples, "\n  "))
	}
	if r.Check != nil {
		ok := "OK"
		if !r.Check.OK() {
			ok = "MISMATCH"
		}
		fmt.Fprintf(w, "check %s: %s\n", ok, r.Check)
	}
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, strings.TrimSuffix(p, "/"))
		}
	}
	return out
}

func parseMix(s string) ([3]int, error) {
	parts := splitList(s)
	var m [3]int
	if len(parts) != 3 {
		return m, fmt.Errorf("%q: want three percentages such as 70,20,10", s)
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return m, fmt.Errorf("%q is not a share", p)
		}
		m[i] = n
	}
	if m[0]+m[1]+m[2] == 0 {
		return m, errors.New("every share is 0")
	}
	return m, nil
}
