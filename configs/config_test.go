package configs

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"windowbot/models"
)

// env builds a getenv from pairs.
func env(kv map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := kv[k]
		return v, ok
	}
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "windowbot.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// yamlLeaves lists the dotted yaml keys of every leaf of Config, found from the struct tags
// independently of the env table.
func yamlLeaves(t reflect.Type, prefix string) []string {
	var out []string
	for f := range t.Fields() {
		tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if tag == "" || tag == "-" {
			continue
		}
		if f.Type.Kind() == reflect.Struct {
			out = append(out, yamlLeaves(f.Type, prefix+tag+".")...)
			continue
		}
		out = append(out, prefix+tag)
	}
	return out
}

// fieldByKey finds a leaf by its yaml path through the struct tags.
func fieldByKey(t *testing.T, c *Config, key string) reflect.Value {
	t.Helper()
	v := reflect.ValueOf(c).Elem()
	for part := range strings.SplitSeq(key, ".") {
		found := false
		for i := range v.NumField() {
			tag, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("yaml"), ",")
			if tag == part {
				v, found = v.Field(i), true
				break
			}
		}
		if !found {
			t.Fatalf("no field for %q", key)
		}
	}
	return v
}

func TestEnvTableCoversEveryField(t *testing.T) {
	leaves := yamlLeaves(reflect.TypeFor[Config](), "")
	table := map[string]EnvVar{}
	names := map[string]bool{}
	for _, e := range EnvVars() {
		if _, dup := table[e.Key]; dup {
			t.Errorf("key %s listed twice", e.Key)
		}
		if names[e.Name] {
			t.Errorf("variable %s listed twice", e.Name)
		}
		table[e.Key], names[e.Name] = e, true
		want := EnvPrefix + strings.ToUpper(strings.ReplaceAll(e.Key, ".", "_"))
		if e.Name != want {
			t.Errorf("key %s: variable %s, want %s", e.Key, e.Name, want)
		}
	}
	for _, k := range leaves {
		if _, ok := table[k]; !ok {
			t.Errorf("Config field %s has no entry in EnvVars", k)
		}
	}
	if len(leaves) != len(table) {
		t.Errorf("%d Config leaves, %d table entries", len(leaves), len(table))
	}
}

// sampleValue returns an env value for the leaf's type and the value it must produce.
func sampleValue(t *testing.T, v reflect.Value) (string, any) {
	t.Helper()
	switch v.Interface().(type) {
	case string:
		return "sample-value", "sample-value"
	case int:
		return "7", 7
	case bool:
		return "true", true
	case time.Duration:
		return "42s", 42 * time.Second
	case map[string]string:
		return "a=1, b=2", map[string]string{"a": "1", "b": "2"}
	case []string:
		return "2026-01-01, 2026-01-02", []string{"2026-01-01", "2026-01-02"}
	}
	t.Fatalf("no sample for %s", v.Type())
	return "", nil
}

func TestEveryEnvVarIsApplied(t *testing.T) {
	for _, e := range EnvVars() {
		t.Run(e.Name, func(t *testing.T) {
			probe := Default()
			raw, want := sampleValue(t, fieldByKey(t, &probe, e.Key))
			c, err := Load("", env(map[string]string{e.Name: raw}))
			if err != nil {
				t.Fatal(err)
			}
			if got := fieldByKey(t, &c, e.Key).Interface(); !reflect.DeepEqual(got, want) {
				t.Fatalf("%s=%q set %s to %v, want %v", e.Name, raw, e.Key, got, want)
			}
			// Nothing else may change: the accessor must point at this field only.
			fieldByKey(t, &c, e.Key).Set(fieldByKey(t, &probe, e.Key))
			if !reflect.DeepEqual(c, probe) {
				t.Fatalf("%s changed other fields: %+v", e.Name, c)
			}
		})
	}
}

func TestDefaultIsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatal(err)
	}
	loc, err := Default().Location()
	if err != nil || loc.String() != "Asia/Shanghai" {
		t.Fatalf("Location() = %v, %v", loc, err)
	}
}

func TestExampleFile(t *testing.T) {
	const path = "windowbot.example.yaml"
	c, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	// The example documents the defaults; a drift means one of them is wrong.
	if !reflect.DeepEqual(c, Default()) {
		t.Errorf("example file differs from Default():\n got %+v\nwant %+v", c, Default())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, e := range EnvVars() {
		if !strings.Contains(text, e.Name) {
			t.Errorf("example does not mention %s", e.Name)
		}
		leaf := e.Key[strings.LastIndex(e.Key, ".")+1:]
		if !strings.Contains(text, "\n"+strings.Repeat("  ", strings.Count(e.Key, "."))+leaf+":") {
			t.Errorf("example has no key %s", e.Key)
		}
	}
	// Every kind of notice can be given a WeChat template, so the example names them all.
	for _, k := range append(models.PushKinds(), DefaultTemplate) {
		if !strings.Contains(text, "\n    # "+k+": ") {
			t.Errorf("example does not list the template kind %s under wechat.templates", k)
		}
	}
}

func TestLoadFile(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		env     map[string]string
		check   func(t *testing.T, c Config)
		wantErr string // substring; "" = no error
	}{
		{
			name: "empty file gives defaults",
			yaml: "",
			check: func(t *testing.T, c Config) {
				if !reflect.DeepEqual(c, Default()) {
					t.Errorf("got %+v", c)
				}
			},
		},
		{
			name: "comment-only file gives defaults",
			yaml: "# nothing\n",
			check: func(t *testing.T, c Config) {
				if !reflect.DeepEqual(c, Default()) {
					t.Errorf("got %+v", c)
				}
			},
		},
		{
			name: "values and sections",
			yaml: `
database_url: postgres://postgres@127.0.0.1:5432/test
session_ttl: 1h30m
rating_period_days: 2
telegram:
  mode: webhook
  token: "123:abc"
wechat:
  reply_budget: 3s
  templates:
    ticket_status: TPL-1
    default: TPL-2
`,
			check: func(t *testing.T, c Config) {
				if c.DatabaseURL != "postgres://postgres@127.0.0.1:5432/test" || c.SessionTTL != 90*time.Minute ||
					c.RatingPeriodDays != 2 || c.Telegram.Mode != "webhook" || c.Telegram.Token != "123:abc" ||
					c.WeChat.ReplyBudget != 3*time.Second {
					t.Errorf("got %+v", c)
				}
				if c.Telegram.APIURL != "https://api.telegram.org" || c.HTTPAddr != ":8080" {
					t.Errorf("defaults lost: %+v", c)
				}
				if want := map[string]string{"ticket_status": "TPL-1", "default": "TPL-2"}; !reflect.DeepEqual(c.WeChat.Templates, want) {
					t.Errorf("templates = %v", c.WeChat.Templates)
				}
			},
		},
		{
			name: "environment wins over the file, even empty",
			yaml: "redis_url: redis://127.0.0.1:6379/0\nlanguage: en\ntelegram:\n  mode: webhook\n",
			env:  map[string]string{"WINDOWBOT_REDIS_URL": "", "WINDOWBOT_TELEGRAM_MODE": "polling", "OTHER": "x"},
			check: func(t *testing.T, c Config) {
				if c.RedisURL != "" || c.Telegram.Mode != "polling" || c.Language != "en" {
					t.Errorf("got %+v", c)
				}
			},
		},
		{
			name: "null section and null value",
			yaml: "telegram:\nwechat: ~\nqr_font:\n",
			check: func(t *testing.T, c Config) {
				if !reflect.DeepEqual(c, Default()) {
					t.Errorf("got %+v", c)
				}
			},
		},
		{
			name: "anchors and aliases",
			yaml: "shutdown_timeout: &d 20s\nsession_ttl: *d\n",
			check: func(t *testing.T, c Config) {
				if c.SessionTTL != 20*time.Second || c.ShutdownTimeout != 20*time.Second {
					t.Errorf("got %+v", c)
				}
			},
		},
		{name: "unknown top-level key", yaml: "http_addr: :80\ndatabse_url: x.db\n",
			wantErr: `windowbot.yaml:2: databse_url: unknown key (top-level keys: database_url, database, redis_url`},
		{name: "unknown nested key", yaml: "telegram:\n  tokn: x\n",
			wantErr: `windowbot.yaml:2: telegram.tokn: unknown key (keys in telegram: token, api_url, mode, webhook_secret, username)`},
		{name: "duplicate key", yaml: "language: en\nlanguage: zh-CN\n",
			wantErr: `windowbot.yaml:2: language: duplicate key (first set on line 1)`},
		{name: "duration without unit", yaml: "session_ttl: 30\n",
			wantErr: `windowbot.yaml:1: session_ttl: duration "30" has no unit`},
		{name: "bad integer", yaml: "rating_period_days: one\n",
			wantErr: `windowbot.yaml:1: rating_period_days: not a whole number: "one"`},
		{name: "section given a value", yaml: "telegram: yes\n",
			wantErr: `windowbot.yaml:1: telegram: must be a section of keys: token, api_url`},
		{name: "list for a leaf", yaml: "http_addr: [a, b]\n",
			wantErr: `windowbot.yaml:1: http_addr: must be a single value`},
		{name: "templates not a mapping", yaml: "wechat:\n  templates: abc\n",
			wantErr: `windowbot.yaml:2: wechat.templates: must be a mapping`},
		{name: "not a mapping", yaml: "- a\n- b\n",
			wantErr: `windowbot.yaml:1: the file must be a mapping`},
		{name: "broken yaml", yaml: "a: [\n",
			wantErr: `configs: parse windowbot.yaml:`},
		{name: "bad env duration", env: map[string]string{"WINDOWBOT_SHUTDOWN_TIMEOUT": "soon"},
			wantErr: `configs: WINDOWBOT_SHUTDOWN_TIMEOUT (shutdown_timeout): not a duration: "soon"`},
		{name: "bad env pairs", env: map[string]string{"WINDOWBOT_WECHAT_TEMPLATES": "a=1,b"},
			wantErr: `configs: WINDOWBOT_WECHAT_TEMPLATES (wechat.templates): "b" is not a kind=value pair`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.yaml != "" || tt.check != nil {
				path = writeFile(t, tt.yaml)
			}
			c, err := Load(path, env(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error spans lines: %q", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"), nil)
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want ErrNotExist", err)
	}
}

func TestValidate(t *testing.T) {
	const aesKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG" // 43 characters
	tests := []struct {
		name   string
		modify func(c *Config)
		want   string // exact message; "" = valid
	}{
		{name: "defaults", modify: func(*Config) {}},
		{name: "postgres", modify: func(c *Config) { c.DatabaseURL = "postgresql://u:p@db:5432/wb?sslmode=disable" }},
		{name: "sqlite prefix", modify: func(c *Config) { c.DatabaseURL = "sqlite:/var/lib/windowbot/wb.db" }},
		{name: "full wechat safe mode", modify: func(c *Config) {
			c.WeChat.AppID, c.WeChat.AppSecret, c.WeChat.Token, c.WeChat.AESKey = "wx0123456789abcdef", "s3cret", "tok3n", aesKey
			c.WeChat.Templates = map[string]string{"ticket_status": "TPL", "monthly_star": "TPL-2", "default": "TPL-3"}
		}},
		{name: "telegram webhook", modify: func(c *Config) {
			c.Telegram.Token, c.Telegram.Mode, c.Telegram.WebhookSecret = "1:x", "webhook", "s_e-cret"
			c.PublicURL, c.Telegram.Username = "https://wb.example.gov.cn", "windowbot_bot"
		}},
		{name: "redis", modify: func(c *Config) { c.RedisURL = "redis://:pw@127.0.0.1:6379/0" }},
		{name: "redis sentinel", modify: func(c *Config) {
			c.Redis = RedisConfig{Mode: "sentinel", Addrs: []string{"10.0.0.1:26379", "10.0.0.2:26379"}, MasterName: "windowbot", Password: "pw"}
		}},
		{name: "redis cluster", modify: func(c *Config) { c.Redis = RedisConfig{Mode: "cluster", Addrs: []string{"10.0.0.1:6379"}} }},
		{name: "redis single by address", modify: func(c *Config) { c.Redis.Addrs = []string{"10.0.0.1:6379"} }},
		{name: "sentinel without master", modify: func(c *Config) { c.Redis = RedisConfig{Mode: "sentinel", Addrs: []string{"10.0.0.1:26379"}} },
			want: `configs: WINDOWBOT_REDIS_MASTER (redis.master): sentinel mode needs the name the sentinels monitor the master under`},
		{name: "cluster without addresses", modify: func(c *Config) { c.Redis.Mode = "cluster" },
			want: `configs: WINDOWBOT_REDIS_ADDRS (redis.addrs): cluster mode needs the addresses of the cluster's nodes`},
		{name: "cluster with redis url", modify: func(c *Config) {
			c.Redis = RedisConfig{Mode: "cluster", Addrs: []string{"10.0.0.1:6379"}}
			c.RedisURL = "redis://10.0.0.1:6379/0"
		}, want: `configs: WINDOWBOT_REDIS_URL (redis_url): redis_url is for single mode; with mode cluster use redis.addrs`},
		{name: "single with two addresses", modify: func(c *Config) { c.Redis.Addrs = []string{"a:1", "b:2"} },
			want: `configs: WINDOWBOT_REDIS_ADDRS (redis.addrs): single mode takes one address (use mode sentinel or cluster for more)`},
		{name: "redis url and address", modify: func(c *Config) { c.Redis.Addrs = []string{"a:1"}; c.RedisURL = "redis://a:1" },
			want: `configs: WINDOWBOT_REDIS_ADDRS (redis.addrs): set redis_url or redis.addrs, not both`},
		{name: "bad redis mode", modify: func(c *Config) { c.Redis.Mode = "ring" },
			want: `configs: WINDOWBOT_REDIS_MODE (redis.mode): "ring" is not single, sentinel or cluster`},
		{name: "bad redis address", modify: func(c *Config) { c.Redis = RedisConfig{Mode: "cluster", Addrs: []string{"10.0.0.1"}} },
			want: `configs: WINDOWBOT_REDIS_ADDRS (redis.addrs): "10.0.0.1" is not host:port`},
		{name: "read replica", modify: func(c *Config) {
			c.DatabaseURL = "postgres://u@a/wb"
			c.Database.ReadURL = "host=b dbname=wb user=u"
		}},
		{name: "read replica on sqlite", modify: func(c *Config) { c.Database.ReadURL = "postgres://u@b/wb" },
			want: `configs: WINDOWBOT_DATABASE_READ_URL (database.read_url): a read replica must be a postgres:// URL (or host=… keywords) and database_url PostgreSQL too`},
		{name: "read max lag zero", modify: func(c *Config) { c.Database.ReadMaxLag = 0 },
			want: `configs: WINDOWBOT_DATABASE_READ_MAX_LAG (database.read_max_lag): must be a positive duration such as 30s or 5m, got 0s`},
		{name: "trusted proxies", modify: func(c *Config) { c.TrustedProxies = []string{"10.0.0.0/8", "192.168.1.7", "::1"} }},
		{name: "bad trusted proxy", modify: func(c *Config) { c.TrustedProxies = []string{"10.0.0.0/8", "proxy.local"} },
			want: `configs: WINDOWBOT_TRUSTED_PROXIES (trusted_proxies): trusted proxy "proxy.local" is neither an IP address nor a CIDR prefix`},

		{name: "checklist of the hall", modify: func(c *Config) {
			c.Supervision.Checklist = []string{"badge", "queue_guide|efficiency|等候区有引导人员", "one_time"}
		}},
		{name: "checklist item unreadable", modify: func(c *Config) { c.Supervision.Checklist = []string{"badge", "queue guide"} },
			want: `configs: WINDOWBOT_SUPERVISION_CHECKLIST (supervision.checklist): "queue guide" is neither a built-in item nor "key|category|label"`},
		{name: "checklist item of no category", modify: func(c *Config) { c.Supervision.Checklist = []string{"q|queue|等候区有引导人员"} },
			want: `configs: WINDOWBOT_SUPERVISION_CHECKLIST (supervision.checklist): "q|queue|等候区有引导人员": unknown category "queue" (one of efficiency, attitude, capability, conduct, not_done, other)`},

		{name: "webhook without secret", modify: func(c *Config) { c.Telegram.Mode, c.PublicURL = "webhook", "https://x.example" },
			want: `configs: WINDOWBOT_TELEGRAM_WEBHOOK_SECRET (telegram.webhook_secret): required when telegram mode is "webhook"`},
		{name: "webhook over http", modify: func(c *Config) { c.Telegram.Mode, c.Telegram.WebhookSecret = "webhook", "abc" },
			want: `configs: WINDOWBOT_PUBLIC_URL (public_url): must be https:// when telegram mode is "webhook" (Telegram calls webhooks over HTTPS only)`},
		{name: "bad webhook secret", modify: func(c *Config) { c.Telegram.WebhookSecret = "a b" },
			want: `configs: WINDOWBOT_TELEGRAM_WEBHOOK_SECRET (telegram.webhook_secret): Telegram accepts only 1-256 characters A-Z, a-z, 0-9, _ and -`},
		{name: "mysql", modify: func(c *Config) { c.DatabaseURL = "mysql://root@localhost/wb" },
			want: `configs: WINDOWBOT_DATABASE_URL (database_url): unsupported scheme "mysql" (use a SQLite path, sqlite:PATH or postgres://)`},
		{name: "empty database", modify: func(c *Config) { c.DatabaseURL = "" },
			want: `configs: WINDOWBOT_DATABASE_URL (database_url): database url is empty`},
		{name: "bad redis", modify: func(c *Config) { c.RedisURL = "127.0.0.1:6379" },
			want: `configs: WINDOWBOT_REDIS_URL (redis_url): "127.0.0.1:6379" must start with redis:// or rediss:// or unix:// (leave empty for in-process state)`},
		{name: "bad http addr", modify: func(c *Config) { c.HTTPAddr = "8080" },
			want: `configs: WINDOWBOT_HTTP_ADDR (http_addr): "8080" is not host:port (e.g. :8080 or 127.0.0.1:8080)`},
		{name: "unparsable public url", modify: func(c *Config) { c.PublicURL = "http://[::1" },
			want: `configs: WINDOWBOT_PUBLIC_URL (public_url): cannot parse "http://[::1" as a URL`},
		{name: "public url without scheme", modify: func(c *Config) { c.PublicURL = "wb.example.gov.cn" },
			want: `configs: WINDOWBOT_PUBLIC_URL (public_url): "wb.example.gov.cn" must start with http:// or https://`},
		{name: "short admin token", modify: func(c *Config) { c.AdminToken = "secret" },
			want: `configs: WINDOWBOT_ADMIN_TOKEN (admin_token): too short (6 characters; use at least 16, e.g. openssl rand -hex 24)`},
		{name: "invite validity too short", modify: func(c *Config) { c.Staff.InviteValidity = time.Second },
			want: `configs: WINDOWBOT_STAFF_INVITE_VALIDITY (staff.invite_validity): must be between 1m and 2160h (90 days), got 1s`},
		{name: "short pseudonym secret", modify: func(c *Config) { c.Staff.PseudonymSecret = "abc" },
			want: `configs: WINDOWBOT_STAFF_PSEUDONYM_SECRET (staff.pseudonym_secret): too short (3 characters; use at least 16, e.g. openssl rand -hex 24)`},
		{name: "negative board cache", modify: func(c *Config) { c.Board.CacheTTL = -time.Second },
			want: `configs: WINDOWBOT_BOARD_CACHE_TTL (board.cache_ttl): must be between 0s (no cache) and 24h, got -1s`},
		{name: "bad timezone", modify: func(c *Config) { c.Timezone = "Asia/Peking" },
			want: `configs: WINDOWBOT_TIMEZONE (timezone): unknown time zone "Asia/Peking" (use an IANA name such as Asia/Shanghai)`},
		{name: "empty timezone", modify: func(c *Config) { c.Timezone = "" },
			want: `configs: WINDOWBOT_TIMEZONE (timezone): unknown time zone "" (use an IANA name such as Asia/Shanghai)`},
		{name: "bad language", modify: func(c *Config) { c.Language = "zh" },
			want: `configs: WINDOWBOT_LANGUAGE (language): unsupported language "zh" (use "zh-CN" or "en")`},
		{name: "bad log level", modify: func(c *Config) { c.LogLevel = "verbose" },
			want: `configs: WINDOWBOT_LOG_LEVEL (log_level): unknown level "verbose" (use debug, info, warn or error)`},
		{name: "negative session ttl", modify: func(c *Config) { c.SessionTTL = -5 * time.Minute },
			want: `configs: WINDOWBOT_SESSION_TTL (session_ttl): must be a positive duration such as 30s or 5m, got -5m0s`},
		{name: "zero shutdown timeout", modify: func(c *Config) { c.ShutdownTimeout = 0 },
			want: `configs: WINDOWBOT_SHUTDOWN_TIMEOUT (shutdown_timeout): must be a positive duration such as 30s or 5m, got 0s`},
		{name: "rating period zero", modify: func(c *Config) { c.RatingPeriodDays = 0 },
			want: `configs: WINDOWBOT_RATING_PERIOD_DAYS (rating_period_days): must be at least 1 (1 = one rating per citizen per window per day), got 0`},
		{name: "bad telegram mode", modify: func(c *Config) { c.Telegram.Mode = "push" },
			want: `configs: WINDOWBOT_TELEGRAM_MODE (telegram.mode): unknown mode "push" (use "polling" or "webhook")`},
		{name: "bad telegram api url", modify: func(c *Config) { c.Telegram.APIURL = "" },
			want: `configs: WINDOWBOT_TELEGRAM_API_URL (telegram.api_url): is empty`},
		{name: "username with at", modify: func(c *Config) { c.Telegram.Username = "@windowbot" },
			want: `configs: WINDOWBOT_TELEGRAM_USERNAME (telegram.username): "@windowbot" is not a Telegram username (5-32 letters, digits or _, without the @)`},
		{name: "wechat token without app id", modify: func(c *Config) { c.WeChat.Token = "tok3n" },
			want: `configs: WINDOWBOT_WECHAT_APP_ID (wechat.app_id): required when wechat.token is set (WeChat is switched on by the app id)`},
		{name: "wechat app id alone", modify: func(c *Config) { c.WeChat.AppID = "wx1" },
			want: `configs: WINDOWBOT_WECHAT_APP_SECRET (wechat.app_secret): required when wechat.app_id is set; WINDOWBOT_WECHAT_TOKEN (wechat.token): required when wechat.app_id is set (the token of 服务器配置)`},
		{name: "wechat bad token", modify: func(c *Config) { c.WeChat.AppID, c.WeChat.AppSecret, c.WeChat.Token = "wx1", "s", "to-ken" },
			want: `configs: WINDOWBOT_WECHAT_TOKEN (wechat.token): must be 3-32 letters or digits, as the WeChat console requires (got 6 characters)`},
		{name: "aes key length", modify: func(c *Config) {
			c.WeChat.AppID, c.WeChat.AppSecret, c.WeChat.Token, c.WeChat.AESKey = "wx1", "s", "tok", "short"
		}, want: `configs: WINDOWBOT_WECHAT_AES_KEY (wechat.aes_key): must be exactly 43 characters (got 5); leave empty for plaintext mode`},
		{name: "aes key not base64", modify: func(c *Config) {
			c.WeChat.AppID, c.WeChat.AppSecret, c.WeChat.Token, c.WeChat.AESKey = "wx1", "s", "tok", strings.Repeat("!", 43)
		}, want: `configs: WINDOWBOT_WECHAT_AES_KEY (wechat.aes_key): is not a valid EncodingAESKey (43 base64 characters); copy it again from the WeChat console`},
		{name: "wechat api url", modify: func(c *Config) { c.WeChat.APIURL = "ftp://x" },
			want: `configs: WINDOWBOT_WECHAT_API_URL (wechat.api_url): "ftp://x" must start with http:// or https://`},
		{name: "reply budget too long", modify: func(c *Config) { c.WeChat.ReplyBudget = 5 * time.Second },
			want: `configs: WINDOWBOT_WECHAT_REPLY_BUDGET (wechat.reply_budget): must be below 5s, after which WeChat retries the message (got 5s)`},
		{name: "negative timestamp window", modify: func(c *Config) { c.WeChat.TimestampWindow = -time.Second },
			want: `configs: WINDOWBOT_WECHAT_TIMESTAMP_WINDOW (wechat.timestamp_window): must be a positive duration such as 30s or 5m, got -1s`},
		{name: "empty template id", modify: func(c *Config) { c.WeChat.Templates = map[string]string{"ticket_new": ""} },
			want: `configs: WINDOWBOT_WECHAT_TEMPLATES (wechat.templates): kind "ticket_new" has an empty name or template id`},
		{name: "unknown template kind", modify: func(c *Config) {
			c.WeChat.Templates = map[string]string{"ticket_status": "TPL", "monthly_stars": "TPL-2"}
		}, want: `configs: WINDOWBOT_WECHAT_TEMPLATES (wechat.templates): "monthly_stars" is not a kind of notice; use ` +
			`ticket_new, ticket_status, rerate_invite, ticket_alert, rectification_notice, deadline_reminder, daily_digest, ` +
			`rerate_reminder, monthly_star, monthly_report, yearly_ranking, case_invite, case_reminder, or default for every kind without its own`},
		{name: "holiday not a date", modify: func(c *Config) { c.Calendar.Holidays = []string{"2026-13-01"} },
			want: `configs: WINDOWBOT_CALENDAR_HOLIDAYS (calendar.holidays): "2026-13-01" is not a date written 2006-01-02`},
		{name: "worked day on a weekday", modify: func(c *Config) { c.Calendar.Workdays = []string{"2026-11-24"} },
			want: `configs: WINDOWBOT_CALENDAR_WORKDAYS (calendar.workdays): adjusted working day 2026-11-24 is a Tuesday, not a weekend day`},
		{name: "rectify days zero", modify: func(c *Config) { c.Tickets.RectifyDays = 0 },
			want: `configs: WINDOWBOT_TICKETS_RECTIFY_DAYS (tickets.rectify_days): must be between 1 and 365 working days, got 0`},
		{name: "unknown category", modify: func(c *Config) { c.Tickets.CategoryDays = map[string]string{"noise": "1/5"} },
			want: `configs: WINDOWBOT_TICKETS_CATEGORY_DAYS (tickets.category_days): unknown category "noise" (use efficiency, attitude, capability, conduct, not_done, other)`},
		{name: "category days malformed", modify: func(c *Config) { c.Tickets.CategoryDays = map[string]string{"not_done": "5"} },
			want: `configs: WINDOWBOT_TICKETS_CATEGORY_DAYS (tickets.category_days): not_done: "5" is not callback/rectify working days such as 1/5`},
		{name: "category days", modify: func(c *Config) { c.Tickets.CategoryDays = map[string]string{"not_done": "1/5"} }},
		{name: "job off", modify: func(c *Config) { c.Jobs.MonthlyReport = "off" }},
		{name: "job descriptor", modify: func(c *Config) { c.Jobs.Rerating = "@daily" }},
		{name: "bad cron", modify: func(c *Config) { c.Jobs.MonthlyStar = "0 9 32 * *" },
			want: `configs: WINDOWBOT_JOBS_MONTHLY_STAR (jobs.monthly_star): "0 9 32 * *" is not a cron schedule (minute hour day-of-month month day-of-week, e.g. "0 9 1 * *", or "off"): end of range (32) above maximum (31): 32`},
		{name: "cron with seconds", modify: func(c *Config) { c.Jobs.DailyDigest = "0 30 8 * * *" },
			want: `configs: WINDOWBOT_JOBS_DAILY_DIGEST (jobs.daily_digest): "0 30 8 * * *" is not a cron schedule (minute hour day-of-month month day-of-week, e.g. "0 9 1 * *", or "off"): expected exactly 5 fields, found 6: [0 30 8 * * *]`},
		{name: "cron with own zone", modify: func(c *Config) { c.Jobs.DailyDigest = "CRON_TZ=UTC 30 8 * * *" },
			want: `configs: WINDOWBOT_JOBS_DAILY_DIGEST (jobs.daily_digest): "CRON_TZ=UTC 30 8 * * *" names its own time zone; schedules run in WINDOWBOT_TIMEZONE (timezone)`},
		{name: "job timeout", modify: func(c *Config) { c.Jobs.Timeout = 0 },
			want: `configs: WINDOWBOT_JOBS_TIMEOUT (jobs.timeout): must be a positive duration such as 30s or 5m, got 0s`},
		{name: "target above 100", modify: func(c *Config) { c.Jobs.SatisfactionTarget = 101 },
			want: `configs: WINDOWBOT_JOBS_SATISFACTION_TARGET (jobs.satisfaction_target): must be a percentage between 1 and 100, got 101`},
		{name: "min ratings", modify: func(c *Config) { c.Jobs.MinRatings = 0 },
			want: `configs: WINDOWBOT_JOBS_MIN_RATINGS (jobs.min_ratings): must be at least 1 rating, got 0`},
		{name: "reminder after close", modify: func(c *Config) { c.Jobs.RerateReminderDays = 7 },
			want: `configs: WINDOWBOT_JOBS_RERATE_REMINDER_DAYS (jobs.rerate_reminder_days): must be at least 1 and less than tickets.rerate_days (7), got 7`},
		{name: "push workers", modify: func(c *Config) { c.Push.Workers = 0 },
			want: `configs: WINDOWBOT_PUSH_WORKERS (push.workers): must be at least 1, got 0`},
		{name: "retry cap below base", modify: func(c *Config) { c.Push.RetryCap = time.Second },
			want: `configs: WINDOWBOT_PUSH_RETRY_CAP (push.retry_cap): must not be shorter than push.retry_base (10s), got 1s`},
		{name: "quiet hours", modify: func(c *Config) { c.Push.QuietHours = "9pm-8am" },
			want: `configs: WINDOWBOT_PUSH_QUIET_HOURS (push.quiet_hours): "9pm-8am" is not HH:MM-HH:MM such as 21:00-08:00 (empty for none)`},
		{name: "no quiet hours", modify: func(c *Config) { c.Push.QuietHours = "" }},
		{name: "negative rate", modify: func(c *Config) { c.Push.TelegramRate = -1 },
			want: `configs: WINDOWBOT_PUSH_TELEGRAM_RATE (push.telegram_rate): must be 0 (no limit) or more messages a second, got -1`},
		{name: "negative chat interval", modify: func(c *Config) { c.Push.WeChatChatInterval = -time.Second },
			want: `configs: WINDOWBOT_PUSH_WECHAT_CHAT_INTERVAL (push.wechat_chat_interval): must be 0 (no limit) or a duration such as 1s, got -1s`},
		{name: "secrets stay out of messages", modify: func(c *Config) { c.RedisURL = "http://:hunter2@x" },
			want: `configs: WINDOWBOT_REDIS_URL (redis_url): "http://:xxxxx@x" must start with redis:// or rediss:// or unix:// (leave empty for in-process state)`},
		// A URL that does not parse: the password is not quoted either.
		{name: "secrets stay out of unparsable URLs", modify: func(c *Config) { c.RedisURL = "redis://:hun%zzter2@localhost:6379/0" },
			want: `configs: WINDOWBOT_REDIS_URL (redis_url): cannot parse "redis://xxxxx@localhost:6379/0" as a URL (leave empty for in-process state)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.modify(&c)
			err := c.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Fatalf("error\n got %q\nwant %q", err, tt.want)
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Env == "" || fe.Key == "" {
				t.Fatalf("errors.As(*FieldError) = %v", fe)
			}
		})
	}
}

func TestParseDatabaseURL(t *testing.T) {
	tests := []struct{ in, driver, dsn, err string }{
		{in: "windowbot.db", driver: DriverSQLite, dsn: "windowbot.db"},
		{in: "/var/lib/wb/wb.db", driver: DriverSQLite, dsn: "/var/lib/wb/wb.db"},
		{in: `C:\data\wb.db`, driver: DriverSQLite, dsn: `C:\data\wb.db`},
		{in: "sqlite:data/wb.db", driver: DriverSQLite, dsn: "data/wb.db"},
		{in: "sqlite:///abs/wb.db", driver: DriverSQLite, dsn: "/abs/wb.db"},
		{in: "file:wb.db?_pragma=busy_timeout(5000)", driver: DriverSQLite, dsn: "file:wb.db?_pragma=busy_timeout(5000)"},
		{in: "postgres://postgres@127.0.0.1:5432/test", driver: DriverPostgres, dsn: "postgres://postgres@127.0.0.1:5432/test"},
		{in: "postgresql://h/db", driver: DriverPostgres, dsn: "postgresql://h/db"},
		{in: "sqlite:", err: "has no file path"},
		{in: "postgres:db", err: "not a valid postgres:// URL"},
		{in: "mysql://x", err: `unsupported scheme "mysql"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			driver, dsn, err := ParseDatabaseURL(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || driver != tt.driver || dsn != tt.dsn {
				t.Fatalf("= %q, %q, %v; want %q, %q", driver, dsn, err, tt.driver, tt.dsn)
			}
		})
	}
}

func TestRedacted(t *testing.T) {
	c := Default()
	c.Telegram.Token, c.WeChat.AppSecret, c.AdminToken = "1:secret", "appsecret", "admintoken-admintoken"
	c.DatabaseURL = "postgres://wb:dbpass@db/wb"
	c.WeChat.Templates = map[string]string{"a": "b"}
	r := c.Redacted()
	if r.Telegram.Token != "***" || r.WeChat.AppSecret != "***" || r.AdminToken != "***" || r.WeChat.Token != "" {
		t.Errorf("secrets not redacted: %+v", r)
	}
	if strings.Contains(r.DatabaseURL, "dbpass") {
		t.Errorf("database password shown: %s", r.DatabaseURL)
	}
	// Nor when the URL does not parse.
	c.DatabaseURL, c.RedisURL = "postgres://wb:db%zzpass@db/wb", "redis://:re%zzpass@localhost:6379/0"
	if r := c.Redacted(); strings.Contains(r.DatabaseURL+r.RedisURL, "zzpass") {
		t.Errorf("password of an unparsable URL shown: %s %s", r.DatabaseURL, r.RedisURL)
	}
	if c.Telegram.Token != "1:secret" {
		t.Error("Redacted modified the original")
	}
	r.WeChat.Templates["a"] = "changed"
	if c.WeChat.Templates["a"] != "b" {
		t.Error("Redacted shares the templates map")
	}
}

func TestSlogLevel(t *testing.T) {
	c := Default()
	c.LogLevel = "debug"
	if l, err := c.SlogLevel(); err != nil || l.String() != "DEBUG" {
		t.Fatalf("= %v, %v", l, err)
	}
	c.LogLevel = "loud"
	if _, err := c.SlogLevel(); err == nil {
		t.Fatal("no error for a bad level")
	}
}

func TestTicketRulesFromConfig(t *testing.T) {
	c := Default()
	c.Tickets.CategoryDays = map[string]string{"not_done": "1/5"}
	c.Calendar.Holidays = append(c.Calendar.Holidays, "2027-02-08")
	loc, _ := c.Location()
	r, err := c.TicketRules(loc)
	if err != nil {
		t.Fatal(err)
	}
	if r.RectifyDays != 15 || r.CallbackDays != 1 || r.CategoryRectifyDays["not_done"] != 5 || r.RerateDays != 7 {
		t.Fatalf("rules = %+v", r)
	}
	if r.Calendar.IsWorkday(time.Date(2027, 2, 8, 10, 0, 0, 0, loc)) {
		t.Error("a configured holiday counted as a working day")
	}
	// Lists load from YAML sequences and from comma-separated variables.
	p := writeFile(t, "calendar:\n  holidays: [2027-01-01, 2027-02-08]\n  workdays:\n    - 2027-02-06\n")
	got, err := Load(p, env(map[string]string{"WINDOWBOT_CALENDAR_WORKDAYS": "2027-02-07 , 2027-02-20"}))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.Calendar.Holidays, " ") != "2027-01-01 2027-02-08" || strings.Join(got.Calendar.Workdays, " ") != "2027-02-07 2027-02-20" {
		t.Fatalf("calendar = %+v", got.Calendar)
	}
	if _, err := Load(writeFile(t, "calendar:\n  holidays: 2027-01-01\n"), nil); err == nil || !strings.Contains(err.Error(), "must be a list") {
		t.Fatalf("scalar for a list: %v", err)
	}
}

func TestJobSchedulesNameEveryJob(t *testing.T) {
	got := Default().Jobs.Schedules()
	want := []string{"daily-digest", "deadline-reminders", "monthly-report", "monthly-star", "overdue-escalation", "rerating", "yearly-ranking"}
	if names := slices.Sorted(maps.Keys(got)); !slices.Equal(names, want) {
		t.Fatalf("Schedules() names %v, want %v", names, want)
	}
	for name, spec := range got {
		if spec == "" {
			t.Errorf("job %q has no schedule", name)
		}
	}
	if got := Default().Jobs.Target(); got != 0.95 {
		t.Errorf("Target() = %v, want 0.95 for satisfaction_target 95", got)
	}
}

// TestSupervisionRules: the checklist keeps the configured order, built-in items by key with
// their catalog labels, the hall's own with theirs; the thresholds come through.
func TestSupervisionRules(t *testing.T) {
	c := Default()
	c.Supervision.Checklist = []string{"one_time", "queue_guide|efficiency|等候区有引导人员"}
	c.Supervision.Fraud.BurstCount = -1
	r, err := c.SupervisionRules()
	if err != nil {
		t.Fatal(err)
	}
	want := []models.CheckItem{{Key: "one_time", Category: "capability"}, {Key: "queue_guide", Category: "efficiency", Label: "等候区有引导人员"}}
	if fmt.Sprint(r.Checklist) != fmt.Sprint(want) || r.Fraud.BurstCount != -1 || r.Fraud.LowDays != 30 {
		t.Fatalf("rules %+v", r)
	}
}
