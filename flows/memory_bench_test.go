package flows_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"windowbot/bot"
	"windowbot/flows"
	"windowbot/flows/state"
	"windowbot/internal/testenv"
	"windowbot/internal/testenv/statetest"
)

// liveDialog plays a bad review up to its comment step — the largest session a citizen keeps
// while typing (staff, level, two aspects with their problems, the choices last offered) — and
// returns the session as the engine stored it.
func liveDialog(b *testing.B) []byte {
	b.Helper()
	clk := newClock()
	st := statetest.Memory(b, clk.Now)
	store := openStore(b, testenv.SQLiteURL(b))
	eng := flows.NewEngine(flows.Options{State: st, Store: store, Now: clk.Now, SessionTTL: 30 * time.Minute},
		flows.CitizenFlows(store, st, testenv.Shanghai, 1, 30*time.Minute)...)
	d := driver{eng}
	say := func(in bot.Inbound) []bot.Reply { in.MessageID = "1"; return testenv.Send(b, d, "100", in) }
	say(bot.Inbound{Text: "/start w_W002"})
	for _, p := range []string{"rate:level:1", "rate:areas:efficiency", "rate:areas:attitude", "rate:areas:done",
		"rate:aspects:efficiency.slow", "rate:aspects:done", "rate:aspects:attitude.cold", "rate:aspects:done"} {
		say(bot.Inbound{Payload: p})
	}
	data, err := st.Load(context.Background(), flows.SessionKey(bot.Telegram, "100"))
	if err != nil {
		b.Fatal(err)
	}
	if !strings.Contains(string(data), "attitude.cold") {
		b.Fatalf("the session is not the one played: %s", data)
	}
	return data
}

// liveDialogs is how many dialogs the memory benchmarks keep alive at once: 100,000 by default,
// WINDOWBOT_BENCH_DIALOGS to change it.
func liveDialogs(b *testing.B) int {
	if v := os.Getenv("WINDOWBOT_BENCH_DIALOGS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("WINDOWBOT_BENCH_DIALOGS=%q", v)
		}
		return n
	}
	return 100000
}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkLiveDialogMemory measures the bytes one live dialog costs in the in-process store
// (Go heap) and in Redis (MEMORY USAGE of its key, and the server's used_memory), with
// WINDOWBOT_BENCH_DIALOGS (100,000) dialogs alive at once. Run it once:
//
//	go test ./flows -run '^$' -bench LiveDialogMemory -benchtime 1x
func BenchmarkLiveDialogMemory(b *testing.B) {
	data := liveDialog(b)
	n := liveDialogs(b)
	ctx := context.Background()
	b.Logf("one live dialog's session: %d bytes of JSON; %d dialogs alive", len(data), n)
	b.Run("memory", func(b *testing.B) {
		for range b.N {
			before := heapInUse()
			st := state.NewMemory(nil)
			for i := range n {
				if err := st.Save(ctx, flows.SessionKey(bot.Telegram, strconv.Itoa(9000000000+i)), 0, data, 30*time.Minute); err != nil {
					b.Fatal(err)
				}
			}
			after := heapInUse()
			runtime.KeepAlive(st)
			b.ReportMetric(float64(after-before)/float64(n), "B/dialog")
			st.Close()
		}
	})
	b.Run("redis", func(b *testing.B) {
		for range b.N {
			prefix := testenv.KeyPrefix(b)
			st, err := state.OpenRedis(ctx, testenv.RedisURL(b), prefix)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			used := func() int64 {
				info, err := st.Client().Info(ctx, "memory").Result()
				if err != nil {
					b.Fatal(err)
				}
				for line := range strings.Lines(info) {
					if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
						n, _ := strconv.ParseInt(v, 10, 64)
						return n
					}
				}
				b.Fatal("no used_memory in INFO")
				return 0
			}
			before := used()
			for i := range n {
				if err := st.Save(ctx, flows.SessionKey(bot.Telegram, strconv.Itoa(9000000000+i)), 0, data, 30*time.Minute); err != nil {
					b.Fatal(err)
				}
			}
			after := used()
			var sampled int64
			const sample = 1000
			for i := range sample {
				key := prefix + flows.SessionKey(bot.Telegram, strconv.Itoa(9000000000+i*(n/sample)))
				u, err := st.Client().MemoryUsage(ctx, key).Result()
				if err != nil {
					b.Fatal(fmt.Errorf("MEMORY USAGE %s: %w", key, err))
				}
				sampled += u
			}
			b.ReportMetric(float64(after-before)/float64(n), "B/dialog")
			b.ReportMetric(float64(sampled)/sample, "B/key")
			for i := range n {
				st.Delete(ctx, flows.SessionKey(bot.Telegram, strconv.Itoa(9000000000+i)))
			}
		}
	})
}
