package models

import (
	"strings"
	"testing"
)

func TestParseDatabaseURL(t *testing.T) {
	tests := []struct {
		url         string
		dialect     string
		dsnPrefix   string
		errContains string
	}{
		{url: "", dialect: DialectSQLite, dsnPrefix: "windowbot.db?_pragma="},
		{url: "sqlite:data/wb.db", dialect: DialectSQLite, dsnPrefix: "data/wb.db?_pragma="},
		{url: "sqlite:///var/lib/wb.db", dialect: DialectSQLite, dsnPrefix: "/var/lib/wb.db?_pragma="},
		{url: "SQLite:wb.db", dialect: DialectSQLite, dsnPrefix: "wb.db?"},
		{url: "/var/lib/wb.db", dialect: DialectSQLite, dsnPrefix: "/var/lib/wb.db?"},
		{url: "wb.db", dialect: DialectSQLite, dsnPrefix: "wb.db?"},
		{url: `C:\data\wb.db`, dialect: DialectSQLite, dsnPrefix: `C:\data\wb.db?`},
		{url: "sqlite:wb.db?cache=shared", dialect: DialectSQLite, dsnPrefix: "wb.db?cache=shared&_pragma="},
		{url: "file:wb.db?mode=rwc", dialect: DialectSQLite, dsnPrefix: "file:wb.db?mode=rwc&"},
		{url: "postgres://u@h/db", dialect: DialectPostgres, dsnPrefix: "postgres://u@h/db"},
		{url: "postgresql://u@h/db?sslmode=disable", dialect: DialectPostgres, dsnPrefix: "postgresql://u@h/db?sslmode=disable"},
		{url: "host=a,b port=5432,5433 dbname=wb target_session_attrs=read-write", dialect: DialectPostgres, dsnPrefix: "host=a,b port=5432,5433 dbname=wb"},
		{url: "dbname=wb user=wb", dialect: DialectPostgres, dsnPrefix: "dbname=wb user=wb"},
		{url: "data/x=1.db", dialect: DialectSQLite, dsnPrefix: "data/x=1.db?"},
		{url: "mysql://u@h/db", errContains: `"mysql"`},
		{url: "redis:foo", errContains: `"redis"`},
		{url: "sqlite:", errContains: "without a path"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			dialect, dsn, err := parseDatabaseURL(tt.url)
			if tt.errContains != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errContains) {
					t.Fatalf("err = %v, want one containing %s", err, tt.errContains)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if dialect != tt.dialect || !strings.HasPrefix(dsn, tt.dsnPrefix) {
				t.Errorf("got %s %q, want %s %q…", dialect, dsn, tt.dialect, tt.dsnPrefix)
			}
			if dialect == DialectSQLite && !strings.Contains(dsn, "_txlock=immediate") {
				t.Errorf("dsn %q lacks _txlock=immediate", dsn)
			}
		})
	}
}

func TestRedactURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"windowbot.db", "windowbot.db"},
		{"sqlite:data/wb.db", "sqlite:data/wb.db"},
		{"redis://localhost:6379/0", "redis://localhost:6379/0"},
		{"redis://:s3cret@localhost:6379/0", "redis://:xxxxx@localhost:6379/0"},
		{"postgres://wb:s3cret@db/wb?sslmode=disable", "postgres://wb:xxxxx@db/wb?sslmode=disable"},
		{"host=a,b dbname=wb password=s3cret user=wb", "host=a,b dbname=wb password=xxxxx user=wb"},
		{"host=a password='s3 c\\'ret' dbname=wb", "host=a password=xxxxx dbname=wb"},
		{"host=a dbname=wb password=s3cret", "host=a dbname=wb password=xxxxx"},
		{"postgres://db/wb?user=wb&password=s3cret", "postgres://db/wb?password=xxxxx&user=wb"},
		// Does not parse: the parser's error would quote the password.
		{"redis://:s3cr%zzet@localhost:6379/0", "redis://xxxxx@localhost:6379/0"},
		{"redis://:p@ss%@localhost:6379/0?password=s3cret%", "redis://xxxxx@localhost:6379/0"},
		{"rediss://u:s3cret@host:port:bad", "rediss://xxxxx@host:port:bad"},
		{":s3cret@host", "xxxxx@host"},
		// Found by FuzzLoad: a password holding "#", "?" or "/" after digits parses as a host with
		// a port and a fragment, query or path.
		{"redis://:12#s3cret@localhost:6379/0", "redis://xxxxx@localhost:6379/0"},
		{"redis://:99?s3cret@localhost:6379/0", "redis://xxxxx@localhost:6379/0"},
		{"postgres://wb:2024/s3cret@db/wb?sslmode=disable", "postgres://xxxxx@db/wb"},
		{"https://hall.example.cn/board?contact=office@example.cn", "https://xxxxx@example.cn"},
	} {
		got := RedactURL(tc.in)
		if got != tc.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if strings.Contains(got, "s3cr") {
			t.Errorf("RedactURL(%q) = %q keeps the password", tc.in, got)
		}
	}
}
