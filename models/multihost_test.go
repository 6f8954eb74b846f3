package models_test

import (
	"net"
	"net/url"
	"strings"
	"testing"

	"windowbot/internal/testenv"
	"windowbot/models"
)

// closedPort returns a loopback address where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// A database URL naming several hosts with target_session_attrs=read-write, in URL and in
// keyword form, reaches the one that answers and takes writes: the first host being down (a
// primary lost in a failover) does not stop the store from opening, migrating and writing.
func TestOpenSeveralHostsFindsTheWritableOne(t *testing.T) {
	base, err := url.Parse(testenv.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	down := closedPort(t)
	multi := *base
	multi.Host = down + "," + base.Host
	q := multi.Query()
	q.Set("target_session_attrs", "read-write")
	q.Set("connect_timeout", "5")
	multi.RawQuery = q.Encode()

	downHost, downPort, _ := net.SplitHostPort(down)
	upHost, upPort, _ := net.SplitHostPort(base.Host)
	keyword := strings.Join([]string{
		"host=" + downHost + "," + upHost,
		"port=" + downPort + "," + upPort,
		"user=" + base.User.Username(),
		"dbname=" + strings.TrimPrefix(base.Path, "/"),
		"sslmode=disable connect_timeout=5 target_session_attrs=read-write",
	}, " ")

	for name, u := range map[string]string{"url": multi.String(), "keyword": keyword} {
		t.Run(name, func(t *testing.T) {
			ctx := ctxT(t)
			s, err := models.Open(ctx, u, nil)
			if err != nil {
				t.Fatalf("Open(%s): %v", models.RedactURL(u), err)
			}
			defer s.Close()
			if s.Dialect() != models.DialectPostgres {
				t.Fatalf("dialect %s", s.Dialect())
			}
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if err := s.SeedDemo(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := s.WindowByCode(ctx, "W001"); err != nil {
				t.Fatal(err)
			}
		})
	}
}
