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

// RerateFlowName is the name of the re-rating conversation (追评).
const RerateFlowName = "rerate"

// TicketRef is the ticket a short conversation (re-rate, appeal) is about.
type TicketRef struct {
	No string `json:"no"`
}

// rerateButtons are the three verdicts on the fix of ticket no, worded in lang.
func rerateButtons(lang, no string) [][]bot.Button {
	var rows [][]bot.Button
	for _, row := range models.RerateButtons(no) {
		btns := make([]bot.Button, 0, len(row))
		for _, b := range row {
			btns = append(btns, bot.Button{Label: text.T(lang, b.Key), Payload: b.Payload})
		}
		rows = append(rows, btns)
	}
	return rows
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
