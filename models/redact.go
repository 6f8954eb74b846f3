package models

import (
	"net/url"
	"strings"
)

// RedactURL returns u fit for a log line or an error message: the password of a URL that parses
// is replaced by "xxxxx" (url.URL.Redacted), and of one that does not — whose parser error would
// quote it whole — or that parses with an "@" after its host (a password holding "#", "?" or
// "/"), only the scheme and what follows the last "@" are kept, without the query, where a
// password may be given too. A string without a scheme is returned as it is: a file path.
func RedactURL(u string) string {
	// A password with "#", "?" or "/" in it, written without escaping, parses as the fragment,
	// query or path of a URL without a user: such a URL goes the way of one that does not parse.
	if p, err := url.Parse(u); err == nil && (p.User != nil || !strings.Contains(p.Path+p.RawQuery+p.Fragment, "@")) {
		if p.User == nil && !strings.Contains(strings.ToLower(p.RawQuery), "password") {
			return u
		}
		if q := p.Query(); q.Has("password") {
			q.Set("password", "xxxxx")
			p.RawQuery = q.Encode()
		}
		return p.Redacted()
	}
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		if i := strings.LastIndex(u, "@"); i >= 0 {
			return "xxxxx" + u[i:]
		}
		return u
	}
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		rest = "xxxxx" + rest[i:]
	}
	rest, _, _ = strings.Cut(rest, "?")
	return scheme + "://" + rest
}
