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

// track shows a citizen their tickets: all of them, or one with its public timeline. It stays in
// the session, with no state of its own, only so that the numbered choices it offers can be
// answered by number on WeChat.
type track struct{ store *models.Store }

// NewTrack returns the tracking conversation.
func NewTrack(store *models.Store) Flow { return Define[struct{}](TrackFlowName, &track{store: store}) }

// Start lists the citizen's tickets, or shows the one numbered arg.
func (f *track) Start(ctx context.Context, t *Turn, _ *struct{}, arg string) ([]bot.Reply, error) {
	t.ask("view")
	if no := models.NormTicketNo(arg); no != "" {
		return f.one(ctx, t, no)
	}
	ts, err := f.store.TicketsOfCitizen(ctx, t.Citizen.ID, trackListLimit)
	if err != nil {
		return nil, fmt.Errorf("flows: track: %w", err)
	}
	if len(ts) == 0 {
		t.End()
		return []bot.Reply{{Text: t.T("track_none")}}, nil
	}
	loc := f.store.TicketRules().Location()
	var b strings.Builder
	b.WriteString(t.T("track_list_head", "Count", len(ts)))
	var btns []bot.Button
	for i, tk := range ts {
		fmt.Fprintf(&b, "\n%d. %s · %s · %s", i+1, tk.No, text.State(t.Lang, string(tk.State)), models.Truncate(ticketPlace(t.Lang, &tk), 30))
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

func (f *track) one(ctx context.Context, t *Turn, no string) ([]bot.Reply, error) {
	tk, err := f.store.CitizenTicket(ctx, t.Citizen.ID, no)
	if errors.Is(err, models.ErrNotFound) {
		t.End()
		return []bot.Reply{{Text: t.T("ticket_unknown", "No", models.Truncate(no, 24))}}, nil
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
				b.WriteString(t.T("track_note", "Note", models.Truncate(note, 200)))
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
		t.End()
	default:
		t.End()
	}
	return []bot.Reply{r}, nil
}

// Step implements Steps: anything but one of the offered choices (commands, which never reach
// it) ends the view.
func (f *track) Step(_ context.Context, t *Turn, _ *struct{}, _ Input) ([]bot.Reply, error) {
	t.End()
	return []bot.Reply{{Text: t.T("not_understood")}}, nil
}

// Ask implements Steps; the view has no buttons of its own to go stale.
func (f *track) Ask(ctx context.Context, t *Turn, st *struct{}) ([]bot.Reply, error) {
	return f.Step(ctx, t, st, Input{})
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

// rerate asks a citizen for their verdict on a resolved ticket (追评).
type rerate struct{ store *models.Store }

// NewRerate returns the re-rating conversation.
func NewRerate(store *models.Store) Flow {
	return Define[TicketRef](RerateFlowName, &rerate{store: store})
}

// Start takes "NO OUTCOME" (from a button), "NO" (ask), or nothing (the citizen's resolved
// tickets).
func (f *rerate) Start(ctx context.Context, t *Turn, st *TicketRef, arg string) ([]bot.Reply, error) {
	fields := strings.Fields(arg)
	if len(fields) == 0 {
		ts, err := f.store.ResolvedAwaitingRerate(ctx, t.Citizen.ID)
		if err != nil {
			return nil, fmt.Errorf("flows: rerate: %w", err)
		}
		switch len(ts) {
		case 0:
			t.End()
			return []bot.Reply{{Text: t.T("rerate_none")}}, nil
		case 1:
			fields = []string{ts[0].No}
		default:
			t.ask("pick")
			var btns []bot.Button
			for _, tk := range ts {
				btns = append(btns, bot.Button{Label: tk.No + " " + models.Truncate(ticketPlace(t.Lang, &tk), 20), Payload: "cmd:/rerate " + tk.No})
			}
			return []bot.Reply{{Text: t.T("rerate_pick"), Buttons: bot.Column(btns...)}}, nil
		}
	}
	no := models.NormTicketNo(fields[0])
	tk, err := f.store.CitizenTicket(ctx, t.Citizen.ID, no)
	if errors.Is(err, models.ErrNotFound) {
		t.End()
		return []bot.Reply{{Text: t.T("ticket_unknown", "No", models.Truncate(no, 24))}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("flows: rerate: %w", err)
	}
	if tk.State != models.StateResolved || tk.CitizenID != t.Citizen.ID {
		t.End()
		return []bot.Reply{{Text: t.T("rerate_not_now", "No", tk.No, "State", text.State(t.Lang, string(tk.State)))}}, nil
	}
	if len(fields) > 1 {
		return f.apply(ctx, t, tk.No, parseOutcome(strings.Join(fields[1:], " ")))
	}
	st.No = tk.No
	t.ask("verdict")
	question := t.T("rerate_ask", "No", tk.No)
	if tk.Result != "" {
		question = t.T("rerate_result", "Result", models.Truncate(tk.Result, 300)) + "\n\n" + question
	}
	return []bot.Reply{{Text: question, Buttons: rerateButtons(t.Lang, tk.No)}}, nil
}

// Step implements Steps.
func (f *rerate) Step(ctx context.Context, t *Turn, st *TicketRef, _ Input) ([]bot.Reply, error) {
	if t.step() == "verdict" && st.No != "" {
		if o := parseOutcome(t.In.Text); o != "" {
			return f.apply(ctx, t, st.No, o)
		}
		return []bot.Reply{{Text: t.T("rerate_ask", "No", st.No), Buttons: rerateButtons(t.Lang, st.No)}}, nil
	}
	t.End()
	return []bot.Reply{{Text: t.T("not_understood")}}, nil
}

// Ask implements Steps; the verdict's buttons are commands, which never go stale here.
func (f *rerate) Ask(ctx context.Context, t *Turn, st *TicketRef) ([]bot.Reply, error) {
	return f.Step(ctx, t, st, Input{})
}

func (f *rerate) apply(ctx context.Context, t *Turn, no, outcome string) ([]bot.Reply, error) {
	t.End()
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
		return []bot.Reply{{Text: t.T("ticket_unknown", "No", models.Truncate(no, 24))}}, nil
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

// appeal lets a citizen contest the rejection of their complaint, once, with a reason.
type appeal struct{ store *models.Store }

// NewAppeal returns the citizen's appeal conversation.
func NewAppeal(store *models.Store) Flow {
	return Define[TicketRef](AppealFlowName, &appeal{store: store})
}

// Start takes "NO reason…" or "NO" (then asks for the reason).
func (f *appeal) Start(ctx context.Context, t *Turn, st *TicketRef, arg string) ([]bot.Reply, error) {
	no, reason, _ := strings.Cut(strings.TrimSpace(arg), " ")
	no = models.NormTicketNo(no)
	if no == "" {
		t.End()
		return []bot.Reply{{Text: t.T("appeal_usage")}}, nil
	}
	tk, err := f.store.CitizenTicket(ctx, t.Citizen.ID, no)
	if errors.Is(err, models.ErrNotFound) || (err == nil && tk.CitizenID != t.Citizen.ID) {
		t.End()
		return []bot.Reply{{Text: t.T("ticket_unknown", "No", models.Truncate(no, 24))}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("flows: appeal: %w", err)
	}
	if tk.State != models.StateRejected || tk.CitizenAppealed {
		t.End()
		return []bot.Reply{{Text: t.T("appeal_not_now", "No", tk.No)}}, nil
	}
	st.No = tk.No
	if reason = strings.TrimSpace(reason); reason != "" {
		return f.file(ctx, t, st, reason)
	}
	t.askText("reason")
	return []bot.Reply{{Text: t.T("appeal_ask", "No", tk.No, "Reason", tk.Reason, "Max", models.MaxReasonRunes)}}, nil
}

// Step implements Steps.
func (f *appeal) Step(ctx context.Context, t *Turn, st *TicketRef, _ Input) ([]bot.Reply, error) {
	if t.step() != "reason" || st.No == "" || t.In.Text == "" {
		return nil, errExpired
	}
	return f.file(ctx, t, st, t.In.Text)
}

// Ask implements Steps; the reason is typed, there are no buttons to go stale.
func (f *appeal) Ask(context.Context, *Turn, *TicketRef) ([]bot.Reply, error) { return nil, errExpired }

func (f *appeal) file(ctx context.Context, t *Turn, st *TicketRef, reason string) ([]bot.Reply, error) {
	no := st.No
	if n := utf8.RuneCountInString(reason); n > models.MaxReasonRunes {
		t.askText("reason")
		return []bot.Reply{{Text: t.T("c_desc_too_long", "Len", n, "Max", models.MaxReasonRunes)}}, nil
	}
	t.End()
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
