package configs

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// EnvPrefix starts the name of every environment variable windowbot reads.
const EnvPrefix = "WINDOWBOT_"

// EnvVar ties one configuration leaf to its YAML key and its environment variable. The file
// loader, the environment overlay, Validate's messages and the docs all go through this one
// table, so a key cannot exist in one place and be missing in another.
type EnvVar struct {
	// Name is the environment variable, e.g. WINDOWBOT_TELEGRAM_MODE.
	Name string
	// Key is the dotted YAML path, e.g. telegram.mode.
	Key string
	// Secret marks values that must never be printed or logged.
	Secret bool
	// field returns a pointer to the leaf inside c: *string, *int, *time.Duration,
	// *bool, *map[string]string or *[]string.
	field func(c *Config) any
}

// EnvVars returns the table of every configuration leaf, in the order of the example file.
// Maps (WINDOWBOT_WECHAT_TEMPLATES, WINDOWBOT_TICKETS_CATEGORY_DAYS) take comma-separated
// key=value pairs, lists (WINDOWBOT_CALENDAR_HOLIDAYS) comma-separated items.
func EnvVars() []EnvVar {
	return append([]EnvVar{
		{Name: "WINDOWBOT_DATABASE_URL", Key: "database_url", field: func(c *Config) any { return &c.DatabaseURL }},
		{Name: "WINDOWBOT_DATABASE_READ_URL", Key: "database.read_url", field: func(c *Config) any { return &c.Database.ReadURL }},
		{Name: "WINDOWBOT_DATABASE_READ_MAX_LAG", Key: "database.read_max_lag", field: func(c *Config) any { return &c.Database.ReadMaxLag }},
		{Name: "WINDOWBOT_REDIS_URL", Key: "redis_url", field: func(c *Config) any { return &c.RedisURL }},
		{Name: "WINDOWBOT_REDIS_MODE", Key: "redis.mode", field: func(c *Config) any { return &c.Redis.Mode }},
		{Name: "WINDOWBOT_REDIS_ADDRS", Key: "redis.addrs", field: func(c *Config) any { return &c.Redis.Addrs }},
		{Name: "WINDOWBOT_REDIS_MASTER", Key: "redis.master", field: func(c *Config) any { return &c.Redis.MasterName }},
		{Name: "WINDOWBOT_REDIS_PASSWORD", Key: "redis.password", Secret: true, field: func(c *Config) any { return &c.Redis.Password }},
		{Name: "WINDOWBOT_HTTP_ADDR", Key: "http_addr", field: func(c *Config) any { return &c.HTTPAddr }},
		{Name: "WINDOWBOT_PUBLIC_URL", Key: "public_url", field: func(c *Config) any { return &c.PublicURL }},
		{Name: "WINDOWBOT_ADMIN_TOKEN", Key: "admin_token", Secret: true, field: func(c *Config) any { return &c.AdminToken }},
		{Name: "WINDOWBOT_TIMEZONE", Key: "timezone", field: func(c *Config) any { return &c.Timezone }},
		{Name: "WINDOWBOT_LANGUAGE", Key: "language", field: func(c *Config) any { return &c.Language }},
		{Name: "WINDOWBOT_LOG_LEVEL", Key: "log_level", field: func(c *Config) any { return &c.LogLevel }},
		{Name: "WINDOWBOT_SESSION_TTL", Key: "session_ttl", field: func(c *Config) any { return &c.SessionTTL }},
		{Name: "WINDOWBOT_MEMORY_MAX_ENTRIES", Key: "memory_max_entries", field: func(c *Config) any { return &c.MemoryMaxEntries }},
		{Name: "WINDOWBOT_WEB_HISTORY_TTL", Key: "web_history_ttl", field: func(c *Config) any { return &c.WebHistoryTTL }},
		{Name: "WINDOWBOT_RATING_PERIOD_DAYS", Key: "rating_period_days", field: func(c *Config) any { return &c.RatingPeriodDays }},
		{Name: "WINDOWBOT_SHUTDOWN_TIMEOUT", Key: "shutdown_timeout", field: func(c *Config) any { return &c.ShutdownTimeout }},
		{Name: "WINDOWBOT_QR_FONT", Key: "qr_font", field: func(c *Config) any { return &c.QRFont }},
		{Name: "WINDOWBOT_TRUSTED_PROXIES", Key: "trusted_proxies", field: func(c *Config) any { return &c.TrustedProxies }},

		{Name: "WINDOWBOT_TELEGRAM_TOKEN", Key: "telegram.token", Secret: true, field: func(c *Config) any { return &c.Telegram.Token }},
		{Name: "WINDOWBOT_TELEGRAM_API_URL", Key: "telegram.api_url", field: func(c *Config) any { return &c.Telegram.APIURL }},
		{Name: "WINDOWBOT_TELEGRAM_MODE", Key: "telegram.mode", field: func(c *Config) any { return &c.Telegram.Mode }},
		{Name: "WINDOWBOT_TELEGRAM_WEBHOOK_SECRET", Key: "telegram.webhook_secret", Secret: true, field: func(c *Config) any { return &c.Telegram.WebhookSecret }},
		{Name: "WINDOWBOT_TELEGRAM_USERNAME", Key: "telegram.username", field: func(c *Config) any { return &c.Telegram.Username }},

		{Name: "WINDOWBOT_WECHAT_APP_ID", Key: "wechat.app_id", field: func(c *Config) any { return &c.WeChat.AppID }},
		{Name: "WINDOWBOT_WECHAT_APP_SECRET", Key: "wechat.app_secret", Secret: true, field: func(c *Config) any { return &c.WeChat.AppSecret }},
		{Name: "WINDOWBOT_WECHAT_TOKEN", Key: "wechat.token", Secret: true, field: func(c *Config) any { return &c.WeChat.Token }},
		{Name: "WINDOWBOT_WECHAT_AES_KEY", Key: "wechat.aes_key", Secret: true, field: func(c *Config) any { return &c.WeChat.AESKey }},
		{Name: "WINDOWBOT_WECHAT_API_URL", Key: "wechat.api_url", field: func(c *Config) any { return &c.WeChat.APIURL }},
		{Name: "WINDOWBOT_WECHAT_REPLY_BUDGET", Key: "wechat.reply_budget", field: func(c *Config) any { return &c.WeChat.ReplyBudget }},
		{Name: "WINDOWBOT_WECHAT_TIMESTAMP_WINDOW", Key: "wechat.timestamp_window", field: func(c *Config) any { return &c.WeChat.TimestampWindow }},
		{Name: "WINDOWBOT_WECHAT_TEMPLATES", Key: "wechat.templates", field: func(c *Config) any { return &c.WeChat.Templates }},

		{Name: "WINDOWBOT_CALENDAR_HOLIDAYS", Key: "calendar.holidays", field: func(c *Config) any { return &c.Calendar.Holidays }},
		{Name: "WINDOWBOT_CALENDAR_WORKDAYS", Key: "calendar.workdays", field: func(c *Config) any { return &c.Calendar.Workdays }},

		{Name: "WINDOWBOT_TICKETS_CALLBACK_DAYS", Key: "tickets.callback_days", field: func(c *Config) any { return &c.Tickets.CallbackDays }},
		{Name: "WINDOWBOT_TICKETS_RECTIFY_DAYS", Key: "tickets.rectify_days", field: func(c *Config) any { return &c.Tickets.RectifyDays }},
		{Name: "WINDOWBOT_TICKETS_CATEGORY_DAYS", Key: "tickets.category_days", field: func(c *Config) any { return &c.Tickets.CategoryDays }},
		{Name: "WINDOWBOT_TICKETS_RERATE_DAYS", Key: "tickets.rerate_days", field: func(c *Config) any { return &c.Tickets.RerateDays }},
		{Name: "WINDOWBOT_TICKETS_DUPLICATE_DAYS", Key: "tickets.duplicate_days", field: func(c *Config) any { return &c.Tickets.DuplicateDays }},
		{Name: "WINDOWBOT_TICKETS_REOPEN_DAYS", Key: "tickets.reopen_days", field: func(c *Config) any { return &c.Tickets.ReopenDays }},
		{Name: "WINDOWBOT_TICKETS_MIN_RESULT_CHARS", Key: "tickets.min_result_chars", field: func(c *Config) any { return &c.Tickets.MinResultChars }},
		{Name: "WINDOWBOT_TICKETS_ROUTING_NAMED_PERSON", Key: "tickets.routing.named_person", field: func(c *Config) any { return &c.Tickets.Routing.NamedPerson }},
		{Name: "WINDOWBOT_TICKETS_ROUTING_WINDOW", Key: "tickets.routing.window", field: func(c *Config) any { return &c.Tickets.Routing.Window }},
		{Name: "WINDOWBOT_TICKETS_ROUTING_CONDUCT", Key: "tickets.routing.conduct", field: func(c *Config) any { return &c.Tickets.Routing.Conduct }},

		{Name: "WINDOWBOT_JOBS_TIMEOUT", Key: "jobs.timeout", field: func(c *Config) any { return &c.Jobs.Timeout }},
		{Name: "WINDOWBOT_JOBS_DEADLINE_REMINDERS", Key: "jobs.deadline_reminders", field: func(c *Config) any { return &c.Jobs.DeadlineReminders }},
		{Name: "WINDOWBOT_JOBS_OVERDUE_ESCALATION", Key: "jobs.overdue_escalation", field: func(c *Config) any { return &c.Jobs.OverdueEscalation }},
		{Name: "WINDOWBOT_JOBS_DAILY_DIGEST", Key: "jobs.daily_digest", field: func(c *Config) any { return &c.Jobs.DailyDigest }},
		{Name: "WINDOWBOT_JOBS_RERATING", Key: "jobs.rerating", field: func(c *Config) any { return &c.Jobs.Rerating }},
		{Name: "WINDOWBOT_JOBS_MONTHLY_STAR", Key: "jobs.monthly_star", field: func(c *Config) any { return &c.Jobs.MonthlyStar }},
		{Name: "WINDOWBOT_JOBS_MONTHLY_REPORT", Key: "jobs.monthly_report", field: func(c *Config) any { return &c.Jobs.MonthlyReport }},
		{Name: "WINDOWBOT_JOBS_YEARLY_RANKING", Key: "jobs.yearly_ranking", field: func(c *Config) any { return &c.Jobs.YearlyRanking }},
		{Name: "WINDOWBOT_JOBS_MIN_RATINGS", Key: "jobs.min_ratings", field: func(c *Config) any { return &c.Jobs.MinRatings }},
		{Name: "WINDOWBOT_JOBS_SATISFACTION_TARGET", Key: "jobs.satisfaction_target", field: func(c *Config) any { return &c.Jobs.SatisfactionTarget }},
		{Name: "WINDOWBOT_JOBS_RERATE_REMINDER_DAYS", Key: "jobs.rerate_reminder_days", field: func(c *Config) any { return &c.Jobs.RerateReminderDays }},

		{Name: "WINDOWBOT_PUSH_WORKERS", Key: "push.workers", field: func(c *Config) any { return &c.Push.Workers }},
		{Name: "WINDOWBOT_PUSH_BATCH", Key: "push.batch", field: func(c *Config) any { return &c.Push.Batch }},
		{Name: "WINDOWBOT_PUSH_LEASE", Key: "push.lease", field: func(c *Config) any { return &c.Push.Lease }},
		{Name: "WINDOWBOT_PUSH_POLL_INTERVAL", Key: "push.poll_interval", field: func(c *Config) any { return &c.Push.PollInterval }},
		{Name: "WINDOWBOT_PUSH_MAX_ATTEMPTS", Key: "push.max_attempts", field: func(c *Config) any { return &c.Push.MaxAttempts }},
		{Name: "WINDOWBOT_PUSH_RETRY_BASE", Key: "push.retry_base", field: func(c *Config) any { return &c.Push.RetryBase }},
		{Name: "WINDOWBOT_PUSH_RETRY_CAP", Key: "push.retry_cap", field: func(c *Config) any { return &c.Push.RetryCap }},
		{Name: "WINDOWBOT_PUSH_QUIET_HOURS", Key: "push.quiet_hours", field: func(c *Config) any { return &c.Push.QuietHours }},
		{Name: "WINDOWBOT_PUSH_TELEGRAM_RATE", Key: "push.telegram_rate", field: func(c *Config) any { return &c.Push.TelegramRate }},
		{Name: "WINDOWBOT_PUSH_TELEGRAM_CHAT_INTERVAL", Key: "push.telegram_chat_interval", field: func(c *Config) any { return &c.Push.TelegramChatInterval }},
		{Name: "WINDOWBOT_PUSH_WECHAT_RATE", Key: "push.wechat_rate", field: func(c *Config) any { return &c.Push.WeChatRate }},
		{Name: "WINDOWBOT_PUSH_WECHAT_CHAT_INTERVAL", Key: "push.wechat_chat_interval", field: func(c *Config) any { return &c.Push.WeChatChatInterval }},

		{Name: "WINDOWBOT_STAFF_INVITE_VALIDITY", Key: "staff.invite_validity", field: func(c *Config) any { return &c.Staff.InviteValidity }},
		{Name: "WINDOWBOT_STAFF_PSEUDONYM_SECRET", Key: "staff.pseudonym_secret", Secret: true, field: func(c *Config) any { return &c.Staff.PseudonymSecret }},

		{Name: "WINDOWBOT_BOARD_CACHE_TTL", Key: "board.cache_ttl", field: func(c *Config) any { return &c.Board.CacheTTL }},
		{Name: "WINDOWBOT_BOARD_STAFF_NAMES", Key: "board.staff_names", field: func(c *Config) any { return &c.Board.StaffNames }},
		{Name: "WINDOWBOT_POSTERS_SIZE", Key: "posters.size", field: func(c *Config) any { return &c.Posters.Size }},
		{Name: "WINDOWBOT_POSTERS_HOTLINE", Key: "posters.hotline", field: func(c *Config) any { return &c.Posters.Hotline }},
		{Name: "WINDOWBOT_POSTERS_CENTER_HOTLINES", Key: "posters.center_hotlines", field: func(c *Config) any { return &c.Posters.CenterHotlines }},
		{Name: "WINDOWBOT_POSTERS_SERVICE_LINE", Key: "posters.service_line", field: func(c *Config) any { return &c.Posters.ServiceLine }},
		{Name: "WINDOWBOT_POSTERS_STARS_PER_CENTER", Key: "posters.stars_per_center", field: func(c *Config) any { return &c.Posters.StarsPerCenter }},
		{Name: "WINDOWBOT_POSTERS_RUNNERS_UP", Key: "posters.runners_up", field: func(c *Config) any { return &c.Posters.RunnersUp }},
		{Name: "WINDOWBOT_POSTERS_YEARLY_STARS", Key: "posters.yearly_stars", field: func(c *Config) any { return &c.Posters.YearlyStars }},
	}, append(caseEnvVars(), supervisionEnvVars()...)...)
}

// envVarByKey finds the table entry of a YAML key.
func envVarByKey(key string) (EnvVar, bool) {
	for _, e := range EnvVars() {
		if e.Key == key {
			return e, true
		}
	}
	return EnvVar{}, false
}

// label is how messages name a setting: the variable operators set, then the file key.
func (e EnvVar) label() string {
	return fmt.Sprintf("%s (%s)", e.Name, e.Key)
}

// setString parses raw into the leaf; the same parser serves the file and the environment so
// both accept exactly the same spellings.
func (e EnvVar) setString(c *Config, raw string) error {
	switch p := e.field(c).(type) {
	case *string:
		*p = raw
	case *int:
		n, err := strconv.Atoi(strings.TrimSpace(raw))
		if err != nil {
			return fmt.Errorf("not a whole number: %q", raw)
		}
		*p = n
	case *bool:
		b, err := strconv.ParseBool(strings.TrimSpace(raw))
		if err != nil {
			return fmt.Errorf("not true or false: %q", raw)
		}
		*p = b
	case *time.Duration:
		d, err := parseDuration(raw)
		if err != nil {
			return err
		}
		*p = d
	case *map[string]string:
		m, err := parsePairs(raw)
		if err != nil {
			return err
		}
		*p = m
	case *[]string:
		var list []string
		for item := range strings.SplitSeq(raw, ",") {
			if item = strings.TrimSpace(item); item != "" {
				list = append(list, item)
			}
		}
		*p = list
	default:
		// Only reachable when someone adds a field of a new type without teaching this switch.
		return fmt.Errorf("unsupported field type %T", p)
	}
	return nil
}

func parseDuration(raw string) (time.Duration, error) {
	s := strings.TrimSpace(raw)
	d, err := time.ParseDuration(s)
	if err != nil {
		if _, numErr := strconv.ParseFloat(s, 64); numErr == nil && s != "0" {
			return 0, fmt.Errorf("duration %q has no unit (write e.g. 30m, 10s or 1h30m)", raw)
		}
		return 0, fmt.Errorf("not a duration: %q (write e.g. 30m, 10s or 1h30m)", raw)
	}
	return d, nil
}

// parsePairs reads "kind=id,kind=id", the environment form of a map.
func parsePairs(raw string) (map[string]string, error) {
	m := map[string]string{}
	for item := range strings.SplitSeq(raw, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		k, v, ok := strings.Cut(item, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("%q is not a kind=value pair (write kind=value,kind=value)", item)
		}
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("%q given twice", k)
		}
		m[k] = v
	}
	return m, nil
}

// applyEnv overlays every variable that is set. A variable that is set wins even when empty, so
// WINDOWBOT_REDIS_URL= can switch a file's Redis off.
func applyEnv(c *Config, getenv func(string) (string, bool)) error {
	if getenv == nil {
		return nil
	}
	for _, e := range EnvVars() {
		raw, ok := getenv(e.Name)
		if !ok {
			continue
		}
		if err := e.setString(c, raw); err != nil {
			return &FieldError{Env: e.Name, Key: e.Key, Reason: err.Error()}
		}
	}
	return nil
}
