package configs

import (
	"encoding/base64"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"windowbot/models"
)

// Database drivers ParseDatabaseURL returns.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// wechatReplyLimit is how long WeChat waits for a passive reply before retrying the callback.
const wechatReplyLimit = 5 * time.Second

// schemeRE needs two letters at least so a Windows drive ("C:\data\windowbot.db") is a path.
var schemeRE = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]+):`)

var (
	telegramSecretRE   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
	telegramUsernameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{3,31}$`)
	wechatTokenRE      = regexp.MustCompile(`^[A-Za-z0-9]{3,32}$`)
)

// ParseDatabaseURL splits a database_url into a gorm driver name (DriverSQLite or DriverPostgres)
// and the DSN that driver expects: a plain path, sqlite:PATH, sqlite://PATH or file:… are SQLite;
// postgres:// and postgresql:// URLs and libpq's keywords (host=a,b dbname=…) are PostgreSQL.
func ParseDatabaseURL(s string) (driver, dsn string, err error) {
	if strings.TrimSpace(s) == "" {
		return "", "", fmt.Errorf("configs: database url is empty")
	}
	if models.IsKeywordDSN(s) {
		return DriverPostgres, s, nil
	}
	m := schemeRE.FindStringSubmatch(s)
	if m == nil {
		return DriverSQLite, s, nil
	}
	switch scheme := strings.ToLower(m[1]); scheme {
	case "sqlite", "sqlite3":
		path := strings.TrimPrefix(s[len(m[0]):], "//")
		if path == "" {
			return "", "", fmt.Errorf("configs: database url %q has no file path after %s:", s, m[1])
		}
		return DriverSQLite, path, nil
	case "file":
		return DriverSQLite, s, nil // the SQLite driver understands file: URIs itself
	case "postgres", "postgresql":
		if _, err := url.Parse(s); err != nil || !strings.HasPrefix(s[len(m[0]):], "//") {
			return "", "", fmt.Errorf("configs: database url is not a valid postgres:// URL")
		}
		return DriverPostgres, s, nil
	default:
		return "", "", fmt.Errorf("configs: unsupported scheme %q (use a SQLite path, sqlite:PATH or postgres://)", m[1])
	}
}

// Validate reports every bad setting at once. A single problem comes back as a *FieldError, several
// as Errors; either way the message is one line that names the environment variable and the YAML
// key. Validate touches no file or network: font and connection problems surface when those are
// opened.
func (c Config) Validate() error {
	var errs Errors
	bad := func(key, format string, args ...any) {
		e, _ := envVarByKey(key) // every key below is in the table; TestValidate covers each
		errs = append(errs, &FieldError{Env: e.Name, Key: key, Reason: fmt.Sprintf(format, args...)})
	}

	if _, _, err := ParseDatabaseURL(c.DatabaseURL); err != nil {
		bad("database_url", "%s", strings.TrimPrefix(err.Error(), "configs: "))
	}
	if c.Database.ReadURL != "" {
		primary, _, _ := ParseDatabaseURL(c.DatabaseURL)
		if driver, _, err := ParseDatabaseURL(c.Database.ReadURL); err != nil || driver != DriverPostgres || primary != DriverPostgres {
			bad("database.read_url", "a read replica must be a postgres:// URL (or host=… keywords) and database_url PostgreSQL too")
		}
	}
	positive(bad, "database.read_max_lag", c.Database.ReadMaxLag)
	if _, err := c.SupervisionRules(); err != nil {
		bad("supervision.checklist", "%s", strings.TrimPrefix(err.Error(), "configs: supervision.checklist: "))
	}
	switch c.Redis.Mode {
	case "", "single":
		if c.RedisURL != "" && len(c.Redis.Addrs) > 0 {
			bad("redis.addrs", "set redis_url or redis.addrs, not both")
		}
		if len(c.Redis.Addrs) > 1 {
			bad("redis.addrs", "single mode takes one address (use mode sentinel or cluster for more)")
		}
	case "sentinel", "cluster":
		if len(c.Redis.Addrs) == 0 {
			bad("redis.addrs", "%s mode needs the addresses of the %s", c.Redis.Mode, map[string]string{"sentinel": "sentinels", "cluster": "cluster's nodes"}[c.Redis.Mode])
		}
		if c.RedisURL != "" {
			bad("redis_url", "redis_url is for single mode; with mode %s use redis.addrs", c.Redis.Mode)
		}
		if c.Redis.Mode == "sentinel" && c.Redis.MasterName == "" {
			bad("redis.master", "sentinel mode needs the name the sentinels monitor the master under")
		}
	default:
		bad("redis.mode", "%q is not single, sentinel or cluster", c.Redis.Mode)
	}
	for _, a := range c.Redis.Addrs {
		if _, port, err := net.SplitHostPort(strings.TrimSpace(a)); err != nil || port == "" {
			bad("redis.addrs", "%q is not host:port", a)
		}
	}
	if c.RedisURL != "" {
		if reason := checkURL(c.RedisURL, "redis", "rediss", "unix"); reason != "" {
			bad("redis_url", "%s (leave empty for in-process state)", reason)
		}
	}
	if _, port, err := net.SplitHostPort(c.HTTPAddr); err != nil || port == "" {
		bad("http_addr", "%q is not host:port (e.g. :8080 or 127.0.0.1:8080)", c.HTTPAddr)
	}
	if reason := checkURL(c.PublicURL, "http", "https"); reason != "" {
		bad("public_url", "%s", reason)
	}
	if _, err := c.TrustedProxyPrefixes(); err != nil {
		bad("trusted_proxies", "%s", strings.TrimPrefix(err.Error(), "configs: "))
	}
	if c.AdminToken != "" && len(c.AdminToken) < 16 {
		bad("admin_token", "too short (%d characters; use at least 16, e.g. openssl rand -hex 24)", len(c.AdminToken))
	}
	// time.LoadLocation("") is UTC: an emptied variable would quietly move every deadline.
	if _, err := c.Location(); err != nil || c.Timezone == "" {
		bad("timezone", "unknown time zone %q (use an IANA name such as Asia/Shanghai)", c.Timezone)
	}
	if c.Language != LanguageChinese && c.Language != LanguageEnglish {
		bad("language", "unsupported language %q (use %q or %q)", c.Language, LanguageChinese, LanguageEnglish)
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.LogLevel)); err != nil {
		bad("log_level", "unknown level %q (use debug, info, warn or error)", c.LogLevel)
	}
	positive(bad, "session_ttl", c.SessionTTL)
	if c.MemoryMaxEntries < 0 {
		bad("memory_max_entries", "must be 0 (no cap) or more, got %d", c.MemoryMaxEntries)
	}
	positive(bad, "web_history_ttl", c.WebHistoryTTL)
	if c.RatingPeriodDays < 1 {
		bad("rating_period_days", "must be at least 1 (1 = one rating per citizen per window per day), got %d", c.RatingPeriodDays)
	}
	positive(bad, "shutdown_timeout", c.ShutdownTimeout)

	c.validateTelegram(bad)
	c.validateWeChat(bad)
	c.validateTickets(bad)
	c.validateJobs(bad)
	c.validatePush(bad)
	c.validatePosters(bad)
	if c.Staff.InviteValidity < time.Minute || c.Staff.InviteValidity > 90*24*time.Hour {
		bad("staff.invite_validity", "must be between 1m and 2160h (90 days), got %s", c.Staff.InviteValidity)
	}
	if s := c.Staff.PseudonymSecret; s != "" && len(s) < 16 {
		bad("staff.pseudonym_secret", "too short (%d characters; use at least 16, e.g. openssl rand -hex 24)", len(s))
	}

	if c.Board.CacheTTL < 0 || c.Board.CacheTTL > 24*time.Hour {
		bad("board.cache_ttl", "must be between 0s (no cache) and 24h, got %s", c.Board.CacheTTL)
	}

	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	default:
		return errs
	}
}

func (c Config) validateTelegram(bad func(key, format string, args ...any)) {
	t := c.Telegram
	if reason := checkURL(t.APIURL, "http", "https"); reason != "" {
		bad("telegram.api_url", "%s", reason)
	}
	switch t.Mode {
	case TelegramPolling:
	case TelegramWebhook:
		if t.WebhookSecret == "" {
			bad("telegram.webhook_secret", "required when telegram mode is %q", TelegramWebhook)
		}
		// Telegram only delivers webhooks to HTTPS URLs.
		if u, err := url.Parse(c.PublicURL); err == nil && u.Scheme != "https" {
			bad("public_url", "must be https:// when telegram mode is %q (Telegram calls webhooks over HTTPS only)", TelegramWebhook)
		}
	default:
		bad("telegram.mode", "unknown mode %q (use %q or %q)", t.Mode, TelegramPolling, TelegramWebhook)
	}
	if t.WebhookSecret != "" && !telegramSecretRE.MatchString(t.WebhookSecret) {
		bad("telegram.webhook_secret", "Telegram accepts only 1-256 characters A-Z, a-z, 0-9, _ and -")
	}
	if t.Username != "" && !telegramUsernameRE.MatchString(t.Username) {
		bad("telegram.username", "%q is not a Telegram username (5-32 letters, digits or _, without the @)", t.Username)
	}
}

func (c Config) validateWeChat(bad func(key, format string, args ...any)) {
	w := c.WeChat
	if w.AppID == "" {
		for _, dep := range []struct{ key, val string }{
			{"wechat.app_secret", w.AppSecret}, {"wechat.token", w.Token}, {"wechat.aes_key", w.AESKey},
		} {
			if dep.val != "" {
				bad("wechat.app_id", "required when %s is set (WeChat is switched on by the app id)", dep.key)
				break
			}
		}
	} else {
		if w.AppSecret == "" {
			bad("wechat.app_secret", "required when wechat.app_id is set")
		}
		if w.Token == "" {
			bad("wechat.token", "required when wechat.app_id is set (the token of 服务器配置)")
		}
	}
	if w.Token != "" && !wechatTokenRE.MatchString(w.Token) {
		bad("wechat.token", "must be 3-32 letters or digits, as the WeChat console requires (got %d characters)", len(w.Token))
	}
	if w.AESKey != "" {
		if len(w.AESKey) != 43 {
			bad("wechat.aes_key", "must be exactly 43 characters (got %d); leave empty for plaintext mode", len(w.AESKey))
		} else if k, err := base64.StdEncoding.DecodeString(w.AESKey + "="); err != nil || len(k) != 32 {
			bad("wechat.aes_key", "is not a valid EncodingAESKey (43 base64 characters); copy it again from the WeChat console")
		}
	}
	if reason := checkURL(w.APIURL, "http", "https"); reason != "" {
		bad("wechat.api_url", "%s", reason)
	}
	if positive(bad, "wechat.reply_budget", w.ReplyBudget) && w.ReplyBudget >= wechatReplyLimit {
		bad("wechat.reply_budget", "must be below %s, after which WeChat retries the message (got %s)", wechatReplyLimit, w.ReplyBudget)
	}
	positive(bad, "wechat.timestamp_window", w.TimestampWindow)
	kinds := models.PushKinds()
	for _, kind := range slices.Sorted(maps.Keys(w.Templates)) {
		switch {
		case strings.TrimSpace(kind) == "" || strings.TrimSpace(w.Templates[kind]) == "":
			bad("wechat.templates", "kind %q has an empty name or template id", kind)
		case kind != DefaultTemplate && !slices.Contains(kinds, kind):
			// A misspelt kind would leave its notices without a template, failing only when a
			// citizen has been silent for 48 hours.
			bad("wechat.templates", "%q is not a kind of notice; use %s, or %s for every kind without its own",
				kind, strings.Join(kinds, ", "), DefaultTemplate)
		}
	}
}

// positive reports a zero or negative duration and says whether d was fine.
func positive(bad func(key, format string, args ...any), key string, d time.Duration) bool {
	if d <= 0 {
		bad(key, "must be a positive duration such as 30s or 5m, got %s", d)
		return false
	}
	return true
}

// checkURL returns why s is not an absolute URL with one of schemes, or "".
func checkURL(s string, schemes ...string) string {
	if s == "" {
		return "is empty"
	}
	mustStart := "must start with " + strings.Join(schemes, ":// or ") + "://"
	if !strings.Contains(s, "://") {
		return fmt.Sprintf("%q %s", models.RedactURL(s), mustStart)
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Sprintf("cannot parse %q as a URL", models.RedactURL(s))
	}
	for _, sc := range schemes {
		if strings.EqualFold(u.Scheme, sc) {
			if u.Host == "" && sc != "unix" {
				return fmt.Sprintf("%q has no host", models.RedactURL(s))
			}
			return ""
		}
	}
	return fmt.Sprintf("%q %s", models.RedactURL(s), mustStart)
}

func (c Config) validateTickets(bad func(key, format string, args ...any)) {
	for _, l := range []struct {
		key  string
		list []string
	}{{"calendar.holidays", c.Calendar.Holidays}, {"calendar.workdays", c.Calendar.Workdays}} {
		for _, d := range l.list {
			if _, err := time.Parse(time.DateOnly, d); err != nil {
				bad(l.key, "%q is not a date written 2006-01-02", d)
				return
			}
		}
	}
	if _, err := models.NewCalendar(time.UTC, c.Calendar.Holidays, c.Calendar.Workdays); err != nil {
		bad("calendar.workdays", "%s", strings.TrimPrefix(err.Error(), "calendar: "))
	}
	t := c.Tickets
	if t.CallbackDays < 0 || t.CallbackDays > 60 {
		bad("tickets.callback_days", "must be between 0 and 60 working days, got %d", t.CallbackDays)
	}
	if t.RectifyDays < 1 || t.RectifyDays > 365 {
		bad("tickets.rectify_days", "must be between 1 and 365 working days, got %d", t.RectifyDays)
	}
	for cat, v := range t.CategoryDays {
		if !models.IsCategory(cat) {
			bad("tickets.category_days", "unknown category %q (use %s)", cat, strings.Join(models.Categories, ", "))
			continue
		}
		if _, _, err := parseCategoryDays(v); err != nil {
			bad("tickets.category_days", "%s: %v", cat, err)
		}
	}
	if t.RerateDays < 1 {
		bad("tickets.rerate_days", "must be at least 1 day, got %d", t.RerateDays)
	}
	if t.DuplicateDays < 0 {
		bad("tickets.duplicate_days", "must be 0 (no duplicate hint) or more days, got %d", t.DuplicateDays)
	}
	if t.ReopenDays < 1 || t.ReopenDays > 365 {
		bad("tickets.reopen_days", "must be between 1 and 365 working days, got %d", t.ReopenDays)
	}
	if t.MinResultChars < 1 || t.MinResultChars > models.MaxNoteRunes {
		bad("tickets.min_result_chars", "must be between 1 and %d characters, got %d", models.MaxNoteRunes, t.MinResultChars)
	}
	if r := t.Routing.NamedPerson; r != "lead" && r != "supervisors" {
		bad("tickets.routing.named_person", "must be lead or supervisors (never the person's colleagues), got %q", r)
	}
	if r := t.Routing.Window; r != "staff" && r != "lead" && r != "supervisors" {
		bad("tickets.routing.window", "must be staff, lead or supervisors, got %q", r)
	}
	for _, k := range t.Routing.Conduct {
		if !models.IsCategory(k) && !models.IsProblem(k) && !isAspect(k) {
			bad("tickets.routing.conduct", "%q is neither a category nor an aspect nor a problem (such as conduct or conduct.favours)", k)
		}
	}
}

// isAspect reports whether k is one of the four aspects.
func isAspect(k string) bool {
	for _, a := range models.Aspects {
		if a.Key == k {
			return true
		}
	}
	return false
}

var quietHoursRE = regexp.MustCompile(`^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$`)

func (c Config) validateJobs(bad func(key, format string, args ...any)) {
	j := c.Jobs
	positive(bad, "jobs.timeout", j.Timeout)
	for _, s := range j.schedules() {
		if s.spec == ScheduleOff {
			continue
		}
		if strings.Contains(s.spec, "TZ=") {
			bad(s.key, "%q names its own time zone; schedules run in WINDOWBOT_TIMEZONE (timezone)", s.spec)
			continue
		}
		if _, err := cron.ParseStandard(s.spec); err != nil {
			bad(s.key, "%q is not a cron schedule (minute hour day-of-month month day-of-week, e.g. \"0 9 1 * *\", or %q): %v", s.spec, ScheduleOff, err)
		}
	}
	if j.MinRatings < 1 {
		bad("jobs.min_ratings", "must be at least 1 rating, got %d", j.MinRatings)
	}
	if j.SatisfactionTarget < 1 || j.SatisfactionTarget > 100 {
		bad("jobs.satisfaction_target", "must be a percentage between 1 and 100, got %d", j.SatisfactionTarget)
	}
	if j.RerateReminderDays < 1 || j.RerateReminderDays >= c.Tickets.RerateDays {
		bad("jobs.rerate_reminder_days", "must be at least 1 and less than tickets.rerate_days (%d), got %d", c.Tickets.RerateDays, j.RerateReminderDays)
	}
}

func (c Config) validatePush(bad func(key, format string, args ...any)) {
	p := c.Push
	for _, n := range []struct {
		key string
		v   int
	}{{"push.workers", p.Workers}, {"push.batch", p.Batch}, {"push.max_attempts", p.MaxAttempts}} {
		if n.v < 1 {
			bad(n.key, "must be at least 1, got %d", n.v)
		}
	}
	positive(bad, "push.lease", p.Lease)
	positive(bad, "push.poll_interval", p.PollInterval)
	if positive(bad, "push.retry_base", p.RetryBase) && p.RetryCap < p.RetryBase {
		bad("push.retry_cap", "must not be shorter than push.retry_base (%s), got %s", p.RetryBase, p.RetryCap)
	}
	if p.QuietHours != "" && !quietHoursRE.MatchString(p.QuietHours) {
		bad("push.quiet_hours", "%q is not HH:MM-HH:MM such as 21:00-08:00 (empty for none)", p.QuietHours)
	}
	for _, r := range []struct {
		key string
		v   int
	}{{"push.telegram_rate", p.TelegramRate}, {"push.wechat_rate", p.WeChatRate}} {
		if r.v < 0 {
			bad(r.key, "must be 0 (no limit) or more messages a second, got %d", r.v)
		}
	}
	for _, d := range []struct {
		key string
		v   time.Duration
	}{{"push.telegram_chat_interval", p.TelegramChatInterval}, {"push.wechat_chat_interval", p.WeChatChatInterval}} {
		if d.v < 0 {
			bad(d.key, "must be 0 (no limit) or a duration such as 1s, got %s", d.v)
		}
	}
}

func (c Config) validatePosters(bad func(key, format string, args ...any)) {
	p := c.Posters
	switch strings.ToLower(p.Size) {
	case "a4", "a5", "tent":
	default:
		bad("posters.size", "must be a4, a5 or tent, got %q", p.Size)
	}
	if p.StarsPerCenter < 1 || p.StarsPerCenter > 10 {
		bad("posters.stars_per_center", "must be between 1 and 10, got %d", p.StarsPerCenter)
	}
	if p.RunnersUp < 0 || p.RunnersUp > 10 {
		bad("posters.runners_up", "must be between 0 and 10, got %d", p.RunnersUp)
	}
	if p.YearlyStars < 0 || p.YearlyStars > 100 {
		bad("posters.yearly_stars", "must be between 0 and 100, got %d", p.YearlyStars)
	}
}
