package flows

import (
	"time"

	"windowbot/models"
)

// CitizenFlows returns every conversation a citizen can have: rate, complain, track, re-rate and
// appeal. blobs keeps uploaded photos for the length of a session.
func CitizenFlows(store *models.Store, blobs Blobs, loc *time.Location, ratingPeriodDays int, sessionTTL time.Duration) []Flow {
	return []Flow{
		NewRate(store, loc, ratingPeriodDays),
		NewComplain(store, blobs, sessionTTL),
		NewTrack(store), NewRerate(store), NewAppeal(store),
	}
}
