package flows

import (
	"time"

	"windowbot/bot"
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

// StartButtons are a citizen's ways in — rate a window, report a problem, track one's tickets —
// as buttons that carry their command: offered with help, after a cancel, and wherever a
// conversation ends without a next step.
func StartButtons(t *Turn) [][]bot.Button {
	return [][]bot.Button{
		{{Label: t.T("btn_rate"), Payload: "cmd:/rate"}},
		{{Label: t.T("btn_complain"), Payload: "cmd:/complain"}, {Label: t.T("btn_track"), Payload: "cmd:/track"}},
	}
}
