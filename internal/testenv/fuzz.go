package testenv

import (
	"flag"
	"os"
	"testing"
)

// Fuzzing reports whether the test binary is fuzzing (go test -fuzz, coordinator or worker)
// rather than running the seed corpus as tests.
func Fuzzing() bool {
	for _, name := range []string{"test.fuzz", "test.fuzzworker"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" && f.Value.String() != "false" {
			return true
		}
	}
	return false
}

// FuzzDatabaseURLs returns the databases a fuzz target that needs one runs on: SQLite while
// fuzzing, for speed, and SQLite and PostgreSQL when the seed corpus runs as tests (go test, CI),
// so that every kept input is also tried on PostgreSQL, which refuses more (a NUL byte in text,
// dates outside its range). WINDOWBOT_FUZZ_POSTGRES=1 fuzzes on both.
func FuzzDatabaseURLs(f *testing.F) []string {
	f.Helper()
	urls := []string{SQLiteURL(f)}
	if !Fuzzing() || os.Getenv("WINDOWBOT_FUZZ_POSTGRES") != "" {
		urls = append(urls, PostgresURL(f))
	}
	return urls
}
