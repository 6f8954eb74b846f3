package flows

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"windowbot/bot"
	"windowbot/internal/text"
	"windowbot/models"
)

// GuideFlowName is the name of the one-time notification guide (一次性告知): a citizen names a
// matter, or part of its name, and is told every required material at once, with the time
// limit, the fee and the window.
const GuideFlowName = "guide"

// guideChoices is how many matters are offered when several match.
const guideChoices = 8

// GuideState is what the guide remembers: the matters offered, by code.
type GuideState struct {
	Offered []string `json:"offered,omitempty"`
}

type guide struct{ store *models.Store }

// NewGuide returns the one-time notification guide.
func NewGuide(store *models.Store) Flow {
	return Define[GuideState](GuideFlowName, &guide{store: store})
}

// guideQuestion reads "办X需要什么材料" and the like: X is what the citizen wants to do.
var guideQuestion = regexp.MustCompile(`^(?:请问|你好|您好)?[，,\s]*(?:我要|我想|想要|想)?(?:办理|办|申请|咨询)?(.+?)(?:的话)?[，,\s]*(?:需要|要|得|需)(?:带|准备|提交|提供|交|带上)?(?:些)?(?:什么|哪些|啥)(?:材料|资料|证件|手续|东西)[吗呢呀啊]?[?？。!！]*$`)

// guideQuestion2 reads "X需要的材料" / "X所需材料" / "X材料清单".
var guideQuestion2 = regexp.MustCompile(`^(?:办理|办|申请)?(.+?)(?:需要的|所需的?|的)?(?:材料|资料)(?:清单|有哪些|是什么|有什么)?[?？。!！]*$`)

// GuideQuestion reports whether a citizen's words ask which materials a matter needs, and
// which matter: "办营业执照需要什么材料" asks about 营业执照.
func GuideQuestion(s string) (matter string, ok bool) {
	s = strings.TrimSpace(s)
	for _, re := range []*regexp.Regexp{guideQuestion, guideQuestion2} {
		if m := re.FindStringSubmatch(s); m != nil {
			if w := strings.Trim(m[1], " ，,。的"); w != "" {
				return w, true
			}
		}
	}
	return "", false
}

// GuideByName answers words that name a matter, or part of its name, with the guide, when some
// matter matches them; ok is false, and the turn untouched, when none does.
func GuideByName(ctx context.Context, t *Turn, words string) (replies []bot.Reply, ok bool, err error) {
	f, found := t.e.flows[GuideFlowName].(*defined[GuideState])
	if !found || len([]rune(strings.TrimSpace(words))) < 2 {
		return nil, false, nil
	}
	g := f.steps.(*guide)
	ms, err := g.store.FindMatters(ctx, words, guideChoices)
	if err != nil {
		return nil, false, fmt.Errorf("flows: guide: %w", err)
	}
	if len(ms) == 0 {
		return nil, false, nil
	}
	replies, err = t.Start(ctx, GuideFlowName, words)
	return replies, true, err
}

// Start asks for the matter, or looks up arg.
func (f *guide) Start(ctx context.Context, t *Turn, st *GuideState, arg string) ([]bot.Reply, error) {
	if strings.TrimSpace(arg) == "" {
		return f.askName(t, "")
	}
	return f.find(ctx, t, st, arg)
}

func (f *guide) askName(t *Turn, prefix string) ([]bot.Reply, error) {
	t.askText("name")
	return []bot.Reply{{Text: prefix + t.T("guide_ask")}}, nil
}

// find looks the words up: one matter is answered, several are offered, none is said.
func (f *guide) find(ctx context.Context, t *Turn, st *GuideState, words string) ([]bot.Reply, error) {
	ms, err := f.store.FindMatters(ctx, words, guideChoices)
	if err != nil {
		return nil, fmt.Errorf("flows: guide: %w", err)
	}
	switch len(ms) {
	case 0:
		return f.askName(t, t.T("guide_none", "Words", models.Truncate(words, 30))+"\n")
	case 1:
		t.End()
		return []bot.Reply{{Text: GuideText(t.Lang, &ms[0])}}, nil
	}
	st.Offered = st.Offered[:0]
	var btns []bot.Button
	for _, m := range ms {
		st.Offered = append(st.Offered, m.Code)
		btns = append(btns, bot.Button{Label: m.Name, Payload: GuideFlowName + ":pick:" + m.Code})
	}
	t.ask("pick")
	return []bot.Reply{{Text: t.T("guide_choose", "Count", len(ms)), Buttons: bot.Column(btns...)}}, nil
}

// Step takes the matter's name, or the choice among several; typed words at the choice look
// again.
func (f *guide) Step(ctx context.Context, t *Turn, st *GuideState, in Input) ([]bot.Reply, error) {
	switch t.step() {
	case "name":
		if t.In.Text == "" {
			return f.askName(t, "")
		}
		return f.find(ctx, t, st, t.In.Text)
	case "pick":
		if in.Pressed {
			m, err := f.store.MatterByCode(ctx, in.Value)
			if err != nil {
				return nil, fmt.Errorf("flows: guide: %w", err)
			}
			t.End()
			return []bot.Reply{{Text: GuideText(t.Lang, m)}}, nil
		}
		if t.In.Text != "" {
			return f.find(ctx, t, st, t.In.Text)
		}
		return f.Ask(ctx, t, st)
	}
	return nil, errExpired
}

// Ask asks the current step again.
func (f *guide) Ask(ctx context.Context, t *Turn, st *GuideState) ([]bot.Reply, error) {
	if t.step() != "pick" {
		return f.askName(t, "")
	}
	var btns []bot.Button
	for _, code := range st.Offered {
		m, err := f.store.MatterByCode(ctx, code)
		if err != nil {
			continue
		}
		btns = append(btns, bot.Button{Label: m.Name, Payload: GuideFlowName + ":pick:" + m.Code})
	}
	return []bot.Reply{{Text: t.T("guide_choose", "Count", len(btns)), Buttons: bot.Column(btns...)}}, nil
}

// GuideText is a matter's one-time notification in lang: every material at once, numbered,
// then the time limit, the fee, the window and any notes. m's Window (with its Center) must be
// loaded.
func GuideText(lang string, m *models.Matter) string {
	var mats strings.Builder
	for i, x := range m.MaterialList() {
		if i > 0 {
			mats.WriteString("\n")
		}
		mats.WriteString(strconv.Itoa(i+1) + ". " + x)
	}
	limit := text.T(lang, "guide_limit_spot")
	if m.TimeLimitDays > 0 {
		limit = text.T(lang, "guide_limit_days", "Days", m.TimeLimitDays)
	}
	fee := m.Fee
	if fee == "" {
		fee = text.T(lang, "guide_fee_free")
	}
	window := ""
	if m.Window != nil {
		window = m.Window.Place()
	}
	out := text.T(lang, "guide_matter", "Name", m.Name, "Count", len(m.MaterialList()), "Materials", mats.String(),
		"Limit", limit, "Fee", fee, "Window", window)
	if m.Notes != "" {
		out += text.T(lang, "guide_notes", "Notes", m.Notes)
	}
	return out
}
