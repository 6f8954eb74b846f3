//go:build chaos

package chaos_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

var replicasDuration = flag.Duration("replicas.duration", 60*time.Second, "how long each load of TestFourReplicas runs")

// balancer is a small round-robin reverse proxy in front of the replicas: a request a replica
// cannot take (connection refused, as while it restarts) goes to the next one, as nginx's
// proxy_next_upstream error does. The body is kept to be sent again.
type balancer struct {
	backends []string
	next     atomic.Uint64
	retried  atomic.Int64
	client   *http.Client
}

func (b *balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 12<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	first := b.next.Add(1)
	for i := range b.backends {
		backend := b.backends[(first+uint64(i))%uint64(len(b.backends))]
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, backend+r.URL.RequestURI(), bytes.NewReader(body))
		req.Header = r.Header.Clone()
		res, err := b.client.Do(req)
		if err != nil {
			var op *net.OpError
			if errors.As(err, &op) && op.Op == "dial" {
				b.retried.Add(1)
				continue // not listening: the next replica
			}
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		for k, v := range res.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(res.StatusCode)
		_, _ = io.Copy(w, res.Body)
		res.Body.Close()
		return
	}
	http.Error(w, "no replica answers", http.StatusBadGateway)
}

// TestFourReplicas measures the mixed load on one replica, then on four behind a balancer while
// one of them is restarted (SIGTERM, then started again): nothing is lost or doubled, every push
// is sent once, and the figures go to docs/benchmarks.md.
//
//	go test -tags chaos -run TestFourReplicas -v ./internal/chaos/ -replicas.duration 2m
func TestFourReplicas(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, 4, false)

	one, _, err := c.load(ctx, c.urls[:1], *replicasDuration, 41)
	if err != nil {
		t.Fatal(err)
	}

	// The last dialogs of that run end before this one starts: its check counts the tickets of
	// the two seconds before it.
	time.Sleep(5 * time.Second)
	lb := &balancer{backends: c.urls, client: &http.Client{Timeout: 30 * time.Second}}
	front := httptest.NewServer(lb)
	defer front.Close()
	restarted := make(chan struct{})
	var back atomic.Bool
	go func() {
		defer close(restarted)
		time.Sleep(*replicasDuration / 3)
		p := c.replicas[2]
		p.mu.Lock()
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		p.mu.Unlock()
		// Started again once the old process has let go of its port.
		addr := strings.TrimPrefix(c.urls[2], "http://")
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				break
			}
			conn.Close()
		}
		p.start()
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			if res, err := http.Get(c.urls[2] + "/readyz"); err == nil {
				res.Body.Close()
				if res.StatusCode == http.StatusOK {
					back.Store(true)
					return
				}
			}
		}
	}()
	four, progress, err := c.load(ctx, []string{front.URL}, *replicasDuration, 43)
	<-restarted
	if err != nil {
		t.Fatal(err)
	}
	if !back.Load() {
		t.Errorf("replica 2 did not come back after its restart:\n%s", c.replicas[2].log)
	}
	var report strings.Builder
	four.Write(&report, false)
	t.Logf("four replicas:\n%s\n%s", progress, report.String())

	for _, r := range []struct {
		name string
		ok   bool
		desc string
		reqs int
		secs float64
		errs int
	}{
		{"one replica", one.Check != nil && one.Check.OK(), one.Check.String(), one.Requests(), one.Ended.Sub(one.Started).Seconds(), one.Errors},
		{"four replicas", four.Check != nil && four.Check.OK(), four.Check.String(), four.Requests(), four.Ended.Sub(four.Started).Seconds(), four.Errors},
	} {
		t.Logf("%s: %d messages in %.0f s = %.0f/s, %d errors; %s", r.name, r.reqs, r.secs, float64(r.reqs)/r.secs, r.errs, r.desc)
		if !r.ok {
			t.Errorf("%s: the database does not hold what the citizens were told: %s", r.name, r.desc)
		}
	}
	t.Logf("balancer: %d requests sent on to another replica; WeChat retries %d, Telegram redeliveries %d",
		lb.retried.Load(), four.WeChatRetries, four.TelegramRedeliveries)
	pushes, waiting, doubled := c.drained()
	t.Logf("pushes: %d, not sent %v, doubled keys %d", pushes, waiting, doubled)
	if len(waiting) != 0 || doubled != 0 {
		t.Errorf("pushes: %d queued, not sent: %v, doubled keys %d", pushes, waiting, doubled)
	}
}
