package jobs_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"windowbot/bot"
	"windowbot/internal/testenv"
	"windowbot/jobs"
)

// BenchmarkDispatchTelegram sends WINDOWBOT_BENCH_PUSHES queued pushes (default 10,000, five
// each to 2,000 chats) through the real Telegram adapter to the fake Bot API, which enforces
// 30 messages a second (a bucket of 5) and one a second per chat, from PostgreSQL with the
// default dispatcher settings. replicas=1 is one dispatcher pacing itself; replicas=2 is two
// dispatchers, each with its own database and Redis connections and its own adapter, drawing on
// one shared pace in Redis, each configured with the full 30/s. It reports the rate achieved,
// as msg/s and as a fraction of the limit, and the 429s the fake had to answer (none is the
// goal):
//
//	go test -run '^$' -bench DispatchTelegram -benchtime 1x -timeout 60m ./jobs
func BenchmarkDispatchTelegram(b *testing.B) {
	for _, replicas := range []int{1, 2} {
		b.Run(fmt.Sprintf("replicas=%d", replicas), func(b *testing.B) { benchDispatch(b, replicas) })
	}
}

func benchDispatch(b *testing.B, replicas int) {
	n := 10_000
	if v, err := strconv.Atoi(os.Getenv("WINDOWBOT_BENCH_PUSHES")); err == nil && v > 0 {
		n = v
	}
	const limit = 30
	url := testenv.PostgresURL(b)
	s := openStore(b, url)
	ctx := context.Background()
	chats := min(2000, n)
	db := testenv.DB(b, s).WithContext(ctx)
	if err := db.Exec(`INSERT INTO citizens (platform, external_id, lang, inactive, subscribed, last_seen_at, created_at, updated_at)
		SELECT 'telegram', (100000 + g)::text, 'zh-CN', false, false, now(), now(), now() FROM generate_series(1, ?) g`, chats).Error; err != nil {
		b.Fatal(err)
	}
	var minC int
	db.Raw("SELECT MIN(id) FROM citizens").Scan(&minC)
	var paces []jobs.PaceStore
	if replicas > 1 {
		for _, r := range paceStores(b, replicas) {
			paces = append(paces, r)
		}
	}
	var total, limited int
	var elapsed time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		api := newFakeBotAPI(b, limit, 5, time.Second)
		// Queued round-robin over the chats, as a job queues one notice per recipient.
		if err := db.Exec(`INSERT INTO pushes (dedupe_key, kind, citizen_id, text, buttons, urgent, state, not_before, attempts, last_error, lease, created_at, updated_at)
			SELECT 'bench:' || ?::text || ':' || g, 'monthly_star', ? + (g % ?), '本月服务之星 ' || g, '', false, 'queued', now() - interval '1 second', 0, '', '', now(), now()
			FROM generate_series(0, ? - 1) g`, strconv.Itoa(i), minC, chats, n).Error; err != nil {
			b.Fatal(err)
		}
		var ds []*jobs.Dispatcher
		for r := range replicas {
			var pace jobs.Pacer = jobs.NewLimiter(limit, time.Second)
			store := s
			if replicas > 1 {
				pace = jobs.NewSharedLimiter(paces[r], "telegram:bench"+strconv.Itoa(i), limit, time.Second, testenv.Logger())
				store = openStore(b, url)
			}
			ds = append(ds, jobs.NewDispatcher(jobs.DispatcherOptions{
				Outbox: store, Senders: jobs.Senders{bot.Telegram: api.adapter(b)}, Logger: testenv.Logger(),
				Limits: map[bot.Platform]jobs.Pacer{bot.Telegram: pace},
			}))
		}
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, len(ds))
		b.StartTimer()
		start := time.Now()
		for _, d := range ds {
			go func() { done <- d.Run(runCtx) }()
		}
		testenv.WaitFor(b, 10*time.Minute, fmt.Sprintf("all %d pushes delivered", n), func() bool {
			delivered, _, _, _ := api.stats()
			return delivered >= n
		})
		el := time.Since(start)
		b.StopTimer()
		cancel()
		for range ds {
			<-done
		}
		delivered, lim, _, span := api.stats()
		total += delivered
		limited += lim
		elapsed += el
		b.Logf("run %d: %d messages in %s (first to last %s), %d answered 429", i, delivered, el.Round(time.Millisecond), span.Round(time.Millisecond), lim)
	}
	rate := float64(total) / elapsed.Seconds()
	b.ReportMetric(rate, "msg/s")
	b.ReportMetric(rate/limit, "of-limit")
	b.ReportMetric(float64(limited), "429s")
	fmt.Fprintf(os.Stderr, "dispatch, %d replica(s): %d messages at %.2f msg/s = %.3f of the %d msg/s limit, %d answered 429\n",
		replicas, total, rate, rate/limit, limit, limited)
}
