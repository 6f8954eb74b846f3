// Package httpreply reads the parts of an HTTP answer that windowbot's outgoing clients (the SMS
// gateway, the provincial report platform) judge a send by: a success field in a JSON body and
// the wait of a Retry-After header.
package httpreply

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Field returns the value at a dotted path (result.code) of a JSON object, as text: a string as
// it is, a number as written, a boolean as true or false. It reports false for a body that is
// not JSON, a path that is missing, or a value of another kind.
func Field(body []byte, path string) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", false
	}
	for _, key := range strings.Split(path, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return "", false
		}
		if v, ok = obj[key]; !ok {
			return "", false
		}
	}
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// RetryAfter reads a Retry-After header, in seconds or as an HTTP date seen from now, else def.
func RetryAfter(h string, now time.Time, def time.Duration) time.Duration {
	if s, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return def
}

// Snippet returns the start of an answer for an error message, passed through mask first so
// that personal data the other side quoted back stays out of logs.
func Snippet(b []byte, mask func(string) string) string {
	const n = 200
	s := strings.TrimSpace(string(b))
	if mask != nil {
		s = mask(s)
	}
	if r := []rune(s); len(r) > n {
		s = string(r[:n]) + "…"
	}
	return s
}
