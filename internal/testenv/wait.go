package testenv

import (
	"testing"
	"time"
)

// WaitFor polls cond until it holds and fails the test, naming what it waited for, when it
// still does not hold after timeout: a test that waits on code that stalls fails instead of
// hanging until the test binary's own timeout.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("testenv: gave up after %s waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
