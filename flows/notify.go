package flows

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"windowbot/bot"
	"windowbot/internal/text"
	"windowbot/models"
)

// Push kinds of ticket notices (models.PushKinds lists them all). WeChat picks a template
// message by kind.
const (
	KindTicketNew    = models.KindTicketNew    // to staff and supervisors: a new bad review or complaint
	KindTicketStatus = models.KindTicketStatus // to the citizen: their ticket moved on
	KindRerateInvite = models.KindRerateInvite // to the citizen: the fix is done, how was it?
	KindTicketAlert  = models.KindTicketAlert  // to staff and supervisors: reopened, escalated, chased, appealed
	// KindRectification is the public rectification notice (整改公示), to subscribers.
	KindRectification = models.KindRectificationNotice
)

// Notifier renders ticket events as pushes in each recipient's language. It is the
// models.TicketNotifier the store calls inside the transaction that records the event.
type Notifier struct {
	lang string
	loc  *time.Location
}

// NewNotifier returns a notifier; lang is the default language for recipients who never said
// theirs, loc the hall's zone for dates.
func NewNotifier(lang string, loc *time.Location) *Notifier {
	if loc == nil {
		loc = time.UTC
	}
	return &Notifier{lang: text.Lang(lang), loc: loc}
}

// Func returns n as a models.TicketNotifier.
func (n *Notifier) Func() models.TicketNotifier { return n.Pushes }

// Pushes returns the pushes of one ticket event. Staff and supervisor texts never name or
// describe the citizen; the citizen who acted is not told of their own action.
func (n *Notifier) Pushes(tn models.TicketNotice) []*models.Push {
	t, ev := tn.Ticket, tn.Event
	var out []*models.Push
	add := func(to []models.Citizen, kind string, urgent bool, render func(lang string) string, buttons func(lang string, c models.Citizen) [][]bot.Button) {
		for _, c := range to {
			if ev.ActorCitizenID != nil && *ev.ActorCitizenID == c.ID {
				continue
			}
			lang := n.lang
			if c.Lang != "" {
				lang = text.Lang(c.Lang)
			}
			p := &models.Push{
				DedupeKey: fmt.Sprintf("ticket:%s:e%d:c%d", t.No, ev.ID, c.ID),
				Kind:      kind, CitizenID: c.ID, Text: render(lang), Urgent: urgent,
			}
			if buttons != nil {
				if bs := buttons(lang, c); len(bs) > 0 {
					raw, _ := json.Marshal(bs)
					p.Buttons = string(raw)
				}
			}
			out = append(out, p)
		}
	}
	due := func(lang string, d time.Time) string { return dayLabel(lang, d, n.loc) }
	staffAndSups := append(append([]models.Citizen{}, tn.Staff...), tn.Supervisors...)

	switch ev.Action {
	case models.ActSubmit:
		add(staffAndSups, KindTicketNew, false, func(lang string) string {
			key := "n_new_complaint"
			if t.Kind == models.KindBadReview {
				key = "n_new_bad_review"
			}
			return text.T(lang, key, "No", t.No, "Place", n.place(lang, t), "Category", text.Category(lang, t.Category),
				"Description", truncate(models.MaskPII(t.Description), 200), "Due", due(lang, t.CallbackDue))
		}, nil)
	case models.ActJoin:
		add(staffAndSups, KindTicketAlert, false, func(lang string) string {
			return text.T(lang, "n_joined", "No", t.No, "Note", truncate(models.MaskPII(ev.Note), 200))
		}, nil)
	case models.ActAccept:
		add(tn.Reporters, KindTicketStatus, false, func(lang string) string {
			return text.T(lang, "n_accepted", "No", t.No, "Due", due(lang, t.RectifyDue))
		}, nil)
	case models.ActReject:
		add(tn.Reporters, KindTicketStatus, false, func(lang string) string {
			if t.State == models.StateClosed {
				return text.T(lang, "n_rejected_final", "No", t.No, "Reason", ev.Note)
			}
			return text.T(lang, "n_rejected", "No", t.No, "Reason", ev.Note)
		}, nil)
	case models.ActPlan:
		add(tn.Reporters, KindTicketStatus, false, func(lang string) string {
			return text.T(lang, "n_plan", "No", t.No, "Plan", truncate(ev.Note, 300))
		}, nil)
	case models.ActDone:
		add(tn.Reporters, KindRerateInvite, false, func(lang string) string {
			return text.T(lang, "n_done", "No", t.No, "Result", truncate(ev.Note, 300))
		},
			func(lang string, c models.Citizen) [][]bot.Button {
				if c.ID != t.CitizenID {
					return nil // only who filed it gives the verdict; joiners are kept informed
				}
				return rerateButtons(lang, t.No)
			})
	case models.ActRerate:
		if t.State == models.StateReopened {
			add(staffAndSups, KindTicketAlert, true, func(lang string) string {
				return text.T(lang, "n_reopened", "No", t.No, "Due", due(lang, t.RectifyDue))
			}, nil)
		}
		add(tn.Reporters, KindTicketStatus, false, func(lang string) string { return text.T(lang, "n_closed", "No", t.No) }, nil)
	case models.ActExpire:
		add(tn.Reporters, KindTicketStatus, false, func(lang string) string { return text.T(lang, "n_closed_no_reply", "No", t.No) }, nil)
	case models.ActAssign:
		add(tn.Staff, KindTicketAlert, false, func(lang string) string {
			return text.T(lang, "n_assigned", "No", t.No, "Place", n.place(lang, t), "Due", due(lang, t.Due()))
		}, nil)
	case models.ActEscalate:
		add(staffAndSups, KindTicketAlert, true, func(lang string) string {
			return text.T(lang, "n_escalated", "No", t.No, "Place", n.place(lang, t), "Note", ev.Note)
		}, nil)
		add(tn.Reporters, KindTicketStatus, false, func(lang string) string { return text.T(lang, "n_escalated_citizen", "No", t.No) }, nil)
	case models.ActChase:
		add(staffAndSups, KindTicketAlert, true, func(lang string) string {
			return text.T(lang, "n_chase", "No", t.No, "Place", n.place(lang, t), "Note", ev.Note)
		}, nil)
	case models.ActAppeal:
		if ev.ActorRole == models.RoleCitizen {
			add(tn.Supervisors, KindTicketAlert, false, func(lang string) string {
				return text.T(lang, "n_citizen_appeal", "No", t.No, "Reason", truncate(models.MaskPII(ev.Note), 300))
			}, nil)
		} else {
			add(tn.Supervisors, KindTicketAlert, false, func(lang string) string {
				return text.T(lang, "n_staff_appeal", "No", t.No, "Place", n.place(lang, t), "Reason", truncate(ev.Note, 300))
			}, nil)
		}
	case models.ActPublish:
		add(tn.Reporters, KindTicketStatus, false, func(lang string) string { return text.T(lang, "n_published_reporter", "No", t.No) }, nil)
		reporters := map[uint]bool{}
		for _, c := range tn.Reporters {
			reporters[c.ID] = true
		}
		var subs []models.Citizen
		for _, c := range tn.Subscribers {
			if !reporters[c.ID] {
				subs = append(subs, c)
			}
		}
		add(subs, KindRectification, false, func(lang string) string {
			return text.T(lang, "n_published", "Place", n.place(lang, t), "Category", text.Category(lang, t.Category),
				"Plan", truncate(models.MaskPII(t.Plan), 300), "Result", truncate(models.MaskPII(t.Result), 300))
		}, nil)
	case models.ActReview:
		if t.AppealBy == models.RoleStaff {
			key := "n_review_staff_dismiss"
			if upheld(ev) {
				key = "n_review_staff_uphold"
			}
			add(tn.Staff, KindTicketAlert, false, func(lang string) string { return text.T(lang, key, "No", t.No) }, nil)
			if t.State == models.StateClosed {
				add(tn.Reporters, KindTicketStatus, false, func(lang string) string { return text.T(lang, "n_closed_reviewed", "No", t.No) }, nil)
			}
		} else {
			key := "n_review_citizen_dismiss"
			if upheld(ev) {
				key = "n_review_citizen_uphold"
			}
			add(tn.Reporters, KindTicketStatus, false, func(lang string) string { return text.T(lang, key, "No", t.No) }, nil)
		}
	}
	return out
}

// upheld reports whether a review event upheld the appeal: its note is "uphold" or "uphold: …".
func upheld(ev *models.TicketEvent) bool { return strings.HasPrefix(ev.Note, models.ReviewUphold) }

func (n *Notifier) place(lang string, t *models.Ticket) string {
	if p := ticketPlace(lang, t); p != "" {
		return p
	}
	return t.No
}
