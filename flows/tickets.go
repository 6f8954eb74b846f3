package flows

import (
	"time"

	"windowbot/internal/text"
	"windowbot/models"
)

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
	case t.Escalated || t.State == models.StateAppealed:
		return text.T(lang, "owner_supervisor")
	case t.WindowID == nil:
		return text.T(lang, "owner_center")
	}
	return text.T(lang, "owner_staff")
}

// CitizenFlows returns every conversation a citizen can have: rate, complain, track, re-rate and
// appeal. blobs keeps uploaded photos for the length of a session.
func CitizenFlows(store *models.Store, blobs Blobs, loc *time.Location, ratingPeriodDays int, sessionTTL time.Duration) []Flow {
	return []Flow{
		NewRate(store, loc, ratingPeriodDays),
		NewComplain(store, blobs, sessionTTL),
		NewTrack(store), NewRerate(store), NewAppeal(store),
	}
}
