package flows

import (
	"context"
	"time"

	"windowbot/internal/text"
	"windowbot/models"
)

// TicketStore is what the ticket conversations (complain, track, re-rate, appeal) read and
// write. *models.Store implements it.
type TicketStore interface {
	// WindowByCode returns a window with its Center, or models.ErrNotFound.
	WindowByCode(ctx context.Context, code string) (*models.Window, error)
	// Centers lists all centers by code.
	Centers(ctx context.Context) ([]models.Center, error)
	// WindowsOfCenter lists a center's windows by code.
	WindowsOfCenter(ctx context.Context, centerID uint) ([]models.Window, error)
	// CreateComplaint opens a complaint ticket with its photos in one transaction.
	CreateComplaint(ctx context.Context, in models.NewComplaint) (*models.Ticket, error)
	// JoinTicket adds a citizen's complaint to an open ticket (并单).
	JoinTicket(ctx context.Context, no string, citizenID uint, description string, photos []models.TicketAttachment, at time.Time) (*models.Ticket, error)
	// SimilarOpenTicket finds an open ticket on the same window (or center) and category created
	// at or after since, or models.ErrNotFound.
	SimilarOpenTicket(ctx context.Context, centerID uint, windowID *uint, category string, since time.Time) (*models.Ticket, error)
	// CitizenTicket returns a ticket the citizen filed or joined, else models.ErrNotFound.
	CitizenTicket(ctx context.Context, citizenID uint, no string) (*models.Ticket, error)
	// TicketsOfCitizen lists the citizen's tickets, newest first.
	TicketsOfCitizen(ctx context.Context, citizenID uint, limit int) ([]models.Ticket, error)
	// TicketEvents returns a ticket's audit trail, oldest first.
	TicketEvents(ctx context.Context, ticketID uint, publicOnly bool) ([]models.TicketEvent, error)
	// ResolvedAwaitingRerate lists the citizen's resolved tickets waiting for their verdict.
	ResolvedAwaitingRerate(ctx context.Context, citizenID uint) ([]models.Ticket, error)
	// Transition applies a change to a ticket (see models.Ticket.Apply).
	Transition(ctx context.Context, no string, c models.Change) (*models.Ticket, *models.TicketEvent, error)
	// TicketRules returns the deadlines in force.
	TicketRules() models.TicketRules
}

var _ TicketStore = (*models.Store)(nil)

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
		return windowLabel(t.Window)
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

// CitizenStore is everything the citizen conversations read and write. *models.Store
// implements it.
type CitizenStore interface {
	Store
	TicketStore
}

// CitizenFlows returns every conversation a citizen can have: rate, complain, track, re-rate and
// appeal. blobs keeps uploaded photos for the length of a session.
func CitizenFlows(store CitizenStore, blobs Blobs, loc *time.Location, ratingPeriodDays int, sessionTTL time.Duration) []Flow {
	return []Flow{
		NewRate(store, loc, ratingPeriodDays, nil),
		NewComplain(store, blobs, sessionTTL),
		NewTrack(store), NewRerate(store), NewAppeal(store),
	}
}
