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
	if IsKeywordDSN(u) {
		return redactKeywords(u)
	}
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

// redactKeywords hides the password of a connection string in libpq's keyword form. A quoted
// password ('a b') may hold spaces: everything up to the closing quote goes.
func redactKeywords(u string) string {
	var b strings.Builder
	rest := u
	for {
		i := strings.Index(rest, "password=")
		if i < 0 || (i > 0 && rest[i-1] != ' ' && rest[i-1] != '\t') {
			if i < 0 {
				b.WriteString(rest)
				return b.String()
			}
			b.WriteString(rest[:i+len("password=")])
			rest = rest[i+len("password="):]
			continue
		}
		b.WriteString(rest[:i+len("password=")])
		b.WriteString("xxxxx")
		rest = rest[i+len("password="):]
		if strings.HasPrefix(rest, "'") {
			end := 1
			for end < len(rest) && rest[end] != '\'' {
				if rest[end] == '\\' {
					end++
				}
				end++
			}
			rest = rest[min(end+1, len(rest)):]
		} else if j := strings.IndexAny(rest, " \t"); j >= 0 {
			rest = rest[j:]
		} else {
			rest = ""
		}
	}
}
