// Package handlers routes an Inbound to a command or to the conversation under way, and checks
// who may do what. Adapters call Router.Handle through the bot.Handler interface.
package handlers

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"

	"windowbot/bot"
	"windowbot/flows"
	"windowbot/internal/text"
	"windowbot/models"
)

// Router is the bot.Handler every channel adapter calls.
type Router struct {
	engine *flows.Engine
	logger *slog.Logger
	desk   *Desk
	subs   *models.Store
}

// WithSubscriptions adds /subscribe and /unsubscribe (订阅, 退订) for citizens, recording their
// opt-in to announcements (the monthly service stars, rectification notices) in s.
func WithSubscriptions(s *models.Store) RouterOption { return func(r *Router) { r.subs = s } }

var _ bot.Handler = (*Router)(nil)

// RouterOption configures a Router.
type RouterOption func(*Router)

// WithDesk adds the staff and supervisor commands (binding, tickets, statistics, supervision)
// and citizen bans. Without it the router serves citizens only.
func WithDesk(d *Desk) RouterOption { return func(r *Router) { r.desk = d } }

// NewRouter returns a router over engine.
func NewRouter(engine *flows.Engine, logger *slog.Logger, opts ...RouterOption) *Router {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	r := &Router{engine: engine, logger: logger}
	for _, o := range opts {
		o(r)
	}
	return r
}

// Handle implements bot.Handler: it begins the message's turn in the engine, routes it, and
// commits the turn with the replies. A conversation that is busy for too long gets a polite
// "try again" rather than an error, because the user can act on it.
func (r *Router) Handle(ctx context.Context, in bot.Inbound) ([]bot.Reply, error) {
	in.Text = strings.TrimSpace(in.Text)
	replies, err := r.turn(ctx, in)
	if errors.Is(err, flows.ErrBusy) || errors.Is(err, flows.ErrConflict) {
		r.logger.Warn("handlers: conversation busy", "platform", in.Platform, "err", err)
		return []bot.Reply{{Text: text.T(in.Lang, "busy")}}, nil
	}
	return replies, err
}

// turn runs one message through the engine: Begin, route, Commit.
func (r *Router) turn(ctx context.Context, in bot.Inbound) ([]bot.Reply, error) {
	t, err := r.engine.Begin(ctx, in)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	replies, err := r.route(ctx, t)
	if err != nil {
		return nil, err
	}
	if err := t.Commit(ctx, replies); err != nil {
		return nil, err
	}
	return replies, nil
}

// Command is a parsed "/name args" message.
type Command struct {
	Name string // lower case, without the slash
	Args string // the rest, trimmed
	// Pressed says the command came from a button ("cmd:/name args"): a command that needs words
	// the button cannot carry (a reason, a note) asks for them.
	Pressed bool
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
	text, page, pressed := t.In.Text, 1, false
	// A button can carry a command ("cmd:/rate"), so menus and help can offer one-tap actions;
	// "page:N:/cmd" asks for page N of a list.
	if p, ok := strings.CutPrefix(t.In.Payload, "cmd:"); ok {
		text, t.In.Payload, pressed = p, "", true
	} else if p, ok := strings.CutPrefix(t.In.Payload, "page:"); ok {
		n, line, _ := strings.Cut(p, ":")
		if k, err := strconv.Atoi(n); err == nil && k > 0 {
			text, page, t.In.Payload = line, k, ""
		}
	}
	// The account's role is loaded only for a command: most messages carry on a conversation.
	if cmd, ok := ParseCommand(text); ok {
		cmd.Pressed = pressed
		return r.accountCommand(ctx, t, cmd, page)
	}
	if t.In.Payload == "" {
		word := strings.ToLower(text)
		if name, ok := keywords[word]; ok {
			return r.accountCommand(ctx, t, Command{Name: name}, 1)
		}
		if !t.Active() && greeting(word) {
			// 你好 is how a conversation begins: the welcome, not "not understood".
			return r.accountCommand(ctx, t, Command{Name: "help"}, 1)
		}
		if name, ok := deskKeywords[word]; ok && r.desk != nil {
			acct, err := r.account(ctx, t)
			if err != nil {
				return nil, err
			}
			if allowed(name, acct.role()) {
				return r.command(ctx, t, acct, Command{Name: name}, 1)
			}
		}
		// "受理 T20261123-0001": a desk action's Chinese word with its ticket, for the accounts
		// that may take it, outside a conversation.
		if head, args, ok := strings.Cut(text, " "); ok && r.desk != nil && !t.Active() {
			if name, ok := deskWords[head]; ok {
				acct, err := r.account(ctx, t)
				if err != nil {
					return nil, err
				}
				if allowed(name, acct.role()) || (name == "appeal" && (acct.role() == models.RoleStaff || acct.role() == models.RoleLead)) {
					return r.command(ctx, t, acct, Command{Name: name, Args: strings.TrimSpace(args)}, 1)
				}
			}
		}
	}
	if !t.Active() && t.In.Payload == "" {
		// "办营业执照需要什么材料": the one-time notification guide, asked in words.
		if words, ok := flows.GuideQuestion(text); ok {
			return t.Start(ctx, flows.GuideFlowName, words)
		}
	}
	if t.Active() {
		return t.Continue(ctx)
	}
	if t.In.Payload == "" {
		// A matter's name, or part of it, typed alone: its guide rather than "not understood".
		if replies, ok, err := flows.GuideByName(ctx, t, text); ok || err != nil {
			return replies, err
		}
	}
	if t.In.Payload != "" {
		// A button pressed after its conversation expired.
		return []bot.Reply{{Text: t.T("expired"), Buttons: flows.StartButtons(t)}}, nil
	}
	if t.In.Voice != nil && t.In.Text == "" {
		// A voice message with no words heard, and no dialog to keep it: say how to go on.
		return []bot.Reply{{Text: t.T("voice_idle"), Buttons: flows.StartButtons(t)}}, nil
	}
	return []bot.Reply{{Text: t.T("not_understood"), Buttons: flows.StartButtons(t)}}, nil
}

// account is who the turn's chat account acts as; without a desk everybody is a citizen.
func (r *Router) account(ctx context.Context, t *flows.Turn) (account, error) {
	if r.desk == nil {
		return account{actor: models.ActorFor(t.Citizen.ID, nil)}, nil
	}
	return r.desk.account(ctx, t.Citizen)
}

// accountCommand runs cmd for the turn's account.
func (r *Router) accountCommand(ctx context.Context, t *flows.Turn, cmd Command, page int) ([]bot.Reply, error) {
	acct, err := r.account(ctx, t)
	if err != nil {
		return nil, err
	}
	return r.command(ctx, t, acct, cmd, page)
}

func (r *Router) command(ctx context.Context, t *flows.Turn, acct account, cmd Command, page int) ([]bot.Reply, error) {
	if r.desk != nil {
		if dc, ok := deskCommands[cmd.Name]; ok {
			if !slices.Contains(dc.roles, acct.role()) {
				// Outside the role: answered exactly like a command that does not exist, and
				// logged without what was typed after it.
				r.logger.Info("handlers: command not allowed for role", "platform", t.In.Platform,
					"citizen_id", t.Citizen.ID, "role", acct.role(), "command", cmd.Name)
				return r.unknown(t, acct, cmd), nil
			}
			if cmd.Name == "more" {
				return r.more(ctx, t, acct)
			}
			return dc.run(r.desk, ctx, &call{t: t, acct: acct, name: cmd.Name, args: cmd.Args, page: page, pressed: cmd.Pressed})
		}
		if cmd.Name == "appeal" && (acct.role() == models.RoleStaff || acct.role() == models.RoleLead) {
			return r.desk.staffAppeal(ctx, &call{t: t, acct: acct, name: cmd.Name, args: cmd.Args})
		}
		deepLink := strings.HasPrefix(cmd.Args, "w_") || strings.HasPrefix(cmd.Args, models.StaffLinkPrefix) ||
			strings.HasPrefix(cmd.Args, models.CaseLinkPrefix)
		if cmd.Name == "rate" || cmd.Name == "complain" || (cmd.Name == "start" && deepLink) {
			banned, err := r.desk.banned(ctx, t.Citizen.ID)
			if err != nil {
				return nil, err
			}
			if banned {
				t.End()
				return []bot.Reply{{Text: t.T("banned")}}, nil
			}
		}
	}
	switch cmd.Name {
	case "start":
		// Deep links: /start w_<window code> (Telegram, the web ?w= link, WeChat QR scenes), and
		// /start s_<staff no> from a staff member's own poster (the web ?s= link), which rates their
		// window with them chosen.
		if code, ok := strings.CutPrefix(cmd.Args, "w_"); ok {
			return t.Start(ctx, flows.RateFlowName, code)
		}
		if strings.HasPrefix(cmd.Args, models.StaffLinkPrefix) {
			return t.Start(ctx, flows.RateFlowName, cmd.Args)
		}
		// /start c_<token>: a case's rating invitation (一事一评), from the web ?c= link, the
		// Telegram deep link, a WeChat temporary QR code or a staff member's /invite.
		if strings.HasPrefix(cmd.Args, models.CaseLinkPrefix) {
			return t.Start(ctx, flows.RateFlowName, cmd.Args)
		}
		// /start g_<matter code>: a matter's guide (一次性告知) a staff member showed as a QR code.
		if code, ok := strings.CutPrefix(cmd.Args, models.GuideLinkPrefix); ok {
			return t.Start(ctx, flows.GuideFlowName, code)
		}
		// /start k_<token>: the web link texted to a complainant (the web ?k= link), which binds
		// this web chat to their ticket and shows it, with the re-rating when it is due.
		if token, ok := strings.CutPrefix(cmd.Args, models.TicketLinkPrefix); ok && r.desk != nil {
			return r.desk.ticketLink(ctx, t, token)
		}
		t.End()
		return r.help(t, acct), nil
	case "rate":
		return t.Start(ctx, flows.RateFlowName, cmd.Args)
	case "complain":
		return t.Start(ctx, flows.ComplainFlowName, cmd.Args)
	case "track":
		return t.Start(ctx, flows.TrackFlowName, cmd.Args)
	case "guide":
		return t.Start(ctx, flows.GuideFlowName, cmd.Args)
	case "rerate":
		return t.Start(ctx, flows.RerateFlowName, cmd.Args)
	case "appeal":
		return t.Start(ctx, flows.AppealFlowName, cmd.Args)
	case "cancel":
		if !t.Active() {
			return []bot.Reply{{Text: t.T("nothing_to_cancel"), Buttons: flows.StartButtons(t)}}, nil
		}
		t.End()
		return []bot.Reply{{Text: t.T("cancelled"), Buttons: flows.StartButtons(t)}}, nil
	case "help":
		return r.help(t, acct), nil
	case "subscribe", "unsubscribe":
		if r.subs == nil {
			break
		}
		on := cmd.Name == "subscribe"
		if err := r.subs.SetSubscribed(ctx, t.Citizen.ID, on, t.Now); err != nil {
			return nil, err
		}
		if on {
			return []bot.Reply{{Text: t.T("subscribed")}}, nil
		}
		return []bot.Reply{{Text: t.T("unsubscribed")}}, nil
	}
	return r.unknown(t, acct, cmd), nil
}

// unknown answers a command that does not exist, or is not the account's to use: the two must
// read the same. Unknown commands keep the conversation under way: the user can carry on.
func (r *Router) unknown(t *flows.Turn, acct account, cmd Command) []bot.Reply {
	return append([]bot.Reply{{Text: t.T("unknown_command", "Command", "/"+cmd.Name)}}, r.help(t, acct)...)
}

// more continues the last paged list of this chat with its next page.
func (r *Router) more(ctx context.Context, t *flows.Turn, acct account) ([]bot.Reply, error) {
	page, line, ok, err := r.desk.more(ctx, t)
	if err != nil {
		return nil, err
	}
	cmd, isCmd := ParseCommand(line)
	if !ok || !isCmd || cmd.Name == "more" {
		return []bot.Reply{{Text: t.T("more_none")}}, nil
	}
	return r.command(ctx, t, acct, cmd, page)
}

func (r *Router) help(t *flows.Turn, acct account) []bot.Reply {
	out := help(t)
	if r.desk != nil {
		out[0].Text += r.desk.help(t.Lang, acct.role())
	}
	return out
}

// help is the welcome and the citizen's help: with slash commands where the platform has them
// (Telegram), else with the words to send and the buttons, which WeChat numbers.
func help(t *flows.Turn) []bot.Reply {
	key := "help_plain"
	if t.In.Platform.HasCommands() {
		key = "help"
	}
	return []bot.Reply{{Text: t.T(key), Buttons: flows.StartButtons(t)}}
}

// greetings begin a conversation; they are answered with the welcome when none is under way.
var greetings = map[string]bool{
	"你好": true, "您好": true, "你好呀": true, "您好呀": true, "你们好": true, "嗨": true, "哈喽": true, "哈啰": true,
	"在吗": true, "在么": true, "在不在": true, "有人吗": true, "早": true, "早上好": true, "上午好": true, "中午好": true,
	"下午好": true, "晚上好": true, "开始": true, "hi": true, "hello": true, "hey": true, "start": true,
}

// greeting reports whether word, without the punctuation around it, is a greeting.
func greeting(word string) bool {
	return greetings[strings.Trim(word, " !！。.,，~～?？、")]
}

// keywords are words typed without a slash that stand for a command, because citizens on WeChat
// type 投诉 rather than /complain. Only a message that is exactly the word counts.
var keywords = map[string]string{
	"评价": "rate", "我要评价": "rate",
	"投诉": "complain", "反映": "complain", "我要投诉": "complain", "反映问题": "complain",
	"查询": "track", "进度": "track", "查询进度": "track",
	"追评":   "rerate",
	"办事指南": "guide", "指南": "guide", "一次性告知": "guide", "材料清单": "guide", "所需材料": "guide",
	"帮助": "help", "菜单": "help",
	"取消": "cancel",
	"订阅": "subscribe", "退订": "unsubscribe",
	// The English words the English help names.
	"rate": "rate", "complain": "complain", "track": "track", "rerate": "rerate",
	"guide": "guide", "help": "help", "menu": "help", "cancel": "cancel", "subscribe": "subscribe", "unsubscribe": "unsubscribe",
}
