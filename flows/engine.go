// Package flows is the platform-neutral dialog engine and the conversations it runs (rate,
// and later complain, track, re-rate, bind). An adapter hands in a bot.Inbound and gets
// bot.Replies back; sessions live in a State (Redis or in-process), records in a Store.
package flows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"windowbot/bot"
	"windowbot/internal/text"
	"windowbot/models"
)

// Session is the whole state of one conversation, stored as one JSON value under one key.
type Session struct {
	// Version increases with every save; a save that expects an older version is refused.
	Version int64  `json:"version"`
	Flow    string `json:"flow,omitempty"`
	Step    string `json:"step,omitempty"`
	// Choices are the buttons last offered, so a typed label or number (WeChat has no buttons)
	// can stand for a press.
	Choices []bot.Button `json:"choices,omitempty"`
	// FreeText marks a step that takes typed text, where a bare number is text, not a choice.
	// Steps that offer choices but also accept a typed value (a window code) leave it false: a
	// number within the list picks a choice, anything else reaches the flow as text.
	FreeText  bool           `json:"free_text,omitempty"`
	Rate      *RateState     `json:"rate,omitempty"`
	Complain  *ComplainState `json:"complain,omitempty"`
	Rerate    *TicketRef     `json:"rerate,omitempty"`
	Appeal    *TicketRef     `json:"appeal,omitempty"`
	UpdatedAt time.Time      `json:"updated_at"`
}

// Active reports whether a flow is under way.
func (s *Session) Active() bool { return s.Flow != "" }

// Goto moves the session to step of the current flow.
func (s *Session) Goto(step string) { s.Step = step }

// End finishes the flow: the session is deleted when the turn is saved.
func (s *Session) End() {
	v := s.Version
	*s = Session{Version: v}
}

// Turn is one inbound message being handled: what came in, who sent it, and their session.
type Turn struct {
	In      bot.Inbound
	Citizen *models.Citizen
	Session *Session
	Lang    string
	Now     time.Time
	// Resumed is true when the session was loaded from the store (not a new conversation).
	Resumed bool
}

// T returns the message key of the text catalog in the turn's language, its fields filled from
// kv: name/value pairs, as text.T takes them.
func (t *Turn) T(key string, kv ...any) string { return text.T(t.Lang, key, kv...) }

// Flow is one conversation. Start begins it with an optional argument (a window code for
// rating); Step handles the next input at the session's current step.
type Flow interface {
	Name() string
	Start(ctx context.Context, t *Turn, arg string) ([]bot.Reply, error)
	Step(ctx context.Context, t *Turn) ([]bot.Reply, error)
}

// RouteFunc decides what to do with a turn: a command, the active flow, or help. The handlers
// package provides it; the engine runs it under the conversation's lock.
type RouteFunc func(ctx context.Context, t *Turn) ([]bot.Reply, error)

// Options configures an Engine. Zero values take the documented defaults.
type Options struct {
	State  State
	Store  *models.Store
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Location is the hall's time zone, for "one rating per day"; nil means UTC.
	Location *time.Location
	// SessionTTL is how long an idle conversation is kept (default 30 min).
	SessionTTL time.Duration
	// LockTTL bounds how long one turn may hold its conversation (default 30 s).
	LockTTL time.Duration
	// Lang is the default language ("zh-CN").
	Lang string
	// RatingPeriodDays is the rating period: one rating per citizen per window per this many
	// days (default 1: per calendar day in Location).
	RatingPeriodDays int
}

// Engine runs conversations: one turn at a time per conversation, its session saved with a
// version check so concurrent or retried deliveries cannot both advance it.
type Engine struct {
	opts  Options
	flows map[string]Flow
}

// NewEngine returns an engine running flows.
func NewEngine(opts Options, flows ...Flow) *Engine {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = 30 * time.Minute
	}
	if opts.LockTTL <= 0 {
		opts.LockTTL = 30 * time.Second
	}
	if opts.Lang == "" {
		opts.Lang = text.ZH
	}
	if opts.RatingPeriodDays <= 0 {
		opts.RatingPeriodDays = 1
	}
	e := &Engine{opts: opts, flows: map[string]Flow{}}
	for _, f := range flows {
		e.flows[f.Name()] = f
	}
	return e
}

// Store returns the record store the engine's flows use.
func (e *Engine) Store() *models.Store { return e.opts.Store }

// Options returns the engine's settings with defaults applied.
func (e *Engine) Options() Options { return e.opts }

// SessionKey is where a conversation's session lives: dlg:{platform}:{chat}.
func SessionKey(p bot.Platform, chatID string) string { return "dlg:" + string(p) + ":" + chatID }

// ErrBusy means the conversation's lock could not be had before the context ended.
var ErrBusy = errors.New("flows: conversation busy")

// Run handles one inbound message: it takes the conversation's lock, loads the session, records
// the citizen, maps a typed choice to its button, calls route, and saves the session.
func (e *Engine) Run(ctx context.Context, in bot.Inbound, route RouteFunc) ([]bot.Reply, error) {
	if in.ChatID == "" || in.Platform == "" {
		return nil, fmt.Errorf("flows: inbound without platform or chat id")
	}
	if in.UserID == "" {
		in.UserID = in.ChatID
	}
	key := SessionKey(in.Platform, in.ChatID)
	unlock, err := e.opts.State.Lock(ctx, "lock:"+key, e.opts.LockTTL)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBusy, err)
	}
	defer unlock()

	now := e.opts.Now()
	sess, resumed, err := e.load(ctx, key)
	if err != nil {
		return nil, err
	}
	cit, err := e.opts.Store.TouchCitizen(ctx, string(in.Platform), in.UserID, in.Lang, now)
	if err != nil {
		return nil, fmt.Errorf("flows: touch citizen: %w", err)
	}
	lang := e.opts.Lang
	switch {
	case in.Lang != "":
		lang = text.Lang(in.Lang)
	case cit.Lang != "":
		lang = text.Lang(cit.Lang)
	}
	t := &Turn{In: in, Citizen: cit, Session: sess, Lang: lang, Now: now, Resumed: resumed}
	matchChoice(t)

	replies, err := route(ctx, t)
	if err != nil {
		return nil, err
	}
	if err := e.save(ctx, key, sess, replies, now); err != nil {
		return nil, err
	}
	return replies, nil
}

func (e *Engine) load(ctx context.Context, key string) (*Session, bool, error) {
	raw, err := e.opts.State.Load(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return &Session{}, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("flows: load session: %w", err)
	}
	var s Session
	if err := json.Unmarshal(raw, &s); err != nil {
		// A session written by an incompatible release: start over rather than fail forever.
		e.opts.Logger.Warn("flows: unreadable session, starting over", "key", key, "err", err)
		var v struct {
			Version int64 `json:"version"`
		}
		_ = json.Unmarshal(raw, &v)
		return &Session{Version: v.Version}, false, nil
	}
	return &s, true, nil
}

func (e *Engine) save(ctx context.Context, key string, s *Session, replies []bot.Reply, now time.Time) error {
	if !s.Active() {
		if s.Version == 0 {
			return nil
		}
		if err := e.opts.State.Delete(ctx, key); err != nil {
			return fmt.Errorf("flows: end session: %w", err)
		}
		return nil
	}
	// Remember the buttons of the last reply that offered any: that is what the user sees.
	for i := len(replies) - 1; i >= 0; i-- {
		if len(replies[i].Buttons) > 0 {
			replies[i].Pick = true
			s.Choices = s.Choices[:0]
			for _, row := range replies[i].Buttons {
				s.Choices = append(s.Choices, row...)
			}
			break
		}
	}
	expect := s.Version
	s.Version++
	s.UpdatedAt = now
	data, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("flows: encode session: %w", err)
	}
	if err := e.opts.State.Save(ctx, key, expect, data, e.opts.SessionTTL); err != nil {
		return fmt.Errorf("flows: save session: %w", err)
	}
	return nil
}

// Start begins flow name for the turn, replacing any flow under way.
func (e *Engine) Start(ctx context.Context, t *Turn, name, arg string) ([]bot.Reply, error) {
	f, ok := e.flows[name]
	if !ok {
		return nil, fmt.Errorf("flows: no flow %q", name)
	}
	t.Session.End()
	t.Session.Flow = name
	return f.Start(ctx, t, arg)
}

// Continue hands the turn to the active flow.
func (e *Engine) Continue(ctx context.Context, t *Turn) ([]bot.Reply, error) {
	f, ok := e.flows[t.Session.Flow]
	if !ok {
		// A flow removed by an upgrade: drop the session politely.
		t.Session.End()
		return []bot.Reply{{Text: t.T("expired")}}, nil
	}
	return f.Step(ctx, t)
}

// matchChoice turns typed text into a button press when it names an offered choice: its label,
// or its number where the step does not take free text — the choice's own number where the
// choices carry one (the rating levels: "5" is 非常满意), else its position in the list. This is
// what lets WeChat, which shows choices as numbered lines, share every flow with Telegram.
func matchChoice(t *Turn) {
	in := &t.In
	if in.Payload != "" || in.Text == "" || len(t.Session.Choices) == 0 {
		return
	}
	text := strings.TrimSpace(in.Text)
	if !t.Session.FreeText {
		if n, err := strconv.Atoi(text); err == nil {
			if c, ok := bot.ChoiceByNumber(t.Session.Choices, n); ok {
				in.Payload = c.Payload
				return
			}
		}
	}
	for _, c := range t.Session.Choices {
		if strings.EqualFold(text, c.Label) || strings.EqualFold(text, StripMark(c.Label)) {
			in.Payload = c.Payload
			return
		}
	}
}

// Checked is the mark put before a selected option of a multi-select.
const Checked = "✅ "

// StripMark removes the selection mark from a label.
func StripMark(label string) string { return strings.TrimPrefix(label, Checked) }
