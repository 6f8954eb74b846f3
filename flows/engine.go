// Package flows is the platform-neutral dialog engine and the conversations it runs: rating a
// window, the complaint desk, tracking one's tickets, re-rating a fix and appealing a rejection.
// The caller (handlers) begins a turn for each bot.Inbound, decides what to do with it — a
// command, or the conversation under way — and commits the turn with the replies it shows.
// Sessions live in a State (Redis or in process), records in *models.Store.
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

// session is the whole state of one conversation, stored as one JSON value under one key.
type session struct {
	// Version increases with every save; a save that expects an older version is refused.
	Version int64  `json:"version"`
	Flow    string `json:"flow,omitempty"`
	Step    string `json:"step,omitempty"`
	// Choices are the buttons last offered, so a typed label or number (WeChat has no buttons)
	// can stand for a press.
	Choices []bot.Button `json:"choices,omitempty"`
	// FreeText marks a step that takes typed text, where a bare number is text, not a choice —
	// except where the platform shows the step's choices as numbered lines (WeChat: "1. 跳过"),
	// so the number reads as the choice it stands next to. Steps that offer choices but also
	// accept a typed value (a window code) leave it false: a number within the list picks a
	// choice, anything else reaches the flow as text.
	FreeText bool `json:"free_text,omitempty"`
	// Next is the step that follows a step gathering free text (Turn.askGather): a press of one
	// of its buttons answers it and ends the gathering, rather than being stale.
	Next string `json:"next,omitempty"`
	// Heard is text recognised from a voice message, waiting for the citizen to confirm it
	// (您说的是：……，对吗？) before the step takes it as typed.
	Heard string `json:"heard,omitempty"`
	// Data holds the state of the flow under way (Define's S), under the flow's name.
	Data      map[string]json.RawMessage `json:"data,omitempty"`
	UpdatedAt time.Time                  `json:"updated_at"`
}

// end finishes the flow: the session is deleted when the turn is committed.
func (s *session) end() { *s = session{Version: s.Version} }

// Flow is one conversation the engine runs. Define makes one from the steps of a conversation
// and the type of the state it keeps between turns.
type Flow interface {
	// Name is the flow's name: the first part of its buttons' payloads, and its key in the
	// session.
	Name() string
	start(ctx context.Context, t *Turn, arg string) ([]bot.Reply, error)
	step(ctx context.Context, t *Turn) ([]bot.Reply, error)
}

// Steps is what a conversation does with its state S, which the engine keeps in the session
// between turns as S's JSON.
type Steps[S any] interface {
	// Start begins the conversation with an optional argument (a window code for rating); st
	// is a new S.
	Start(ctx context.Context, t *Turn, st *S, arg string) ([]bot.Reply, error)
	// Step handles the next message at the session's current step. A press of one of the
	// flow's own buttons reaches it only when the button is of the current step.
	Step(ctx context.Context, t *Turn, st *S, in Input) ([]bot.Reply, error)
	// Ask asks the current step's question again: after a button of an earlier question.
	Ask(ctx context.Context, t *Turn, st *S) ([]bot.Reply, error)
}

// Input is what reached a step besides t.In: whether it is a press of one of the flow's own
// buttons ("<flow>:<step>:<value>"), and the press's value.
type Input struct {
	Pressed bool
	Value   string
	// Step is the step the press names: the current one, or the next one where the current step
	// gathers free text (Turn.askGather) and its next step's answer ends the gathering.
	Step string
	// ByNumber means the press was typed as the number of a numbered choice (WeChat), not
	// pressed or named by its label: a slip of the finger is likelier, so a grave choice (a
	// bad review) is confirmed once.
	ByNumber bool
}

// errExpired is what a step returns when the session names a step the flow does not know: the
// engine ends the conversation with the expired answer.
var errExpired = errors.New("flows: step unknown")

// Define makes the flow named name from steps over the state S.
func Define[S any](name string, steps Steps[S]) Flow { return &defined[S]{name: name, steps: steps} }

type defined[S any] struct {
	name  string
	steps Steps[S]
}

func (d *defined[S]) Name() string { return d.name }

func (d *defined[S]) start(ctx context.Context, t *Turn, arg string) ([]bot.Reply, error) {
	st := new(S)
	replies, err := d.steps.Start(ctx, t, st, arg)
	return d.keep(t, st, replies, err)
}

// step loads the flow's state and hands the turn to the current step, or asks the step's
// question again after a stale button. These answers, and the expired one, are given here for
// every flow.
func (d *defined[S]) step(ctx context.Context, t *Turn) ([]bot.Reply, error) {
	st := new(S)
	raw, ok := t.sess.Data[d.name]
	if !ok || json.Unmarshal(raw, st) != nil {
		// A session of an older release, or one that lost its state: start over.
		return t.expired(), nil
	}
	if replies, done, err := d.voice(ctx, t, st); done {
		return d.keep(t, st, replies, err)
	}
	in := Input{}
	if rest, ok := strings.CutPrefix(t.In.Payload, d.name+":"); ok {
		step, value, _ := strings.Cut(rest, ":")
		if step != t.sess.Step && (step != t.sess.Next || t.sess.Next == "") {
			// A button from an earlier message (a double tap, an old keyboard): say so, re-ask.
			replies, err := d.steps.Ask(ctx, t, st)
			if err == nil {
				replies = append([]bot.Reply{{Text: t.T("stale_choice")}}, replies...)
			}
			return d.keep(t, st, replies, err)
		}
		in = Input{Pressed: true, Value: value, Step: step, ByNumber: t.byNumber}
	}
	replies, err := d.steps.Step(ctx, t, st, in)
	return d.keep(t, st, replies, err)
}

// The values of the buttons that confirm text heard from a voice message:
// <flow>:<step>:heard_yes and <flow>:<step>:heard_no.
const (
	HeardYes = "heard_yes"
	HeardNo  = "heard_no"
)

// VoiceTaker is what a flow's steps implement to take voice messages without recognised text
// at some steps (a complaint keeps them as attachments); at other steps, and in flows without
// it, the engine answers a voice message with how to go on.
type VoiceTaker interface {
	TakesVoice(step string) bool
}

// voice handles what a voice message needs before the step sees it: recognised text that names
// no offered choice is confirmed once (您说的是：……，对吗？), and taken as typed when the citizen
// says yes; a voice message without text, at a step that takes none, is answered with how to go
// on — never dropped without a word. done is false when the step should handle the turn.
func (d *defined[S]) voice(ctx context.Context, t *Turn, st *S) (replies []bot.Reply, done bool, err error) {
	heard := t.sess.Heard
	t.sess.Heard = ""
	prefix := d.name + ":" + t.sess.Step + ":"
	switch {
	case heard != "" && t.In.Payload == prefix+HeardYes:
		t.In.Text, t.In.Payload, t.In.Spoken, t.In.MessageID = heard, "", false, ""
		t.byNumber = false
		return nil, false, nil
	case heard != "" && t.In.Payload == prefix+HeardNo:
		replies, err := d.steps.Ask(ctx, t, st)
		return append([]bot.Reply{{Text: t.T("voice_heard_again")}}, replies...), true, err
	case t.In.Spoken && t.In.Payload == "" && t.In.Text != "":
		t.sess.Heard = t.In.Text
		return []bot.Reply{{Text: t.T("voice_heard_check", "Text", t.In.Text), Buttons: bot.Column(
			bot.Button{Label: t.T("btn_heard_yes"), Payload: prefix + HeardYes},
			bot.Button{Label: t.T("btn_heard_no"), Payload: prefix + HeardNo},
		)}}, true, nil
	case t.In.Voice != nil && t.In.Text == "" && t.In.Payload == "":
		if vt, ok := any(d.steps).(VoiceTaker); ok && vt.TakesVoice(t.sess.Step) {
			return nil, false, nil
		}
		replies, err := d.steps.Ask(ctx, t, st)
		return append([]bot.Reply{{Text: t.T("voice_unheard")}}, replies...), true, err
	}
	return nil, false, nil
}

// keep stores st in the session while the flow is under way, and turns errExpired into the
// expired answer.
func (d *defined[S]) keep(t *Turn, st *S, replies []bot.Reply, err error) ([]bot.Reply, error) {
	if errors.Is(err, errExpired) {
		return t.expired(), nil
	}
	if err != nil {
		return nil, err
	}
	if t.sess.Flow != d.name {
		return replies, nil
	}
	raw, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("flows: %s: encode state: %w", d.name, err)
	}
	t.sess.Data = map[string]json.RawMessage{d.name: raw}
	return replies, nil
}

// Options configures an Engine. Zero values take the documented defaults.
type Options struct {
	State State
	// Store records the citizen of every turn.
	Store  *models.Store
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// SessionTTL is how long an idle conversation is kept (default 30 min).
	SessionTTL time.Duration
	// LockTTL bounds how long one turn may hold its conversation (default 30 s).
	LockTTL time.Duration
	// Lang is the default language ("zh-CN").
	Lang string
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
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = 30 * time.Minute
	}
	if opts.LockTTL <= 0 {
		opts.LockTTL = 30 * time.Second
	}
	if opts.Lang == "" {
		opts.Lang = text.ZH
	}
	e := &Engine{opts: opts, flows: map[string]Flow{}}
	for _, f := range flows {
		e.flows[f.Name()] = f
	}
	return e
}

// SessionKey is where a conversation's session lives: dlg:{platform:chat}. The braces are a
// Redis Cluster hash tag: the session and its lock ("lock:" + the key) hash to one slot, as the
// scripts that take the lock and load the session in one step need.
func SessionKey(p bot.Platform, chatID string) string {
	return "dlg:{" + string(p) + ":" + chatID + "}"
}

// ErrBusy means the conversation's lock could not be had before the context ended.
var ErrBusy = errors.New("flows: conversation busy")

// Turn is one inbound message being handled, under its conversation's lock: what came in, who
// sent it, in which language to answer, and the conversation's session. Begin starts it; the
// caller decides what to do with it (Start a flow, Continue the one under way, End it, or answer
// itself) and then calls Commit with the replies it shows, or Close to give up.
type Turn struct {
	In      bot.Inbound
	Citizen *models.Citizen
	Lang    string
	Now     time.Time

	e    *Engine
	key  string
	sess *session
	// held is the session under the conversation's lock; nil once released.
	held Held
	// byNumber is set when a typed number was taken as the press of a numbered choice.
	byNumber bool
}

// Begin starts the turn of one inbound message: it takes the conversation's lock, loads the
// session, records the citizen, picks the language and maps a typed choice to its button. The
// turn holds the lock until Commit or Close.
func (e *Engine) Begin(ctx context.Context, in bot.Inbound) (*Turn, error) {
	if in.ChatID == "" || in.Platform == "" {
		return nil, fmt.Errorf("flows: inbound without platform or chat id")
	}
	if in.UserID == "" {
		in.UserID = in.ChatID
	}
	key := SessionKey(in.Platform, in.ChatID)
	// The lock and the session in one round trip.
	held, raw, err := e.opts.State.Hold(ctx, "lock:"+key, key, e.opts.LockTTL)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBusy, err)
	}
	now := e.opts.Now()
	sess := e.decode(key, raw)
	cit, err := e.opts.Store.TouchCitizen(ctx, string(in.Platform), in.UserID, in.Lang, now)
	if err != nil {
		held.Release()
		return nil, fmt.Errorf("flows: touch citizen: %w", err)
	}
	lang := e.opts.Lang
	switch {
	case in.Lang != "":
		lang = text.Lang(in.Lang)
	case cit.Lang != "":
		lang = text.Lang(cit.Lang)
	}
	t := &Turn{In: in, Citizen: cit, Lang: lang, Now: now, e: e, key: key, sess: sess, held: held}
	t.matchChoice()
	return t, nil
}

// decode reads a session as Hold loaded it: nil is a new conversation.
func (e *Engine) decode(key string, raw []byte) *session {
	if raw == nil {
		return &session{}
	}
	var s session
	if err := json.Unmarshal(raw, &s); err != nil {
		// A session written by an incompatible release: start over rather than fail forever.
		e.opts.Logger.Warn("flows: unreadable session, starting over", "key", key, "err", err)
		var v struct {
			Version int64 `json:"version"`
		}
		_ = json.Unmarshal(raw, &v)
		return &session{Version: v.Version}
	}
	return &s
}

// T returns the message key of the text catalog in the turn's language, its fields filled from
// kv: name/value pairs, as text.T takes them.
func (t *Turn) T(key string, kv ...any) string { return text.T(t.Lang, key, kv...) }

// Active reports whether a flow is under way.
func (t *Turn) Active() bool { return t.sess.Flow != "" }

// End finishes the flow under way, if any: the session is deleted when the turn is committed.
func (t *Turn) End() { t.sess.end() }

// Start begins flow name for the turn, replacing any flow under way.
func (t *Turn) Start(ctx context.Context, name, arg string) ([]bot.Reply, error) {
	f, ok := t.e.flows[name]
	if !ok {
		return nil, fmt.Errorf("flows: no flow %q", name)
	}
	t.sess.end()
	t.sess.Flow = name
	return f.start(ctx, t, arg)
}

// Continue hands the turn to the flow under way. A conversation that cannot go on — its flow
// is gone after an upgrade, its state does not load, its step is unknown — ends with the
// expired answer.
func (t *Turn) Continue(ctx context.Context) ([]bot.Reply, error) {
	f, ok := t.e.flows[t.sess.Flow]
	if !ok {
		return t.expired(), nil
	}
	return f.step(ctx, t)
}

// expired ends the conversation and says that it expired.
func (t *Turn) expired() []bot.Reply {
	t.sess.end()
	return []bot.Reply{{Text: t.T("expired")}}
}

// Commit saves the session (or deletes it when no flow is under way any more), remembering the
// buttons of replies as the choices a typed answer can name, and releases the conversation. A
// save that lost the race to another delivery of the same conversation returns ErrConflict.
func (t *Turn) Commit(ctx context.Context, replies []bot.Reply) error {
	defer t.Close()
	s := t.sess
	// Remember the buttons of the last reply that offered any: that is what the user sees, and
	// what a typed number or label answers — a menu (help, a list of tickets) as well as a
	// question of the conversation under way.
	offered := false
	for i := len(replies) - 1; i >= 0; i-- {
		if len(replies[i].Buttons) > 0 {
			replies[i].Pick, offered = true, true
			s.Choices = s.Choices[:0]
			for _, row := range replies[i].Buttons {
				s.Choices = append(s.Choices, row...)
			}
			break
		}
	}
	if !t.Active() && !offered {
		if s.Version == 0 || t.held == nil {
			return nil
		}
		held := t.held
		t.held = nil
		if err := held.Delete(ctx); err != nil {
			return fmt.Errorf("flows: end session: %w", err)
		}
		return nil
	}
	if !t.Active() {
		// Only the menu is kept: no step, nothing typed is free text.
		s.Step, s.FreeText, s.Next, s.Data = "", false, "", nil
	}
	return t.save(ctx)
}

// save stores the session with a version check.
func (t *Turn) save(ctx context.Context) error {
	s := t.sess
	expect := s.Version
	s.Version++
	s.UpdatedAt = t.Now
	data, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("flows: encode session: %w", err)
	}
	if t.held == nil {
		return fmt.Errorf("flows: save session %s: the turn was closed", t.key)
	}
	// Saved and released in one round trip.
	held := t.held
	t.held = nil
	if err := held.Save(ctx, expect, data, t.e.opts.SessionTTL); err != nil {
		return fmt.Errorf("flows: save session: %w", err)
	}
	return nil
}

// Close releases the conversation without saving anything; after Commit it does nothing.
func (t *Turn) Close() {
	if t.held != nil {
		t.held.Release()
		t.held = nil
	}
}

// step returns the current step of the flow under way.
func (t *Turn) step() string { return t.sess.Step }

// ask moves the flow to step, where typed numbers pick one of the choices offered.
func (t *Turn) ask(step string) { t.sess.Step, t.sess.FreeText, t.sess.Next = step, false, "" }

// askText moves the flow to step, where typed text is taken as it is, numbers included (but
// see session.FreeText for the numbered choices of WeChat).
func (t *Turn) askText(step string) { t.sess.Step, t.sess.FreeText, t.sess.Next = step, true, "" }

// hint is the note that goes before a step's choices asked again after typed text the step
// cannot take: press a button, or on WeChat, reply with a number.
func (t *Turn) hint() string {
	if t.In.Platform.NumbersChoices() {
		return t.T("hint_reply_number")
	}
	return t.T("hint_press_button")
}

// choices are the buttons last offered, as one column.
func (t *Turn) choices() [][]bot.Button {
	if len(t.sess.Choices) == 0 {
		return nil
	}
	return bot.Column(t.sess.Choices...)
}

// matchChoice turns typed text into a button press when it names an offered choice: its label,
// or its number — its line in the list as shown, 1 the first (bot.ChoiceNumbers) — where the
// step does not take free text, or takes it but the platform shows its choices numbered
// (WeChat's "1. 跳过" at the comment step: 1 skips). This is what lets WeChat, which shows
// choices as numbered lines, share every flow with Telegram.
func (t *Turn) matchChoice() {
	in := &t.In
	if in.Payload != "" || in.Text == "" || len(t.sess.Choices) == 0 {
		return
	}
	typed := strings.TrimSpace(in.Text)
	if !t.sess.FreeText || in.Platform.NumbersChoices() {
		if n, err := strconv.Atoi(typed); err == nil {
			if c, ok := bot.ChoiceByNumber(t.sess.Choices, n); ok {
				in.Payload = c.Payload
				t.byNumber = true
				return
			}
		}
	}
	for _, c := range t.sess.Choices {
		if strings.EqualFold(typed, c.Label) || strings.EqualFold(typed, StripMark(c.Label)) {
			in.Payload = c.Payload
			return
		}
	}
}

// Checked is the mark put before a selected option of a multi-select: a tick every Chinese font
// has (not an emoji, which shows as a box where no emoji font exists). The button is also marked
// On, which pages show in words and shape.
const Checked = "√ "

// StripMark removes the selection mark from a label (also the emoji of earlier releases, still in
// sessions saved before, and a level's stars): bot.LabelWords.
func StripMark(label string) string { return bot.LabelWords(label) }
