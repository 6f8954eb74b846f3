//go:build redisha

package state

// These tests start private Redis servers with scripts/redis-ha.sh on free loopback ports — a
// three-master Redis Cluster, and a master with a replica watched by three sentinels — and run
// the State contract on them:
//
//	go test -race -tags redisha ./flows/state/
//
// `make test-redisha` (part of `make test`) runs them.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"windowbot/bot"
	"windowbot/flows"
	"windowbot/internal/testenv"
)

func freePorts(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		out = append(out, strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
	}
	for _, l := range ls {
		l.Close()
	}
	return out
}

func redisHA(t *testing.T, dir string, args ...string) {
	t.Helper()
	out, err := exec.Command("bash", append([]string{"../../scripts/redis-ha.sh", args[0], dir}, args[1:]...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-ha %v: %v\n%s", args, err, out)
	}
}

func haDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "windowbot-redisha-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		exec.Command("bash", "../../scripts/redis-ha.sh", "stop", dir).Run()
		os.RemoveAll(dir)
	})
	return dir
}

func addrs(ports []string) []string {
	out := make([]string, len(ports))
	for i, p := range ports {
		out[i] = "127.0.0.1:" + p
	}
	return out
}

// openHA opens a store on the deployment, its keys under a fresh prefix.
func openHA(t *testing.T, o RedisOptions) *Redis {
	t.Helper()
	r, err := OpenRedisHA(context.Background(), o, testenv.KeyPrefix(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// The whole State contract, multi-key scripts included, holds on a three-master Redis Cluster
// and through Sentinel.
func TestContractOnClusterAndSentinel(t *testing.T) {
	dir := haDir(t)
	cluster := freePorts(t, 3)
	redisHA(t, dir, append([]string{"cluster"}, cluster...)...)
	sent := freePorts(t, 5)
	redisHA(t, dir, append([]string{"sentinel"}, sent...)...)

	runContract(t, []backend{
		{"cluster", func(t *testing.T) (flows.State, func(time.Duration)) {
			return openHA(t, RedisOptions{Mode: ModeCluster, Addrs: addrs(cluster)}), time.Sleep
		}},
		{"sentinel", func(t *testing.T) (flows.State, func(time.Duration)) {
			return openHA(t, RedisOptions{Mode: ModeSentinel, Addrs: addrs(sent[2:]), MasterName: "windowbot"}), time.Sleep
		}},
	})

	// The keys of one conversation really spread over the masters: sessions of many chats land
	// in more than one slot owner.
	r := openHA(t, RedisOptions{Mode: ModeCluster, Addrs: addrs(cluster)})
	ctx := context.Background()
	owners := map[string]bool{}
	cc := r.Client().(*redis.ClusterClient)
	for i := range 50 {
		key := flows.SessionKey(bot.Telegram, strconv.Itoa(i))
		held, _, err := r.Hold(ctx, "lock:"+key, key, time.Second)
		if err != nil {
			t.Fatalf("hold %s: %v", key, err)
		}
		if err := held.Save(ctx, 0, session(1), time.Minute); err != nil {
			t.Fatalf("save %s: %v", key, err)
		}
		node, err := cc.MasterForKey(ctx, r.k(key))
		if err != nil {
			t.Fatal(err)
		}
		owners[node.Options().Addr] = true
	}
	if len(owners) < 2 {
		t.Errorf("50 conversations on %d master(s): the keys do not spread", len(owners))
	}
}

// A Sentinel failover while sessions are written: the master dies, a sentinel promotes the
// replica, and writes go on through the same store after a few refused ones; what was written
// (and replicated) before is still there.
func TestSentinelFailover(t *testing.T) {
	dir := haDir(t)
	ports := freePorts(t, 5)
	redisHA(t, dir, append([]string{"sentinel"}, ports...)...)
	r := openHA(t, RedisOptions{Mode: ModeSentinel, Addrs: addrs(ports[2:]), MasterName: "windowbot"})
	ctx := context.Background()

	const before = 20
	for i := range before {
		if err := r.Save(ctx, fmt.Sprintf("dlg:{web:%d}", i), 0, session(1), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	// The replica has them before the master dies (replication is asynchronous).
	if n, err := r.Client().Do(ctx, "WAIT", 1, 5000).Int(); err != nil || n < 1 {
		t.Fatalf("WAIT: %d replicas, %v", n, err)
	}
	redisHA(t, dir, "kill", ports[0])

	refused := 0
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := r.Save(ctx, "dlg:{web:after}", 0, session(1), time.Minute)
		if err == nil {
			break
		}
		if errors.Is(err, flows.ErrConflict) {
			t.Fatalf("a failover made a conflict: %v", err)
		}
		refused++
		if time.Now().After(deadline) {
			t.Fatalf("no write after the failover: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("writes refused during the failover: %d", refused)
	for i := range before {
		if _, err := r.Load(ctx, fmt.Sprintf("dlg:{web:%d}", i)); err != nil {
			t.Errorf("session %d lost in the failover: %v", i, err)
		}
	}
	// The sentinel that led the failover tells the others; this one may learn it a moment later.
	sentinel := redis.NewSentinelClient(&redis.Options{Addr: addrs(ports[2:3])[0]})
	defer sentinel.Close()
	var addr []string
	var err error
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		addr, err = sentinel.GetMasterAddrByName(ctx, "windowbot").Result()
		if (err == nil && addr[1] == ports[1]) || time.Now().After(deadline) {
			break
		}
	}
	if err != nil || addr[1] != ports[1] {
		t.Errorf("the sentinels name master %v (%v), want the old replica on %s", addr, err, ports[1])
	}
}
