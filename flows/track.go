package flows

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"windowbot/bot"
	"windowbot/internal/text"
	"windowbot/models"
)

// Names of the ticket conversations a citizen has besides complaining.
const (
	TrackFlowName  = "track"
	RerateFlowName = "rerate"
	AppealFlowName = "appeal"
)

// trackListLimit is how many tickets /track lists.
const trackListLimit = 10

// TicketRef is the ticket a short conversation (re-rate, appeal) is about.
type TicketRef struct {
	No string `json:"no"`
}

// Track shows a citizen their tickets: all of them, or one with its public timeline. It stays in
// the session only so that the numbered choices it offers can be answered by number on WeChat.
type Track struct{ store *models.Store }

// NewTrack returns the tracking conversation.
func NewTrack(store *models.Store) *Track { return &Track{store: store} }

var _ Flow = (*Track)(nil)

// Name implements Flow.
func (f *Track) Name() string { return TrackFlowName }

// Start lists the citizen's tickets, or shows the one numbered arg.
func (f *Track) Start(ctx context.Context, t *Turn, arg string) ([]bot.Reply, error) {
	t.Session.Goto("view")
	t.Session.FreeText = false
	if no := models.NormTicketNo(arg); no != "" {
		return f.one(ctx, t, no)
	}
	ts, err := f.store.TicketsOfCitizen(ctx, t.Citizen.ID, trackListLimit)
	if err != nil {
		return nil, fmt.Errorf("flows: track: %w", err)
	}
	if len(ts) == 0 {
		t.Session.End()
		return []bot.Reply{{Text: t.T("track_none")}}, nil
	}
	loc := f.store.TicketRules().Location()
	var b strings.Builder
	b.WriteString(t.T("track_list_head", "Count", len(ts)))
	var btns []bot.Button
	for i, tk := range ts {
		fmt.Fprintf(&b, "\n%d. %s · %s · %s", i+1, tk.No, text.State(t.Lang, string(tk.State)), truncate(ticketPlace(t.Lang, &tk), 30))
		if owner := ownerRole(t.Lang, &tk); owner != "—" {
			b.WriteString(t.T("track_list_owner", "Owner", owner))
		}
		if due := tk.Due(); !due.IsZero() {
			b.WriteString(t.T("track_due", "Due", dayLabel(t.Lang, due, loc)))
		}
		evs, err := f.store.TicketEvents(ctx, tk.ID, true)
		if err != nil {
			return nil, fmt.Errorf("flows: track: %w", err)
		}
		if len(evs) > 0 {
			ev := evs[len(evs)-1]
			b.WriteString(t.T("track_latest", "Time", stampLabel(t.Lang, ev.CreatedAt, loc), "Event", eventLabel(t.Lang, &ev)))
		}
		btns = append(btns, bot.Button{Label: tk.No, Payload: "cmd:/track " + tk.No})
	}
	b.WriteString("\n\n" + t.T("track_list_hint"))
	return []bot.Reply{{Text: b.String(), Buttons: bot.Column(btns...)}}, nil
}

func (f *Track) one(ctx context.Context, t *Turn, no string) ([]bot.Reply, error) {
	tk, err := f.store.CitizenTicket(ctx, t.Citizen.ID, no)
	if errors.Is(err, models.ErrNotFound) {
		t.Session.End()
		return []bot.Reply{{Text: t.T("ticket_unknown", "No", truncate(no, 24))}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("flows: track: %w", err)
	}
	evs, err := f.store.TicketEvents(ctx, tk.ID, true)
	if err != nil {
		return nil, fmt.Errorf("flows: track: %w", err)
	}
	loc := f.store.TicketRules().Location()
	var b strings.Builder
	b.WriteString(t.T("track_head", "No", tk.No))
	b.WriteString(t.T("track_place", "Place", ticketPlace(t.Lang, tk)))
	b.WriteString(t.T("track_category", "Category", text.Category(t.Lang, tk.Category)))
	state := text.State(t.Lang, string(tk.State))
	if tk.Escalated && tk.State.Open() {
		state += t.T("track_escalated")
	}
	b.WriteString(t.T("track_state", "State", state))
	b.WriteString(t.T("track_owner", "Owner", ownerRole(t.Lang, tk)))
	if due := tk.Due(); !due.IsZero() {
		b.WriteString(t.T("track_deadline", "Due", dayLabel(t.Lang, due, loc)))
	}
	if tk.State == models.StateRejected && tk.Reason != "" {
		b.WriteString(t.T("track_reason", "Reason", tk.Reason))
	}
	if len(evs) > 0 {
		b.WriteString(t.T("track_timeline"))
		for _, ev := range evs {
			fmt.Fprintf(&b, "\n%s %s", stampLabel(t.Lang, ev.CreatedAt, loc), eventLabel(t.Lang, &ev))
			if note := publicNote(&ev); note != "" {
				b.WriteString(t.T("track_note", "Note", truncate(note, 200)))
			}
		}
	}
	r := bot.Reply{Text: b.String()}
	switch {
	case tk.State == models.StateResolved && tk.CitizenID == t.Citizen.ID:
		r.Text += "\n\n" + t.T("rerate_ask", "No", tk.No)
		r.Buttons = rerateButtons(t.Lang, tk.No)
	case tk.State == models.StateRejected && tk.CitizenID == t.Citizen.ID && !tk.CitizenAppealed:
		r.Text += "\n\n" + t.T("appeal_hint", "No", tk.No)
		t.Session.End()
	default:
		t.Session.End()
	}
	return []bot.Reply{r}, nil
}

// Step implements Flow: anything but one of the offered choices ends the view.
func (f *Track) Step(_ context.Context, t *Turn) ([]bot.Reply, error) {
	t.Session.End()
	return []bot.Reply{{Text: t.T("not_understood")}}, nil
}

// eventLabel says what an event was, for citizens.
func eventLabel(lang string, ev *models.TicketEvent) string {
	switch {
	case ev.Action == models.ActRerate && ev.ToState == models.StateReopened:
		return text.T(lang, "ev_reopened")
	case ev.Action == models.ActRerate:
		return text.T(lang, "ev_rerated")
	case ev.Action == models.ActReview && ev.ToState == models.StateAccepted:
		return text.T(lang, "ev_review_accepted")
	case ev.Action == models.ActReview && ev.ToState == models.StateClosed:
		return text.T(lang, "ev_review_closed")
	case ev.Action == models.ActReview:
		// A staff member's appeal dismissed: the ticket goes back to where it was.
		return text.T(lang, "ev_review_resumed")
	}
	if key, ok := eventKeys[ev.Action]; ok {
		return text.T(lang, key)
	}
	return string(ev.Action)
}

// eventKeys are the catalog keys of the events whose label depends on the action alone.
var eventKeys = map[models.Action]string{
	models.ActSubmit: "ev_submit", models.ActAccept: "ev_accept", models.ActReject: "ev_reject",
	models.ActPlan: "ev_plan", models.ActDone: "ev_done", models.ActExpire: "ev_expire",
	models.ActAppeal: "ev_appeal", models.ActEscalate: "ev_escalate", models.ActPublish: "ev_publish",
	models.ActAssign: "ev_assign", models.ActChase: "ev_chase", models.ActJoin: "ev_join",
}

// publicNote is the part of an event's note a citizen may read: the plan, the result, a
// rejection's reason.
func publicNote(ev *models.TicketEvent) string {
	switch ev.Action {
	case models.ActPlan, models.ActDone, models.ActReject:
		return ev.Note
	}
	return ""
}

func rerateButtons(lang, no string) [][]bot.Button {
	return bot.Column(
		bot.Button{Label: text.T(lang, "rerate_satisfied"), Payload: "cmd:/rerate " + no + " " + models.RerateSatisfied},
		bot.Button{Label: text.T(lang, "rerate_basic"), Payload: "cmd:/rerate " + no + " " + models.RerateBasic},
		bot.Button{Label: text.T(lang, "rerate_unsatisfied"), Payload: "cmd:/rerate " + no + " " + models.RerateUnsatisfied},
	)
}

// parseOutcome reads a re-rating as typed or pressed.
func parseOutcome(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case models.RerateSatisfied, "1", "满意", "satisfied.":
		return models.RerateSatisfied
	case models.RerateBasic, "2", "基本满意":
		return models.RerateBasic
	case models.RerateUnsatisfied, "3", "不满意":
		return models.RerateUnsatisfied
	}
	return ""
}

// Rerate asks a citizen for their verdict on a resolved ticket (追评).
type Rerate struct{ store *models.Store }

// NewRerate returns the re-rating conversation.
func NewRerate(store *models.Store) *Rerate { return &Rerate{store: store} }

var _ Flow = (*Rerate)(nil)

// Name implements Flow.
func (f *Rerate) Name() string { return RerateFlowName }

// Start takes "NO OUTCOME" (from a button), "NO" (ask), or nothing (the citizen's resolved
// tickets).
func (f *Rerate) Start(ctx context.Context, t *Turn, arg string) ([]bot.Reply, error) {
	fields := strings.Fields(arg)
	if len(fields) == 0 {
		ts, err := f.store.ResolvedAwaitingRerate(ctx, t.Citizen.ID)
		if err != nil {
			return nil, fmt.Errorf("flows: rerate: %w", err)
		}
		switch len(ts) {
		case 0:
			t.Session.End()
			return []bot.Reply{{Text: t.T("rerate_none")}}, nil
		case 1:
			fields = []string{ts[0].No}
		default:
			t.Session.Goto("pick")
			var btns []bot.Button
			for _, tk := range ts {
				btns = append(btns, bot.Button{Label: tk.No + " " + truncate(ticketPlace(t.Lang, &tk), 20), Payload: "cmd:/rerate " + tk.No})
			}
			return []bot.Reply{{Text: t.T("rerate_pick"), Buttons: bot.Column(btns...)}}, nil
		}
	}
	no := models.NormTicketNo(fields[0])
	tk, err := f.store.CitizenTicket(ctx, t.Citizen.ID, no)
	if errors.Is(err, models.ErrNotFound) {
		t.Session.End()
		return []bot.Reply{{Text: t.T("ticket_unknown", "No", truncate(no, 24))}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("flows: rerate: %w", err)
	}
	if tk.State != models.StateResolved || tk.CitizenID != t.Citizen.ID {
		t.Session.End()
		return []bot.Reply{{Text: t.T("rerate_not_now", "No", tk.No, "State", text.State(t.Lang, string(tk.State)))}}, nil
	}
	if len(fields) > 1 {
		return f.apply(ctx, t, tk.No, parseOutcome(strings.Join(fields[1:], " ")))
	}
	t.Session.Rerate = &TicketRef{No: tk.No}
	t.Session.Goto("verdict")
	t.Session.FreeText = false
	question := t.T("rerate_ask", "No", tk.No)
	if tk.Result != "" {
		question = t.T("rerate_result", "Result", truncate(tk.Result, 300)) + "\n\n" + question
	}
	return []bot.Reply{{Text: question, Buttons: rerateButtons(t.Lang, tk.No)}}, nil
}

// Step implements Flow.
func (f *Rerate) Step(ctx context.Context, t *Turn) ([]bot.Reply, error) {
	if t.Session.Step == "verdict" && t.Session.Rerate != nil {
		if o := parseOutcome(t.In.Text); o != "" {
			return f.apply(ctx, t, t.Session.Rerate.No, o)
		}
		return []bot.Reply{{Text: t.T("rerate_ask", "No", t.Session.Rerate.No), Buttons: rerateButtons(t.Lang, t.Session.Rerate.No)}}, nil
	}
	t.Session.End()
	return []bot.Reply{{Text: t.T("not_understood")}}, nil
}

func (f *Rerate) apply(ctx context.Context, t *Turn, no, outcome string) ([]bot.Reply, error) {
	t.Session.End()
	if outcome == "" {
		return []bot.Reply{{Text: t.T("rerate_ask", "No", no), Buttons: rerateButtons(t.Lang, no)}}, nil
	}
	tk, _, err := f.store.Transition(ctx, no, models.Change{
		Action: models.ActRerate, Actor: models.Actor{Role: models.RoleCitizen, CitizenID: t.Citizen.ID},
		Outcome: outcome, At: t.Now,
	})
	var te *models.TransitionError
	switch {
	case errors.Is(err, models.ErrNotFound), errors.Is(err, models.ErrForbidden):
		return []bot.Reply{{Text: t.T("ticket_unknown", "No", truncate(no, 24))}}, nil
	case errors.As(err, &te):
		// Pressed twice, or re-rated from another device: the first verdict stands.
		return []bot.Reply{{Text: t.T("rerate_done_already", "No", no)}}, nil
	case err != nil:
		return nil, fmt.Errorf("flows: rerate: %w", err)
	}
	if tk.State == models.StateReopened {
		return []bot.Reply{{Text: t.T("rerate_reopened", "No", tk.No, "Due", dayLabel(t.Lang, tk.RectifyDue, f.store.TicketRules().Location()))}}, nil
	}
	return []bot.Reply{{Text: t.T("rerate_thanks", "No", tk.No)}}, nil
}

// Appeal lets a citizen contest the rejection of their complaint, once, with a reason.
type Appeal struct{ store *models.Store }

// NewAppeal returns the citizen's appeal conversation.
func NewAppeal(store *models.Store) *Appeal { return &Appeal{store: store} }

var _ Flow = (*Appeal)(nil)

// Name implements Flow.
func (f *Appeal) Name() string { return AppealFlowName }

// Start takes "NO reason…" or "NO" (then asks for the reason).
func (f *Appeal) Start(ctx context.Context, t *Turn, arg string) ([]bot.Reply, error) {
	no, reason, _ := strings.Cut(strings.TrimSpace(arg), " ")
	no = models.NormTicketNo(no)
	if no == "" {
		t.Session.End()
		return []bot.Reply{{Text: t.T("appeal_usage")}}, nil
	}
	tk, err := f.store.CitizenTicket(ctx, t.Citizen.ID, no)
	if errors.Is(err, models.ErrNotFound) || (err == nil && tk.CitizenID != t.Citizen.ID) {
		t.Session.End()
		return []bot.Reply{{Text: t.T("ticket_unknown", "No", truncate(no, 24))}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("flows: appeal: %w", err)
	}
	if tk.State != models.StateRejected || tk.CitizenAppealed {
		t.Session.End()
		return []bot.Reply{{Text: t.T("appeal_not_now", "No", tk.No)}}, nil
	}
	t.Session.Appeal = &TicketRef{No: tk.No}
	if reason = strings.TrimSpace(reason); reason != "" {
		return f.file(ctx, t, reason)
	}
	t.Session.Goto("reason")
	t.Session.FreeText = true
	return []bot.Reply{{Text: t.T("appeal_ask", "No", tk.No, "Reason", tk.Reason, "Max", models.MaxReasonRunes)}}, nil
}

// Step implements Flow.
func (f *Appeal) Step(ctx context.Context, t *Turn) ([]bot.Reply, error) {
	if t.Session.Step != "reason" || t.Session.Appeal == nil || t.In.Text == "" {
		t.Session.End()
		return []bot.Reply{{Text: t.T("expired")}}, nil
	}
	return f.file(ctx, t, t.In.Text)
}

func (f *Appeal) file(ctx context.Context, t *Turn, reason string) ([]bot.Reply, error) {
	no := t.Session.Appeal.No
	if n := utf8.RuneCountInString(reason); n > models.MaxReasonRunes {
		t.Session.Goto("reason")
		t.Session.FreeText = true
		return []bot.Reply{{Text: t.T("c_desc_too_long", "Len", n, "Max", models.MaxReasonRunes)}}, nil
	}
	t.Session.End()
	_, _, err := f.store.Transition(ctx, no, models.Change{
		Action: models.ActAppeal, Actor: models.Actor{Role: models.RoleCitizen, CitizenID: t.Citizen.ID},
		Note: reason, At: t.Now,
	})
	var te *models.TransitionError
	switch {
	case errors.As(err, &te):
		return []bot.Reply{{Text: t.T("appeal_not_now", "No", no)}}, nil
	case err != nil:
		return nil, fmt.Errorf("flows: appeal: %w", err)
	}
	return []bot.Reply{{Text: t.T("appeal_filed", "No", no)}}, nil
}
