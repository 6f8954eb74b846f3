package jobs

import (
	"fmt"

	"windowbot/internal/text"
	"windowbot/models"
)

// percent formats a rate as 96.5%.
func percent(r float64) string { return fmt.Sprintf("%.1f%%", r*100) }

// outcomeLabel names where a bad-review ticket ended up: how it was closed, or its state while
// it is not.
func outcomeLabel(lang string, o models.TicketOutcome) string {
	if k := "close." + o.CloseReason; o.State == models.StateClosed && text.Has(lang, k) {
		return text.T(lang, k)
	}
	return text.State(lang, string(o.State))
}
