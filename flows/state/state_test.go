package state

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"windowbot/bot"
	"windowbot/flows"
	"windowbot/internal/testenv"
)

// backend is one State under test, with the way to let time pass for it: the in-process store
// moves its fake clock, Redis really waits.
type backend struct {
	name string
	open func(t *testing.T) (st flows.State, advance func(time.Duration))
}

func backends() []backend {
	return []backend{
		{"memory", func(t *testing.T) (flows.State, func(time.Duration)) {
			clk := testenv.NewClock(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
			m := NewMemory(clk.Now)
			t.Cleanup(func() { m.Close() })
			return m, clk.Add
		}},
		{"redis", func(t *testing.T) (flows.State, func(time.Duration)) {
			return openTestRedis(t), time.Sleep
		}},
	}
}

func openTestRedis(t *testing.T) *Redis {
	t.Helper()
	ctx := context.Background()
	prefix := testenv.KeyPrefix(t)
	r, err := OpenRedis(ctx, testenv.RedisURL(t), prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		iter := r.Client().Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			r.Client().Del(ctx, iter.Val())
		}
		r.Close()
	})
	return r
}

// ttl is short enough for Redis tests to wait out and long enough to survive the race detector.
const ttl = 200 * time.Millisecond

func session(version int64) []byte {
	return fmt.Appendf(nil, `{"version":%d,"flow":"rate","step":"level"}`, version)
}

// TestContract runs the flows.State contract against every implementation.
func TestContract(t *testing.T) { runContract(t, backends()) }

// runContract runs the flows.State contract against each backend.
func runContract(t *testing.T, bs []backend) {
	tests := []struct {
		name string
		fn   func(t *testing.T, st flows.State, advance func(time.Duration))
	}{
		{"SessionVersions", testSessionVersions},
		{"SessionExpires", testSessionExpires},
		{"SessionUnreadableIsVersionZero", testSessionUnreadable},
		{"DeleteMissingKey", testDeleteMissing},
		{"LockExclusive", testLockExclusive},
		{"LockWaitsForRelease", testLockWaitsForRelease},
		{"LockGivesUpWithContext", testLockContext},
		{"LockLapsesAfterTTL", testLockLapses},
		{"HoldLoadsAndCommits", testHoldLoadsAndCommits},
		{"HoldExcludesLockers", testHoldExcludesLockers},
		{"HoldGivesUpWithContext", testHoldContext},
		{"SetGet", testSetGet},
		{"ClaimOnce", testClaimOnce},
		{"Has", testHas},
		{"KV", testKV},
		{"IncrWindow", testIncrWindow},
		{"IncrConcurrent", testIncrConcurrent},
		{"IncrNotInteger", testIncrNotInteger},
		{"BadTTL", testBadTTL},
		{"Ping", func(t *testing.T, st flows.State, _ func(time.Duration)) {
			if err := st.Ping(context.Background()); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, b := range bs {
		t.Run(b.name, func(t *testing.T) {
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					st, advance := b.open(t)
					tc.fn(t, st, advance)
				})
			}
		})
	}
}

func testSessionVersions(t *testing.T, st flows.State, _ func(time.Duration)) {
	ctx := context.Background()
	const key = "dlg:telegram:1"
	if _, err := st.Load(ctx, key); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("load of nothing: %v, want ErrNotFound", err)
	}
	steps := []struct {
		expect  int64
		wantErr error
	}{
		{0, nil},                // first save
		{0, flows.ErrConflict},  // a second "first" save lost the race
		{1, nil},                // the winner carries on
		{1, flows.ErrConflict},  // a retried delivery of the same turn
		{5, flows.ErrConflict},  // from the future
		{2, nil},                // and on
		{-1, flows.ErrConflict}, // nonsense
	}
	for i, s := range steps {
		err := st.Save(ctx, key, s.expect, session(s.expect+1), time.Minute)
		if !errors.Is(err, s.wantErr) || (s.wantErr == nil) != (err == nil) {
			t.Fatalf("step %d: save expecting %d: %v, want %v", i, s.expect, err, s.wantErr)
		}
	}
	got, err := st.Load(ctx, key)
	if err != nil || string(got) != string(session(3)) {
		t.Fatalf("load = %s, %v; want version 3", got, err)
	}
	if err := st.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if err := st.Save(ctx, key, 0, session(1), time.Minute); err != nil {
		t.Fatalf("save after delete: %v", err)
	}
}

func testSessionExpires(t *testing.T, st flows.State, advance func(time.Duration)) {
	ctx := context.Background()
	const key = "dlg:web:x"
	if err := st.Save(ctx, key, 0, session(1), ttl); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Load(ctx, key); err != nil {
		t.Fatalf("load before expiry: %v", err)
	}
	advance(ttl + ttl/2)
	if _, err := st.Load(ctx, key); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("load after expiry: %v, want ErrNotFound", err)
	}
	if err := st.Save(ctx, key, 1, session(2), ttl); !errors.Is(err, flows.ErrConflict) {
		t.Fatalf("save over an expired session: %v, want ErrConflict", err)
	}
	if err := st.Save(ctx, key, 0, session(1), ttl); err != nil {
		t.Fatalf("fresh save after expiry: %v", err)
	}
}

func testSessionUnreadable(t *testing.T, st flows.State, _ func(time.Duration)) {
	ctx := context.Background()
	for _, junk := range []string{"not json", `[1,2]`, `{"version":"7"}`, `{"flow":"rate"}`} {
		if err := st.Set(ctx, "dlg:junk", []byte(junk), time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := st.Save(ctx, "dlg:junk", 0, session(1), time.Minute); err != nil {
			t.Fatalf("save over %q expecting 0: %v", junk, err)
		}
	}
}

func testDeleteMissing(t *testing.T, st flows.State, _ func(time.Duration)) {
	if err := st.Delete(context.Background(), "never:there"); err != nil {
		t.Fatalf("delete of a missing key: %v", err)
	}
}

func testLockExclusive(t *testing.T, st flows.State, _ func(time.Duration)) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var inside, overlaps, done atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				unlock, err := st.Lock(ctx, "lock:dlg:telegram:7", 10*time.Second)
				if err != nil {
					t.Error(err)
					return
				}
				if inside.Add(1) != 1 {
					overlaps.Add(1)
				}
				time.Sleep(time.Millisecond)
				inside.Add(-1)
				done.Add(1)
				unlock()
			}
		}()
	}
	wg.Wait()
	if overlaps.Load() != 0 || done.Load() != 80 {
		t.Fatalf("overlaps = %d, turns = %d; want 0 and 80", overlaps.Load(), done.Load())
	}
}

func testLockWaitsForRelease(t *testing.T, st flows.State, _ func(time.Duration)) {
	ctx := context.Background()
	unlock, err := st.Lock(ctx, "lock:a", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		u, err := st.Lock(ctx, "lock:a", time.Minute)
		if err == nil {
			u()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("second lock did not wait: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	unlock()
	unlock() // a second call is harmless
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("second lock not granted after release")
	}
	// A different key never waited on this one.
	u, err := st.Lock(ctx, "lock:b", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	u()
}

func testLockContext(t *testing.T, st flows.State, _ func(time.Duration)) {
	unlock, err := st.Lock(context.Background(), "lock:busy", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = st.Lock(ctx, "lock:busy", time.Minute)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("lock on a held key: %v, want DeadlineExceeded", err)
	}
	if time.Since(start) > 3*time.Second {
		t.Fatalf("gave up late: %s", time.Since(start))
	}
}

func testLockLapses(t *testing.T, st flows.State, advance func(time.Duration)) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The holder "crashes": it never unlocks, yet the conversation is not wedged.
	crashed, err := st.Lock(ctx, "lock:c", ttl)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan func(), 1)
	go func() {
		u, err := st.Lock(ctx, "lock:c", time.Minute)
		if err != nil {
			t.Error(err)
			u = func() {}
		}
		got <- u
	}()
	advance(ttl + ttl/2)
	var successor func()
	select {
	case successor = <-got:
	case <-ctx.Done():
		t.Fatal("lock did not lapse")
	}
	// The first holder comes back and unlocks: that must not free the successor's lock.
	crashed()
	short, cancelShort := context.WithTimeout(context.Background(), 60*time.Millisecond)
	defer cancelShort()
	if _, err := st.Lock(short, "lock:c", time.Minute); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a lapsed holder's unlock released its successor: %v", err)
	}
	successor()
	u, err := st.Lock(ctx, "lock:c", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	u()
}

func testClaimOnce(t *testing.T, st flows.State, advance func(time.Duration)) {
	ctx := context.Background()
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := st.Claim(ctx, "tg:update:1:42", ttl)
			if err != nil {
				t.Error(err)
			}
			if ok {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("claims won = %d, want 1", wins.Load())
	}
	if ok, _ := st.Claim(ctx, "tg:update:1:43", ttl); !ok {
		t.Fatal("another key should be claimable")
	}
	advance(ttl + ttl/2)
	if ok, err := st.Claim(ctx, "tg:update:1:42", ttl); !ok || err != nil {
		t.Fatalf("claim after ttl = %v, %v; want true", ok, err)
	}
}

// testHas checks Has, which the jobs read the push sent log and job claims with.
func testHas(t *testing.T, st flows.State, advance func(time.Duration)) {
	ctx := context.Background()
	h, ok := st.(interface {
		Has(ctx context.Context, key string) (bool, error)
	})
	if !ok {
		t.Fatalf("%T has no Has", st)
	}
	has := func(key string, want bool) {
		t.Helper()
		if got, err := h.Has(ctx, key); got != want || err != nil {
			t.Fatalf("Has(%s) = %v, %v; want %v", key, got, err, want)
		}
	}
	has("push:sent:a", false)
	if _, err := st.Claim(ctx, "push:sent:a", ttl); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Incr(ctx, "count:a", time.Minute); err != nil {
		t.Fatal(err)
	}
	has("push:sent:a", true)
	has("count:a", true)
	if err := st.Delete(ctx, "count:a"); err != nil {
		t.Fatal(err)
	}
	has("count:a", false)
	advance(ttl + ttl/2)
	has("push:sent:a", false)
}

func testKV(t *testing.T, st flows.State, advance func(time.Duration)) {
	ctx := context.Background()
	if _, err := st.Get(ctx, "kv:a"); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("get of nothing: %v", err)
	}
	val := []byte("值 one")
	if err := st.Set(ctx, "kv:a", val, ttl); err != nil {
		t.Fatal(err)
	}
	val[0] = 'X' // the store keeps its own copy
	got, err := st.Get(ctx, "kv:a")
	if err != nil || string(got) != "值 one" {
		t.Fatalf("get = %q, %v", got, err)
	}
	if err := st.Set(ctx, "kv:a", []byte("two"), ttl); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Get(ctx, "kv:a"); string(got) != "two" {
		t.Fatalf("overwritten get = %q", got)
	}
	advance(ttl + ttl/2)
	if _, err := st.Get(ctx, "kv:a"); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("get after ttl: %v", err)
	}
}

func testIncrWindow(t *testing.T, st flows.State, advance func(time.Duration)) {
	ctx := context.Background()
	const window = 3 * ttl / 2
	for want := int64(1); want <= 3; want++ {
		n, err := st.Incr(ctx, "rl:chat:1", window)
		if err != nil || n != want {
			t.Fatalf("incr = %d, %v; want %d", n, err, want)
		}
	}
	// Later increments do not push the window out: it ends window after the first one.
	advance(window * 2 / 3)
	if n, _ := st.Incr(ctx, "rl:chat:1", window); n != 4 {
		t.Fatalf("incr in the window = %d, want 4", n)
	}
	advance(window/3 + window/3)
	if n, _ := st.Incr(ctx, "rl:chat:1", window); n != 1 {
		t.Fatalf("incr after the window = %d, want 1", n)
	}
	if got, err := st.Get(ctx, "rl:chat:1"); err != nil || string(got) != "1" {
		t.Fatalf("counter reads as %q, %v", got, err)
	}
}

func testIncrConcurrent(t *testing.T, st flows.State, _ func(time.Duration)) {
	ctx := context.Background()
	var wg sync.WaitGroup
	var top atomic.Int64
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := st.Incr(ctx, "rl:burst", time.Minute)
			if err != nil {
				t.Error(err)
			}
			for {
				cur := top.Load()
				if n <= cur || top.CompareAndSwap(cur, n) {
					break
				}
			}
		}()
	}
	wg.Wait()
	if top.Load() != 50 {
		t.Fatalf("highest count = %d, want 50", top.Load())
	}
}

func testIncrNotInteger(t *testing.T, st flows.State, _ func(time.Duration)) {
	ctx := context.Background()
	if err := st.Set(ctx, "rl:text", []byte("abc"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Incr(ctx, "rl:text", time.Minute); !errors.Is(err, ErrNotInteger) {
		t.Fatalf("incr of text: %v, want ErrNotInteger", err)
	}
}

func testBadTTL(t *testing.T, st flows.State, _ func(time.Duration)) {
	ctx := context.Background()
	calls := map[string]func() error{
		"save":  func() error { return st.Save(ctx, "k", 0, session(1), 0) },
		"set":   func() error { return st.Set(ctx, "k", []byte("v"), -time.Second) },
		"claim": func() error { _, err := st.Claim(ctx, "k", 0); return err },
		"incr":  func() error { _, err := st.Incr(ctx, "k", 0); return err },
		"lock":  func() error { _, err := st.Lock(ctx, "k", 0); return err },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, ErrBadTTL) {
			t.Errorf("%s with no ttl: %v, want ErrBadTTL", name, err)
		}
	}
}

func TestMemorySweepsExpiredEntries(t *testing.T) {
	clk := testenv.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	m := NewMemory(clk.Now)
	defer m.Close()
	ctx := context.Background()
	for i := range 1000 {
		if _, err := m.Claim(ctx, fmt.Sprintf("tg:update:1:%d", i), time.Second); err != nil {
			t.Fatal(err)
		}
	}
	clk.Add(2 * sweepEvery)
	if err := m.Set(ctx, "kv:new", []byte("v"), time.Hour); err != nil {
		t.Fatal(err)
	}
	m.mu.Lock()
	n := len(m.items)
	m.mu.Unlock()
	if n != 1 {
		t.Fatalf("entries after the sweep = %d, want 1", n)
	}
}

func TestMemoryClosed(t *testing.T) {
	m := NewMemory(nil)
	m.Close()
	if err := m.Ping(context.Background()); err == nil {
		t.Fatal("ping after close should fail")
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestRedisPrefixesKeys(t *testing.T) {
	r := openTestRedis(t)
	ctx := context.Background()
	if err := r.Set(ctx, "kv:p", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if got, err := r.Client().Get(ctx, r.Prefix()+"kv:p").Result(); err != nil || got != "v" {
		t.Fatalf("raw key %q = %q, %v", r.Prefix()+"kv:p", got, err)
	}
	if n, _ := r.Client().Exists(ctx, "kv:p").Result(); n != 0 {
		t.Fatal("key written without its prefix")
	}
	pttl, err := r.Client().PTTL(ctx, r.Prefix()+"kv:p").Result()
	if err != nil || pttl <= 0 || pttl > time.Minute {
		t.Fatalf("pttl = %s, %v", pttl, err)
	}
}

func TestOpenRedisErrorsHidePassword(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, u := range []string{"redis://:s3cret@127.0.0.1:1/0", "redis://:s3cret@bad host/0", "http://:s3cret@x"} {
		_, err := OpenRedis(ctx, u, "p:")
		if err == nil {
			t.Fatalf("open %s: no error", u)
		}
		if s := err.Error(); strings.Contains(s, "s3cret") {
			t.Fatalf("error shows the password: %s", s)
		}
	}
}

// testHoldLoadsAndCommits: Hold returns the session with the lock; Save checks the version as
// SessionStore.Save does and releases the lock even when the save is refused; Delete removes
// the session and releases; Release leaves the session alone; a second commit is refused.
func testHoldLoadsAndCommits(t *testing.T, st flows.State, _ func(time.Duration)) {
	ctx := context.Background()
	const key, lock = "dlg:{wechat:h}", "lock:dlg:{wechat:h}"
	h, data, err := st.Hold(ctx, lock, key, time.Minute)
	if err != nil || data != nil {
		t.Fatalf("hold of nothing: %q, %v; want nil data", data, err)
	}
	if err := h.Save(ctx, 0, session(1), time.Minute); err != nil {
		t.Fatalf("first save: %v", err)
	}
	if err := h.Save(ctx, 1, session(2), time.Minute); err == nil {
		t.Fatal("a second commit of one hold was taken")
	}
	h, data, err = st.Hold(ctx, lock, key, time.Minute) // released by the save: no wait
	if err != nil || string(data) != string(session(1)) {
		t.Fatalf("hold = %s, %v; want version 1", data, err)
	}
	if err := h.Save(ctx, 0, session(1), time.Minute); !errors.Is(err, flows.ErrConflict) {
		t.Fatalf("stale save: %v, want ErrConflict", err)
	}
	h, data, err = st.Hold(ctx, lock, key, time.Minute) // released by the refused save
	if err != nil || string(data) != string(session(1)) {
		t.Fatalf("hold after a refused save = %s, %v; want version 1 kept", data, err)
	}
	h.Release()
	h.Release()
	h, _, err = st.Hold(ctx, lock, key, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Load(ctx, key); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("load after delete: %v, want ErrNotFound", err)
	}
	short, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	unlock, err := st.Lock(short, lock, time.Minute)
	if err != nil {
		t.Fatalf("lock kept after delete: %v", err)
	}
	unlock()
}

// testHoldExcludesLockers: Hold and Lock take the same lock, and a waiting Hold gets the session
// as the holder saved it.
func testHoldExcludesLockers(t *testing.T, st flows.State, _ func(time.Duration)) {
	ctx := context.Background()
	const key, lock = "dlg:{wechat:x}", "lock:dlg:{wechat:x}"
	h, _, err := st.Hold(ctx, lock, key, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := st.Lock(short, lock, time.Minute); err == nil {
		t.Fatal("Lock taken while held")
	}
	got := make(chan []byte, 1)
	go func() {
		h2, data, err := st.Hold(ctx, lock, key, time.Minute)
		if err != nil {
			t.Error(err)
			got <- nil
			return
		}
		h2.Release()
		got <- data
	}()
	if err := h.Save(ctx, 0, session(1), time.Minute); err != nil {
		t.Fatal(err)
	}
	select {
	case data := <-got:
		if string(data) != string(session(1)) {
			t.Fatalf("waiting hold loaded %q, want the saved session", data)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("waiting hold never got the lock")
	}
}

func testHoldContext(t *testing.T, st flows.State, _ func(time.Duration)) {
	ctx := context.Background()
	unlock, err := st.Lock(ctx, "lock:dlg:{wechat:c}", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, _, err := st.Hold(short, "lock:dlg:{wechat:c}", "dlg:{wechat:c}", time.Minute); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hold of a held lock: %v, want the context's error", err)
	}
}

// setGetter is the WeChat channel's one-round-trip write and read.
type setGetter interface {
	SetGet(ctx context.Context, key string, value []byte, ttl time.Duration, other string) ([]byte, error, error)
}

func testSetGet(t *testing.T, st flows.State, _ func(time.Duration)) {
	ctx := context.Background()
	sg, ok := st.(setGetter)
	if !ok {
		t.Fatalf("%T has no SetGet", st)
	}
	if _, setErr, getErr := sg.SetGet(ctx, "reply:1", []byte("a"), time.Minute, "handoff:1"); setErr != nil || !errors.Is(getErr, bot.ErrNotFound) {
		t.Fatalf("SetGet with nothing under other: %v, %v; want nil, ErrNotFound", setErr, getErr)
	}
	if v, err := st.Get(ctx, "reply:1"); err != nil || string(v) != "a" {
		t.Fatalf("Get after SetGet = %q, %v", v, err)
	}
	// The write comes before the read: a key written and read at once reads the new value.
	if err := st.Set(ctx, "handoff:1", []byte("1"), time.Minute); err != nil {
		t.Fatal(err)
	}
	got, setErr, getErr := sg.SetGet(ctx, "reply:1", []byte("b"), time.Minute, "handoff:1")
	if setErr != nil || getErr != nil || string(got) != "1" {
		t.Fatalf("SetGet = %q, %v, %v; want the hand-over", got, setErr, getErr)
	}
	if got, _, _ := sg.SetGet(ctx, "same", []byte("c"), time.Minute, "same"); string(got) != "c" {
		t.Fatalf("SetGet of one key read %q before its write", got)
	}
	if _, setErr, _ := sg.SetGet(ctx, "reply:2", []byte("x"), 0, "handoff:2"); !errors.Is(setErr, ErrBadTTL) {
		t.Fatalf("SetGet without ttl: %v, want ErrBadTTL", setErr)
	}
}
