package flows

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"windowbot/bot"
	"windowbot/models"
)

// AppealFlowName is the name of the conversation in which a citizen contests a rejection.
const AppealFlowName = "appeal"

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
