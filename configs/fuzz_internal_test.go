package configs

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// writeYAML writes the leaves of c as a configuration file, every section nested, through the
// EnvVars table: what an operator could write to get c.
func writeYAML(c *Config) ([]byte, error) {
	root := map[string]any{}
	for _, e := range EnvVars() {
		var v any
		switch p := e.field(c).(type) {
		case *string:
			v = *p
		case *int:
			v = *p
		case *bool:
			v = *p
		case *time.Duration:
			v = p.String()
		case *[]string:
			if *p != nil {
				v = *p
			}
		case *map[string]string:
			if *p != nil {
				v = *p
			}
		default:
			return nil, fmt.Errorf("%s: type %T", e.Key, p)
		}
		m := root
		parts := strings.Split(e.Key, ".")
		for _, sec := range parts[:len(parts)-1] {
			sub, ok := m[sec].(map[string]any)
			if !ok {
				sub = map[string]any{}
				m[sec] = sub
			}
			m = sub
		}
		m[parts[len(parts)-1]] = v
	}
	return yaml.Marshal(root)
}

// leaf returns the value of e in c, for comparing.
func leaf(e EnvVar, c *Config) any { return reflect.ValueOf(e.field(c)).Elem().Interface() }

// secrets returns the secret values of c that are long enough to recognise in a message — the
// secret leaves and the passwords of the database and Redis URLs — leaving out any that also
// stands in a setting that is not secret (a message may show that one).
func secrets(c *Config) []string {
	open := *c
	open.DatabaseURL, open.RedisURL = "", ""
	var out []string
	for _, e := range EnvVars() {
		if p, ok := e.field(&open).(*string); ok && e.Secret {
			if len(strings.TrimSpace(*p)) >= 6 {
				out = append(out, *p)
			}
			*p = ""
		}
	}
	for _, u := range []string{c.DatabaseURL, c.RedisURL} {
		scheme, rest, ok := strings.Cut(u, "://")
		at := strings.LastIndex(rest, "@")
		if !ok || at < 0 || !credentialSchemes[strings.ToLower(scheme)] {
			continue
		}
		if _, pass, ok := strings.Cut(rest[:at], ":"); ok && len(pass) >= 6 {
			out = append(out, pass)
		}
	}
	shown := fmt.Sprintf("%+v", open)
	var kept []string
	for _, s := range out {
		if !strings.Contains(shown, s) {
			kept = append(kept, s)
		}
	}
	return kept
}

// credentialSchemes are the URL schemes whose user information is a login (anything else in
// database_url is a SQLite path).
var credentialSchemes = map[string]bool{"postgres": true, "postgresql": true, "redis": true, "rediss": true, "unix": true}

// FuzzLoad loads any configuration file, with any one WINDOWBOT_* variable (env picks it from
// the table) set to any value. It holds that:
//   - a refusal is one line naming the setting ("configs: …"), never a panic;
//   - the variable wins over the file: a loaded setting is what the variable alone gives;
//   - the file and the variable read a value the same way: the setting written in a file as a
//     quoted string loads as the variable does (both refused, or both the same value), for every
//     setting that is one value (text, number, true/false, duration);
//   - a loaded configuration written back out as a file loads as the same configuration;
//   - Validate never panics, answers in one line, and no message of Load or Validate, nor the
//     Redacted configuration, shows a secret or the password of a database or Redis URL.
func FuzzLoad(f *testing.F) {
	example, err := os.ReadFile("windowbot.example.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []struct {
		doc      string
		env      byte
		value    string
		validate bool
	}{
		{string(example), 0, "postgres://windowbot:s3cret-pass@db:5432/windowbot?sslmode=disable", true},
		{"", 1, "redis://:another-s3cret@redis:6379/0", true},
		{"telegram:\n  mode: webhook\n  webhook_secret: hook-secret-123\n", 15, "polling", true},
		{"session_ttl: 30\n", 8, "30", false},
		{"session_ttl: 30m\nsession_ttl: 1h\n", 8, "45m", false},
		{"wechat:\n  templates: {rerate_invite: T1, n_done: T2}\n", 25, "rerate_invite=T9,n_done=", false},
		{"calendar:\n  holidays: [2026-01-01, ' 2026-02-17 ']\n", 26, "2026-10-01, ,2026-10-02", false},
		{"a: &x {b: *x}\n", 0, "", false},
		{"jobs:\n  satisfaction_target: 95\n  min_ratings: -1\n", 46, "abc", true},
		{"tickets: [1, 2]\n", 30, "complaint=1:5", true},
		{"redis_url: redis://user:pa/ss@host:6379\n", 2, ":8080", true},
		{"database_url: 'postgres://u:pass word@h/db'\n", 5, "Mars/Olympus", true},
		{"- a\n- b\n", 3, "", false},
		{"\"\\u0000\": 1\n", 4, "\x00", true},
	} {
		f.Add([]byte(s.doc), s.env, s.value, s.validate)
	}
	vars := EnvVars()
	dir := f.TempDir()
	path := filepath.Join(dir, "windowbot.yaml")
	load := func(t *testing.T, doc []byte, getenv func(string) (string, bool)) (Config, error) {
		t.Helper()
		if doc == nil {
			return Load("", getenv)
		}
		if err := os.WriteFile(path, doc, 0o600); err != nil {
			t.Fatal(err)
		}
		return Load(path, getenv)
	}
	oneLine := func(t *testing.T, what string, err error, c *Config) {
		t.Helper()
		msg := err.Error()
		if strings.ContainsAny(msg, "\r\n") || !strings.HasPrefix(msg, "configs: ") {
			t.Fatalf("%s: not one line naming the setting: %q", what, msg)
		}
		if c == nil {
			return
		}
		for _, s := range secrets(c) {
			if strings.Contains(msg, s) {
				t.Fatalf("%s shows the secret %q: %q", what, s, msg)
			}
		}
	}

	f.Fuzz(func(t *testing.T, doc []byte, env byte, value string, validate bool) {
		e := vars[int(env)%len(vars)]
		getenv := func(name string) (string, bool) {
			if name == e.Name {
				return value, true
			}
			return "", false
		}
		c, err := load(t, doc, getenv)
		envOnly, envErr := load(t, nil, getenv)
		if err != nil {
			fileOnly, _ := load(t, doc, nil)
			oneLine(t, "Load", err, &fileOnly)
			return
		}
		if envErr != nil {
			t.Fatalf("the variable %s=%q is refused alone (%v) but not over the file", e.Name, value, envErr)
		}
		if !reflect.DeepEqual(leaf(e, &c), leaf(e, &envOnly)) {
			t.Fatalf("%s=%q over the file gives %#v, alone %#v", e.Name, value, leaf(e, &c), leaf(e, &envOnly))
		}

		// The same value in a file, quoted.
		switch e.field(&c).(type) {
		case *string, *int, *bool, *time.Duration:
			quoted, _ := json.Marshal(value) // a JSON string is a YAML double-quoted scalar
			if utf8.ValidString(value) && !strings.ContainsRune(value, 0) {
				keys := strings.Split(e.Key, ".")
				var b strings.Builder
				for i, k := range keys[:len(keys)-1] {
					fmt.Fprintf(&b, "%s%s:\n", strings.Repeat("  ", i), k)
				}
				fmt.Fprintf(&b, "%s%s: %s\n", strings.Repeat("  ", len(keys)-1), keys[len(keys)-1], quoted)
				inFile, fileErr := load(t, []byte(b.String()), nil)
				if (fileErr == nil) != (envErr == nil) || (fileErr == nil && !reflect.DeepEqual(leaf(e, &inFile), leaf(e, &envOnly))) {
					t.Fatalf("%s: %q in a file gives %#v, %v; as %s %#v, %v", e.Key, value, leaf(e, &inFile), fileErr, e.Name, leaf(e, &envOnly), envErr)
				}
			}
		}

		// Written back out, it loads the same.
		valid := true
		for _, v := range vars {
			switch p := v.field(&c).(type) {
			case *string:
				valid = valid && utf8.ValidString(*p)
			case *[]string:
				for _, s := range *p {
					valid = valid && utf8.ValidString(s)
				}
			case *map[string]string:
				for k, s := range *p {
					valid = valid && utf8.ValidString(k) && utf8.ValidString(s)
				}
			}
		}
		if valid {
			out, err := writeYAML(&c)
			if err != nil {
				t.Fatal(err)
			}
			again, err := load(t, out, nil)
			if err != nil {
				t.Fatalf("the loaded configuration, written out, does not load: %v\n%s", err, out)
			}
			for _, v := range vars {
				if !reflect.DeepEqual(leaf(v, &again), leaf(v, &c)) {
					t.Fatalf("%s: %#v written out loads as %#v\n%s", v.Key, leaf(v, &c), leaf(v, &again), out)
				}
			}
		}

		red := fmt.Sprintf("%+v", c.Redacted())
		for _, s := range secrets(&c) {
			if strings.Contains(red, s) {
				t.Fatalf("Redacted shows the secret %q", s)
			}
		}
		if validate {
			if err := c.Validate(); err != nil {
				oneLine(t, "Validate", err, &c)
			}
		}
	})
}
