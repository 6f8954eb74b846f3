package loadtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"time"

	"windowbot/internal/text"
)

// The dialogs are played in Chinese, the default language, and recognised by the catalog's own
// texts, so that a change of wording cannot break the tool silently.
const lang = text.ZH

func t(key string, kv ...any) string { return text.T(lang, key, kv...) }

// tail is the end of message key after its field cut: what every rendering of it ends with.
func tail(key, cut string, others ...string) string {
	kv := []any{cut, "\x1f"}
	for _, f := range others {
		kv = append(kv, f, "")
	}
	_, s, _ := strings.Cut(text.T(lang, key, kv...), "\x1f")
	return s
}

// lead is the start of message key up to its field cut: what every rendering of it begins with.
// others are the message's other fields.
func lead(key, cut string, others ...string) string {
	kv := []any{cut, "\x1f"}
	for _, f := range others {
		kv = append(kv, f, "")
	}
	s, _, _ := strings.Cut(text.T(lang, key, kv...), "\x1f")
	return s
}

// The starts of the messages the dialogs recognise.
var (
	leadThanks   = lead("thanks", "Window", "StaffLine", "Level")
	leadFiled    = lead("c_filed", "No", "Due")
	leadComment  = lead("ask_comment", "Max")
	leadCategory = lead("c_ask_category", "Place")
	leadDesc     = lead("c_ask_desc", "Max")
	leadPhotos   = lead("c_ask_photos", "Max")
	// the questions on one aspect's problems end the same whichever aspect they name
	tailDetails   = tail("ask_aspect_details", "Aspect")
	tailDetailsOf = tail("ask_aspect_details_of", "Of", "Aspect", "N")
	leadAdded     = lead("c_desc_added", "Description")
)

// ticketNo matches a ticket number as citizens see it: T20261123-0042.
var ticketNo = regexp.MustCompile(`T\d{8}-\d{4,}`)

// kind is what one dialog does.
type kind int

const (
	rateGood   kind = iota // level 4 or 5, praise, a comment
	rateMiddle             // level 3: aspects, no ticket
	rateBad                // level 1 or 2, confirmed, aspects, a comment: a bad-review ticket
	complain               // a complaint, real-name or anonymous: a ticket
)

func (k kind) String() string {
	return [...]string{"rate-good", "rate-middle", "rate-bad", "complaint"}[k]
}

// plan is what the citizen will answer: chosen before the dialog starts.
type plan struct {
	kind      kind
	window    string
	level     int
	staff     bool // name the staff member rather than skip
	aspects   int  // how many aspects or praise tags to tick
	comment   bool
	anonymous bool
	phone     string
	category  string
	track     bool // ask /track afterwards
}

var categories = []string{"efficiency", "attitude", "capability", "conduct", "not_done", "other"}

// draw picks a dialog: two in three are ratings (most of them good), one in five a complaint.
func draw(r *rand.Rand, windows []string) plan {
	p := plan{window: windows[r.IntN(len(windows))], staff: r.IntN(2) == 0, aspects: 1 + r.IntN(2),
		comment: r.IntN(3) != 0, anonymous: r.IntN(3) == 0, track: r.IntN(2) == 0,
		category: categories[r.IntN(len(categories))], phone: fmt.Sprintf("139%08d", r.IntN(100000000))}
	switch n := r.IntN(100); {
	case n < 50:
		p.kind, p.level = rateGood, 4+r.IntN(2)
	case n < 60:
		p.kind, p.level = rateMiddle, 3
	case n < 80:
		p.kind, p.level = rateBad, 1+r.IntN(2)
	default:
		p.kind = complain
	}
	return p
}

// outcome is what a dialog achieved.
type outcome struct {
	rated  bool   // the citizen was thanked for the rating
	ticket string // the ticket number the citizen was given
	// uncertain: the last message was sent but its answer did not come back, so the record may
	// or may not have been written.
	uncertain bool
}

// stepFunc runs one step of a dialog and records its time under name.
type stepFunc func(name string, f func() (screen, error)) (screen, error)

// errUnexpected is a screen the dialog did not expect.
type errUnexpected struct {
	step string
	text string
}

func (e *errUnexpected) Error() string {
	txt := strings.ReplaceAll(e.text, "\n", " / ")
	if r := []rune(txt); len(r) > 160 {
		txt = string(r[:160]) + "…"
	}
	return fmt.Sprintf("after %s: unexpected answer %q", e.step, txt)
}

// play runs plan p on conversation c until the citizen is thanked or given a ticket number.
func play(ctx context.Context, c conversation, p plan, step stepFunc, r *rand.Rand) (outcome, error) {
	var out outcome
	var sc screen
	var err error
	prefix := "rate."
	if p.kind == complain {
		prefix = "complain."
		sc, err = step("complain.start", func() (screen, error) { return c.say(ctx, "/complain") })
	} else {
		sc, err = step("rate.scan", func() (screen, error) { return c.scan(ctx, p.window) })
	}
	if err != nil {
		return out, err
	}
	last := prefix + "start"
	for range 30 {
		name, act, final := next(sc, p, r)
		if act == nil {
			switch {
			case strings.Contains(sc.Text, leadThanks):
				out.rated = true
				out.ticket = ticketNo.FindString(sc.Text)
				if p.level <= 2 && out.ticket == "" {
					return out, fmt.Errorf("a bad review of level %d was thanked without a ticket number", p.level)
				}
				return out, nil
			case strings.Contains(sc.Text, leadFiled):
				if out.ticket = ticketNo.FindString(sc.Text); out.ticket == "" {
					return out, &errUnexpected{last, sc.Text}
				}
				return out, nil
			}
			return out, &errUnexpected{last, sc.Text}
		}
		last = prefix + name
		sc, err = step(last, func() (screen, error) { return act(ctx, c) })
		if err != nil {
			out.uncertain = final && !errors.Is(err, context.Canceled)
			return out, err
		}
		if sc.Text == t("busy") {
			out.uncertain = final
			return out, &errUnexpected{last, sc.Text}
		}
	}
	return out, errors.New("the dialog did not end within 30 steps")
}

// action is one thing the citizen does.
type action func(ctx context.Context, c conversation) (screen, error)

func press(ch choice) action {
	return func(ctx context.Context, c conversation) (screen, error) { return c.press(ctx, ch) }
}

func say(s string) action {
	return func(ctx context.Context, c conversation) (screen, error) { return c.say(ctx, s) }
}

// comments and descriptions the citizens type.
var (
	comments = []string{"窗口工作人员很耐心，材料一次就讲清楚了", "等了很久才叫到号", "办事效率很高，谢谢",
		"希望多开几个窗口", "材料清单没有一次说清，跑了两趟"}
	descriptions = []string{"办理户口迁移，一次性告知的材料不全，跑了三趟", "窗口午休时间无人值守，等了一个小时",
		"工作人员态度冷淡，问了两遍才回答", "系统一直显示故障，让我明天再来"}
)

// next decides the citizen's answer to sc: the step's name, the action (nil when the dialog has
// ended or sc is not understood) and whether it is the step that writes the record.
func next(sc screen, p plan, r *rand.Rand) (string, action, bool) {
	if ch, ok := sc.find(t("btn_staff_skip")); ok {
		if p.staff && len(sc.Choices) > 1 {
			return "staff", press(sc.Choices[r.IntN(len(sc.Choices)-1)]), false
		}
		return "staff", press(ch), false
	}
	if p.level > 0 {
		if ch, ok := sc.find(t("btn_level_yes", "Level", text.Level(lang, p.level))); ok {
			return "confirm", press(ch), false
		}
		if ch, ok := sc.find(text.LevelButton(lang, p.level)); ok {
			if _, ok5 := sc.find(text.LevelButton(lang, 5)); ok5 {
				return "level", press(ch), false
			}
		}
	}
	if strings.Contains(sc.Text, t("ask_aspects")) || strings.Contains(sc.Text, t("ask_praise")) ||
		strings.Contains(sc.Text, tailDetails) || strings.Contains(sc.Text, tailDetailsOf) {
		var picked []choice
		var open []choice
		done, _ := sc.find(t("btn_done"))
		skip, hasSkip := sc.find(t("btn_skip"))
		for _, ch := range sc.Choices {
			if ch.Label == done.Label || (hasSkip && ch.Label == skip.Label) {
				continue
			}
			if ch.Selected {
				picked = append(picked, ch)
			} else {
				open = append(open, ch)
			}
		}
		if len(picked) < p.aspects && len(open) > 0 {
			return "tick", press(open[r.IntN(len(open))]), false
		}
		if done.Label != "" {
			return "ticked", press(done), false
		}
		if hasSkip {
			return "ticked", press(skip), false
		}
	}
	if strings.Contains(sc.Text, leadComment) {
		if p.comment {
			return "comment", say(comments[r.IntN(len(comments))]), false
		}
		if ch, ok := sc.find(t("btn_skip")); ok {
			return "finish", press(ch), true
		}
	}
	if strings.Contains(sc.Text, t("c_choose_window")) {
		return "window", say(p.window), false
	}
	if ch, ok := sc.find(text.Category(lang, p.category)); ok && strings.Contains(sc.Text, leadCategory) {
		return "category", press(ch), false
	}
	if ch, ok := sc.find(t("c_btn_no_matter")); ok && strings.Contains(sc.Text, t("c_ask_matter")) {
		return "matter", press(ch), false
	}
	if ch, ok := sc.find(t("c_btn_new")); ok {
		return "separate", press(ch), false
	}
	if strings.Contains(sc.Text, leadDesc) {
		return "describe", say(descriptions[r.IntN(len(descriptions))]), false
	}
	if ch, ok := sc.find(t("btn_said")); ok {
		return "said", press(ch), p.kind != complain
	}
	if strings.Contains(sc.Text, leadPhotos) || strings.Contains(sc.Text, leadAdded) {
		for _, l := range []string{t("btn_skip"), t("btn_done")} {
			if ch, ok := sc.find(l); ok {
				return "photos", press(ch), false
			}
		}
	}
	if ch, ok := sc.find(t("c_btn_realname")); ok {
		if p.anonymous {
			ch, _ = sc.find(t("c_btn_anonymous"))
		}
		return "identity", press(ch), false
	}
	if strings.Contains(sc.Text, t("c_ask_phone")) {
		return "phone", say(p.phone), false
	}
	if ch, ok := sc.find(t("c_btn_submit")); ok {
		return "submit", press(ch), true
	}
	return "", nil, false
}

// track asks /track and checks that the list names ticket no.
func track(ctx context.Context, c conversation, no string, step stepFunc) error {
	sc, err := step("track", func() (screen, error) { return c.say(ctx, "/track") })
	if err != nil {
		return err
	}
	if !strings.Contains(sc.Text, no) {
		return &errUnexpected{"track", sc.Text}
	}
	return nil
}

// pause is a citizen's thinking time between two messages, so that a run's concurrency is the
// number of citizens in a dialog rather than of requests in flight; zero by default.
func pause(ctx context.Context, think time.Duration, r *rand.Rand) {
	if think <= 0 {
		return
	}
	d := think/2 + time.Duration(r.Int64N(int64(think)))
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
