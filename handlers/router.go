// Package handlers routes an Inbound to a command or to the conversation under way, and checks
// who may do what. Adapters call Router.Handle through the bot.Handler interface.
package handlers

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"windowbot/bot"
	"windowbot/flows"
)

// Router is the bot.Handler every channel adapter calls.
type Router struct {
	engine *flows.Engine
	logger *slog.Logger
}

var _ bot.Handler = (*Router)(nil)

// NewRouter returns a router over engine.
func NewRouter(engine *flows.Engine, logger *slog.Logger) *Router {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Router{engine: engine, logger: logger}
}

// Handle implements bot.Handler. A conversation that is busy for too long gets a polite
// "try again" rather than an error, because the user can act on it.
func (r *Router) Handle(ctx context.Context, in bot.Inbound) ([]bot.Reply, error) {
	in.Text = strings.TrimSpace(in.Text)
	replies, err := r.engine.Run(ctx, in, r.route)
	if errors.Is(err, flows.ErrBusy) || errors.Is(err, flows.ErrConflict) {
		r.logger.Warn("handlers: conversation busy", "platform", in.Platform, "err", err)
		return []bot.Reply{{Text: flows.T(flows.NormLang(in.Lang), "busy")}}, nil
	}
	return replies, err
}

// Command is a parsed "/name args" message.
type Command struct {
	Name string // lower case, without the slash
	Args string // the rest, trimmed
}

// ParseCommand reads "/name args" (a bot suffix "/name@bot" is dropped). ok is false for
// anything that is not a command.
func ParseCommand(text string) (cmd Command, ok bool) {
	if !strings.HasPrefix(text, "/") || len(text) < 2 {
		return Command{}, false
	}
	name, args, _ := strings.Cut(text[1:], " ")
	name, _, _ = strings.Cut(name, "@")
	return Command{Name: strings.ToLower(name), Args: strings.TrimSpace(args)}, true
}

func (r *Router) route(ctx context.Context, t *flows.Turn) ([]bot.Reply, error) {
	text := t.In.Text
	// A button can carry a command ("cmd:/rate"), so menus and help can offer one-tap actions.
	if p, ok := strings.CutPrefix(t.In.Payload, "cmd:"); ok {
		text, t.In.Payload = p, ""
	}
	if cmd, ok := ParseCommand(text); ok {
		return r.command(ctx, t, cmd)
	}
	if t.In.Payload == "" {
		if name, ok := keywords[strings.ToLower(text)]; ok {
			return r.command(ctx, t, Command{Name: name})
		}
	}
	if t.Session.Active() {
		return r.engine.Continue(ctx, t)
	}
	if t.In.Payload != "" {
		// A button pressed after its conversation expired.
		return []bot.Reply{{Text: t.T("expired"), Buttons: startButtons(t)}}, nil
	}
	return []bot.Reply{{Text: t.T("not_understood"), Buttons: startButtons(t)}}, nil
}

func (r *Router) command(ctx context.Context, t *flows.Turn, cmd Command) ([]bot.Reply, error) {
	switch cmd.Name {
	case "start":
		// Deep links: /start w_<window code> (Telegram, the web ?w= link, WeChat QR scenes).
		if code, ok := strings.CutPrefix(cmd.Args, "w_"); ok {
			return r.engine.Start(ctx, t, flows.RateFlowName, code)
		}
		t.Session.End()
		return help(t), nil
	case "rate":
		return r.engine.Start(ctx, t, flows.RateFlowName, cmd.Args)
	case "complain":
		return r.engine.Start(ctx, t, flows.ComplainFlowName, cmd.Args)
	case "track":
		return r.engine.Start(ctx, t, flows.TrackFlowName, cmd.Args)
	case "rerate":
		return r.engine.Start(ctx, t, flows.RerateFlowName, cmd.Args)
	case "appeal":
		return r.engine.Start(ctx, t, flows.AppealFlowName, cmd.Args)
	case "cancel":
		if !t.Session.Active() {
			return []bot.Reply{{Text: t.T("nothing_to_cancel")}}, nil
		}
		t.Session.End()
		return []bot.Reply{{Text: t.T("cancelled")}}, nil
	case "help":
		return help(t), nil
	}
	// Unknown commands keep the conversation under way: the user can carry on.
	return append([]bot.Reply{{Text: t.T("unknown_command", "/"+cmd.Name)}}, help(t)...), nil
}

func help(t *flows.Turn) []bot.Reply {
	return []bot.Reply{{Text: t.T("help"), Buttons: startButtons(t)}}
}

func startButtons(t *flows.Turn) [][]bot.Button {
	return [][]bot.Button{
		{{Label: t.T("btn_rate"), Payload: "cmd:/rate"}},
		{{Label: t.T("btn_complain"), Payload: "cmd:/complain"}, {Label: t.T("btn_track"), Payload: "cmd:/track"}},
	}
}

// keywords are words typed without a slash that stand for a command, because citizens on WeChat
// type 投诉 rather than /complain. Only a message that is exactly the word counts.
var keywords = map[string]string{
	"评价": "rate", "我要评价": "rate",
	"投诉": "complain", "反映": "complain", "我要投诉": "complain", "反映问题": "complain",
	"查询": "track", "进度": "track", "查询进度": "track",
	"追评": "rerate",
	"帮助": "help", "菜单": "help",
	"取消": "cancel",
}
