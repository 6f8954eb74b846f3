package testenv

import (
	"sync"
	"time"
)

// Shanghai is the zone of the service hall in every test.
var Shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return l
}()

// Monday10 is Monday 23 November 2026, 10:00 in Shanghai: where the tests' clocks start.
var Monday10 = time.Date(2026, 11, 23, 10, 0, 0, 0, Shanghai)

// Clock is a settable clock for tests, safe for concurrent use: its Now is given to the code under
// test, and the test moves it with Add and Set.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Set puts the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}
