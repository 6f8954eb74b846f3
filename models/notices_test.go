package models_test

import (
	"testing"
	"time"

	"windowbot/models"
)

// TestNoticeDedupeKeyIsTheEvent: a push of a ticket notice is deduplicated by the event that
// caused it, so the same event worked out twice (a retried transaction) gives the same keys, while
// a second event of the same action — the second chase, the second resolution after a reopening —
// gives new ones and reaches the recipients again. Every recipient of one event has their own key.
func TestNoticeDedupeKeyIsTheEvent(t *testing.T) {
	at := time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)
	w := uint(7)
	tk := &models.Ticket{ID: 1, No: "T20261123-0001", Kind: models.KindComplaint, State: models.StateResolved, CenterID: 3,
		WindowID: &w, Category: "attitude", CitizenID: 11, Plan: "培训", Result: "已培训", RectifyDue: at.AddDate(0, 0, 20)}
	people := func(ids ...uint) []models.Citizen {
		var out []models.Citizen
		for _, id := range ids {
			out = append(out, models.Citizen{ID: id})
		}
		return out
	}
	notice := func(id uint, a models.Action, role string) models.TicketNotice {
		return models.TicketNotice{Ticket: tk, Event: &models.TicketEvent{ID: id, TicketID: 1, Action: a, ActorRole: role, Note: "note", CreatedAt: at},
			Reporters: people(11, 12), Staff: people(21, 22), Supervisors: people(31)}
	}
	keys := func(tn models.TicketNotice) map[uint]string {
		t.Helper()
		out := map[uint]string{}
		for _, p := range tn.Pushes() {
			if _, dup := out[p.CitizenID]; dup {
				t.Fatalf("event %d: two pushes to citizen %d", tn.Event.ID, p.CitizenID)
			}
			out[p.CitizenID] = p.DedupeKey
		}
		if len(out) == 0 {
			t.Fatalf("event %d (%s): no pushes", tn.Event.ID, tn.Event.Action)
		}
		seen := map[string]bool{}
		for c, k := range out {
			if seen[k] {
				t.Errorf("event %d: key %s shared by several recipients", tn.Event.ID, k)
			}
			seen[k] = true
			if k == "" {
				t.Errorf("event %d: empty key for citizen %d", tn.Event.ID, c)
			}
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		action models.Action
		role   string
	}{
		{"second resolution invites again", models.ActDone, models.RoleStaff},
		{"second chase reaches the handlers again", models.ActChase, models.RoleSystem},
		{"second plan is told again", models.ActPlan, models.RoleStaff},
	} {
		t.Run(tc.name, func(t *testing.T) {
			first, again, second := keys(notice(41, tc.action, tc.role)), keys(notice(41, tc.action, tc.role)), keys(notice(57, tc.action, tc.role))
			for c, k := range first {
				if again[c] != k {
					t.Errorf("citizen %d: event 41 worked out twice gives keys %s and %s", c, k, again[c])
				}
				if second[c] == k {
					t.Errorf("citizen %d: events 41 and 57 (both %s) share the key %s: the second would be dropped as a duplicate", c, tc.action, k)
				}
			}
			if len(second) != len(first) {
				t.Errorf("event 57 reaches %d recipients, event 41 %d", len(second), len(first))
			}
		})
	}
}
