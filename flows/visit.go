package flows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"windowbot/bot"
	"windowbot/models"
)

// VisitFlowName is the checklist inspection: a citizen inspector's unannounced visit (暗访), or
// a supervisor's inspection of any kind (自查、互查、现场检查、暗访). The desk starts it for the
// roles that may, with the kind ("unannounced") or "ask" to let a supervisor choose, and an
// optional window code.
const VisitFlowName = "visit"

// VisitAskKind is the argument that has the visit ask its kind first.
const VisitAskKind = "ask"

// VisitState is the visit being recorded.
type VisitState struct {
	Kind     string           `json:"kind,omitempty"`
	WindowID uint             `json:"window_id,omitempty"`
	Window   string           `json:"window,omitempty"`
	Items    []VisitItemState `json:"items,omitempty"`
	// At is the index of the item under way.
	At   int    `json:"at"`
	Note string `json:"note,omitempty"`
}

// VisitItemState is one checklist item as answered so far.
type VisitItemState struct {
	Key     string `json:"key"`
	Result  string `json:"result,omitempty"`
	Comment string `json:"comment,omitempty"`
	Photo   *Photo `json:"photo,omitempty"`
}

type visit struct {
	store *models.Store
	blobs Blobs
	ttl   time.Duration
}

// NewVisit returns the checklist inspection; blobs keeps uploaded photos for up to ttl.
func NewVisit(store *models.Store, blobs Blobs, ttl time.Duration) Flow {
	if ttl <= 0 {
		ttl = 30 * time.Minute
	}
	return Define[VisitState](VisitFlowName, &visit{store: store, blobs: blobs, ttl: ttl})
}

// Start asks the kind (a supervisor) or goes to the place (an inspector's visit is unannounced).
func (f *visit) Start(ctx context.Context, t *Turn, st *VisitState, arg string) ([]bot.Reply, error) {
	kind, code, _ := strings.Cut(strings.TrimSpace(arg), " ")
	for _, c := range f.store.Checklist() {
		st.Items = append(st.Items, VisitItemState{Key: c.Key})
	}
	if slices.Contains(models.InspectionKinds, kind) {
		st.Kind = kind
	}
	if code = strings.TrimSpace(code); code != "" {
		if r, ok, err := f.setWindow(ctx, t, st, code); !ok || err != nil {
			return r, err
		}
	}
	if st.Kind == "" {
		return f.askKind(t, ""), nil
	}
	if st.WindowID == 0 {
		return f.askPlace(ctx, t, st, "")
	}
	return f.askItem(t, st, ""), nil
}

func (f *visit) askKind(t *Turn, prefix string) []bot.Reply {
	t.ask("kind")
	var btns []bot.Button
	for _, k := range models.InspectionKinds {
		btns = append(btns, bot.Button{Label: t.T("inspect_kind." + k), Payload: VisitFlowName + ":kind:" + k})
	}
	return []bot.Reply{{Text: prefix + t.T("v_ask_kind"), Buttons: bot.Column(btns...)}}
}

// askPlace offers the centers, or the windows of the only one; a typed code is taken at both.
func (f *visit) askPlace(ctx context.Context, t *Turn, st *VisitState, prefix string) ([]bot.Reply, error) {
	centers, err := f.store.Centers(ctx)
	if err != nil {
		return nil, fmt.Errorf("flows: visit: %w", err)
	}
	if len(centers) == 1 {
		return f.askWindow(ctx, t, centers[0].ID, prefix)
	}
	t.ask("center")
	var btns []bot.Button
	for _, c := range centers {
		btns = append(btns, bot.Button{Label: c.Name, Payload: VisitFlowName + ":center:" + strconv.FormatUint(uint64(c.ID), 10)})
	}
	return []bot.Reply{{Text: prefix + t.T("v_ask_center"), Buttons: bot.Column(btns...)}}, nil
}

func (f *visit) askWindow(ctx context.Context, t *Turn, centerID uint, prefix string) ([]bot.Reply, error) {
	ws, err := f.store.WindowsOfCenter(ctx, centerID)
	if err != nil {
		return nil, fmt.Errorf("flows: visit: %w", err)
	}
	t.ask("window")
	var btns []bot.Button
	for _, w := range ws {
		btns = append(btns, bot.Button{Label: w.Code + " " + w.Name, Payload: VisitFlowName + ":window:" + w.Code})
	}
	return []bot.Reply{{Text: prefix + t.T("v_ask_window"), Buttons: inRows(btns, 2)}}, nil
}

// setWindow takes the window coded code; ok is false (with the question asked again) for one
// that does not exist or is outside the center a supervisor supervises.
func (f *visit) setWindow(ctx context.Context, t *Turn, st *VisitState, code string) ([]bot.Reply, bool, error) {
	w, err := scopedWindow(ctx, f.store, t, code)
	if errors.Is(err, models.ErrNotFound) {
		r, err := f.askPlace(ctx, t, st, t.T("window_unknown_code", "Code", models.Truncate(code, 40))+"\n")
		return r, false, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("flows: visit: %w", err)
	}
	st.WindowID, st.Window = w.ID, w.Place()
	return nil, true, nil
}

// itemLabel words a checklist item: a custom item's own label, a standard one's from the catalog.
func (f *visit) itemLabel(t *Turn, key string) string {
	for _, c := range f.store.Checklist() {
		if c.Key == key && c.Label != "" {
			return c.Label
		}
	}
	return t.T("check." + key)
}

func (f *visit) askItem(t *Turn, st *VisitState, prefix string) []bot.Reply {
	t.ask("item")
	it := st.Items[st.At]
	text := prefix + t.T("v_ask_item", "N", st.At+1, "Total", len(st.Items), "Item", f.itemLabel(t, it.Key), "Window", st.Window)
	return []bot.Reply{{Text: text, Buttons: [][]bot.Button{{
		{Label: t.T("v_btn_pass"), Payload: VisitFlowName + ":item:" + models.CheckPass},
		{Label: t.T("v_btn_fail"), Payload: VisitFlowName + ":item:" + models.CheckFail},
		{Label: t.T("v_btn_unobserved"), Payload: VisitFlowName + ":item:" + models.CheckUnobserved},
	}}}}
}

func (f *visit) askDetail(t *Turn, st *VisitState, prefix string) []bot.Reply {
	t.askText("detail")
	it := st.Items[st.At]
	return []bot.Reply{{Text: prefix + t.T("v_ask_detail", "Item", f.itemLabel(t, it.Key)),
		Buttons: [][]bot.Button{{{Label: t.T("v_btn_next"), Payload: VisitFlowName + ":detail:next"}}}}}
}

func (f *visit) askNote(t *Turn, prefix string) []bot.Reply {
	t.askText("note")
	return []bot.Reply{{Text: prefix + t.T("v_ask_note", "Max", models.MaxNoteRunes),
		Buttons: [][]bot.Button{{{Label: t.T("btn_skip"), Payload: VisitFlowName + ":note:skip"}}}}}
}

// next moves past the item under way: the next item, or the overall note after the last.
func (f *visit) next(t *Turn, st *VisitState) []bot.Reply {
	st.At++
	if st.At < len(st.Items) {
		return f.askItem(t, st, "")
	}
	return f.askNote(t, "")
}

// summary is the visit as it will be recorded, to confirm.
func (f *visit) summary(t *Turn, st *VisitState) []bot.Reply {
	t.ask("confirm")
	var b strings.Builder
	b.WriteString(t.T("v_summary_head", "Kind", t.T("inspect_kind."+st.Kind), "Window", st.Window))
	fails := 0
	for i, it := range st.Items {
		b.WriteString("\n" + strconv.Itoa(i+1) + ". " + f.itemLabel(t, it.Key) + "：" + t.T("v_result."+it.Result))
		if it.Result == models.CheckFail {
			fails++
		}
		if it.Comment != "" {
			b.WriteString(t.T("v_summary_comment", "Comment", models.Truncate(it.Comment, 60)))
		}
		if it.Photo != nil {
			b.WriteString(t.T("v_summary_photo"))
		}
	}
	if st.Note != "" {
		b.WriteString(t.T("v_summary_note", "Note", st.Note))
	}
	if fails > 0 {
		b.WriteString("\n\n" + t.T("v_summary_tickets", "Count", fails))
	}
	return []bot.Reply{{Text: b.String(), Buttons: bot.Column(
		bot.Button{Label: t.T("v_btn_submit"), Payload: VisitFlowName + ":confirm:yes"},
		bot.Button{Label: t.T("v_btn_cancel"), Payload: "cmd:/cancel"},
	)}}
}

// Step walks the visit: kind, center, window, each item (with a photo and a comment where
// given), the overall note, the summary.
func (f *visit) Step(ctx context.Context, t *Turn, st *VisitState, in Input) ([]bot.Reply, error) {
	switch t.step() {
	case "kind":
		if !in.Pressed || !slices.Contains(models.InspectionKinds, in.Value) {
			return f.askKind(t, t.hint()+"\n"), nil
		}
		st.Kind = in.Value
		if st.WindowID != 0 {
			return f.askItem(t, st, ""), nil
		}
		return f.askPlace(ctx, t, st, "")
	case "center":
		if in.Pressed {
			id, err := strconv.ParseUint(in.Value, 10, 64)
			if err != nil {
				return nil, errExpired
			}
			return f.askWindow(ctx, t, uint(id), "")
		}
		return f.typedWindow(ctx, t, st)
	case "window":
		if in.Pressed {
			t.In.Text = in.Value
		}
		return f.typedWindow(ctx, t, st)
	case "item":
		if t.In.Photo != nil {
			return f.addPhoto(ctx, t, st, func(note string) []bot.Reply { return f.askItem(t, st, note+"\n") })
		}
		if !in.Pressed {
			if c := strings.TrimSpace(t.In.Text); c != "" {
				if r := f.setComment(t, st, c); r != "" {
					return f.askItem(t, st, r+"\n"), nil
				}
				return f.askItem(t, st, t.T("v_comment_added")+"\n"), nil
			}
			return f.askItem(t, st, t.hint()+"\n"), nil
		}
		st.Items[st.At].Result = in.Value
		if in.Value == models.CheckFail {
			return f.askDetail(t, st, ""), nil
		}
		return f.next(t, st), nil
	case "detail":
		if t.In.Photo != nil {
			return f.addPhoto(ctx, t, st, func(note string) []bot.Reply { return f.askDetail(t, st, note+"\n") })
		}
		if in.Pressed {
			return f.next(t, st), nil
		}
		if c := strings.TrimSpace(t.In.Text); c != "" {
			if r := f.setComment(t, st, c); r != "" {
				return f.askDetail(t, st, r+"\n"), nil
			}
			return f.askDetail(t, st, t.T("v_comment_added")+"\n"), nil
		}
		return f.askDetail(t, st, ""), nil
	case "note":
		if !in.Pressed {
			c := strings.TrimSpace(t.In.Text)
			if c == "" {
				return f.askNote(t, ""), nil
			}
			if utf8.RuneCountInString(c) > models.MaxNoteRunes {
				return f.askNote(t, t.T("v_too_long", "Max", models.MaxNoteRunes)+"\n"), nil
			}
			st.Note = c
		}
		return f.summary(t, st), nil
	case "confirm":
		if !in.Pressed {
			return append([]bot.Reply{{Text: t.hint()}}, f.summary(t, st)...), nil
		}
		return f.submit(ctx, t, st)
	}
	return nil, errExpired
}

func (f *visit) typedWindow(ctx context.Context, t *Turn, st *VisitState) ([]bot.Reply, error) {
	code := strings.TrimSpace(t.In.Text)
	if code == "" {
		return f.askPlace(ctx, t, st, "")
	}
	if r, ok, err := f.setWindow(ctx, t, st, code); !ok || err != nil {
		return r, err
	}
	return f.askItem(t, st, ""), nil
}

// setComment records the comment of the item under way, or says why not.
func (f *visit) setComment(t *Turn, st *VisitState, c string) string {
	it := &st.Items[st.At]
	joined := strings.TrimSpace(it.Comment + "\n" + c)
	if utf8.RuneCountInString(joined) > models.MaxNoteRunes {
		return t.T("v_too_long", "Max", models.MaxNoteRunes)
	}
	it.Comment = joined
	return ""
}

// addPhoto keeps the photo of the item under way (a later one replaces it) and asks again.
func (f *visit) addPhoto(ctx context.Context, t *Turn, st *VisitState, ask func(note string) []bot.Reply) ([]bot.Reply, error) {
	p := t.In.Photo
	if p.Size > models.MaxPhotoBytes || int64(len(p.Data)) > models.MaxPhotoBytes {
		return ask(t.T("c_photo_too_big", "MB", models.MaxPhotoBytes>>20)), nil
	}
	ph := &Photo{FileID: p.FileID, MIMEType: p.MIMEType, Size: p.Size}
	if len(p.Data) > 0 {
		if f.blobs == nil {
			return ask(t.T("c_photo_unsupported")), nil
		}
		key := "blob:" + randomKey()
		if err := f.blobs.Set(ctx, key, p.Data, f.ttl+5*time.Minute); err != nil {
			return nil, fmt.Errorf("flows: visit: keep photo: %w", err)
		}
		ph.BlobKey, ph.Size = key, int64(len(p.Data))
	} else if p.FileID == "" {
		return ask(t.T("c_photo_unsupported")), nil
	}
	st.Items[st.At].Photo = ph
	if c := strings.TrimSpace(t.In.Text); c != "" {
		// A caption is the photo's comment.
		if r := f.setComment(t, st, c); r != "" {
			return ask(r), nil
		}
	}
	return ask(t.T("v_photo_added")), nil
}

// submit records the visit and says what it opened.
func (f *visit) submit(ctx context.Context, t *Turn, st *VisitState) ([]bot.Reply, error) {
	if t.Citizen.StaffID == nil {
		t.End()
		return []bot.Reply{{Text: t.T("expired")}}, nil
	}
	v := models.Visit{Kind: st.Kind, WindowID: st.WindowID, StaffID: *t.Citizen.StaffID, CitizenID: t.Citizen.ID,
		Channel: string(t.In.Platform), Note: st.Note, At: t.Now}
	for _, it := range st.Items {
		vi := models.VisitItem{Key: it.Key, Result: it.Result, Comment: it.Comment}
		if vi.Result == "" {
			vi.Result = models.CheckUnobserved
		}
		if p := it.Photo; p != nil {
			a := &models.TicketAttachment{Platform: string(t.In.Platform), FileID: p.FileID, MIMEType: p.MIMEType, Size: p.Size}
			if p.BlobKey != "" && f.blobs != nil {
				data, err := f.blobs.Get(ctx, p.BlobKey)
				if err != nil && !errors.Is(err, bot.ErrNotFound) {
					return nil, fmt.Errorf("flows: visit: load photo: %w", err)
				}
				a.Data = data
				_ = f.blobs.Delete(ctx, p.BlobKey)
			}
			if a.FileID != "" || len(a.Data) > 0 {
				vi.Photo = a
			}
		}
		v.Items = append(v.Items, vi)
	}
	res, err := f.store.RecordVisit(ctx, v)
	if err != nil {
		return nil, fmt.Errorf("flows: visit: %w", err)
	}
	t.End()
	out := t.T("v_done", "Kind", t.T("inspect_kind."+st.Kind), "Window", st.Window, "Score", res.Inspection.Score)
	if len(res.Tickets) > 0 {
		var nos []string
		for _, tk := range res.Tickets {
			nos = append(nos, tk.No)
		}
		out += "\n" + t.T("v_done_tickets", "Count", len(res.Tickets), "Tickets", strings.Join(nos, "、"))
	}
	return []bot.Reply{{Text: out}}, nil
}

// Ask asks the current step again.
func (f *visit) Ask(ctx context.Context, t *Turn, st *VisitState) ([]bot.Reply, error) {
	switch t.step() {
	case "kind":
		return f.askKind(t, ""), nil
	case "center", "window":
		return f.askPlace(ctx, t, st, "")
	case "item":
		return f.askItem(t, st, ""), nil
	case "detail":
		return f.askDetail(t, st, ""), nil
	case "note":
		return f.askNote(t, ""), nil
	case "confirm":
		return f.summary(t, st), nil
	}
	return nil, errExpired
}
