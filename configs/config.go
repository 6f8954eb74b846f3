// Package configs holds windowbot's configuration: the Config struct, its defaults, loading from a
// YAML file with a WINDOWBOT_* environment overlay, and Validate. Nothing here is package state:
// main loads a Config once and passes the parts each constructor needs.
package configs

import (
	"fmt"
	"log/slog"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"windowbot/internal/text"
	"windowbot/models"

	// The runtime image may have no /usr/share/zoneinfo (scratch, distroless); embedding the
	// database keeps Asia/Shanghai loadable everywhere for about 450 KB.
	_ "time/tzdata"
)

// Config is the whole of windowbot's configuration. The yaml tags are the keys of the file; every
// leaf also has an environment variable, listed by EnvVars.
type Config struct {
	// DatabaseURL is a SQLite path, sqlite:PATH, or a postgres:// URL.
	DatabaseURL string `yaml:"database_url"`
	// Database holds what more there is to the database than its URL: a read replica.
	Database DatabaseConfig `yaml:"database"`
	// RedisURL holds dialog state, dedupe keys and locks; empty keeps them in process, which is
	// only correct with a single replica.
	RedisURL string `yaml:"redis_url"`
	// Redis names a Redis that is more than one URL: Sentinel or Cluster.
	Redis RedisConfig `yaml:"redis"`
	// HTTPAddr is the listen address of the HTTP server (webhooks, web chat, admin API).
	HTTPAddr string `yaml:"http_addr"`
	// PublicURL is how citizens' browsers and the platforms reach this server; links and QR
	// posters are built from it.
	PublicURL string `yaml:"public_url"`
	// AdminToken is the bearer token of the admin API.
	AdminToken string `yaml:"admin_token"`
	// Timezone names the IANA zone used for days, deadlines and cron schedules.
	Timezone string `yaml:"timezone"`
	// Language is the language of the bot's texts: "zh-CN" or "en".
	Language string `yaml:"language"`
	// LogLevel is a slog level name: debug, info, warn or error.
	LogLevel string `yaml:"log_level"`
	// SessionTTL is how long an idle dialog is kept before it is forgotten.
	SessionTTL time.Duration `yaml:"session_ttl"`
	// MemoryMaxEntries caps the in-process state store (used without Redis): dialogs, dedupe keys
	// and counters. At the cap a new dialog is answered "busy" and a warning is logged; dialogs
	// under way go on. 0 means no cap.
	MemoryMaxEntries int `yaml:"memory_max_entries"`
	// WebHistoryTTL is how long a web visitor's conversation is kept after their last message,
	// so that reopening the page shows it (the dialog itself lasts SessionTTL).
	WebHistoryTTL time.Duration `yaml:"web_history_ttl"`
	// RatingPeriodDays is the length of the "one rating per citizen per window" period.
	RatingPeriodDays int `yaml:"rating_period_days"`
	// ShutdownTimeout bounds the graceful shutdown of the HTTP server and running jobs.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// QRFont is a CJK-capable font file for QR posters; empty searches the usual system paths.
	QRFont string `yaml:"qr_font"`
	// TrustedProxies lists the reverse proxies in front of the server (IP addresses or CIDR
	// prefixes). A web request from one of them names its client in X-Forwarded-For; requests
	// from anywhere else are taken to come from their peer address. Empty trusts no header.
	TrustedProxies []string `yaml:"trusted_proxies"`

	Telegram Telegram `yaml:"telegram"`
	WeChat   WeChat   `yaml:"wechat"`
	Calendar Calendar `yaml:"calendar"`
	Tickets  Tickets  `yaml:"tickets"`
	Jobs     Jobs     `yaml:"jobs"`
	Push     Push     `yaml:"push"`
	Staff    Staff    `yaml:"staff"`
	Board    Board    `yaml:"board"`
	Posters  Posters  `yaml:"posters"`
	Cases    Cases    `yaml:"cases"`
	SMS      SMS      `yaml:"sms"`
	Report   Report   `yaml:"report"`
	// Supervision holds the inspection checklist and the rating-fraud thresholds.
	Supervision Supervision `yaml:"supervision"`
}

// Posters configures what windowbot prints and pictures: the QR posters' hotlines and size, and
// how many service stars are announced.
type Posters struct {
	// Size is the paper size `windowbot qr` prints for without --size: a4, a5 or tent.
	Size string `yaml:"size"`
	// Hotline is the supervision hotline (监督电话) printed on the posters of every center
	// without its own in CenterHotlines; empty prints none.
	Hotline string `yaml:"hotline"`
	// CenterHotlines maps a center code to its own supervision hotline.
	CenterHotlines map[string]string `yaml:"center_hotlines"`
	// ServiceLine is the government service hotline printed beside it (12345); empty prints none.
	ServiceLine string `yaml:"service_line"`
	// StarsPerCenter is how many service stars (服务之星) each center gets a month.
	StarsPerCenter int `yaml:"stars_per_center"`
	// RunnersUp is how many staff members after the stars are named as runners-up.
	RunnersUp int `yaml:"runners_up"`
	// YearlyStars is how many staff members make the year's best (十佳服务明星), announced with
	// the yearly ranking; 0 announces none.
	YearlyStars int `yaml:"yearly_stars"`
}

// HotlineOf returns the supervision hotline of the center with code center.
func (p Posters) HotlineOf(center string) string {
	if h, ok := p.CenterHotlines[center]; ok {
		return h
	}
	return p.Hotline
}

// ScheduleOff switches a scheduled job off.
const ScheduleOff = "off"

// Jobs configures the scheduled jobs. Each schedule is a cron line (minute hour day-of-month
// month day-of-week, or @daily and the like) read in the configured time zone, or "off".
type Jobs struct {
	// Timeout bounds one run of a job.
	Timeout time.Duration `yaml:"timeout"`
	// DeadlineReminders tells the owning staff of tickets due on the next working day or today.
	DeadlineReminders string `yaml:"deadline_reminders"`
	// OverdueEscalation hands overdue tickets to the supervisors and chases them every working
	// day they stay overdue (催办).
	OverdueEscalation string `yaml:"overdue_escalation"`
	// DailyDigest sends supervisors new bad reviews, overdue tickets and the previous working
	// day's satisfaction rate.
	DailyDigest string `yaml:"daily_digest"`
	// Rerating reminds citizens to re-rate resolved tickets and closes unanswered ones as "no reply".
	Rerating string `yaml:"rerating"`
	// MonthlyStar announces each center's service star (服务之星) of the previous month.
	MonthlyStar string `yaml:"monthly_star"`
	// MonthlyReport sends supervisors the previous month's figures and rankings.
	MonthlyReport string `yaml:"monthly_report"`
	// YearlyRanking announces the previous year's top-ten and bottom-ten windows (十佳/十差).
	YearlyRanking string `yaml:"yearly_ranking"`
	// MinRatings is the minimum number of ratings a staff member or window needs to be ranked,
	// and the weight of the prior in the adjusted (Bayesian) score.
	MinRatings int `yaml:"min_ratings"`
	// SatisfactionTarget is the campaign's target satisfaction rate, in percent.
	SatisfactionTarget int `yaml:"satisfaction_target"`
	// RerateReminderDays is how many days after resolution a citizen who has not re-rated the
	// fix is reminded once.
	RerateReminderDays int `yaml:"rerate_reminder_days"`
}

// jobSchedule is one job's schedule and the configuration key it is set under.
type jobSchedule struct{ key, spec string }

// schedules lists the schedule of every job, in the order of the configuration file.
func (j Jobs) schedules() []jobSchedule {
	return []jobSchedule{
		{"jobs.deadline_reminders", j.DeadlineReminders}, {"jobs.overdue_escalation", j.OverdueEscalation},
		{"jobs.daily_digest", j.DailyDigest}, {"jobs.rerating", j.Rerating}, {"jobs.monthly_star", j.MonthlyStar},
		{"jobs.monthly_report", j.MonthlyReport}, {"jobs.yearly_ranking", j.YearlyRanking},
	}
}

// Schedules returns the schedule of every job by job name (the key with dashes).
func (j Jobs) Schedules() map[string]string {
	m := make(map[string]string)
	for _, s := range j.schedules() {
		m[strings.ReplaceAll(strings.TrimPrefix(s.key, "jobs."), "_", "-")] = s.spec
	}
	return m
}

// Target is SatisfactionTarget as a fraction (0.95), the form the rankings and reports compare
// satisfaction rates with.
func (j Jobs) Target() float64 { return float64(j.SatisfactionTarget) / 100 }

// Push configures the delivery of pushes (messages outside a conversation) from the outbox.
type Push struct {
	// Workers send in parallel.
	Workers int `yaml:"workers"`
	// Batch is how many due pushes one claim takes from the outbox.
	Batch int `yaml:"batch"`
	// Lease reserves claimed pushes for this replica; it must exceed the time a batch takes.
	Lease time.Duration `yaml:"lease"`
	// PollInterval is how often an idle dispatcher looks for due pushes.
	PollInterval time.Duration `yaml:"poll_interval"`
	// MaxAttempts is how many sends a push gets before it is marked failed.
	MaxAttempts int `yaml:"max_attempts"`
	// RetryBase and RetryCap bound the exponential backoff between attempts.
	RetryBase time.Duration `yaml:"retry_base"`
	RetryCap  time.Duration `yaml:"retry_cap"`
	// QuietHours ("21:00-08:00", in the configured time zone) holds non-urgent pushes to staff
	// until it ends; empty for none.
	QuietHours string `yaml:"quiet_hours"`
	// TelegramRate is the most messages a second sent to Telegram by the bot, and
	// TelegramChatInterval the least time between two messages to one chat. With Redis, every
	// replica counts against the same limits; without it, the single replica paces itself.
	TelegramRate         int           `yaml:"telegram_rate"`
	TelegramChatInterval time.Duration `yaml:"telegram_chat_interval"`
	// WeChatRate and WeChatChatInterval are the same for WeChat.
	WeChatRate         int           `yaml:"wechat_rate"`
	WeChatChatInterval time.Duration `yaml:"wechat_chat_interval"`
}

// Staff configures how staff and supervisors use the bot from their chat accounts.
type Staff struct {
	// InviteValidity is how long a binding code from `windowbot staff invite` can be used.
	InviteValidity time.Duration `yaml:"invite_validity"`
	// PseudonymSecret keys the pseudonyms that stand for citizens in supervisors' ticket views
	// and in the admin API. Keep it stable: a new secret gives every citizen a new pseudonym.
	// Empty derives it from admin_token.
	PseudonymSecret string `yaml:"pseudonym_secret"`
}

// Board configures the public board (/board): the satisfaction, rankings, stars and
// rectification notices anybody may read without logging in.
type Board struct {
	// CacheTTL is how long the board's figures are reused before the database is asked again;
	// however many visitors come meanwhile, it is asked once. 0 asks at every visit (concurrent
	// visits still share one set of queries).
	CacheTTL time.Duration `yaml:"cache_ttl"`
	// StaffNames shows the service stars by name, for halls that publish their stars; without it
	// the board names their windows only.
	StaffNames bool `yaml:"staff_names"`
}

// Calendar lists the exceptions to "Monday to Friday" on which ticket deadlines are counted:
// public holidays that fall on weekdays, and the weekend days worked instead (调休上班). The
// default is the State Council's arrangement for the current year; add each new year's once it
// is announced.
type Calendar struct {
	// Holidays are days off that would be working days, as 2006-01-02.
	Holidays []string `yaml:"holidays"`
	// Workdays are weekend days that are worked, as 2006-01-02.
	Workdays []string `yaml:"workdays"`
}

// Tickets configures the deadlines of complaints and bad reviews, in working days.
type Tickets struct {
	// CallbackDays is the time to verify a ticket and call the citizen back.
	CallbackDays int `yaml:"callback_days"`
	// RectifyDays is the time to fix what the ticket is about.
	RectifyDays int `yaml:"rectify_days"`
	// CategoryDays overrides both per category: category → "callback/rectify", e.g. "1/5".
	CategoryDays map[string]string `yaml:"category_days"`
	// RerateDays is how long (calendar days) a resolved ticket waits for the citizen's verdict on
	// the fix before it is closed as "no reply".
	RerateDays int `yaml:"rerate_days"`
	// DuplicateDays is how far back (calendar days) an open ticket on the same window and
	// category is offered to a new complaint to join.
	DuplicateDays int `yaml:"duplicate_days"`
	// ReopenDays is the new rectification period (working days, counted from the citizen's
	// verdict) of a ticket re-rated 不满意.
	ReopenDays int `yaml:"reopen_days"`
	// MinResultChars is the least number of characters a rectification's result must have
	// before it goes to the supervisors for sign-off.
	MinResultChars int `yaml:"min_result_chars"`
	// Routing decides who handles a new ticket.
	Routing TicketRouting `yaml:"routing"`
}

// TicketRouting is who handles a new ticket. Nobody ever handles a ticket that names them.
type TicketRouting struct {
	// NamedPerson is where a bad review or complaint that names a staff member goes: "lead" (the
	// window's lead, 窗口/科室负责人; without one, the supervisors) or "supervisors".
	NamedPerson string `yaml:"named_person"`
	// Window is where one about a window but no person goes: "staff" (the window's staff and
	// lead), "lead" or "supervisors".
	Window string `yaml:"window"`
	// Conduct lists what makes a conduct case (工作作风), which the supervisors alone handle and
	// may refer to the discipline body: complaint categories and rating aspects ("conduct" is
	// the category and all its problems: 迟到早退, 离岗脱岗, 不作为, 吃拿卡要), or single problems
	// such as "attitude.cold".
	Conduct []string `yaml:"conduct"`
}

// routeOf maps a configured route to the model's.
func routeOf(s string) string {
	if s == "staff" {
		return models.RouteWindow
	}
	return s
}

// Telegram configures the Telegram channel; an empty Token disables it.
type Telegram struct {
	// Token is the bot token from @BotFather.
	Token string `yaml:"token"`
	// APIURL is the Bot API server; change it for a local Bot API server or a test fake.
	APIURL string `yaml:"api_url"`
	// Mode is "polling" (no public URL needed) or "webhook".
	Mode string `yaml:"mode"`
	// WebhookSecret is sent by Telegram in X-Telegram-Bot-Api-Secret-Token on every webhook call.
	WebhookSecret string `yaml:"webhook_secret"`
	// Username is the bot's @name without the @, used for deep links; empty asks getMe.
	Username string `yaml:"username"`
}

// WeChat configures the WeChat official account channel; an empty AppID disables it.
type WeChat struct {
	// AppID and AppSecret identify the official account (开发者ID).
	AppID     string `yaml:"app_id"`
	AppSecret string `yaml:"app_secret"`
	// Token is the server configuration token (服务器配置 → 令牌) used to sign callbacks.
	Token string `yaml:"token"`
	// AESKey is the 43-character EncodingAESKey; empty means plaintext mode.
	AESKey string `yaml:"aes_key"`
	// APIURL is the base of the WeChat API; change it for a proxy or a test fake.
	APIURL string `yaml:"api_url"`
	// ReplyBudget is how long a callback may work on a passive reply before it answers "success"
	// and sends the reply through the customer-service API; WeChat gives up after 5s.
	ReplyBudget time.Duration `yaml:"reply_budget"`
	// TimestampWindow is how far a callback's timestamp may be from now, against replays.
	TimestampWindow time.Duration `yaml:"timestamp_window"`
	// Templates maps a notification kind (models.PushKinds) to the template ID registered for
	// it in the official-account console; the one under DefaultTemplate serves every kind
	// without its own.
	Templates map[string]string `yaml:"templates"`
}

// RedisConfig is the redis section: Redis Sentinel or Cluster through go-redis's universal
// client. In single mode redis_url, when set, is used as it always was.
type RedisConfig struct {
	// Mode is single (the default), sentinel or cluster.
	Mode string `yaml:"mode"`
	// Addrs are host:port pairs: the sentinels, or some of the cluster's nodes, or the server.
	Addrs []string `yaml:"addrs"`
	// MasterName is the name under which the sentinels monitor the master.
	MasterName string `yaml:"master"`
	// Password authenticates to the Redis servers (not to the sentinels).
	Password string `yaml:"password"`
}

// UsesRedis tells whether dialogs, dedupe keys and locks live in Redis rather than in process.
func (c Config) UsesRedis() bool { return c.RedisURL != "" || len(c.Redis.Addrs) > 0 }

// DatabaseConfig is the database section: a PostgreSQL read replica for the reports.
type DatabaseConfig struct {
	// ReadURL names a PostgreSQL hot standby that reports, rankings, the board, statistics and
	// exports read from; dialogs and writes always use database_url. Empty: everything reads
	// from database_url.
	ReadURL string `yaml:"read_url"`
	// ReadMaxLag is how far behind the primary the replica may be and still serve reads; beyond
	// it (or while it does not answer) those reads go to the primary.
	ReadMaxLag time.Duration `yaml:"read_max_lag"`
}

// DefaultTemplate is the wechat.templates key whose template serves every kind of notice
// without one of its own (bot/wechat's DefaultTemplate).
const DefaultTemplate = "default"

// Default returns the configuration of a single machine with zero set-up: SQLite in the working
// directory, in-process state, the web chat only.
func Default() Config {
	return Config{
		DatabaseURL:      "windowbot.db",
		Database:         DatabaseConfig{ReadMaxLag: 10 * time.Second},
		Redis:            RedisConfig{Mode: "single", Addrs: []string{}},
		HTTPAddr:         ":8080",
		PublicURL:        "http://localhost:8080",
		Timezone:         "Asia/Shanghai",
		Language:         LanguageChinese,
		LogLevel:         "info",
		SessionTTL:       30 * time.Minute,
		MemoryMaxEntries: 200000,
		WebHistoryTTL:    24 * time.Hour,
		RatingPeriodDays: 1,
		ShutdownTimeout:  10 * time.Second,
		Telegram: Telegram{
			APIURL: "https://api.telegram.org",
			Mode:   TelegramPolling,
		},
		WeChat: WeChat{
			APIURL:          "https://api.weixin.qq.com",
			ReplyBudget:     4 * time.Second,
			TimestampWindow: 5 * time.Minute,
		},
		Calendar: Calendar{
			Holidays: slices.Clone(models.ChinaHolidays2026),
			Workdays: slices.Clone(models.ChinaWorkdays2026),
		},
		Tickets: Tickets{CallbackDays: 1, RectifyDays: 15, RerateDays: 7, DuplicateDays: 7, ReopenDays: 15, MinResultChars: 15,
			Routing: TicketRouting{NamedPerson: "lead", Window: "staff", Conduct: []string{"conduct"}}},
		Jobs: Jobs{
			Timeout:            10 * time.Minute,
			DeadlineReminders:  "0 9 * * *",
			OverdueEscalation:  "15 9 * * *",
			DailyDigest:        "30 8 * * *",
			Rerating:           "0 10 * * *",
			MonthlyStar:        "0 9 1 * *",
			MonthlyReport:      "30 9 1 * *",
			YearlyRanking:      "0 10 2 1 *",
			MinRatings:         20,
			SatisfactionTarget: 95,
			RerateReminderDays: 2,
		},
		Push: Push{
			Workers: 8, Batch: 64, Lease: 5 * time.Minute, PollInterval: time.Second,
			MaxAttempts: 8, RetryBase: 10 * time.Second, RetryCap: time.Hour,
			QuietHours:   "21:00-08:00",
			TelegramRate: 30, TelegramChatInterval: time.Second,
			WeChatRate: 50,
		},
		Staff:       Staff{InviteValidity: 72 * time.Hour},
		Board:       Board{CacheTTL: time.Minute},
		Posters:     Posters{Size: "a4", ServiceLine: "12345", StarsPerCenter: 1, RunnersUp: 2, YearlyStars: 10},
		Cases:       Cases{ExpiryDays: 15, ReminderAfter: 24 * time.Hour},
		SMS:         SMS{Rate: 10},
		Report:      Report{Auth: "bearer", Timeout: 15 * time.Second},
		Supervision: Supervision{Checklist: []string{}, Fraud: defaultFraud()},
	}
}

// TicketRules builds the ticket deadlines of the configuration on its calendar in loc.
func (c Config) TicketRules(loc *time.Location) (models.TicketRules, error) {
	cal, err := models.NewCalendar(loc, c.Calendar.Holidays, c.Calendar.Workdays)
	if err != nil {
		return models.TicketRules{}, fmt.Errorf("configs: %w", err)
	}
	r := models.TicketRules{
		Calendar: cal, CallbackDays: c.Tickets.CallbackDays, RectifyDays: c.Tickets.RectifyDays,
		RerateDays: c.Tickets.RerateDays, DuplicateDays: c.Tickets.DuplicateDays,
		CategoryCallbackDays: map[string]int{}, CategoryRectifyDays: map[string]int{},
		ReopenDays: c.Tickets.ReopenDays, MinResultRunes: c.Tickets.MinResultChars,
		Routing: models.Routing{Named: routeOf(c.Tickets.Routing.NamedPerson), Window: routeOf(c.Tickets.Routing.Window),
			Conduct: slices.Clone(c.Tickets.Routing.Conduct)},
	}
	for cat, v := range c.Tickets.CategoryDays {
		cb, rd, err := parseCategoryDays(v)
		if err != nil {
			return models.TicketRules{}, fmt.Errorf("configs: tickets.category_days %s: %w", cat, err)
		}
		r.CategoryCallbackDays[cat], r.CategoryRectifyDays[cat] = cb, rd
	}
	return r, nil
}

// parseCategoryDays reads "callback/rectify" working days, e.g. "1/5".
func parseCategoryDays(v string) (callback, rectify int, err error) {
	a, b, ok := strings.Cut(strings.TrimSpace(v), "/")
	if ok {
		callback, err = strconv.Atoi(strings.TrimSpace(a))
		if err == nil {
			rectify, err = strconv.Atoi(strings.TrimSpace(b))
		}
	}
	if !ok || err != nil || callback < 0 || rectify < 1 || callback > 60 || rectify > 365 {
		return 0, 0, fmt.Errorf("%q is not callback/rectify working days such as 1/5", v)
	}
	return callback, rectify, nil
}

// Languages the bot has texts for: those of the text catalog.
const (
	LanguageChinese = text.ZH
	LanguageEnglish = text.EN
)

// Telegram update delivery modes.
const (
	TelegramPolling = "polling"
	TelegramWebhook = "webhook"
)

// Location returns the configured time zone.
func (c Config) Location() (*time.Location, error) {
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return nil, fmt.Errorf("configs: timezone %q: %w", c.Timezone, err)
	}
	return loc, nil
}

// SlogLevel returns LogLevel as a slog.Level.
func (c Config) SlogLevel() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return 0, fmt.Errorf("configs: log_level %q: %w", c.LogLevel, err)
	}
	return l, nil
}

// Redacted returns a copy with every secret replaced by "***" (when set), for printing or logging
// the effective configuration.
func (c Config) Redacted() Config {
	out := c
	out.WeChat.Templates = maps.Clone(c.WeChat.Templates)
	out.Tickets.CategoryDays = maps.Clone(c.Tickets.CategoryDays)
	out.Tickets.Routing.Conduct = slices.Clone(c.Tickets.Routing.Conduct)
	out.Calendar.Holidays = slices.Clone(c.Calendar.Holidays)
	out.TrustedProxies = slices.Clone(c.TrustedProxies)
	out.Calendar.Workdays = slices.Clone(c.Calendar.Workdays)
	out.SMS.Templates, out.SMS.TemplateParams = maps.Clone(c.SMS.Templates), maps.Clone(c.SMS.TemplateParams)
	rm := &out.Report.Mapping
	rm.Centers, rm.Windows, rm.Channels = maps.Clone(rm.Centers), maps.Clone(rm.Windows), maps.Clone(rm.Channels)
	rm.Levels, rm.Aspects, rm.Results = maps.Clone(rm.Levels), maps.Clone(rm.Aspects), maps.Clone(rm.Results)
	for _, e := range EnvVars() {
		if !e.Secret {
			continue
		}
		if p, ok := e.field(&out).(*string); ok && *p != "" {
			*p = "***"
		}
	}
	// Credentials may hide in URLs too (postgres://user:pass@host, redis://:pass@host).
	out.DatabaseURL = models.RedactURL(out.DatabaseURL)
	out.Database.ReadURL = models.RedactURL(out.Database.ReadURL)
	out.RedisURL = models.RedactURL(out.RedisURL)
	return out
}

// TrustedProxyPrefixes parses TrustedProxies: a bare address is a prefix of its own length.
func (c Config) TrustedProxyPrefixes() ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(c.TrustedProxies))
	for _, s := range c.TrustedProxies {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("configs: trusted proxy %q is neither an IP address nor a CIDR prefix", s)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
