package flows

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"windowbot/bot"
	"windowbot/internal/text"
	"windowbot/models"
)

// CardFlowName is the conversation in which the center's office enters a paper feedback card or
// a suggestion-box note (纸质评价) for the citizen who wrote it. The desk starts it for the
// roles that may: the flow itself trusts its caller.
const CardFlowName = "card"

// CardState is the card being entered.
type CardState struct {
	WindowID uint   `json:"window_id,omitempty"`
	Window   string `json:"window,omitempty"`
	Level    int    `json:"level,omitempty"`
	Comment  string `json:"comment,omitempty"`
}

type card struct{ store *models.Store }

// NewCard returns the paper card conversation.
func NewCard(store *models.Store) Flow { return Define[CardState](CardFlowName, &card{store: store}) }

// Start reads "W001 2 内容": a card given whole is recorded at once; what is missing is asked.
func (f *card) Start(ctx context.Context, t *Turn, st *CardState, arg string) ([]bot.Reply, error) {
	fields := strings.Fields(arg)
	if len(fields) == 0 {
		return f.askWindow(t, "")
	}
	w, err := scopedWindow(ctx, f.store, t, fields[0])
	if errors.Is(err, models.ErrNotFound) {
		return f.askWindow(t, t.T("window_unknown_code", "Code", models.Truncate(fields[0], 40))+"\n")
	}
	if err != nil {
		return nil, fmt.Errorf("flows: card: %w", err)
	}
	st.WindowID, st.Window = w.ID, w.Place()
	if len(fields) < 2 {
		return f.askLevel(t, st, "")
	}
	lvl, err := strconv.Atoi(fields[1])
	if err != nil || !models.Level(lvl).Valid() {
		return f.askLevel(t, st, t.T("card_level_bad")+"\n")
	}
	st.Level = lvl
	st.Comment = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(arg), fields[0])), fields[1]))
	if utf8.RuneCountInString(st.Comment) > models.MaxCommentRunes {
		st.Comment = ""
		return f.askComment(t, t.T("card_comment_long", "Max", models.MaxCommentRunes)+"\n")
	}
	return f.record(ctx, t, st)
}

func (f *card) askWindow(t *Turn, prefix string) ([]bot.Reply, error) {
	t.askText("window")
	return []bot.Reply{{Text: prefix + t.T("card_ask_window")}}, nil
}

func (f *card) askLevel(t *Turn, st *CardState, prefix string) ([]bot.Reply, error) {
	t.ask("level")
	var btns []bot.Button
	for l := 5; l >= 1; l-- {
		btns = append(btns, bot.Button{Label: text.Level(t.Lang, l), Payload: CardFlowName + ":level:" + strconv.Itoa(l)})
	}
	return []bot.Reply{{Text: prefix + t.T("card_ask_level", "Window", st.Window), Buttons: bot.Column(btns...)}}, nil
}

func (f *card) askComment(t *Turn, prefix string) ([]bot.Reply, error) {
	t.askText("comment")
	return []bot.Reply{{Text: prefix + t.T("card_ask_comment", "Max", models.MaxCommentRunes),
		Buttons: [][]bot.Button{{{Label: t.T("btn_skip"), Payload: CardFlowName + ":comment:skip"}}}}}, nil
}

// Step takes the window code, the level and the words of the card, then records it.
func (f *card) Step(ctx context.Context, t *Turn, st *CardState, in Input) ([]bot.Reply, error) {
	switch t.step() {
	case "window":
		code := strings.TrimSpace(t.In.Text)
		if code == "" {
			return f.askWindow(t, "")
		}
		w, err := scopedWindow(ctx, f.store, t, code)
		if errors.Is(err, models.ErrNotFound) {
			return f.askWindow(t, t.T("window_unknown_code", "Code", models.Truncate(code, 40))+"\n")
		}
		if err != nil {
			return nil, fmt.Errorf("flows: card: %w", err)
		}
		st.WindowID, st.Window = w.ID, w.Place()
		return f.askLevel(t, st, "")
	case "level":
		lvl, err := strconv.Atoi(in.Value)
		if !in.Pressed || err != nil || !models.Level(lvl).Valid() {
			return f.askLevel(t, st, t.hint()+"\n")
		}
		st.Level = lvl
		return f.askComment(t, "")
	case "comment":
		if in.Pressed {
			return f.record(ctx, t, st)
		}
		c := strings.TrimSpace(t.In.Text)
		if c == "" {
			return f.askComment(t, "")
		}
		if utf8.RuneCountInString(c) > models.MaxCommentRunes {
			return f.askComment(t, t.T("card_comment_long", "Max", models.MaxCommentRunes)+"\n")
		}
		st.Comment = c
		return f.record(ctx, t, st)
	}
	return nil, errExpired
}

// Ask asks the current step again.
func (f *card) Ask(_ context.Context, t *Turn, st *CardState) ([]bot.Reply, error) {
	switch t.step() {
	case "level":
		return f.askLevel(t, st, "")
	case "comment":
		return f.askComment(t, "")
	}
	return f.askWindow(t, "")
}

func (f *card) record(ctx context.Context, t *Turn, st *CardState) ([]bot.Reply, error) {
	var by uint
	if t.Citizen.StaffID != nil {
		by = *t.Citizen.StaffID
	}
	r, err := f.store.RecordPaperCard(ctx, models.PaperCard{WindowID: st.WindowID, Level: st.Level, Comment: st.Comment, EnteredBy: by, At: t.Now})
	if err != nil {
		return nil, fmt.Errorf("flows: card: %w", err)
	}
	t.End()
	out := t.T("card_done", "Window", st.Window, "Level", text.Level(t.Lang, st.Level))
	if r.Ticket != nil {
		out += "\n" + t.T("card_ticket", "No", r.Ticket.No)
	}
	return []bot.Reply{{Text: out}}, nil
}

// scopedWindow finds the window coded code within the center the turn's staff record
// supervises (all centers for a city-wide supervisor or an administrator, and for anybody
// else the desk let through); a window outside is ErrNotFound.
func scopedWindow(ctx context.Context, store *models.Store, t *Turn, code string) (*models.Window, error) {
	w, err := store.WindowByCode(ctx, code)
	if err != nil || t.Citizen.StaffID == nil {
		return w, err
	}
	st, err := store.StaffByID(ctx, *t.Citizen.StaffID)
	if err != nil {
		return nil, err
	}
	if st.Role == models.RoleSupervisor {
		if center := models.SupervisorScope(*st); center != 0 && center != w.CenterID {
			return nil, fmt.Errorf("flows: window %s outside the center: %w", code, models.ErrNotFound)
		}
	}
	return w, nil
}
