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
