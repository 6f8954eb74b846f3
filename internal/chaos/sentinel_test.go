//go:build chaos

package chaos_test

import (
	"context"
	"flag"
	"fmt"
	"testing"
	"time"
)

var sentinelDuration = flag.Duration("sentinel.duration", 45*time.Second, "how long the load of TestSentinelFailover runs")

// TestSentinelFailover (redis.mode sentinel): two replicas reach Redis through three sentinels
// while citizens rate and complain; a third into the run the Redis master is killed and the
// sentinels promote its replica. The dialogs go on after at most a polite "busy" answer, the
// database holds every rating and ticket the citizens were told about once, and /readyz of both
// replicas says "not ready" while Redis has no master and "ready" once it has one again.
func TestSentinelFailover(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, 2, true)
	pctx, stopProbe := context.WithCancel(ctx)
	pr := &probe{}
	go pr.run(pctx, c.urls)

	var killed time.Time
	done := make(chan struct{})
	go func() {
		defer close(done)
		time.Sleep(*sentinelDuration / 3)
		killed = time.Now()
		run(t, "bash", c.haScript, "kill", c.haDir, fmt.Sprint(c.master))
	}()
	rep, progress, err := c.load(ctx, c.urls, *sentinelDuration, 53)
	<-done
	stopProbe()
	if err != nil {
		t.Fatal(err)
	}
	// What the citizens were told is in the database exactly once.
	held(t, rep, progress)
	// The dialogs went on: ratings were made well after the failover.
	var after int64
	c.db.Raw("SELECT COUNT(*) FROM ratings WHERE created_at > ?", killed.Add(10*time.Second).UTC()).Scan(&after)
	if after == 0 {
		t.Errorf("no rating after the failover")
	}
	for i := range c.urls {
		r := pr.around(i, killed, killed.Add(8*time.Second), killed.Add(20*time.Second))
		t.Logf("replica %d /readyz: %v after the kill, %v 20 s later", i, r.during, r.after)
		if r.notReady == 0 || (len(r.after) > 0 && r.readyAfter == 0) {
			t.Errorf("replica %d: /readyz did not report the outage or the recovery", i)
		}
	}
	pushes, waiting, doubled := c.drained()
	if len(waiting) != 0 || doubled != 0 {
		t.Errorf("pushes: %d queued, not sent: %v, doubled keys %d", pushes, waiting, doubled)
	}
	t.Logf("sentinel failover: %d ratings, %d tickets, %d errors, %d after the failover; pushes %d; lost %d, doubled %d",
		rep.Ratings, rep.Tickets, rep.Errors, after, pushes, rep.Check.Lost, rep.Check.Doubled)
}
