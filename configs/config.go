// Package configs holds windowbot's configuration: the Config struct, its defaults, loading from a
// YAML file with a WINDOWBOT_* environment overlay, and Validate. Nothing here is package state:
// main loads a Config once and passes the parts each constructor needs.
package configs

import (
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"time"

	// The runtime image may have no /usr/share/zoneinfo (scratch, distroless); embedding the
	// database keeps Asia/Shanghai loadable everywhere for about 450 KB.
	_ "time/tzdata"
)

// Config is the whole of windowbot's configuration. The yaml tags are the keys of the file; every
// leaf also has an environment variable, listed by EnvVars.
type Config struct {
	// DatabaseURL is a SQLite path, sqlite:PATH, or a postgres:// URL.
	DatabaseURL string `yaml:"database_url"`
	// RedisURL holds dialog state, dedupe keys and locks; empty keeps them in process, which is
	// only correct with a single replica.
	RedisURL string `yaml:"redis_url"`
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
	// RatingPeriodDays is the length of the "one rating per citizen per window" period.
	RatingPeriodDays int `yaml:"rating_period_days"`
	// ShutdownTimeout bounds the graceful shutdown of the HTTP server and running jobs.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// QRFont is a CJK-capable font file for QR posters; empty searches the usual system paths.
	QRFont string `yaml:"qr_font"`

	Telegram Telegram `yaml:"telegram"`
	WeChat   WeChat   `yaml:"wechat"`
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
	// Templates maps a notification kind to the template ID registered for it in the
	// official-account console.
	Templates map[string]string `yaml:"templates"`
}

// Default returns the configuration of a single machine with zero set-up: SQLite in the working
// directory, in-process state, the web chat only.
func Default() Config {
	return Config{
		DatabaseURL:      "windowbot.db",
		HTTPAddr:         ":8080",
		PublicURL:        "http://localhost:8080",
		Timezone:         "Asia/Shanghai",
		Language:         LanguageChinese,
		LogLevel:         "info",
		SessionTTL:       30 * time.Minute,
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
	}
}

// Languages the bot has texts for.
const (
	LanguageChinese = "zh-CN"
	LanguageEnglish = "en"
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
	for _, e := range EnvVars() {
		if !e.Secret {
			continue
		}
		if p, ok := e.field(&out).(*string); ok && *p != "" {
			*p = "***"
		}
	}
	// Credentials may hide in URLs too (postgres://user:pass@host, redis://:pass@host).
	out.DatabaseURL = redactURL(out.DatabaseURL)
	out.RedisURL = redactURL(out.RedisURL)
	return out
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	return u.Redacted()
}
