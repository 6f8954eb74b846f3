package api_test

import (
	"context"
	"strings"
	"testing"

	"windowbot/models"
)

// piiVariants are personal numbers written the ways citizens write them, with a bidirectional
// override and zero-width characters as a text stored before the channels cleaned it may hold.
var piiVariants = []string{
	"+8613912345678", "8613812345678", "138-1234-5678", "138 1234 5678", "１３７１２３４５６７８",
	"1\u200b3\u200b6\u200b1\u200b2\u200b3\u200b4\u200b5\u200b6\u200b7\u200b8", "1101 0519 4912 3100 2X", "010-62345678", "01062345678",
}

// leaks lists what of the variants' digits, or an invisible character, is found in body.
func leaks(body string) []string {
	var out []string
	for _, s := range []string{"39123", "38123", "71234", "36123", "51949", "62345", "\u202e", "\u200b"} {
		if strings.Contains(body, s) {
			out = append(out, s)
		}
	}
	flat := strings.Map(func(r rune) rune {
		if r >= '０' && r <= '９' {
			return '0' + r - '０'
		}
		return r
	}, body)
	if strings.Contains(flat, "71234") && !strings.Contains(body, "71234") {
		out = append(out, "full-width 71234")
	}
	return out
}

// TestExportsMaskEveryVariant: the tickets' and ratings' exports (JSON and CSV) show none of the
// numbers in a description, a comment, an event's note, a plan, a result or a reason, however
// they were written, and no invisible character.
func TestExportsMaskEveryVariant(t *testing.T) {
	forEachDB(t, func(t *testing.T, r *rig) {
		ctx := context.Background()
		text := "差评\u202e" + strings.Join(piiVariants, "、")
		w, err := r.store.WindowByCode(ctx, "W001")
		if err != nil {
			t.Fatal(err)
		}
		c := r.citizen("pii")
		rt := &models.Rating{WindowID: w.ID, CitizenID: c.ID, Level: 1, Comment: text, Channel: "web", CreatedAt: r.clock.Now()}
		if err := r.store.CreateRating(ctx, rt, r.clock.Now().AddDate(0, 0, -1)); err != nil {
			t.Fatal(err)
		}
		no := rt.Ticket.No
		r.move(no, models.Change{Action: models.ActAccept}, models.Change{Action: models.ActPlan, Note: "回访 " + text})
		admin := newAPI(t, r, adminToken)
		for _, path := range []string{"/api/v1/tickets", "/api/v1/tickets/" + no, "/api/v1/ratings"} {
			_, _, body := admin.get(path, "")
			if l := leaks(body); len(l) > 0 {
				t.Errorf("GET %s shows %q:\n%s", path, l, body)
			}
			_, _, body = admin.get(path, "text/csv")
			if l := leaks(body); len(l) > 0 {
				t.Errorf("GET %s as CSV shows %q:\n%s", path, l, body)
			}
			if !strings.Contains(body, "138****5678") {
				t.Errorf("GET %s as CSV: no masked number in\n%s", path, body)
			}
		}
	})
}
