// Package state implements flows.State twice: Redis for production, where any number of replicas
// share dialogs, locks and dedupe keys, and an in-process store for a single replica that needs no
// set-up. Both keep every kind of value in one key space, as Redis does, and read a session's
// version from the JSON stored under its key, so they behave alike down to the edge cases.
package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ErrBadTTL is returned when a write is asked for with a zero or negative ttl: every value this
// package keeps expires, so a forgotten ttl would otherwise leak keys forever.
var ErrBadTTL = errors.New("state: ttl must be positive")

// ErrNotInteger is returned by Incr when the key holds something other than a counter.
var ErrNotInteger = errors.New("state: value is not an integer")

func checkTTL(op, key string, ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("%w: %s %s with ttl %s", ErrBadTTL, op, key, ttl)
	}
	return nil
}

// storedVersion reads the top-level "version" of a stored session. A value that is not a JSON
// object with a numeric version counts as version 0, so an unreadable session can be replaced by
// a fresh one instead of blocking its conversation forever. The Redis script does the same.
func storedVersion(data []byte) int64 {
	var v struct {
		Version float64 `json:"version"`
	}
	if json.Unmarshal(data, &v) != nil {
		return 0
	}
	return int64(v.Version)
}
