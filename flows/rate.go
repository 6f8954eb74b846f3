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
	"windowbot/internal/text"
	"windowbot/models"
)

// RateFlowName is the name of the rating conversation.
const RateFlowName = "rate"

// Steps of the rating conversation.
const (
	stepStaff   = "staff"
	stepLevel   = "level"
	stepAspects = "aspects"
	stepPraise  = "praise"
	stepComment = "comment"
)

// RateState is the rating conversation's part of the session.
type RateState struct {
	WindowCode string `json:"window_code,omitempty"`
	WindowID   uint   `json:"window_id,omitempty"`
	WindowName string `json:"window_name,omitempty"`
	// StaffID is the staff member the rating names: the window's only staff member, the one the
	// citizen chose, or the one whose own link they followed; nil when unknown or skipped.
	StaffID   *uint    `json:"staff_id,omitempty"`
	StaffName string   `json:"staff_name,omitempty"`
	Level     int      `json:"level,omitempty"`
	Aspects   []string `json:"aspects,omitempty"`
	Praise    []string `json:"praise,omitempty"`
}

// name records s as the staff member the rating is about.
func (st *RateState) name(s *models.Staff) {
	id := s.ID
	st.StaffID, st.StaffName = &id, s.Name
}

// OnRated is called after a rating is stored, inside the same turn, for whatever else should
// follow a rating (the bad-review ticket itself is opened by the store, in the rating's
// transaction). It may add replies.
type OnRated func(ctx context.Context, t *Turn, r *models.Rating) ([]bot.Reply, error)

// Rate is the rating conversation (一次一评): window → who served you (where the window has
// several staff members) → level → aspects or praise → comment → thanks.
type Rate struct {
	store      *models.Store
	loc        *time.Location
	periodDays int
	onRated    OnRated
}

// NewRate returns the rating flow. periodDays is how often one citizen may rate one window.
func NewRate(store *models.Store, loc *time.Location, periodDays int, onRated OnRated) *Rate {
	if loc == nil {
		loc = time.UTC
	}
	if periodDays <= 0 {
		periodDays = 1
	}
	return &Rate{store: store, loc: loc, periodDays: periodDays, onRated: onRated}
}

var _ Flow = (*Rate)(nil)

// Name implements Flow.
func (f *Rate) Name() string { return RateFlowName }

// Start begins rating; arg is a window code from a QR link, models.StaffLinkPrefix and a staff number
// from a staff member's own link, or empty to choose a window.
func (f *Rate) Start(ctx context.Context, t *Turn, arg string) ([]bot.Reply, error) {
	t.Session.Rate = &RateState{}
	if no, ok := strings.CutPrefix(arg, models.StaffLinkPrefix); ok {
		return f.startWithStaff(ctx, t, no)
	}
	if arg != "" {
		return f.chooseWindow(ctx, t, arg, nil)
	}
	centers, err := f.store.Centers(ctx)
	if err != nil {
		return nil, fmt.Errorf("flows: rate: %w", err)
	}
	switch len(centers) {
	case 0:
		t.Session.End()
		return []bot.Reply{{Text: t.T("no_windows")}}, nil
	case 1:
		return f.listWindows(ctx, t, centers[0].ID)
	}
	return askCenter(t, RateFlowName, "", centers), nil
}

func (f *Rate) listWindows(ctx context.Context, t *Turn, centerID uint) ([]bot.Reply, error) {
	ws, err := f.store.WindowsOfCenter(ctx, centerID)
	if err != nil {
		return nil, fmt.Errorf("flows: rate: %w", err)
	}
	if len(ws) == 0 {
		t.Session.End()
		return []bot.Reply{{Text: t.T("no_windows")}}, nil
	}
	return askWindow(t, RateFlowName, t.T("choose_window"), ws), nil
}

// Step implements Flow.
func (f *Rate) Step(ctx context.Context, t *Turn) ([]bot.Reply, error) {
	st := t.Session.Rate
	if st == nil {
		t.Session.End()
		return []bot.Reply{{Text: t.T("expired")}}, nil
	}
	step, value, isPress := parsePayload(t.In.Payload, RateFlowName)
	if isPress && step != t.Session.Step {
		// A button from an earlier message (a double tap, an old keyboard): say so, re-ask.
		return f.reprompt(ctx, t, t.T("stale_choice"))
	}
	switch t.Session.Step {
	case stepCenter:
		if isPress {
			c, err := centerByID(ctx, f.store, value)
			if err != nil {
				return nil, fmt.Errorf("flows: rate: %w", err)
			}
			if c == nil {
				return f.reprompt(ctx, t, t.T("stale_choice"))
			}
			return f.listWindows(ctx, t, c.ID)
		}
		return f.chooseWindow(ctx, t, t.In.Text, nil)
	case stepWindow:
		if isPress {
			return f.chooseWindow(ctx, t, value, nil)
		}
		return f.chooseWindow(ctx, t, t.In.Text, nil)
	case stepStaff:
		return f.chooseStaff(ctx, t, value, isPress)
	case stepLevel:
		lvl, err := strconv.Atoi(value)
		if !isPress || err != nil || !models.Level(lvl).Valid() {
			return f.reprompt(ctx, t, "")
		}
		st.Level = lvl
		if models.Level(lvl).AsksAspects() {
			t.Session.Goto(stepAspects)
			return []bot.Reply{f.aspectsReply(t, false)}, nil
		}
		t.Session.Goto(stepPraise)
		return []bot.Reply{f.praiseReply(t, false)}, nil
	case stepAspects:
		return f.multiSelect(ctx, t, &st.Aspects, value, isPress, problemKeys(), models.Level(st.Level).Bad(), f.aspectsReply)
	case stepPraise:
		return f.multiSelect(ctx, t, &st.Praise, value, isPress, models.PraiseTags, false, f.praiseReply)
	case stepComment:
		if isPress && value == "skip" {
			return f.finish(ctx, t, "")
		}
		if isPress || t.In.Text == "" {
			return f.reprompt(ctx, t, "")
		}
		if n := utf8.RuneCountInString(t.In.Text); n > models.MaxCommentRunes {
			return []bot.Reply{{Text: t.T("comment_too_long", "Len", n, "Max", models.MaxCommentRunes)}}, nil
		}
		return f.finish(ctx, t, t.In.Text)
	}
	t.Session.End()
	return []bot.Reply{{Text: t.T("expired")}}, nil
}

// multiSelect toggles keys of a checklist; "done" moves on to the comment.
func (f *Rate) multiSelect(ctx context.Context, t *Turn, sel *[]string, value string, isPress bool,
	valid []string, required bool, render func(*Turn, bool) bot.Reply) ([]bot.Reply, error) {
	if !isPress {
		// Typed numbers ("1 3") toggle several at once; anything else re-asks.
		nums := strings.FieldsFunc(t.In.Text, func(r rune) bool { return r == ' ' || r == ',' || r == '，' || r == '、' })
		if len(nums) == 0 {
			return f.reprompt(ctx, t, "")
		}
		for _, s := range nums {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > len(valid) {
				return f.reprompt(ctx, t, "")
			}
			toggle(sel, valid[n-1])
		}
		return []bot.Reply{render(t, false)}, nil
	}
	if value == "done" {
		if required && len(*sel) == 0 {
			r := render(t, false)
			r.Text = t.T("aspects_required")
			return []bot.Reply{r}, nil
		}
		return f.askComment(t), nil
	}
	if !slices.Contains(valid, value) {
		return f.reprompt(ctx, t, t.T("stale_choice"))
	}
	toggle(sel, value)
	return []bot.Reply{render(t, true)}, nil
}

func toggle(sel *[]string, key string) {
	if i := slices.Index(*sel, key); i >= 0 {
		*sel = slices.Delete(*sel, i, i+1)
		return
	}
	*sel = append(*sel, key)
}

func (f *Rate) askComment(t *Turn) []bot.Reply {
	t.Session.Goto(stepComment)
	t.Session.FreeText = true
	return []bot.Reply{{
		Text:    t.T("ask_comment", "Max", models.MaxCommentRunes),
		Buttons: [][]bot.Button{{{Label: t.T("btn_skip"), Payload: "rate:comment:skip"}}},
	}}
}

// startWithStaff begins rating the window of the staff member numbered no, with them chosen.
// A number that names nobody at a window falls back to choosing the window.
func (f *Rate) startWithStaff(ctx context.Context, t *Turn, no string) ([]bot.Reply, error) {
	if models.StaffLinkPattern.MatchString(no) {
		s, err := f.store.StaffByNo(ctx, no)
		switch {
		case err == nil && s.Role == models.RoleStaff && s.Window != nil:
			return f.chooseWindow(ctx, t, s.Window.Code, s)
		case err != nil && !errors.Is(err, models.ErrNotFound):
			return nil, fmt.Errorf("flows: rate: %w", err)
		}
	}
	out, err := f.Start(ctx, t, "")
	if err != nil {
		return nil, err
	}
	return append([]bot.Reply{{Text: t.T("staff_unknown", "StaffNo", truncate(no, 40))}}, out...), nil
}

// chooseWindow checks a window code and, if it can be rated, asks who served the citizen (or
// names staff, the person of a personal link) and then the level.
func (f *Rate) chooseWindow(ctx context.Context, t *Turn, code string, staff *models.Staff) ([]bot.Reply, error) {
	code = strings.TrimSpace(code)
	w, err := windowByCode(ctx, f.store, code)
	if err != nil {
		return nil, fmt.Errorf("flows: rate: %w", err)
	}
	if w == nil {
		return unknownWindow(t, code), nil
	}
	label := windowLabel(w)
	if own, err := f.ownWindow(ctx, t, w.ID); err != nil {
		return nil, err
	} else if own {
		t.Session.End()
		return []bot.Reply{{Text: t.T("own_window")}}, nil
	}
	rated, err := f.store.RatedSince(ctx, t.Citizen.ID, w.ID, f.periodStart(t.Now))
	if err != nil {
		return nil, fmt.Errorf("flows: rate: %w", err)
	}
	if rated {
		t.Session.End()
		return []bot.Reply{{Text: f.alreadyRated(t, label)}}, nil
	}
	t.Session.Rate = &RateState{WindowCode: w.Code, WindowID: w.ID, WindowName: label}
	if staff != nil {
		t.Session.Rate.name(staff)
		return f.askLevel(t), nil
	}
	return f.askStaff(ctx, t)
}

// askStaff finds out who served the citizen (亮牌上岗: staff wear name badges). A window with one
// staff member names them without asking; with none, nobody is named; with several, the citizen
// is asked, and may say they are not sure.
func (f *Rate) askStaff(ctx context.Context, t *Turn) ([]bot.Reply, error) {
	staff, err := f.store.StaffOfWindow(ctx, t.Session.Rate.WindowID)
	if err != nil {
		return nil, fmt.Errorf("flows: rate: %w", err)
	}
	switch len(staff) {
	case 0:
		return f.askLevel(t), nil
	case 1:
		t.Session.Rate.name(&staff[0])
		return f.askLevel(t), nil
	}
	t.Session.Goto(stepStaff)
	// Choices, not free text: WeChat users answer with the number or the name.
	t.Session.FreeText = false
	return []bot.Reply{staffReply(t, staff)}, nil
}

// chooseStaff takes the answer to "who served you": a staff member of the window, or skip. A
// staff member who left the window since the question was asked is not taken; the question is
// asked again with the staff there now.
func (f *Rate) chooseStaff(ctx context.Context, t *Turn, value string, isPress bool) ([]bot.Reply, error) {
	st := t.Session.Rate
	if !isPress {
		if !skipWords[strings.ToLower(strings.TrimSpace(t.In.Text))] {
			return f.reprompt(ctx, t, "")
		}
		value = "skip"
	}
	if value == "skip" {
		st.StaffID, st.StaffName = nil, ""
		return f.askLevel(t), nil
	}
	id, err := strconv.ParseUint(value, 10, 64)
	if err != nil {
		return f.reprompt(ctx, t, t.T("stale_choice"))
	}
	staff, err := f.store.StaffOfWindow(ctx, st.WindowID)
	if err != nil {
		return nil, fmt.Errorf("flows: rate: %w", err)
	}
	for i := range staff {
		if uint64(staff[i].ID) == id {
			st.name(&staff[i])
			return f.askLevel(t), nil
		}
	}
	return []bot.Reply{{Text: t.T("stale_choice")}, staffReply(t, staff)}, nil
}

// skipWords typed at the staff question mean "not sure", as the skip button does.
var skipWords = map[string]bool{"跳过": true, "不确定": true, "不知道": true, "skip": true, "not sure": true}

// staffReply asks who served the citizen: one button per staff member by name (with the staff
// number where two share a name), then "not sure".
func staffReply(t *Turn, staff []models.Staff) bot.Reply {
	names := map[string]int{}
	for _, s := range staff {
		names[s.Name]++
	}
	btns := make([]bot.Button, 0, len(staff))
	for _, s := range staff {
		label := s.Name
		if names[s.Name] > 1 {
			label += "（" + s.StaffNo + "）"
		}
		btns = append(btns, bot.Button{Label: label, Payload: "rate:staff:" + strconv.FormatUint(uint64(s.ID), 10)})
	}
	rows := inRows(btns, 3)
	rows = append(rows, []bot.Button{{Label: t.T("btn_staff_skip"), Payload: "rate:staff:skip"}})
	return bot.Reply{Text: t.T("ask_staff", "Window", t.Session.Rate.WindowName), Buttons: rows}
}

func (f *Rate) askLevel(t *Turn) []bot.Reply {
	t.Session.Goto(stepLevel)
	t.Session.FreeText = false
	return []bot.Reply{f.levelReply(t)}
}

func (f *Rate) alreadyRated(t *Turn, label string) string {
	if f.periodDays == 1 {
		return t.T("already_rated", "Window", label)
	}
	return t.T("already_rated_period", "Days", f.periodDays, "Window", label)
}

func (f *Rate) ownWindow(ctx context.Context, t *Turn, windowID uint) (bool, error) {
	if t.Citizen.StaffID == nil {
		return false, nil
	}
	s, err := f.store.StaffByID(ctx, *t.Citizen.StaffID)
	if errors.Is(err, models.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("flows: rate: %w", err)
	}
	return s.WindowID != nil && *s.WindowID == windowID, nil
}

// periodStart is the start of the rating period containing now: midnight in the hall's zone,
// periodDays-1 days back.
func (f *Rate) periodStart(now time.Time) time.Time {
	l := now.In(f.loc)
	day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, f.loc)
	return day.AddDate(0, 0, -(f.periodDays - 1))
}

func (f *Rate) finish(ctx context.Context, t *Turn, comment string) ([]bot.Reply, error) {
	st := t.Session.Rate
	r := &models.Rating{
		WindowID:  st.WindowID,
		CitizenID: t.Citizen.ID,
		Level:     st.Level,
		StaffID:   st.StaffID,
		Aspects:   models.JoinKeys(st.Aspects),
		Praise:    models.JoinKeys(st.Praise),
		Comment:   comment,
		Channel:   string(t.In.Platform),
		CreatedAt: t.Now,
	}
	if models.Level(st.Level).Bad() {
		r.TicketDescription = describeBadReview(st.Aspects, comment)
	}
	err := f.store.CreateRating(ctx, r, f.periodStart(t.Now))
	switch {
	case errors.Is(err, models.ErrAlreadyRated):
		t.Session.End()
		return []bot.Reply{{Text: f.alreadyRated(t, st.WindowName)}}, nil
	case errors.Is(err, models.ErrOwnWindow):
		t.Session.End()
		return []bot.Reply{{Text: t.T("own_window")}}, nil
	case errors.Is(err, models.ErrBanned):
		t.Session.End()
		return []bot.Reply{{Text: t.T("banned")}}, nil
	case err != nil:
		return nil, fmt.Errorf("flows: rate: %w", err)
	}
	lvl := models.Level(st.Level)
	staffLine := ""
	switch {
	case r.StaffID != nil:
		staffLine = t.T("thanks_staff", "Staff", st.StaffName)
	case st.StaffID != nil:
		// The staff member chosen left the window before the rating was stored.
		staffLine = t.T("thanks_staff_gone", "Staff", st.StaffName)
	}
	msg := t.T("thanks", "Window", st.WindowName, "StaffLine", staffLine, "Level", text.Level(t.Lang, st.Level))
	if len(st.Aspects) > 0 {
		msg += t.T("thanks_aspects", "Aspects", joinLabels(t.Lang, st.Aspects, models.IsProblem, text.Aspect))
	}
	if len(st.Praise) > 0 {
		msg += t.T("thanks_praise", "Praise", joinLabels(t.Lang, st.Praise, models.IsPraise, text.Praise))
	}
	if comment != "" {
		msg += t.T("thanks_comment", "Comment", comment)
	}
	if r.Ticket != nil {
		msg += t.T("thanks_bad_ticket", "No", r.Ticket.No, "Due", dayLabel(t.Lang, r.Ticket.CallbackDue, f.loc))
	}
	replies := []bot.Reply{{Text: msg}}
	t.Session.End()
	if f.onRated != nil {
		more, err := f.onRated(ctx, t, r)
		if err != nil {
			return nil, err
		}
		replies = append(replies, more...)
	}
	if lvl.Bad() && r.Ticket == nil {
		replies[0].Text += t.T("thanks_bad")
	}
	return replies, nil
}

// reprompt shows the current step's question again, after an optional note.
func (f *Rate) reprompt(ctx context.Context, t *Turn, note string) ([]bot.Reply, error) {
	var r bot.Reply
	switch t.Session.Step {
	case stepStaff:
		staff, err := f.store.StaffOfWindow(ctx, t.Session.Rate.WindowID)
		if err != nil {
			return nil, fmt.Errorf("flows: rate: %w", err)
		}
		r = staffReply(t, staff)
	case stepLevel:
		r = f.levelReply(t)
	case stepAspects:
		r = f.aspectsReply(t, false)
	case stepPraise:
		r = f.praiseReply(t, false)
	case stepComment:
		r = f.askComment(t)[0]
	case stepCenter, stepWindow:
		r = bot.Reply{Text: t.T("type_window_code"), Buttons: choicesAsButtons(t.Session.Choices)}
	default:
		t.Session.End()
		return []bot.Reply{{Text: t.T("expired")}}, nil
	}
	if note != "" {
		return []bot.Reply{{Text: note}, r}, nil
	}
	return []bot.Reply{r}, nil
}

func (f *Rate) levelReply(t *Turn) bot.Reply {
	var btns []bot.Button
	for _, l := range models.Levels {
		// Num: a citizen typing "5" means five stars, whatever line 非常满意 is shown on.
		btns = append(btns, bot.Button{Label: text.Level(t.Lang, int(l)), Payload: "rate:level:" + strconv.Itoa(int(l)), Num: int(l)})
	}
	question := t.T("ask_level", "Window", t.Session.Rate.WindowName)
	if st := t.Session.Rate; st.StaffID != nil {
		question = t.T("ask_level_staff", "Window", st.WindowName, "Staff", st.StaffName)
	}
	return bot.Reply{Text: question, Buttons: bot.Column(btns...)}
}

func (f *Rate) aspectsReply(t *Turn, edit bool) bot.Reply {
	sel := t.Session.Rate.Aspects
	var rows [][]bot.Button
	for _, a := range models.Aspects {
		btns := make([]bot.Button, 0, len(a.Problems))
		for _, p := range a.Problems {
			btns = append(btns, checkButton(text.Aspect(t.Lang, a.Key)+"·"+text.Aspect(t.Lang, p), "rate:aspects:"+p, slices.Contains(sel, p)))
		}
		rows = append(rows, inRows(btns, 2)...)
	}
	rows = append(rows, []bot.Button{{Label: t.T("btn_done"), Payload: "rate:aspects:done"}})
	return bot.Reply{Text: t.T("ask_aspects"), Buttons: rows, Edit: edit, Multi: true}
}

func (f *Rate) praiseReply(t *Turn, edit bool) bot.Reply {
	sel := t.Session.Rate.Praise
	var row []bot.Button
	for _, p := range models.PraiseTags {
		row = append(row, checkButton(text.Praise(t.Lang, p), "rate:praise:"+p, slices.Contains(sel, p)))
	}
	done := t.T("btn_skip")
	if len(sel) > 0 {
		done = t.T("btn_done")
	}
	rows := [][]bot.Button{row[:2], row[2:], {{Label: done, Payload: "rate:praise:done"}}}
	return bot.Reply{Text: t.T("ask_praise"), Buttons: rows, Edit: edit, Multi: true}
}

// inRows lays out buttons n to a row, the last row holding what is left.
func inRows(btns []bot.Button, n int) [][]bot.Button {
	var rows [][]bot.Button
	for b := range slices.Chunk(btns, n) {
		rows = append(rows, b)
	}
	return rows
}

func checkButton(label, payload string, on bool) bot.Button {
	if on {
		label = Checked + label
	}
	return bot.Button{Label: label, Payload: payload}
}

func problemKeys() []string {
	var keys []string
	for _, a := range models.Aspects {
		keys = append(keys, a.Problems...)
	}
	return keys
}

// joinLabels names the keys that known accepts, in lang, as one list.
func joinLabels(lang string, keys []string, known func(string) bool, label func(lang, key string) string) string {
	labels := make([]string, 0, len(keys))
	for _, k := range keys {
		if known(k) {
			labels = append(labels, label(lang, k))
		}
	}
	return strings.Join(labels, text.T(lang, "list_sep"))
}

// describeBadReview is the description of the ticket a bad review opens: the problems in words,
// then the comment. It is stored once and read by staff and supervisors alike, so it is written
// in the language of the hall's records, Chinese, whatever language the citizen used.
func describeBadReview(problems []string, comment string) string {
	d := joinLabels(text.ZH, problems, models.IsProblem, text.Aspect)
	if comment != "" {
		if d != "" {
			d += text.T(text.ZH, "desc_comment_sep")
		}
		d += comment
	}
	return d
}

func choicesAsButtons(cs []bot.Button) [][]bot.Button {
	if len(cs) == 0 {
		return nil
	}
	return bot.Column(cs...)
}

// parsePayload splits "flow:step:value"; isPress is false when the payload is not this flow's.
func parsePayload(payload, flow string) (step, value string, isPress bool) {
	rest, ok := strings.CutPrefix(payload, flow+":")
	if !ok {
		return "", "", false
	}
	step, value, _ = strings.Cut(rest, ":")
	return step, value, true
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
