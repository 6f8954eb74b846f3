package flows

import (
	"time"

	"windowbot/bot"
	"windowbot/models"
)

// CitizenFlows returns every conversation the engine runs: a citizen's (rate, complain, track,
// the guide, re-rate and appeal) and the one in which staff and supervisors give the words of an action on
// a ticket (DeskNote). blobs keeps uploaded photos for the length of a session.
func CitizenFlows(store *models.Store, blobs Blobs, loc *time.Location, ratingPeriodDays int, sessionTTL time.Duration) []Flow {
	return []Flow{
		NewRate(store, loc, ratingPeriodDays),
		NewComplain(store, blobs, sessionTTL),
		NewTrack(store), NewGuide(store), NewRerateWithUploads(store, blobs, sessionTTL), NewAppeal(store),
		NewDeskNote(store, blobs, sessionTTL), NewCard(store), NewVisit(store, blobs, sessionTTL),
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
