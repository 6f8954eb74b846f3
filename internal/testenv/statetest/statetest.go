// Package statetest opens the conversation state stores of package flows/state for tests, each
// closed when its test ends. It stands apart from testenv because flows/state's own tests use
// testenv, so testenv cannot import flows/state.
package statetest

import (
	"context"
	"testing"
	"time"

	"windowbot/flows/state"
	"windowbot/internal/testenv"
)

// Memory returns an in-process store on the clock now (nil: the wall clock).
func Memory(t testing.TB, now func() time.Time) *state.Memory {
	t.Helper()
	st := state.NewMemory(now)
	t.Cleanup(func() { st.Close() })
	return st
}

// Redis returns a store on the test Redis server (testenv.RedisURL), its keys under a prefix of
// this test's own.
func Redis(t testing.TB) *state.Redis {
	t.Helper()
	st, err := state.OpenRedis(context.Background(), testenv.RedisURL(t), testenv.KeyPrefix(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
