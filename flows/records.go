package flows

import (
	"time"

	"windowbot/internal/text"
	"windowbot/models"
)

// How the conversations name records for people: a deadline's day, an event's time, a ticket's
// place, who handles it, what an event was. The exported ones are shared with the staff and
// supervisor commands in handlers, so that a ticket reads the same to everybody who sees it.

// DayLabel formats a deadline's day in lang, in the hall's zone loc.
func DayLabel(lang string, t time.Time, loc *time.Location) string { return dayLabel(lang, t, loc) }

// StampLabel formats an event's time in lang, in the hall's zone loc.
func StampLabel(lang string, t time.Time, loc *time.Location) string {
	return stampLabel(lang, t, loc)
}

// TicketPlace names where a ticket is: the window, or the whole center.
func TicketPlace(lang string, t *models.Ticket) string { return ticketPlace(lang, t) }

// EventLabel says what a ticket event was, in lang.
func EventLabel(lang string, ev *models.TicketEvent) string { return eventLabel(lang, ev) }

// dayLabel formats a deadline's day for a citizen in lang, in the hall's zone loc.
func dayLabel(lang string, t time.Time, loc *time.Location) string { return text.Day(lang, t.In(loc)) }

// stampLabel formats an event's time in lang, in the hall's zone loc.
func stampLabel(lang string, t time.Time, loc *time.Location) string {
	return text.Stamp(lang, t.In(loc))
}

// ticketPlace names where a ticket is: the window, or the whole center.
func ticketPlace(lang string, t *models.Ticket) string {
	switch {
	case t.Window != nil:
		return t.Window.Place()
	case t.Center != nil:
		return t.Center.Name + " · " + text.T(lang, "whole_center")
	}
	return ""
}

// ownerRole says who is handling a ticket, by role and never by name.
func ownerRole(lang string, t *models.Ticket) string {
	switch {
	case !t.State.Open() && t.State != models.StateResolved:
		return "—"
	case t.Escalated || t.State == models.StateAppealed || t.State == models.StatePendingReview ||
		(t.WindowID != nil && t.HandledBy() == models.RouteSupervisors):
		return text.T(lang, "owner_supervisor")
	case t.WindowID == nil:
		return text.T(lang, "owner_center")
	case t.HandledBy() == models.RouteLead:
		return text.T(lang, "owner_lead")
	}
	return text.T(lang, "owner_staff")
}

// eventLabel says what an event was, for citizens.
func eventLabel(lang string, ev *models.TicketEvent) string {
	switch {
	case ev.Action == models.ActRerate && ev.ToState == models.StateReopened:
		return text.T(lang, "ev_reopened")
	case ev.Action == models.ActRerate:
		return text.T(lang, "ev_rerated")
	case ev.Action == models.ActReview && ev.ToState == models.StateAccepted:
		return text.T(lang, "ev_review_accepted")
	case ev.Action == models.ActReview && ev.ToState == models.StateClosed:
		return text.T(lang, "ev_review_closed")
	case ev.Action == models.ActReview:
		// A staff member's appeal dismissed: the ticket goes back to where it was.
		return text.T(lang, "ev_review_resumed")
	}
	if key, ok := eventKeys[ev.Action]; ok {
		return text.T(lang, key)
	}
	return string(ev.Action)
}

// eventKeys are the catalog keys of the events whose label depends on the action alone.
var eventKeys = map[models.Action]string{
	models.ActSubmit: "ev_submit", models.ActAccept: "ev_accept", models.ActReject: "ev_reject",
	models.ActPlan: "ev_plan", models.ActDone: "ev_done", models.ActExpire: "ev_expire",
	models.ActAppeal: "ev_appeal", models.ActEscalate: "ev_escalate", models.ActPublish: "ev_publish",
	models.ActAssign: "ev_assign", models.ActChase: "ev_chase", models.ActJoin: "ev_join",
	models.ActApprove: "ev_approve", models.ActSendBack: "ev_sendback", models.ActRefer: "ev_refer",
}

// StaffEventLabel says what a ticket event was, in the words of staff and supervisors: the
// window's and the supervision office's steps, where the citizen's timeline (EventLabel) speaks
// to the citizen ("待您评价").
func StaffEventLabel(lang string, ev *models.TicketEvent) string {
	return text.StaffEvent(lang, string(ev.Action), string(ev.ToState))
}

// publicNote is the part of an event's note a citizen may read: the plan, the result approved,
// a rejection's reason.
func publicNote(ev *models.TicketEvent) string {
	switch ev.Action {
	case models.ActPlan, models.ActApprove, models.ActReject:
		return ev.Note
	}
	return ""
}
