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

// The words of the staff and supervisors' side of a ticket, shared by their commands (package
// handlers) and by the conversation that asks them for a plan, a result with its photos, or a
// reason (DeskNote): what an action is called, why it was refused and what comes first, and
// what was done.

// DeskNoteFlowName is the name of the conversation in which staff and supervisors give the
// words an action on a ticket needs (a plan, a result and its photos, a reason) after pressing
// its button or sending its command without them.
const DeskNoteFlowName = "desknote"

// deskAction names an action on a ticket and its usage line.
type deskAction struct{ name, usage string }

// deskActions are the catalog keys that name each action staff and supervisors take from chat
// ("you cannot accept it now"), and of the usage line shown when the command lacks something.
var deskActions = map[models.Action]deskAction{
	models.ActAccept:   {"act_accept", "usage_accept"},
	models.ActReject:   {"act_reject", "usage_reject"},
	models.ActAssign:   {"act_assign", "usage_assign"},
	models.ActPlan:     {"act_plan", "usage_plan"},
	models.ActDone:     {"act_done", "usage_done"},
	models.ActApprove:  {"act_approve", "usage_approve"},
	models.ActSendBack: {"act_sendback", "usage_sendback"},
	models.ActRefer:    {"act_refer", "usage_refer"},
	models.ActAppeal:   {"act_appeal", "usage_appeal"},
	models.ActReview:   {"act_review", "usage_review"},
	models.ActEscalate: {"act_escalate", "usage_escalate"},
	models.ActPublish:  {"act_publish", "usage_publish"},
}

// stepRank orders the steps of the lifecycle that come one after the other, so that an action
// taken too early can be told what comes first.
var stepRank = map[models.Action]int{
	models.ActAccept: 1, models.ActPlan: 2, models.ActDone: 3, models.ActApprove: 4, models.ActSendBack: 4,
}

// FirstStep says what has to happen to the ticket next before later steps can: accept it, plan
// the rectification, report the result, or (for supervisors) review the result; with the command
// to send. Empty when no step of the lifecycle is due.
func FirstStep(lang string, tk *models.Ticket, role string) string {
	switch tk.State {
	case models.StateSubmitted:
		return text.T(lang, "first_accept", "No", tk.No)
	case models.StateAccepted, models.StateReopened:
		return text.T(lang, "first_plan", "No", tk.No)
	case models.StateRectifying:
		return text.T(lang, "first_done", "No", tk.No)
	case models.StatePendingReview:
		if role == models.RoleSupervisor || role == models.RoleAdmin {
			return text.T(lang, "first_approve", "No", tk.No)
		}
		return text.T(lang, "first_review")
	}
	return ""
}

// nextRank is the rank of the step the ticket's state waits for.
func nextRank(s models.TicketState) int {
	switch s {
	case models.StateSubmitted:
		return 1
	case models.StateAccepted, models.StateReopened:
		return 2
	case models.StateRectifying:
		return 3
	case models.StatePendingReview:
		return 4
	}
	return 0
}

// DeskRefusal is the sentence for a refused change of a ticket by staff or a supervisor: the
// person the ticket names is answered as for a ticket that does not exist; an action taken
// before its turn says what comes first ("请先提交整改方案：/plan T… 内容"); a result too
// short states the rule (rules.MinResult).
func DeskRefusal(lang string, tk *models.Ticket, ch models.Change, te *models.TransitionError, rules models.TicketRules) string {
	T := func(key string, kv ...any) string { return text.T(lang, key, kv...) }
	act := T(deskActions[ch.Action].name)
	switch {
	case errors.Is(te, models.ErrForbidden) && ch.Actor.Named(tk):
		return T("ticket_unknown_staff", "No", tk.No)
	case errors.Is(te, models.ErrAlreadyAppealed):
		return T("err_appealed", "No", tk.No)
	case errors.Is(te, models.ErrForbidden):
		return T("err_forbidden", "No", tk.No, "Action", act)
	case errors.Is(te, models.ErrTooShort):
		return T("err_too_short", "No", tk.No, "Min", rules.MinResult(), "Len", utf8.RuneCountInString(strings.TrimSpace(ch.Note)), "Max", models.MaxPhotos)
	case errors.Is(te, models.ErrNamedAssignee):
		return T("err_named_assignee", "No", tk.No, "StaffNo", ch.Note)
	case errors.Is(te, models.ErrConductAssignee):
		return T("err_conduct_assignee", "No", tk.No, "StaffNo", ch.Note)
	case errors.Is(te, models.ErrBadInput):
		switch ch.Action {
		case models.ActPublish:
			return T("err_publish_unfinished", "No", tk.No)
		case models.ActAssign:
			return T("err_other_center", "StaffNo", ch.Note, "No", tk.No)
		}
		return T(deskActions[ch.Action].usage)
	}
	switch {
	case ch.Action == models.ActEscalate && tk.Escalated:
		return T("err_escalated", "No", tk.No)
	case ch.Action == models.ActPublish && tk.PublishedAt != nil:
		return T("err_published", "No", tk.No)
	case ch.Action == models.ActAppeal && tk.Kind != models.KindBadReview && tk.State.Open():
		return T("err_not_bad_review", "No", tk.No)
	case ch.Action == models.ActRefer && !tk.Conduct:
		return T("err_not_conduct", "No", tk.No)
	}
	state := text.State(lang, string(tk.State))
	if r := stepRank[ch.Action]; r > 0 && r > nextRank(tk.State) && nextRank(tk.State) > 0 {
		return T("err_order", "No", tk.No, "State", state, "Action", act, "Next", FirstStep(lang, tk, ch.Actor.Role))
	}
	return T("err_state", "No", tk.No, "State", state, "Action", act)
}

// DeskDone is the sentence for a change staff or a supervisor made: what happened and what
// comes next. photos counts the photos a result went with.
func DeskDone(lang string, tk *models.Ticket, action models.Action, photos int, loc *time.Location) string {
	T := func(key string, kv ...any) string { return text.T(lang, key, kv...) }
	switch action {
	case models.ActAccept:
		return T("ok_accept", "No", tk.No, "Due", dayLabel(lang, tk.RectifyDue, loc))
	case models.ActReject:
		return T("ok_reject", "No", tk.No)
	case models.ActPlan:
		return T("ok_plan", "No", tk.No)
	case models.ActDone:
		return T("ok_done", "No", tk.No, "Count", photos)
	case models.ActApprove:
		return T("ok_approve", "No", tk.No)
	case models.ActSendBack:
		return T("ok_sendback", "No", tk.No)
	case models.ActRefer:
		return T("ok_refer", "No", tk.No)
	case models.ActAppeal:
		return T("ok_appeal", "No", tk.No)
	}
	return ""
}

// DeskNoteState is the desk note conversation's part of the session: the action and ticket,
// the result given so far and its photos.
type DeskNoteState struct {
	Action string  `json:"action"`
	No     string  `json:"no"`
	Text   string  `json:"text,omitempty"`
	Photos []Photo `json:"photos,omitempty"`
}

// deskNoteAsks are the questions of the actions whose words the conversation asks for.
var deskNoteAsks = map[models.Action]string{
	models.ActPlan: "dn_ask_plan", models.ActDone: "dn_ask_done", models.ActSendBack: "dn_ask_sendback",
	models.ActReject: "dn_ask_reject", models.ActAppeal: "dn_ask_appeal", models.ActRefer: "dn_ask_refer",
}

// deskNote asks staff and supervisors for the words of an action: a plan, a result (with up to
// three photos), a reason for a send-back, a rejection or an appeal, a note on a referral.
type deskNote struct {
	store *models.Store
	blobs Blobs
	ttl   time.Duration
}

// NewDeskNote returns the conversation in which staff and supervisors give the words an action
// needs. blobs keeps uploaded photos (the web chat's) for up to ttl.
func NewDeskNote(store *models.Store, blobs Blobs, ttl time.Duration) Flow {
	if ttl <= 0 {
		ttl = 30 * time.Minute
	}
	return Define[DeskNoteState](DeskNoteFlowName, &deskNote{store: store, blobs: blobs, ttl: ttl})
}

// Start takes "ACTION NUMBER"; the caller has checked that the account may take the action now.
func (f *deskNote) Start(_ context.Context, t *Turn, st *DeskNoteState, arg string) ([]bot.Reply, error) {
	action, no, _ := strings.Cut(strings.TrimSpace(arg), " ")
	if _, ok := deskNoteAsks[models.Action(action)]; !ok || no == "" {
		return nil, errExpired
	}
	st.Action, st.No = action, models.NormTicketNo(no)
	return f.ask(t, st), nil
}

func (f *deskNote) ask(t *Turn, st *DeskNoteState) []bot.Reply {
	t.askText("text")
	a := models.Action(st.Action)
	var r bot.Reply
	switch a {
	case models.ActDone:
		r.Text = t.T(deskNoteAsks[a], "No", st.No, "Min", f.store.TicketRules().MinResult())
	case models.ActPlan, models.ActAppeal:
		limit := models.MaxNoteRunes
		if a == models.ActAppeal {
			limit = models.MaxReasonRunes
		}
		r.Text = t.T(deskNoteAsks[a], "No", st.No, "Max", limit)
	case models.ActRefer:
		r.Text = t.T(deskNoteAsks[a], "No", st.No)
		r.Buttons = [][]bot.Button{{{Label: t.T("dn_btn_no_note"), Payload: DeskNoteFlowName + ":text:none"}}}
	default:
		r.Text = t.T(deskNoteAsks[a], "No", st.No)
	}
	return []bot.Reply{r}
}

func (f *deskNote) askPhotos(t *Turn, st *DeskNoteState, key string) []bot.Reply {
	t.ask("photos")
	var words string
	if key == "dn_photo_added" {
		words = t.T(key, "Count", len(st.Photos), "Max", models.MaxPhotos)
	} else {
		words = t.T(key, "Max", models.MaxPhotos)
	}
	return []bot.Reply{{Text: words, AcceptsPhoto: len(st.Photos) < models.MaxPhotos,
		Buttons: [][]bot.Button{{{Label: t.T("dn_btn_submit"), Payload: DeskNoteFlowName + ":photos:submit"}}}}}
}

// Step implements Steps.
func (f *deskNote) Step(ctx context.Context, t *Turn, st *DeskNoteState, in Input) ([]bot.Reply, error) {
	a := models.Action(st.Action)
	switch t.step() {
	case "text":
		if in.Pressed && in.Value == "none" && a == models.ActRefer {
			return f.apply(ctx, t, st, "")
		}
		if t.In.Photo != nil {
			return []bot.Reply{{Text: t.T("dn_text_first")}}, nil
		}
		words := strings.TrimSpace(t.In.Text)
		if words == "" || in.Pressed {
			return f.ask(t, st), nil
		}
		limit := models.MaxNoteRunes
		if a == models.ActAppeal || a == models.ActSendBack || a == models.ActReject {
			limit = models.MaxReasonRunes
		}
		if n := utf8.RuneCountInString(words); n > limit {
			return []bot.Reply{{Text: t.T("err_too_long", "Len", n, "Max", limit)}}, nil
		}
		if a != models.ActDone {
			return f.apply(ctx, t, st, words)
		}
		if n, least := utf8.RuneCountInString(words), f.store.TicketRules().MinResult(); n < least {
			return []bot.Reply{{Text: t.T("dn_too_short", "Min", least, "Len", n)}, f.ask(t, st)[0]}, nil
		}
		st.Text = words
		return f.askPhotos(t, st, "dn_ask_photos"), nil
	case "photos":
		if in.Pressed && in.Value == "submit" {
			return f.apply(ctx, t, st, st.Text)
		}
		if p := t.In.Photo; p != nil {
			if len(st.Photos) >= models.MaxPhotos {
				return f.askPhotos(t, st, "dn_photos_full"), nil
			}
			ph, ok, err := keepMedia(ctx, f.blobs, f.ttl, p)
			if err != nil {
				return nil, err
			}
			if !ok {
				return append([]bot.Reply{{Text: t.T("c_photo_unsupported")}}, f.askPhotos(t, st, "dn_photo_added")...), nil
			}
			st.Photos = append(st.Photos, ph)
			if len(st.Photos) == models.MaxPhotos {
				return f.askPhotos(t, st, "dn_photos_full"), nil
			}
			return f.askPhotos(t, st, "dn_photo_added"), nil
		}
		return f.askPhotos(t, st, "dn_ask_photos"), nil
	}
	return nil, errExpired
}

// Ask implements Steps: the current step's question again.
func (f *deskNote) Ask(_ context.Context, t *Turn, st *DeskNoteState) ([]bot.Reply, error) {
	if t.step() == "photos" {
		return f.askPhotos(t, st, "dn_ask_photos"), nil
	}
	return f.ask(t, st), nil
}

// apply makes the change as the turn's account and ends the conversation with what happened,
// or why not.
func (f *deskNote) apply(ctx context.Context, t *Turn, st *DeskNoteState, words string) ([]bot.Reply, error) {
	t.End()
	var photos []models.TicketAttachment
	for _, p := range st.Photos {
		a := models.TicketAttachment{Platform: string(t.In.Platform), FileID: p.FileID, MIMEType: p.MIMEType, Size: p.Size}
		if p.BlobKey != "" && f.blobs != nil {
			data, err := f.blobs.Get(ctx, p.BlobKey)
			if err != nil && !errors.Is(err, bot.ErrNotFound) {
				return nil, fmt.Errorf("flows: desk note: load photo: %w", err)
			}
			_ = f.blobs.Delete(ctx, p.BlobKey)
			a.Data = data
		}
		if a.FileID != "" || len(a.Data) > 0 {
			photos = append(photos, a)
		}
	}
	unknown := []bot.Reply{{Text: t.T("ticket_unknown_staff", "No", st.No)}}
	var staff *models.Staff
	if t.Citizen.StaffID != nil {
		s, err := f.store.StaffByID(ctx, *t.Citizen.StaffID)
		if err != nil && !errors.Is(err, models.ErrNotFound) {
			return nil, fmt.Errorf("flows: desk note: %w", err)
		}
		staff = s
	}
	actor := models.ActorFor(t.Citizen.ID, staff)
	if actor.Role == models.RoleCitizen {
		return unknown, nil
	}
	ch := models.Change{Action: models.Action(st.Action), Actor: actor, Note: words, Photos: photos, At: t.Now}
	before, err := f.store.TicketByNo(ctx, st.No)
	if errors.Is(err, models.ErrNotFound) {
		return unknown, nil
	}
	if err != nil {
		return nil, fmt.Errorf("flows: desk note: %w", err)
	}
	after, _, err := f.store.Transition(ctx, st.No, ch)
	var te *models.TransitionError
	switch {
	case errors.As(err, &te):
		return []bot.Reply{{Text: DeskRefusal(t.Lang, before, ch, te, f.store.TicketRules())}}, nil
	case errors.Is(err, models.ErrNotFound):
		return unknown, nil
	case err != nil:
		return nil, fmt.Errorf("flows: desk note: %w", err)
	}
	return []bot.Reply{{Text: DeskDone(t.Lang, after, ch.Action, len(photos), f.store.TicketRules().Location())}}, nil
}
