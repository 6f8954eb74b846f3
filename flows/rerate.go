package flows

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

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

// RerateState is the re-rating conversation's part of the session: the ticket, and when the
// citizen said 不满意, the photo they sent with their reason.
type RerateState struct {
	No    string `json:"no"`
	Photo *Photo `json:"photo,omitempty"`
}

// Steps of the re-rating conversation.
const (
	rStepVerdict = "verdict"
	rStepReason  = "reason"
)

// rerate asks a citizen for their verdict on a resolved ticket (追评), and when it is 不满意,
// why: the ticket is reopened with the reason (and a photo, if sent), which the supervisors
// receive.
type rerate struct {
	store *models.Store
	blobs Blobs
	ttl   time.Duration
}

// NewRerate returns the re-rating conversation; a photo sent with a reason is taken where the
// platform keeps it (Telegram, WeChat), not as uploaded bytes (see NewRerateWithUploads).
func NewRerate(store *models.Store) Flow { return NewRerateWithUploads(store, nil, 0) }

// NewRerateWithUploads returns the re-rating conversation that also keeps an uploaded photo (the
// web chat's) in blobs for up to ttl until the reason is given.
func NewRerateWithUploads(store *models.Store, blobs Blobs, ttl time.Duration) Flow {
	if ttl <= 0 {
		ttl = 30 * time.Minute
	}
	return Define[RerateState](RerateFlowName, &rerate{store: store, blobs: blobs, ttl: ttl})
}

// Start takes "NO OUTCOME" (from a button), "NO" (ask), or nothing (the citizen's resolved
// tickets).
func (f *rerate) Start(ctx context.Context, t *Turn, st *RerateState, arg string) ([]bot.Reply, error) {
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
	st.No = tk.No
	if len(fields) > 1 {
		return f.verdict(ctx, t, st, parseOutcome(strings.Join(fields[1:], " ")))
	}
	t.ask(rStepVerdict)
	question := t.T("rerate_ask", "No", tk.No)
	if tk.Result != "" {
		question = t.T("rerate_result", "Result", models.Truncate(tk.Result, 300)) + "\n\n" + question
	}
	return []bot.Reply{{Text: question, Buttons: rerateButtons(t.Lang, tk.No)}}, nil
}

// Step implements Steps.
func (f *rerate) Step(ctx context.Context, t *Turn, st *RerateState, _ Input) ([]bot.Reply, error) {
	switch {
	case t.step() == rStepVerdict && st.No != "":
		if o := parseOutcome(t.In.Text); o != "" {
			return f.verdict(ctx, t, st, o)
		}
		return []bot.Reply{{Text: t.T("rerate_ask", "No", st.No), Buttons: rerateButtons(t.Lang, st.No)}}, nil
	case t.step() == rStepReason && st.No != "":
		return f.reason(ctx, t, st)
	}
	t.End()
	return []bot.Reply{{Text: t.T("not_understood")}}, nil
}

// Ask implements Steps; the verdict's buttons are commands, which never go stale here, and the
// reason is typed.
func (f *rerate) Ask(ctx context.Context, t *Turn, st *RerateState) ([]bot.Reply, error) {
	if t.step() == rStepReason {
		return f.askReason(t), nil
	}
	return f.Step(ctx, t, st, Input{})
}

// verdict takes the citizen's verdict: 满意 and 基本满意 close the ticket now; 不满意 asks why
// first, and the ticket is reopened when the reason comes.
func (f *rerate) verdict(ctx context.Context, t *Turn, st *RerateState, outcome string) ([]bot.Reply, error) {
	if outcome == models.RerateUnsatisfied {
		return f.askReason(t), nil
	}
	return f.apply(ctx, t, st, outcome, "", nil)
}

func (f *rerate) askReason(t *Turn) []bot.Reply {
	t.askText(rStepReason)
	return []bot.Reply{{Text: t.T("rerate_ask_reason", "Max", models.MaxReasonRunes), AcceptsPhoto: true}}
}

// reason takes the citizen's reason for 不满意: a photo is kept until the words come, the words
// reopen the ticket.
func (f *rerate) reason(ctx context.Context, t *Turn, st *RerateState) ([]bot.Reply, error) {
	if p := t.In.Photo; p != nil {
		ph, ok, err := keepMedia(ctx, f.blobs, f.ttl, p)
		if err != nil {
			return nil, err
		}
		if !ok {
			return []bot.Reply{{Text: t.T("rerate_reason_photo_bad"), AcceptsPhoto: true}}, nil
		}
		f.dropPhoto(ctx, st)
		st.Photo = &ph
		if strings.TrimSpace(t.In.Text) == "" {
			return []bot.Reply{{Text: t.T("rerate_reason_photo"), AcceptsPhoto: true}}, nil
		}
	}
	reason := strings.TrimSpace(t.In.Text)
	if reason == "" || strings.HasPrefix(reason, "/") {
		return f.askReason(t), nil
	}
	if n := utf8.RuneCountInString(reason); n > models.MaxReasonRunes {
		return []bot.Reply{{Text: t.T("c_desc_too_long", "Len", n, "Max", models.MaxReasonRunes)}}, nil
	}
	var photos []models.TicketAttachment
	if p := st.Photo; p != nil {
		a := models.TicketAttachment{Platform: string(t.In.Platform), FileID: p.FileID, MIMEType: p.MIMEType, Size: p.Size}
		if p.BlobKey != "" && f.blobs != nil {
			data, err := f.blobs.Get(ctx, p.BlobKey)
			if err != nil && !errors.Is(err, bot.ErrNotFound) {
				return nil, fmt.Errorf("flows: rerate: load photo: %w", err)
			}
			a.Data = data
		}
		if a.FileID != "" || len(a.Data) > 0 {
			photos = append(photos, a)
		}
	}
	defer f.dropPhoto(ctx, st)
	return f.apply(ctx, t, st, models.RerateUnsatisfied, reason, photos)
}

func (f *rerate) dropPhoto(ctx context.Context, st *RerateState) {
	if st.Photo != nil && st.Photo.BlobKey != "" && f.blobs != nil {
		_ = f.blobs.Delete(ctx, st.Photo.BlobKey)
	}
}

func (f *rerate) apply(ctx context.Context, t *Turn, st *RerateState, outcome, reason string, photos []models.TicketAttachment) ([]bot.Reply, error) {
	no := st.No
	t.End()
	if outcome == "" {
		return []bot.Reply{{Text: t.T("rerate_ask", "No", no), Buttons: rerateButtons(t.Lang, no)}}, nil
	}
	tk, _, err := f.store.Transition(ctx, no, models.Change{
		Action: models.ActRerate, Actor: models.Actor{Role: models.RoleCitizen, CitizenID: t.Citizen.ID},
		Outcome: outcome, Note: reason, Photos: photos, At: t.Now,
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
