package flows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"windowbot/bot"
	"windowbot/internal/text"
	"windowbot/models"
)

// RateFlowName is the name of the rating conversation.
const RateFlowName = "rate"

// Steps of the rating conversation.
const (
	stepStaff = "staff"
	stepLevel = "level"
	// stepLevelCheck confirms a bad review's level typed as a number.
	stepLevelCheck = "level_check"
	// stepAreas asks which of the four aspects went wrong (levels 1–3); stepAspects then asks
	// the problems of each aspect chosen, one aspect at a time.
	stepAreas   = "areas"
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
	StaffID   *uint  `json:"staff_id,omitempty"`
	StaffName string `json:"staff_name,omitempty"`
	Level     int    `json:"level,omitempty"`
	// Areas are the aspects chosen at stepAreas (models.Aspect keys); Area is the index of the
	// one whose problems stepAspects asks.
	Areas []string `json:"areas,omitempty"`
	Area  int      `json:"area,omitempty"`
	// Aspects are the problems chosen (models.Aspect.Problems keys): what the rating stores.
	Aspects []string `json:"aspects,omitempty"`
	Praise  []string `json:"praise,omitempty"`
	// Check is the level waiting to be confirmed at stepLevelCheck.
	Check int `json:"check,omitempty"`
	// Comment is the comment as typed so far: at the comment step, and text typed at the
	// checklists before it.
	Comment Gathered `json:"comment,omitzero"`
	// CaseID is the service case whose invitation the citizen followed (一事一评), CaseNo its
	// number; the rating records the case and names its staff member.
	CaseID *uint  `json:"case_id,omitempty"`
	CaseNo string `json:"case_no,omitempty"`
}

// name records s as the staff member the rating is about.
func (st *RateState) name(s *models.Staff) {
	id := s.ID
	st.StaffID, st.StaffName = &id, s.Name
}

// rate is the rating conversation (一次一评): window → who served you (where the window has
// several staff members) → level → aspects or praise → comment → thanks.
type rate struct {
	store *models.Store
	// loc is the hall's zone, in which the rating period's days begin.
	loc        *time.Location
	periodDays int
}

// NewRate returns the rating flow. periodDays is the rating period: one rating per citizen per
// window per this many days (at least 1: per calendar day in loc).
func NewRate(store *models.Store, loc *time.Location, periodDays int) Flow {
	if loc == nil {
		loc = time.UTC
	}
	if periodDays <= 0 {
		periodDays = 1
	}
	return Define[RateState](RateFlowName, &rate{store: store, loc: loc, periodDays: periodDays})
}

// Start begins rating; arg is a window code from a QR link, models.StaffLinkPrefix and a staff
// number from a staff member's own link, or empty to choose a window.
func (f *rate) Start(ctx context.Context, t *Turn, st *RateState, arg string) ([]bot.Reply, error) {
	*st = RateState{}
	if token, ok := strings.CutPrefix(arg, models.CaseLinkPrefix); ok {
		return f.startWithCase(ctx, t, st, token)
	}
	if no, ok := strings.CutPrefix(arg, models.StaffLinkPrefix); ok {
		return f.startWithStaff(ctx, t, st, no)
	}
	if arg != "" {
		return f.chooseWindow(ctx, t, st, arg, nil)
	}
	return f.choosePlace(ctx, t)
}

// choosePlace offers the centers, or the windows of the only one.
func (f *rate) choosePlace(ctx context.Context, t *Turn) ([]bot.Reply, error) {
	return choosePlace(ctx, t, f.store, RateFlowName, "", func(c *models.Center) ([]bot.Reply, error) {
		return f.listWindows(ctx, t, c.ID)
	})
}

func (f *rate) listWindows(ctx context.Context, t *Turn, centerID uint) ([]bot.Reply, error) {
	ws, err := f.store.WindowsOfCenter(ctx, centerID)
	if err != nil {
		return nil, fmt.Errorf("flows: rate: %w", err)
	}
	if len(ws) == 0 {
		t.End()
		return []bot.Reply{{Text: t.T("no_windows")}}, nil
	}
	return askWindow(t, RateFlowName, t.T("choose_window"), ws), nil
}

// Step implements Steps.
func (f *rate) Step(ctx context.Context, t *Turn, st *RateState, in Input) ([]bot.Reply, error) {
	value, isPress := in.Value, in.Pressed
	switch t.step() {
	case stepCenter:
		if isPress && value == placeTypeCode {
			return askCode(ctx, t, f.store, RateFlowName)
		}
		if isPress {
			c, err := centerByID(ctx, f.store, value)
			if err != nil {
				return nil, fmt.Errorf("flows: rate: %w", err)
			}
			if c == nil {
				return f.reprompt(ctx, t, st, t.T("stale_choice"))
			}
			return f.listWindows(ctx, t, c.ID)
		}
		return f.chooseWindow(ctx, t, st, t.In.Text, nil)
	case stepWindow:
		if isPress {
			return f.chooseWindow(ctx, t, st, value, nil)
		}
		return f.chooseWindow(ctx, t, st, t.In.Text, nil)
	case stepCode:
		if isPress && value == placeCenters {
			return f.choosePlace(ctx, t)
		}
		if isPress {
			return f.reprompt(ctx, t, st, t.T("stale_choice"))
		}
		return f.chooseWindow(ctx, t, st, t.In.Text, nil)
	case stepStaff:
		return f.chooseStaff(ctx, t, st, value, isPress)
	case stepLevel:
		lvl, err := strconv.Atoi(value)
		if !isPress || err != nil || !models.Level(lvl).Valid() {
			return f.reprompt(ctx, t, st, t.hint())
		}
		if in.ByNumber && models.Level(lvl).Bad() {
			// A typed number is one slip away from another level: a bad review opens a ticket
			// against somebody, so it is confirmed once.
			st.Check = lvl
			return []bot.Reply{levelCheckReply(t, st)}, nil
		}
		return f.setLevel(t, st, lvl), nil
	case stepLevelCheck:
		switch {
		case isPress && value == "yes" && models.Level(st.Check).Valid():
			lvl := st.Check
			st.Check = 0
			return f.setLevel(t, st, lvl), nil
		case isPress && value == "again":
			st.Check = 0
			return askLevel(t, st), nil
		}
		return f.reprompt(ctx, t, st, t.hint())
	case stepAreas:
		return f.multiSelect(ctx, t, st, in, f.areasList(t, st))
	case stepAspects:
		if st.Area >= len(st.Areas) {
			return nil, errExpired
		}
		return f.multiSelect(ctx, t, st, in, f.detailsList(t, st))
	case stepPraise:
		return f.multiSelect(ctx, t, st, in, checklist{
			sel: &st.Praise, valid: models.PraiseTags, render: praiseReply,
			done: func() ([]bot.Reply, error) { return t.askGather(commentStep(t), &st.Comment), nil },
		})
	case stepComment:
		g := commentStep(t)
		replies, done, handled := t.gather(g, &st.Comment, in)
		switch {
		case done:
			return f.finish(ctx, t, st, st.Comment.Text())
		case handled:
			return replies, nil
		case isPress && value == "skip" && st.Comment.Empty():
			return f.finish(ctx, t, st, "")
		}
		// Skip pressed after something was typed, or a photo: what was typed is not dropped
		// silently; the citizen decides.
		r := t.gatherAgain(g, &st.Comment)
		if st.Comment.Empty() {
			return []bot.Reply{r}, nil
		}
		return []bot.Reply{{Text: t.T("gather_pending")}, r}, nil
	}
	return nil, errExpired
}

// setLevel records the level and asks what went wrong (levels 1–3) or what was good.
func (f *rate) setLevel(t *Turn, st *RateState, lvl int) []bot.Reply {
	st.Level = lvl
	if models.Level(lvl).AsksAspects() {
		st.Areas, st.Area, st.Aspects = nil, 0, nil
		t.ask(stepAreas)
		return []bot.Reply{areasReply(t, st, false)}
	}
	t.ask(stepPraise)
	return []bot.Reply{praiseReply(t, st, false)}
}

// levelCheckReply asks to confirm the bad level st.Check, typed as a number.
func levelCheckReply(t *Turn, st *RateState) bot.Reply {
	t.ask(stepLevelCheck)
	lvl := text.Level(t.Lang, st.Check)
	return bot.Reply{Text: t.T("ask_level_check", "Level", lvl), Buttons: bot.Column(
		bot.Button{Label: t.T("btn_level_yes", "Level", lvl), Payload: "rate:level_check:yes"},
		bot.Button{Label: t.T("btn_level_again"), Payload: "rate:level_check:again"},
	)}
}

// checklist is a multi-select step: the keys it offers, where the chosen ones are kept, how it
// is shown, and what follows it.
type checklist struct {
	sel    *[]string
	valid  []string
	render func(*Turn, *RateState, bool) bot.Reply
	// missing is the note shown instead of moving on when not enough is chosen; nil or "" moves on.
	missing func() string
	done    func() ([]bot.Reply, error)
}

// areasList is the first question of a review of levels 1–3: which of the four aspects went
// wrong. A bad review needs one at least; 基本满意 may skip to the comment.
func (f *rate) areasList(t *Turn, st *RateState) checklist {
	return checklist{
		sel: &st.Areas, valid: models.AspectKeys(), render: areasReply,
		missing: func() string {
			if models.Level(st.Level).Bad() && len(st.Areas) == 0 {
				return t.T("aspects_required")
			}
			return ""
		},
		done: func() ([]bot.Reply, error) {
			// Keep the areas in the catalogue's order, and the problems of areas chosen only.
			st.Areas = slices.DeleteFunc(models.AspectKeys(), func(k string) bool { return !slices.Contains(st.Areas, k) })
			st.Aspects = slices.DeleteFunc(st.Aspects, func(p string) bool { return !slices.Contains(st.Areas, models.AspectOf(p)) })
			st.Area = 0
			if len(st.Areas) == 0 {
				return t.askGather(commentStep(t), &st.Comment), nil
			}
			t.ask(stepAspects)
			return []bot.Reply{detailsReply(t, st, false)}, nil
		},
	}
}

// detailsList asks the problems of the aspect st.Areas[st.Area], labelled without the aspect's
// name, which the question gives; one problem at least, then the next aspect or the comment.
func (f *rate) detailsList(t *Turn, st *RateState) checklist {
	area := st.Areas[st.Area]
	return checklist{
		sel: &st.Aspects, valid: models.ProblemsOf(area), render: detailsReply,
		missing: func() string {
			if !slices.ContainsFunc(st.Aspects, func(p string) bool { return models.AspectOf(p) == area }) {
				return t.T("aspect_details_required", "Aspect", text.Aspect(t.Lang, area))
			}
			return ""
		},
		done: func() ([]bot.Reply, error) {
			st.Area++
			if st.Area < len(st.Areas) {
				return []bot.Reply{detailsReply(t, st, false)}, nil
			}
			return t.askGather(commentStep(t), &st.Comment), nil
		},
	}
}

// multiSelect toggles keys of a checklist; "done" moves on. Typed numbers ("1 3") toggle several
// at once; other typed text is the start of the comment, kept for the comment step, and the
// checklist is shown again.
func (f *rate) multiSelect(ctx context.Context, t *Turn, st *RateState, in Input, c checklist) ([]bot.Reply, error) {
	if !in.Pressed {
		if t.In.Text == "" {
			return f.reprompt(ctx, t, st, t.hint())
		}
		nums := strings.FieldsFunc(t.In.Text, func(r rune) bool { return r == ' ' || r == ',' || r == '，' || r == '、' })
		picked := make([]int, 0, len(nums))
		for _, s := range nums {
			n, err := strconv.Atoi(s)
			if err != nil {
				picked = nil
				break
			}
			picked = append(picked, n)
		}
		if picked == nil {
			return f.note(t, st, c.render)
		}
		for _, n := range picked {
			if n < 1 || n > len(c.valid)+1 {
				return f.reprompt(ctx, t, st, t.hint())
			}
		}
		for _, n := range picked {
			if n == len(c.valid)+1 {
				// The last line, 选好了 (or 跳过), typed among the numbers: the rest first.
				continue
			}
			toggle(c.sel, c.valid[n-1])
		}
		if slices.Contains(picked, len(c.valid)+1) {
			return f.multiSelect(ctx, t, st, Input{Pressed: true, Value: "done", Step: t.step()}, c)
		}
		return []bot.Reply{c.render(t, st, false)}, nil
	}
	if in.Value == "done" {
		if c.missing != nil {
			if note := c.missing(); note != "" {
				r := c.render(t, st, false)
				r.Text = note
				return []bot.Reply{r}, nil
			}
		}
		return c.done()
	}
	if !slices.Contains(c.valid, in.Value) {
		return f.reprompt(ctx, t, st, t.T("stale_choice"))
	}
	toggle(c.sel, in.Value)
	return []bot.Reply{c.render(t, st, true)}, nil
}

func toggle(sel *[]string, key string) {
	if i := slices.Index(*sel, key); i >= 0 {
		*sel = slices.Delete(*sel, i, i+1)
		return
	}
	*sel = append(*sel, key)
}

// note keeps text typed at a checklist as the start of the comment, and shows the checklist
// again: nothing typed is dropped.
func (f *rate) note(t *Turn, st *RateState, render func(*Turn, *RateState, bool) bot.Reply) ([]bot.Reply, error) {
	r := render(t, st, false)
	if ok, n := st.Comment.add(t.In.Text, models.MaxCommentRunes); !ok {
		return []bot.Reply{{Text: t.T("gather_too_long", "Len", n, "Max", models.MaxCommentRunes)}, r}, nil
	}
	return []bot.Reply{{Text: t.T("rate_noted", "Text", st.Comment.Text())}, r}, nil
}

// commentStep is the comment question: free text gathered over several messages, or skip.
func commentStep(t *Turn) Gather {
	return Gather{
		Flow: RateFlowName, Step: stepComment, Max: models.MaxCommentRunes,
		Ask:     t.T("ask_comment", "Max", models.MaxCommentRunes),
		Choices: [][]bot.Button{{{Label: t.T("btn_skip"), Payload: "rate:comment:skip"}}},
	}
}

// startWithStaff begins rating the window of the staff member numbered no, with them chosen.
// A number that names nobody at a window falls back to choosing the window.
func (f *rate) startWithStaff(ctx context.Context, t *Turn, st *RateState, no string) ([]bot.Reply, error) {
	if models.StaffLinkPattern.MatchString(no) {
		s, err := f.store.StaffByNo(ctx, no)
		switch {
		case err == nil && s.Role == models.RoleStaff && s.Window != nil:
			return f.chooseWindow(ctx, t, st, s.Window.Code, s)
		case err != nil && !errors.Is(err, models.ErrNotFound):
			return nil, fmt.Errorf("flows: rate: %w", err)
		}
	}
	out, err := f.Start(ctx, t, st, "")
	if err != nil {
		return nil, err
	}
	return append([]bot.Reply{{Text: t.T("staff_unknown", "StaffNo", models.Truncate(no, 40))}}, out...), nil
}

// startWithCase begins rating the case of an invitation token: its window and its staff
// member, without asking who served. A case is rated once, whatever the citizen rated today.
func (f *rate) startWithCase(ctx context.Context, t *Turn, st *RateState, token string) ([]bot.Reply, error) {
	c, err := f.store.CaseByToken(ctx, token)
	if errors.Is(err, models.ErrNotFound) {
		out, err := f.choosePlace(ctx, t)
		if err != nil {
			return nil, err
		}
		return append([]bot.Reply{{Text: t.T("case_unknown")}}, out...), nil
	}
	if err != nil {
		return nil, fmt.Errorf("flows: rate: %w", err)
	}
	if c.Rated {
		t.End()
		return []bot.Reply{{Text: t.T("case_rated")}}, nil
	}
	if t.Now.After(c.ExpiresAt) {
		t.End()
		return []bot.Reply{{Text: t.T("case_expired"), Buttons: StartButtons(t)}}, nil
	}
	if own, err := f.ownWindow(ctx, t, c.WindowID); err != nil {
		return nil, err
	} else if own {
		t.End()
		return []bot.Reply{{Text: t.T("own_window")}}, nil
	}
	if err := f.store.OpenCase(ctx, c.ID, t.Citizen.ID); err != nil {
		return nil, fmt.Errorf("flows: rate: %w", err)
	}
	id := c.ID
	*st = RateState{WindowCode: c.Window.Code, WindowID: c.WindowID, WindowName: c.Window.Place(), CaseID: &id}
	if c.CaseNo != nil {
		st.CaseNo = *c.CaseNo
	}
	if c.Staff != nil {
		st.name(c.Staff)
	}
	matter := ""
	if c.MatterName != "" {
		matter = t.T("case_matter", "Matter", c.MatterName)
	}
	return append([]bot.Reply{{Text: t.T("case_intro", "Window", st.WindowName, "Matter", matter)}}, askLevel(t, st)...), nil
}

// chooseWindow checks a window code and, if it can be rated, asks who served the citizen (or
// names staff, the person of a personal link) and then the level.
func (f *rate) chooseWindow(ctx context.Context, t *Turn, st *RateState, code string, staff *models.Staff) ([]bot.Reply, error) {
	code = strings.TrimSpace(code)
	w, err := windowByCode(ctx, f.store, code)
	if err != nil {
		return nil, fmt.Errorf("flows: rate: %w", err)
	}
	if w == nil {
		return unknownWindow(t, code, func() ([]bot.Reply, error) { return f.choosePlace(ctx, t) })
	}
	label := w.Place()
	if own, err := f.ownWindow(ctx, t, w.ID); err != nil {
		return nil, err
	} else if own {
		t.End()
		return []bot.Reply{{Text: t.T("own_window")}}, nil
	}
	rated, err := f.store.RatedSince(ctx, t.Citizen.ID, w.ID, f.periodStart(t.Now))
	if err != nil {
		return nil, fmt.Errorf("flows: rate: %w", err)
	}
	if rated {
		t.End()
		return []bot.Reply{{Text: f.alreadyRated(t, label)}}, nil
	}
	*st = RateState{WindowCode: w.Code, WindowID: w.ID, WindowName: label}
	if staff != nil {
		st.name(staff)
		return askLevel(t, st), nil
	}
	return f.askStaff(ctx, t, st)
}

// askStaff finds out who served the citizen (亮牌上岗: staff wear name badges). A window with one
// staff member names them without asking; with none, nobody is named; with several, the citizen
// is asked, and may say they are not sure.
func (f *rate) askStaff(ctx context.Context, t *Turn, st *RateState) ([]bot.Reply, error) {
	staff, err := f.store.StaffOfWindow(ctx, st.WindowID)
	if err != nil {
		return nil, fmt.Errorf("flows: rate: %w", err)
	}
	switch len(staff) {
	case 0:
		return askLevel(t, st), nil
	case 1:
		st.name(&staff[0])
		return askLevel(t, st), nil
	}
	// Choices, not free text: WeChat users answer with the number or the name.
	t.ask(stepStaff)
	return []bot.Reply{staffReply(t, st, staff)}, nil
}

// chooseStaff takes the answer to "who served you": a staff member of the window, or skip. A
// staff member who left the window since the question was asked is not taken; the question is
// asked again with the staff there now.
func (f *rate) chooseStaff(ctx context.Context, t *Turn, st *RateState, value string, isPress bool) ([]bot.Reply, error) {
	if !isPress {
		if !skipWords[strings.ToLower(strings.TrimSpace(t.In.Text))] {
			return f.reprompt(ctx, t, st, t.hint())
		}
		value = "skip"
	}
	if value == "skip" {
		st.StaffID, st.StaffName = nil, ""
		return askLevel(t, st), nil
	}
	id, err := strconv.ParseUint(value, 10, 64)
	if err != nil {
		return f.reprompt(ctx, t, st, t.T("stale_choice"))
	}
	staff, err := f.store.StaffOfWindow(ctx, st.WindowID)
	if err != nil {
		return nil, fmt.Errorf("flows: rate: %w", err)
	}
	for i := range staff {
		if uint64(staff[i].ID) == id {
			st.name(&staff[i])
			return askLevel(t, st), nil
		}
	}
	return []bot.Reply{{Text: t.T("stale_choice")}, staffReply(t, st, staff)}, nil
}

// skipWords typed at the staff question mean "not sure", as the skip button does.
var skipWords = map[string]bool{"跳过": true, "不确定": true, "不知道": true, "skip": true, "not sure": true}

// staffReply asks who served the citizen: one button per staff member by name (with the staff
// number where two share a name), then "not sure".
func staffReply(t *Turn, st *RateState, staff []models.Staff) bot.Reply {
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
	return bot.Reply{Text: t.T("ask_staff", "Window", st.WindowName), Buttons: rows}
}

func askLevel(t *Turn, st *RateState) []bot.Reply {
	t.ask(stepLevel)
	return []bot.Reply{levelReply(t, st)}
}

func (f *rate) alreadyRated(t *Turn, label string) string {
	if f.periodDays == 1 {
		return t.T("already_rated", "Window", label)
	}
	return t.T("already_rated_period", "Days", f.periodDays, "Window", label)
}

func (f *rate) ownWindow(ctx context.Context, t *Turn, windowID uint) (bool, error) {
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
func (f *rate) periodStart(now time.Time) time.Time {
	l := now.In(f.loc)
	day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, f.loc)
	return day.AddDate(0, 0, -(f.periodDays - 1))
}

func (f *rate) finish(ctx context.Context, t *Turn, st *RateState, comment string) ([]bot.Reply, error) {
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
		CaseID:    st.CaseID,
	}
	if models.Level(st.Level).Bad() {
		r.TicketDescription = describeBadReview(st.Aspects, comment)
	}
	err := f.store.CreateRating(ctx, r, f.periodStart(t.Now))
	switch {
	case errors.Is(err, models.ErrAlreadyRated):
		t.End()
		return []bot.Reply{{Text: f.alreadyRated(t, st.WindowName)}}, nil
	case errors.Is(err, models.ErrOwnWindow):
		t.End()
		return []bot.Reply{{Text: t.T("own_window")}}, nil
	case errors.Is(err, models.ErrCaseRated):
		t.End()
		return []bot.Reply{{Text: t.T("case_rated")}}, nil
	case errors.Is(err, models.ErrCaseExpired):
		t.End()
		return []bot.Reply{{Text: t.T("case_expired"), Buttons: StartButtons(t)}}, nil
	case errors.Is(err, models.ErrBanned):
		t.End()
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
	if st.CaseNo != "" {
		msg += t.T("thanks_case", "No", st.CaseNo)
	}
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
	t.End()
	if lvl.Bad() && r.Ticket == nil {
		msg += t.T("thanks_bad")
	}
	return []bot.Reply{{Text: msg}}, nil
}

// Ask implements Steps: the current step's question again.
func (f *rate) Ask(ctx context.Context, t *Turn, st *RateState) ([]bot.Reply, error) {
	return f.reprompt(ctx, t, st, "")
}

// reprompt shows the current step's question again, after an optional note.
func (f *rate) reprompt(ctx context.Context, t *Turn, st *RateState, note string) ([]bot.Reply, error) {
	var r bot.Reply
	switch t.step() {
	case stepStaff:
		staff, err := f.store.StaffOfWindow(ctx, st.WindowID)
		if err != nil {
			return nil, fmt.Errorf("flows: rate: %w", err)
		}
		r = staffReply(t, st, staff)
	case stepLevel:
		r = levelReply(t, st)
	case stepLevelCheck:
		r = levelCheckReply(t, st)
	case stepAreas:
		r = areasReply(t, st, false)
	case stepAspects:
		if st.Area >= len(st.Areas) {
			return nil, errExpired
		}
		r = detailsReply(t, st, false)
	case stepPraise:
		r = praiseReply(t, st, false)
	case stepComment:
		r = t.askGather(commentStep(t), &st.Comment)[0]
	case stepCenter, stepWindow, stepCode:
		rs, err := placeAgain(ctx, t, f.store, RateFlowName, t.T("choose_window"))
		if err != nil {
			return nil, err
		}
		r = rs[0]
	default:
		return nil, errExpired
	}
	if note != "" {
		return []bot.Reply{{Text: note}, r}, nil
	}
	return []bot.Reply{r}, nil
}

// levelReply asks the level: five buttons from 非常满意 to 非常不满意, each with its stars and its
// word (and on pages its colour and face), the bad ones set apart from the others.
func levelReply(t *Turn, st *RateState) bot.Reply {
	var btns []bot.Button
	for _, l := range models.Levels {
		btns = append(btns, bot.Button{
			Label:   text.LevelButton(t.Lang, int(l)),
			Payload: "rate:level:" + strconv.Itoa(int(l)),
			Level:   int(l),
			Gap:     l == models.Dissatisfied,
		})
	}
	question := t.T("ask_level", "Window", st.WindowName)
	if st.StaffID != nil {
		question = t.T("ask_level_staff", "Window", st.WindowName, "Staff", st.StaffName)
	}
	return bot.Reply{Text: question, Buttons: bot.Column(btns...)}
}

// areasReply asks which of the four aspects went wrong: 工作效能, 服务态度, 服务能力, 工作作风.
func areasReply(t *Turn, st *RateState, edit bool) bot.Reply {
	btns := make([]bot.Button, 0, len(models.Aspects))
	for _, a := range models.Aspects {
		btns = append(btns, checkButton(text.Aspect(t.Lang, a.Key), "rate:areas:"+a.Key, slices.Contains(st.Areas, a.Key)))
	}
	rows := inRows(btns, 2)
	done := t.T("btn_done")
	if len(st.Areas) == 0 && !models.Level(st.Level).Bad() {
		done = t.T("btn_skip")
	}
	rows = append(rows, []bot.Button{{Label: done, Payload: "rate:areas:done"}})
	return bot.Reply{Text: t.T("ask_aspects"), Buttons: rows, Edit: edit, Multi: true}
}

// detailsReply asks the problems of the aspect st.Areas[st.Area]: the question names the aspect,
// the buttons only the problems.
func detailsReply(t *Turn, st *RateState, edit bool) bot.Reply {
	area := st.Areas[st.Area]
	problems := models.ProblemsOf(area)
	btns := make([]bot.Button, 0, len(problems))
	for _, p := range problems {
		btns = append(btns, checkButton(text.Aspect(t.Lang, p), "rate:aspects:"+p, slices.Contains(st.Aspects, p)))
	}
	rows := inRows(btns, 2)
	rows = append(rows, []bot.Button{{Label: t.T("btn_done"), Payload: "rate:aspects:done"}})
	q := t.T("ask_aspect_details", "Aspect", text.Aspect(t.Lang, area))
	if len(st.Areas) > 1 {
		q = t.T("ask_aspect_details_of", "Aspect", text.Aspect(t.Lang, area), "N", st.Area+1, "Of", len(st.Areas))
	}
	return bot.Reply{Text: q, Buttons: rows, Edit: edit, Multi: true}
}

func praiseReply(t *Turn, st *RateState, edit bool) bot.Reply {
	sel := st.Praise
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
	return bot.Button{Label: label, Payload: payload, On: on}
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
