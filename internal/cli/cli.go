// Package cli is windowbot's command line: it reads the configuration, sets up the logger, opens
// the stores, builds the channels and the HTTP server, and runs the subcommand asked for. It is
// wiring only: every piece is constructed here and passed in, and what a piece does lives in its
// own package. Each subcommand has its own file.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"windowbot/configs"
	"windowbot/flows/state"
)

// command is one subcommand of the binary.
type command struct {
	name    string
	summary string
	usage   string
	run     func(ctx context.Context, a *app, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "run the bot: HTTP server, web chat, Telegram, WeChat (the default)", "serve", cmdServe},
		{"migrate", "apply pending database schema migrations; --recount makes the ratings' daily counts again", "migrate [--recount]", cmdMigrate},
		{"seed", "add the demo service center, windows and staff", "seed --demo", cmdSeed},
		{"import", "import centers, windows, staff and matters from CSV files", "import [--windows FILE] [--staff FILE] [--matters FILE]", cmdImport},
		{"qr", "write print-ready QR code posters (PNG, 300 dpi) for windows, or a staff member's own", "qr --window CODE --out FILE.png | qr --all --out DIR | qr --staff NO --out FILE.png [--size a4|a5|tent] [--channel telegram|wechat|web] [--base-url URL | --allow-localhost]", cmdQR},
		{"wechat", "WeChat official account set-up: install the menu", "wechat menu", cmdWeChat},
		{"jobs", "list the scheduled jobs, or run one occurrence now", "jobs list | jobs run NAME [--period 2026-10 | --at 2026-11-01T09:00:00+08:00] [--again]", cmdJobs},
		{"push", "list the pushes that could not be delivered", "push failed [--limit N]", cmdPush},
		{"staff", "list the staff; bind their chat accounts: a one-time code, or revoke every binding", "staff list | staff invite --staff-no NO [--valid 72h] | staff revoke --staff-no NO", cmdStaff},
		{"cases", "register finished service cases from a CSV file and print their rating invitations", "cases import FILE.csv", cmdCases},
		{"report", "write the provincial rating platform's records of a month, or count sent, pending and failed ones", "report export --period 2026-11 [--format json|csv] [--out FILE] | report status", cmdReport},
		{"inspector", "add a citizen inspector and print their one-time binding code", "inspector invite --name NAME --phone PHONE [--valid 72h]", cmdInspector},
		{"healthcheck", "ask a running server's /healthz (the image's HEALTHCHECK)", "healthcheck [--url URL] [--timeout 3s]", cmdHealthcheck},
		{"help", "show this help", "help", nil},
	}
}

// errUsage marks a command-line mistake: usage is printed and the exit code is 2.
var errUsage = errors.New("usage")

func usage(w io.Writer) {
	fmt.Fprintln(w, "windowbot — government service window ratings and complaints (好差评) in chat apps")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: windowbot [--config FILE] <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Settings come from --config (or WINDOWBOT_CONFIG) overlaid by WINDOWBOT_* variables;")
	fmt.Fprintln(w, "see configs/windowbot.example.yaml. With none set, windowbot runs on a SQLite file")
	fmt.Fprintln(w, "and in-process state with the built-in web chat.")
}

// redisLogs routes go-redis's own log lines once: its logger is one for the whole process.
var redisLogs sync.Once

// Run runs the command line args (without the program name) with the environment lookup getenv,
// and returns the exit code: 0, 1 when the command failed, 2 for a command-line mistake (usage is
// printed). With no command it serves. ctx ends the server.
func Run(ctx context.Context, args []string, getenv func(string) (string, bool), stdout, stderr io.Writer) int {
	redisLogs.Do(func() { state.RouteRedisLogs(slog.New(slog.NewTextHandler(stderr, nil))) })
	global := flag.NewFlagSet("windowbot", flag.ContinueOnError)
	global.SetOutput(stderr)
	global.Usage = func() { usage(stderr) }
	configPath := global.String("config", "", "YAML configuration file (default $WINDOWBOT_CONFIG)")
	if err := global.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	args = global.Args()
	name := "serve"
	if len(args) > 0 {
		name, args = args[0], args[1:]
	}
	if name == "help" || name == "-h" || name == "--help" {
		usage(stdout)
		return 0
	}
	var cmd *command
	for _, c := range commands() {
		if c.name == name {
			cmd = &c
			break
		}
	}
	if cmd == nil || cmd.run == nil {
		fmt.Fprintf(stderr, "windowbot: unknown command %q\n\n", name)
		usage(stderr)
		return 2
	}
	if *configPath == "" {
		*configPath, _ = getenv("WINDOWBOT_CONFIG")
	}
	a, err := newApp(*configPath, getenv, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "windowbot: %v\n", err)
		return 1
	}
	return exitCode(stderr, cmd, cmd.run(ctx, a, args))
}

// exitCode reports err of cmd on stderr and returns the exit code: usage and 2 for a mistake on
// the command line, one line and 1 for a failure.
func exitCode(stderr io.Writer, cmd *command, err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprintf(stderr, "usage: windowbot %s\n", cmd.usage)
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "usage: windowbot %s\n", cmd.usage)
		return 2
	}
	// One line, at the edge: the command's errors already say where they come from.
	msg := err.Error()
	if !strings.HasPrefix(msg, cmd.name+":") && !strings.HasPrefix(msg, cmd.name+" ") {
		msg = cmd.name + ": " + msg
	}
	fmt.Fprintf(stderr, "windowbot %s\n", msg)
	return 1
}

// flags returns a flag set for a subcommand that reports mistakes as errUsage.
func flags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	// The usage line itself is printed by run; here only the flags, if the command has any.
	fs.Usage = func() {
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(stderr, "flags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parse parses args and turns a flag mistake into errUsage.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	return nil
}

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
