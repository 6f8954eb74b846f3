package handlers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"windowbot/internal/testenv"
	"windowbot/models"
)

// TestTicketViewMasksEveryVariant: the ticket as staff and supervisors see it in chat shows none
// of the numbers in its description, plan or result however they were written, and no
// bidirectional or zero-width character.
func TestTicketViewMasksEveryVariant(t *testing.T) {
	forEachDB(t, func(t *testing.T, r *rig) {
		ctx := context.Background()
		text := "差评\u202e" + strings.Join([]string{
			"+8613912345678", "8613812345678", "138-1234-5678", "138 1234 5678", "１３７１２３４５６７８",
			"1\u200b3\u200b6\u200b1\u200b2\u200b3\u200b4\u200b5\u200b6\u200b7\u200b8", "1101 0519 4912 3100 2X", "010-62345678",
		}, "、")
		w, err := r.store.WindowByCode(ctx, "W001")
		if err != nil {
			t.Fatal(err)
		}
		c := r.citizen(r.chat("pii"))
		rt := &models.Rating{WindowID: w.ID, CitizenID: c.ID, Level: 1, Comment: text, Channel: "web", CreatedAt: r.clock.Now()}
		if err := r.store.CreateRating(ctx, rt, r.clock.Now().Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		r.move(rt.Ticket.No, models.Change{Action: models.ActAccept}, models.Change{Action: models.ActPlan, Note: "回访 " + text})
		for _, who := range []string{"DEMO-001", models.DemoSupervisorNo} {
			out := testenv.Text(r.say(r.bind(who), "/ticket "+rt.Ticket.No))
			for _, leak := range []string{"39123", "38123", "１２３４", "36123", "51949", "62345", "\u202e", "\u200b"} {
				if strings.Contains(out, leak) {
					t.Errorf("%s sees %q in\n%s", who, leak, out)
				}
			}
			if !strings.Contains(out, "138******5678") || !strings.Contains(out, "回访") {
				t.Errorf("%s sees\n%s", who, out)
			}
		}
	})
}
