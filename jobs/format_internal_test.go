package jobs

import "testing"

// Rates are shown as percentages with one decimal, as the hall's reports print them.
func TestPercent(t *testing.T) {
	for r, want := range map[float64]string{0.965: "96.5%", 1: "100.0%", 0: "0.0%", 0.5: "50.0%"} {
		if got := percent(r); got != want {
			t.Errorf("percent(%v) = %q, want %q", r, got, want)
		}
	}
}
