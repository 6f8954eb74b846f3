package models

import "time"

// SupervisionRules configure supervision beyond ratings: the service standard's checklist of
// inspections and visits, and the thresholds of the rating-fraud signals. Zero fields take the
// defaults.
type SupervisionRules struct {
	// Checklist is the window service standard's checklist (default DefaultChecklist).
	Checklist []CheckItem
	// Fraud are the thresholds of the rating-fraud signals.
	Fraud FraudRules
}

// FraudRules are the thresholds of the rating-fraud signals; a zero field takes its default
// (DefaultFraudRules), a negative count turns its signal off.
type FraudRules struct {
	// BurstCount top ratings (5) of one staff member within BurstWindow are a burst (default
	// 5 within 10 minutes): all of them are flagged.
	BurstCount  int
	BurstWindow time.Duration
	// FreshCount ratings of one staff member within FreshWindow, each from an account first seen
	// at most FreshAge before it rated that staff member (through their own QR code), are
	// flagged (default 3 within 60 minutes, accounts at most 10 minutes old).
	FreshCount  int
	FreshWindow time.Duration
	FreshAge    time.Duration
	// DeviceWindows distinct windows rated by one web visitor (one cookie) within DeviceWindow
	// are flagged (default 3 within 24 hours).
	DeviceWindows int
	DeviceWindow  time.Duration
	// LowRepeat lowest ratings (1) of one window by one citizen on different days within
	// LowDays days are flagged (default 3 within 30 days).
	LowRepeat int
	LowDays   int
}

// DefaultFraudRules are the thresholds used where none are configured.
func DefaultFraudRules() FraudRules {
	return FraudRules{
		BurstCount: 5, BurstWindow: 10 * time.Minute,
		FreshCount: 3, FreshWindow: time.Hour, FreshAge: 10 * time.Minute,
		DeviceWindows: 3, DeviceWindow: 24 * time.Hour,
		LowRepeat: 3, LowDays: 30,
	}
}

// withDefaults fills the zero fields of r from DefaultFraudRules.
func (r FraudRules) withDefaults() FraudRules {
	d := DefaultFraudRules()
	pick := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	pickD := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	pick(&r.BurstCount, d.BurstCount)
	pickD(&r.BurstWindow, d.BurstWindow)
	pick(&r.FreshCount, d.FreshCount)
	pickD(&r.FreshWindow, d.FreshWindow)
	pickD(&r.FreshAge, d.FreshAge)
	pick(&r.DeviceWindows, d.DeviceWindows)
	pickD(&r.DeviceWindow, d.DeviceWindow)
	pick(&r.LowRepeat, d.LowRepeat)
	if r.LowDays <= 0 {
		r.LowDays = d.LowDays
	}
	return r
}

// WithSupervision sets the checklist and the rating-fraud thresholds (default: the standard's
// checklist and DefaultFraudRules).
func WithSupervision(r SupervisionRules) Option { return func(s *Store) { s.supervision = r } }
