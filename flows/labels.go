package flows

import (
	"time"

	"windowbot/models"
)

// The labels below are shared with the staff and supervisor commands in handlers, so that a
// ticket reads the same to everybody who sees it.

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
