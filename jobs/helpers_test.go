package jobs_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"windowbot/bot"
	"windowbot/internal/testenv"
	"windowbot/jobs"
	"windowbot/models"
)

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// forEachDB runs fn against a fresh SQLite and a fresh PostgreSQL database.
// openStore opens the database at url on the ticket rules of a hall in Shanghai.
func openStore(t testing.TB, url string, opts ...models.Option) *models.Store {
	t.Helper()
	return testenv.OpenStore(t, url, append(storeOptions(), opts...)...)
}

func storeOptions() []models.Option {
	return []models.Option{
		models.WithTicketRules(models.DefaultTicketRules(testenv.Shanghai)),
	}
}

func forEachDB(t *testing.T, fn func(t *testing.T, s *models.Store)) {
	t.Helper()
	testenv.ForEachDB(t, func(t *testing.T, url string) {
		s := openStore(t, url)
		fn(t, s)
		checkKinds(t, s)
	})
}

// checkKinds fails the test if something queued a push of a kind models.PushKinds does not list
// (WeChat could not be configured with a template for it). "test" is the kind of push().
func checkKinds(t *testing.T, s *models.Store) {
	t.Helper()
	var kinds []string
	if err := testenv.DB(t, s).Model(&models.Push{}).Distinct().Pluck("kind", &kinds).Error; err != nil {
		t.Fatal(err)
	}
	for _, k := range kinds {
		if k != "test" && !slices.Contains(models.PushKinds(), k) {
			t.Errorf("a push of kind %q was queued; add it to models.PushKinds and the example configuration", k)
		}
	}
}

// clock is an injected clock tests move by hand, which can also stand in for sleeping.
type clock struct{ *testenv.Clock }

func newClock(t time.Time) *clock { return &clock{testenv.NewClock(t)} }

// Sleep lets d pass on the clock at once: a limiter on it paces exactly, without waiting.
func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.Add(max(d, 0))
	return nil
}

// drain runs d round after round until one claims nothing, failing the test on an error.
func drain(t testing.TB, ctx context.Context, d *jobs.Dispatcher) {
	t.Helper()
	if err := drainRounds(ctx, d, 10000); err != nil {
		t.Fatal(err)
	}
}

// drainRounds runs d round after round until one claims nothing. A dispatcher that claims
// something in more than max rounds (it keeps claiming what it does not settle) is an error, not
// a test that spins until its binary's timeout. It reports instead of failing so that goroutines
// may call it.
func drainRounds(ctx context.Context, d *jobs.Dispatcher, max int) error {
	for range max {
		n, err := d.RunOnce(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
	}
	return fmt.Errorf("the outbox still had pushes to claim after %d rounds", max)
}

// citizen creates a platform identity.
func citizen(t testing.TB, s *models.Store, platform bot.Platform, chat string) *models.Citizen {
	t.Helper()
	c, err := s.TouchCitizen(context.Background(), string(platform), chat, "zh-CN", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// staffAccount binds a new identity to the staff record staffNo.
func staffAccount(t testing.TB, s *models.Store, platform bot.Platform, chat, staffNo string) *models.Citizen {
	t.Helper()
	c := citizen(t, s, platform, chat)
	testenv.BindStaff(t, s, c, staffNo)
	return c
}

func enqueue(t testing.TB, s *models.Store, now time.Time, ps ...*models.Push) {
	t.Helper()
	for i := 0; i < len(ps); i += 500 {
		if err := s.EnqueuePushes(context.Background(), now, ps[i:min(i+500, len(ps))]...); err != nil {
			t.Fatal(err)
		}
	}
}

func push(key string, c *models.Citizen) *models.Push {
	return &models.Push{DedupeKey: key, Kind: "test", CitizenID: c.ID, Text: "text of " + key}
}

func pushByKey(t testing.TB, s *models.Store, key string) models.Push {
	t.Helper()
	var p models.Push
	if err := testenv.DB(t, s).Where("dedupe_key = ?", key).First(&p).Error; err != nil {
		t.Fatalf("push %s: %v", key, err)
	}
	return p
}

func statesOf(t testing.TB, s *models.Store) map[string]int {
	t.Helper()
	var rows []struct {
		State string
		N     int
	}
	if err := testenv.DB(t, s).Table("pushes").Select("state, COUNT(*) AS n").Group("state").Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.State] = r.N
	}
	return out
}

// recorder is a bot.Sender that records what it was asked to send and answers with the error
// fail returns for it (nil: delivered).
type recorder struct {
	mu    sync.Mutex
	sent  map[string]int // text → deliveries
	order []bot.Recipient
	fail  func(to bot.Recipient, msg bot.Reply, n int) error
	delay time.Duration
	calls map[string]int
}

func newRecorder(fail func(to bot.Recipient, msg bot.Reply, n int) error) *recorder {
	return &recorder{sent: map[string]int{}, calls: map[string]int{}, fail: fail}
}

func (r *recorder) Send(ctx context.Context, to bot.Recipient, msg bot.Reply) error {
	if r.delay > 0 {
		time.Sleep(r.delay)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls[msg.Text]++
	if r.fail != nil {
		if err := r.fail(to, msg, r.calls[msg.Text]); err != nil {
			return err
		}
	}
	r.sent[msg.Text]++
	r.order = append(r.order, to)
	return nil
}

func (r *recorder) count(text string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sent[text]
}

func (r *recorder) total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, v := range r.sent {
		n += v
	}
	return n
}

func (r *recorder) dupes() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for k, v := range r.sent {
		if v > 1 {
			out = append(out, fmt.Sprintf("%s×%d", k, v))
		}
	}
	sort.Strings(out)
	return out
}

// oneWindow imports center C01 with window W001 (不动产登记) and its one staff member S001 (张伟).
func oneWindow(t testing.TB, s *models.Store) {
	t.Helper()
	if _, err := s.Import(context.Background(), strings.NewReader(models.WindowsCSVHeader+"\nC01,示范中心,W001,不动产登记,自然资源局"), "w.csv",
		strings.NewReader(models.StaffCSVHeader+"\nS001,张伟,W001,staff"), "s.csv"); err != nil {
		t.Fatal(err)
	}
}
