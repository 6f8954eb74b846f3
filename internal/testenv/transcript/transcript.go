package transcript

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"path/filepath"
	"strings"
	"testing"

	"windowbot/bot"
	"windowbot/internal/testenv"
	"windowbot/models"
)

// Channel carries the steps of a dialog out through one platform's real adapter. Each method
// acts as who and writes to tr what the user did, in the platform's terms, and what the platform
// then showed (Transcript.User, Transcript.Bot).
type Channel interface {
	Platform() bot.Platform
	// Sender is the adapter as the push dispatcher uses it.
	Sender() bot.Sender
	// Account is the chat of who on the platform (bot.Recipient.ChatID); the same actor always
	// gets the same account.
	Account(who Actor) string
	// Open opens the link of window (the QR code on its poster).
	Open(t *testing.T, tr *Transcript, who Actor, window string)
	Say(t *testing.T, tr *Transcript, who Actor, text string)
	// Press presses the button labelled label on the newest message to who that offers it.
	Press(t *testing.T, tr *Transcript, who Actor, label string)
	// Offers reports whether the newest message to who that offers choices offers label.
	Offers(who Actor, label string) bool
	// Photo sends a photo (PNG()) captioned caption, where the platform has captions.
	Photo(t *testing.T, tr *Transcript, who Actor, caption string)
	// Pushed writes what the dispatcher has delivered to the platform since the last call.
	Pushed(t *testing.T, tr *Transcript)
}

// Run plays every dialog of Scenarios on a fresh World through the channel open builds over it,
// and compares each transcript with testdata/transcripts/<name>.txt of the calling package
// (rewritten with -update).
func Run(t *testing.T, open func(t *testing.T, w *World) Channel) {
	for _, sc := range Scenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			w := NewWorld(t)
			ch := open(t, w)
			tr := &Transcript{accounts: map[string]Actor{}}
			for _, a := range Actors() {
				tr.accounts[ch.Account(a)] = a
				if a.StaffNo != "" {
					w.Bind(t, ch.Platform(), ch.Account(a), a.StaffNo)
				}
			}
			fmt.Fprintf(&tr.b, "# %s · %s · golden transcript; `go test ./... -update` rewrites it\n# %s\n", sc.Name, ch.Platform(), sc.About)
			fmt.Fprintf(&tr.b, "# %s, the demo center (models.SeedDemo)\n", w.Clock.Now().Format("2006-01-02 15:04 MST"))
			if len(sc.Given) > 0 {
				tr.b.WriteString("# played before, not shown:\n")
				for _, s := range sc.Given {
					fmt.Fprintf(&tr.b, "#   %s\n", s)
				}
			}
			tr.quiet = true
			play(t, w, ch, tr, sc.Given)
			tr.quiet = false
			play(t, w, ch, tr, sc.Steps)
			testenv.Golden(t, filepath.Join("testdata", "transcripts", sc.Name+".txt"), []byte(tr.b.String()))
		})
	}
}

func play(t *testing.T, w *World, ch Channel, tr *Transcript, steps []Step) {
	t.Helper()
	for _, s := range steps {
		switch s.Do {
		case Open:
			ch.Open(t, tr, s.Who, s.Arg)
		case Say:
			ch.Say(t, tr, s.Who, s.Arg)
		case Press:
			ch.Press(t, tr, s.Who, s.Arg)
		case PressIfOffered:
			if ch.Offers(s.Who, s.Arg) {
				ch.Press(t, tr, s.Who, s.Arg)
			}
		case Photo:
			ch.Photo(t, tr, s.Who, s.Arg)
		case Burst:
			n := w.Burst(t, s.Arg)
			tr.section(fmt.Sprintf("six 5-star ratings of %s within nine minutes; the fraud scan raises %d flags", s.Arg, n))
		case Wait:
			w.Clock.Add(s.For)
			tr.section(fmt.Sprintf("%s pass; now %s", s.For, w.Clock.Now().Format("2006-01-02 15:04 Mon")))
		case Dispatch:
			tr.section("the push dispatcher runs")
			before := tr.b.Len()
			unsent := w.Dispatch(t, ch.Platform(), ch.Sender())
			ch.Pushed(t, tr)
			for _, text := range w.Texts() {
				tr.printf("%s\n", text)
			}
			if len(unsent) > 0 {
				chats := map[uint]string{}
				for _, c := range testenv.All[models.Citizen](t, w.Store) {
					chats[c.ID] = c.ExternalID
				}
				for _, p := range unsent {
					tr.printf("✗ push %s to %s not sent: %s %s\n", p.Kind, tr.name(chats[p.CitizenID]), p.State, p.LastError)
				}
			}
			if tr.b.Len() == before {
				tr.printf("(nothing sent)\n")
			}
		default:
			t.Fatalf("transcript: unknown step %s", s)
		}
	}
}

// Transcript is what the people in a dialog did and were shown, as its golden file holds it.
// While the scenario's Given steps play it writes nothing.
type Transcript struct {
	b        strings.Builder
	quiet    bool
	accounts map[string]Actor
}

func (tr *Transcript) printf(format string, args ...any) {
	if !tr.quiet {
		fmt.Fprintf(&tr.b, format, args...)
	}
}

func (tr *Transcript) section(title string) { tr.printf("\n━━ %s ━━\n", title) }

// name is how the transcript names the owner of account.
func (tr *Transcript) name(account string) string {
	if a, ok := tr.accounts[account]; ok {
		return a.Name
	}
	return "account " + account
}

// User writes that who did what: what they typed, pressed or sent, in the platform's terms.
func (tr *Transcript) User(who Actor, what string) { tr.printf("\n▶ %s: %s\n", who.Name, what) }

// Bot writes one thing the platform showed the owner of account: a line headed by head (the
// message's id, whether it was an edit…), then body, each of its lines behind a bar so that the
// text stands exactly as shown, blank lines and all, then the rows of buttons under it, one a
// line behind a key.
func (tr *Transcript) Bot(account, head, body string, rows ...string) {
	tr.printf("◀ %s %s\n", tr.name(account), head)
	for _, l := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		if l == "" {
			tr.printf("  │\n")
		} else {
			tr.printf("  │ %s\n", l)
		}
	}
	for _, r := range rows {
		tr.printf("  ⌨ %s\n", r)
	}
}

// Choice is one answer a message offers: its label, and what answering with it takes (a button's
// payload, or the text to type).
type Choice struct {
	Label string
	Value string
}

// shown is one message with choices.
type shown struct {
	to, id  string
	choices []Choice
}

// Screen is what each account has been offered, newest last: where a press finds its button.
type Screen struct{ msgs []shown }

// Show records that the message id (empty where the platform has none) offered choices to the
// owner of account; it replaces what an earlier message with the same id offered (an edit).
func (s *Screen) Show(account, id string, choices []Choice) {
	if id != "" {
		for i, m := range s.msgs {
			if m.to == account && m.id == id {
				s.msgs = append(s.msgs[:i], s.msgs[i+1:]...)
				break
			}
		}
	}
	s.msgs = append(s.msgs, shown{to: account, id: id, choices: choices})
}

// Offers reports whether the newest message to account that offers choices offers one labelled
// label.
func (s *Screen) Offers(account, label string) bool {
	for i := len(s.msgs) - 1; i >= 0; i-- {
		m := s.msgs[i]
		if m.to != account || len(m.choices) == 0 {
			continue
		}
		for _, c := range m.choices {
			if c.Label == label || bot.LabelWords(c.Label) == label {
				return true
			}
		}
		return false
	}
	return false
}

// Find returns the message id and the value of the choice labelled label on the newest message
// to account that offers one, failing the test when none does.
func (s *Screen) Find(t testing.TB, account, label string) (id, value string) {
	t.Helper()
	var seen []string
	for i := len(s.msgs) - 1; i >= 0; i-- {
		m := s.msgs[i]
		if m.to != account {
			continue
		}
		for _, c := range m.choices {
			if c.Label == label || bot.LabelWords(c.Label) == label {
				return m.id, c.Value
			}
			seen = append(seen, c.Label)
		}
	}
	t.Fatalf("transcript: no choice %q offered to %s; offered: %q", label, account, seen)
	return "", ""
}

// Choices flattens rows of buttons into choices answered by their payloads.
func Choices(rows [][]bot.Button) []Choice {
	var out []Choice
	for _, row := range rows {
		for _, b := range row {
			out = append(out, Choice{Label: b.Label, Value: b.Payload})
		}
	}
	return out
}

// PNG returns the photo every channel sends: a valid two-by-two grey PNG image.
func PNG() []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 2, 2))); err != nil {
		panic(err)
	}
	return b.Bytes()
}
