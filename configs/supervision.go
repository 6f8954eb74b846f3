package configs

import (
	"fmt"
	"strings"
	"time"

	"windowbot/models"
)

// Supervision configures supervision beyond ratings: the window service standard's checklist and
// the thresholds of the rating-fraud signals.
type Supervision struct {
	// Checklist lists the items inspections check, in order: a built-in item by its key (badge,
	// dress, civil, first_asked, one_time, time_limit, on_post, pause_notice), or a hall's own
	// as "key|category|label" (category: a complaint category, which a failed item's ticket
	// takes). Empty: the standard's eight items.
	Checklist []string `yaml:"checklist"`
	Fraud     Fraud    `yaml:"fraud"`
}

// Fraud are the thresholds of the rating-fraud signals (models.FraudRules); a negative count
// turns its signal off.
type Fraud struct {
	BurstCount    int           `yaml:"burst_count"`
	BurstWindow   time.Duration `yaml:"burst_window"`
	FreshCount    int           `yaml:"fresh_count"`
	FreshWindow   time.Duration `yaml:"fresh_window"`
	FreshAge      time.Duration `yaml:"fresh_age"`
	DeviceWindows int           `yaml:"device_windows"`
	DeviceWindow  time.Duration `yaml:"device_window"`
	LowRepeat     int           `yaml:"low_repeat"`
	LowDays       int           `yaml:"low_days"`
}

// defaultFraud is models.DefaultFraudRules as configuration.
func defaultFraud() Fraud {
	d := models.DefaultFraudRules()
	return Fraud{BurstCount: d.BurstCount, BurstWindow: d.BurstWindow, FreshCount: d.FreshCount, FreshWindow: d.FreshWindow,
		FreshAge: d.FreshAge, DeviceWindows: d.DeviceWindows, DeviceWindow: d.DeviceWindow, LowRepeat: d.LowRepeat, LowDays: d.LowDays}
}

// SupervisionRules returns the checklist and fraud thresholds for the store
// (models.WithSupervision), or an error naming the checklist item that cannot be read.
func (c Config) SupervisionRules() (models.SupervisionRules, error) {
	f := c.Supervision.Fraud
	r := models.SupervisionRules{Fraud: models.FraudRules{BurstCount: f.BurstCount, BurstWindow: f.BurstWindow,
		FreshCount: f.FreshCount, FreshWindow: f.FreshWindow, FreshAge: f.FreshAge, DeviceWindows: f.DeviceWindows,
		DeviceWindow: f.DeviceWindow, LowRepeat: f.LowRepeat, LowDays: f.LowDays}}
	builtin := map[string]models.CheckItem{}
	for _, it := range models.DefaultChecklist() {
		builtin[it.Key] = it
	}
	seen := map[string]bool{}
	for _, entry := range c.Supervision.Checklist {
		entry = strings.TrimSpace(entry)
		it, ok := builtin[entry]
		if !ok {
			parts := strings.Split(entry, "|")
			if len(parts) != 3 || strings.TrimSpace(parts[0]) == "" || strings.TrimSpace(parts[2]) == "" {
				return r, fmt.Errorf("configs: supervision.checklist: %q is neither a built-in item nor \"key|category|label\"", entry)
			}
			it = models.CheckItem{Key: strings.TrimSpace(parts[0]), Category: strings.TrimSpace(parts[1]), Label: strings.TrimSpace(parts[2])}
			if !models.IsCategory(it.Category) {
				return r, fmt.Errorf("configs: supervision.checklist: %q: unknown category %q (one of %s)", entry, it.Category,
					strings.Join(models.Categories, ", "))
			}
		}
		if seen[it.Key] {
			return r, fmt.Errorf("configs: supervision.checklist: item %q twice", it.Key)
		}
		seen[it.Key] = true
		r.Checklist = append(r.Checklist, it)
	}
	return r, nil
}

// supervisionEnvVars are the settings of supervision, in the order of the example file.
func supervisionEnvVars() []EnvVar {
	return []EnvVar{
		{Name: "WINDOWBOT_SUPERVISION_CHECKLIST", Key: "supervision.checklist", field: func(c *Config) any { return &c.Supervision.Checklist }},
		{Name: "WINDOWBOT_SUPERVISION_FRAUD_BURST_COUNT", Key: "supervision.fraud.burst_count", field: func(c *Config) any { return &c.Supervision.Fraud.BurstCount }},
		{Name: "WINDOWBOT_SUPERVISION_FRAUD_BURST_WINDOW", Key: "supervision.fraud.burst_window", field: func(c *Config) any { return &c.Supervision.Fraud.BurstWindow }},
		{Name: "WINDOWBOT_SUPERVISION_FRAUD_FRESH_COUNT", Key: "supervision.fraud.fresh_count", field: func(c *Config) any { return &c.Supervision.Fraud.FreshCount }},
		{Name: "WINDOWBOT_SUPERVISION_FRAUD_FRESH_WINDOW", Key: "supervision.fraud.fresh_window", field: func(c *Config) any { return &c.Supervision.Fraud.FreshWindow }},
		{Name: "WINDOWBOT_SUPERVISION_FRAUD_FRESH_AGE", Key: "supervision.fraud.fresh_age", field: func(c *Config) any { return &c.Supervision.Fraud.FreshAge }},
		{Name: "WINDOWBOT_SUPERVISION_FRAUD_DEVICE_WINDOWS", Key: "supervision.fraud.device_windows", field: func(c *Config) any { return &c.Supervision.Fraud.DeviceWindows }},
		{Name: "WINDOWBOT_SUPERVISION_FRAUD_DEVICE_WINDOW", Key: "supervision.fraud.device_window", field: func(c *Config) any { return &c.Supervision.Fraud.DeviceWindow }},
		{Name: "WINDOWBOT_SUPERVISION_FRAUD_LOW_REPEAT", Key: "supervision.fraud.low_repeat", field: func(c *Config) any { return &c.Supervision.Fraud.LowRepeat }},
		{Name: "WINDOWBOT_SUPERVISION_FRAUD_LOW_DAYS", Key: "supervision.fraud.low_days", field: func(c *Config) any { return &c.Supervision.Fraud.LowDays }},
	}
}
