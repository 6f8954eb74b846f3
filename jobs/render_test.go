package jobs_test

import (
	"strings"
	"testing"
	"time"

	"windowbot/internal/testenv"
	"windowbot/internal/text"
	"windowbot/jobs"
	"windowbot/models"
)

// TestEveryTicketNoticeIsWorded works out the notices of every action, on a window and on a
// whole center, and words each push in every language as the dispatcher does: a message whose
// fields differ from what the catalog's message has makes text.T panic in a test binary, so
// a notice queued with a wrong key or field fails here rather than reaching a person as a
// fallback.
func TestEveryTicketNoticeIsWorded(t *testing.T) {
	at := time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)
	center := &models.Center{ID: 3, Name: "示范政务服务中心"}
	w := &models.Window{ID: 7, Code: "W001", Name: "不动产登记", CenterID: 3, Center: center}
	r := jobs.Renderer{Lang: text.ZH, Location: testenv.Shanghai}
	for _, lang := range text.Langs() {
		people := func(ids ...uint) []models.Citizen {
			var out []models.Citizen
			for _, id := range ids {
				out = append(out, models.Citizen{ID: id, Lang: lang})
			}
			return out
		}
		for _, onWindow := range []bool{true, false} {
			for _, kind := range []string{models.KindBadReview, models.KindComplaint} {
				for _, state := range []models.TicketState{models.StateClosed, models.StateReopened, models.StateResolved} {
					for _, by := range []string{models.RoleCitizen, models.RoleStaff} {
						for _, note := range []string{models.ReviewUphold, "dismiss"} {
							tk := &models.Ticket{ID: 1, No: "T20261123-0001", Kind: kind, State: state, CenterID: 3, Center: center,
								Category: "attitude", CitizenID: 11, Description: "态度冷淡 13912345678", Plan: "培训", Result: "已培训",
								CallbackDue: at, RectifyDue: at.AddDate(0, 0, 20), AppealBy: by}
							if onWindow {
								tk.WindowID, tk.Window = &w.ID, w
							}
							for _, a := range append([]models.Action{models.ActSubmit}, models.Actions...) {
								n := models.TicketNotice{Ticket: tk, Event: &models.TicketEvent{ID: 41, Action: a, ActorRole: by, Note: note, CreatedAt: at},
									Reporters: people(11, 12), Staff: people(21), Supervisors: people(31), Subscribers: people(41)}
								for _, p := range n.Pushes() {
									p.Citizen = &models.Citizen{ID: p.CitizenID, Lang: lang}
									msg, err := r.Reply(p)
									if err != nil {
										t.Fatalf("%s %s: %v", a, p.Message.Key, err)
									}
									if msg.Text == "" || msg.Text == p.Message.Key || strings.Contains(msg.Text, "{{") {
										t.Errorf("%s %s in %s: %q", a, p.Message.Key, lang, msg.Text)
									}
									if strings.Contains(msg.Text, "13912345678") {
										t.Errorf("%s %s shows the phone number typed: %q", a, p.Message.Key, msg.Text)
									}
								}
							}
						}
					}
				}
			}
		}
	}
}

// TestNoticeWordsDependOnTheRecipient: one event's notice reads in each recipient's own
// language, in the hall's zone, whatever language the others speak.
func TestNoticeWordsDependOnTheRecipient(t *testing.T) {
	at := time.Date(2026, 11, 24, 17, 0, 0, 0, time.UTC) // 25 November in Shanghai
	tk := &models.Ticket{No: "T20261123-0001", Kind: models.KindComplaint, State: models.StateAccepted, CenterID: 3,
		Center: &models.Center{Name: "示范政务服务中心"}, Category: "attitude", CitizenID: 11, RectifyDue: at}
	n := models.TicketNotice{Ticket: tk, Event: &models.TicketEvent{ID: 5, Action: models.ActAccept, ActorRole: models.RoleAdmin},
		Reporters: []models.Citizen{{ID: 11, Lang: "en-GB"}, {ID: 12}}}
	r := jobs.Renderer{Lang: text.ZH, Location: testenv.Shanghai}
	got := map[uint]string{}
	for _, p := range n.Pushes() {
		for _, c := range n.Reporters {
			if c.ID == p.CitizenID {
				p.Citizen = &c
			}
		}
		msg, err := r.Reply(p)
		if err != nil {
			t.Fatal(err)
		}
		got[p.CitizenID] = msg.Text
	}
	if want := text.T(text.EN, "n_accepted", "No", tk.No, "Due", text.Day(text.EN, at.In(testenv.Shanghai))); got[11] != want {
		t.Errorf("to the English reader: %q, want %q", got[11], want)
	}
	if want := text.T(text.ZH, "n_accepted", "No", tk.No, "Due", text.Day(text.ZH, at.In(testenv.Shanghai))); got[12] != want {
		t.Errorf("to the reader without a language: %q, want %q", got[12], want)
	}
}
