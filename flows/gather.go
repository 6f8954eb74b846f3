package flows

import (
	"strings"
	"unicode/utf8"

	"windowbot/bot"
)

// People type a description or a comment the way they chat: in several messages, the first one
// often a false start. A step that takes free text therefore gathers: every message is added to
// what the flow keeps (Gathered, in the flow's state), the citizen sees what was gathered so far
// with 说完了 (done) and 重新输入 (start again), and the flow gets the whole text only when they
// press 说完了 — or answer the next step (send the photo the next step asks for, press one of its
// buttons). A flow can also add to Gathered at another step, where text typed at a button step
// belongs to it (praise typed at the "what was good" checklist is part of the comment).

// The values of the buttons a gathering step adds: <flow>:<step>:said and <flow>:<step>:redo.
const (
	GatherDone = "said"
	GatherRedo = "redo"
)

// Gathered is free text a person sends as several messages, kept in a flow's state until they
// say it is complete.
type Gathered struct {
	Parts []string `json:"parts,omitempty"`
}

// Text is what was gathered, its messages one a line.
func (g *Gathered) Text() string { return strings.Join(g.Parts, "\n") }

// Len is the length of Text in characters.
func (g *Gathered) Len() int { return utf8.RuneCountInString(g.Text()) }

// Empty reports whether nothing was gathered.
func (g *Gathered) Empty() bool { return len(g.Parts) == 0 }

// Reset forgets what was gathered.
func (g *Gathered) Reset() { g.Parts = nil }

// fits reports whether s can be added within max characters (0: no limit), and the length the
// text would then have.
func (g *Gathered) fits(s string, max int) (bool, int) {
	n := utf8.RuneCountInString(s)
	if !g.Empty() {
		n += g.Len() + 1
	}
	return max <= 0 || n <= max, n
}

// add adds s; it reports false, adding nothing, when the text would grow past max characters.
func (g *Gathered) add(s string, max int) (bool, int) {
	ok, n := g.fits(s, max)
	if ok {
		g.Parts = append(g.Parts, s)
	}
	return ok, n
}

// Gather describes a step that gathers free text.
type Gather struct {
	// Flow and Step name the step; its buttons carry <Flow>:<Step>:<value>.
	Flow, Step string
	// Next is the step that follows: a press of one of its buttons also ends the gathering.
	Next string
	// Max is the limit in characters of the whole text (0: none).
	Max int
	// Ask is the step's question, shown while nothing is gathered, with Choices (a skip).
	Ask     string
	Choices [][]bot.Button
	// More is a line added below what was gathered: what else the citizen may do now (send
	// the photos the next step asks for).
	More string
	// Photo means a photo is taken once some text was gathered (it answers the next step).
	Photo bool
}

// askGather moves the flow to the gathering step g and asks its question: the question and its
// own choices while nothing is gathered, else what was gathered so far (some text came in at an
// earlier step) with 说完了 and 重新输入.
func (t *Turn) askGather(g Gather, got *Gathered) []bot.Reply {
	t.askText(g.Step)
	t.sess.Next = g.Next
	if got.Empty() {
		return []bot.Reply{{Text: g.Ask, Buttons: g.Choices}}
	}
	return []bot.Reply{t.gathered(g, got)}
}

// gather handles one message at the gathering step g: typed text is added to got (or refused,
// with a word, when it would make the text too long), 说完了 ends the gathering (done), and
// 重新输入 forgets what was gathered and asks again. handled is false for anything else — a
// photo, a press of the step's own choices or of the next step's buttons — which the flow
// decides on: usually by ending the gathering and going on.
func (t *Turn) gather(g Gather, got *Gathered, in Input) (replies []bot.Reply, done, handled bool) {
	switch {
	case in.Pressed && in.Step == g.Step && in.Value == GatherDone:
		if got.Empty() {
			return []bot.Reply{{Text: t.T("gather_empty")}, {Text: g.Ask, Buttons: g.Choices}}, false, true
		}
		return nil, true, true
	case in.Pressed && in.Step == g.Step && in.Value == GatherRedo:
		got.Reset()
		return append([]bot.Reply{{Text: t.T("gather_cleared")}}, t.askGather(g, got)...), false, true
	case in.Pressed || t.In.Photo != nil || t.In.Location != nil:
		return nil, false, false
	case t.In.Text == "":
		return []bot.Reply{t.gatherAgain(g, got)}, false, true
	}
	if ok, n := got.add(t.In.Text, g.Max); !ok {
		note := t.T("gather_too_long", "Len", n, "Max", g.Max)
		if got.Empty() {
			note = t.T("c_desc_too_long", "Len", n, "Max", g.Max)
		}
		return []bot.Reply{{Text: note}, t.gatherAgain(g, got)}, false, true
	}
	return []bot.Reply{t.gathered(g, got)}, false, true
}

// gatherAgain is the step's question as it stands: what was gathered, or the question itself.
func (t *Turn) gatherAgain(g Gather, got *Gathered) bot.Reply {
	if got.Empty() {
		return bot.Reply{Text: g.Ask, Buttons: g.Choices}
	}
	return t.gathered(g, got)
}

// gathered shows what was gathered so far, with 说完了 and 重新输入.
func (t *Turn) gathered(g Gather, got *Gathered) bot.Reply {
	text := t.T("gather_got", "Count", len(got.Parts), "Len", got.Len(), "Text", got.Text())
	if g.More != "" {
		text += "\n" + g.More
	}
	return bot.Reply{
		Text:         text,
		AcceptsPhoto: g.Photo,
		Buttons: [][]bot.Button{{
			{Label: t.T("btn_said"), Payload: g.Flow + ":" + g.Step + ":" + GatherDone},
			{Label: t.T("btn_redo"), Payload: g.Flow + ":" + g.Step + ":" + GatherRedo},
		}},
	}
}
