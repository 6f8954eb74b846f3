package flows

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"windowbot/bot"
	"windowbot/internal/text"
	"windowbot/models"
)

// TrackFlowName is the name of the conversation that shows a citizen their tickets.
const TrackFlowName = "track"

// trackListLimit is how many tickets /track lists.
const trackListLimit = 10

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
	return []bot.Reply{{Text: t.T("not_understood"), Buttons: StartButtons(t)}}, nil
}

// Ask implements Steps; the view has no buttons of its own to go stale.
func (f *track) Ask(ctx context.Context, t *Turn, st *struct{}) ([]bot.Reply, error) {
	return f.Step(ctx, t, st, Input{})
}
