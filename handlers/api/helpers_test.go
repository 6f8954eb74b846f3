package api_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"windowbot/internal/testenv"
	"windowbot/models"
)

// A second center and a city-wide administrator on top of the demo data.
const (
	cityWindowsCSV = models.WindowsCSVHeader + "\nCITY,城区便民服务中心,X001,社保,人社局\n"
	cityStaffCSV   = models.StaffCSVHeader + "\nCITY-001,钱进,X001,staff\nCITY-S01,孙督查,X001,supervisor\nADMIN-1,吴管理,,admin\n"
)

var accept = models.Change{Action: models.ActAccept}

// rig is a real database with the demo data and the city's center, a settable clock and the
// pseudonyms the chat commands would use.
type rig struct {
	t     *testing.T
	store *models.Store
	clock *testenv.Clock
	refs  *models.Pseudonyms
	seq   int

	mu      sync.Mutex
	onQuery map[string]func() // called before each read of the store (WithQueryObserver)
}

// observe runs the hooks the test set on the store's reads.
func (r *rig) observe(context.Context) {
	r.mu.Lock()
	hooks := make([]func(), 0, len(r.onQuery))
	for _, h := range r.onQuery {
		hooks = append(hooks, h)
	}
	r.mu.Unlock()
	for _, h := range hooks {
		h()
	}
}

// hookQueries calls h before each read of the store until the test ends.
func (r *rig) hookQueries(t testing.TB, name string, h func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.onQuery == nil {
		r.onQuery = map[string]func(){}
	}
	r.onQuery[name] = h
	t.Cleanup(func() { r.unhookQueries(name) })
}

func (r *rig) unhookQueries(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.onQuery, name)
}

// openStore is the demo store with the city's center and administrator on top.
func openStore(t testing.TB, url string, opts ...models.Option) *models.Store {
	t.Helper()
	s := testenv.OpenDemoStore(t, url, opts...)
	if _, err := s.Import(context.Background(), strings.NewReader(cityWindowsCSV), "city windows", strings.NewReader(cityStaffCSV), "city staff"); err != nil {
		t.Fatalf("import: %v", err)
	}
	return s
}

func newRig(t *testing.T, url string) *rig {
	r := &rig{t: t, clock: testenv.NewClock(testenv.Monday10), refs: models.NewPseudonyms([]byte("test secret"))}
	r.store = openStore(t, url, models.WithQueryObserver(r.observe))
	return r
}

// forEachDB runs fn against SQLite and PostgreSQL.
func forEachDB(t *testing.T, fn func(t *testing.T, r *rig)) {
	testenv.ForEachDB(t, func(t *testing.T, url string) { fn(t, newRig(t, url)) })
}

// citizen returns the citizen row of a Telegram chat, creating it.
func (r *rig) citizen(chat string) *models.Citizen {
	r.t.Helper()
	c, err := r.store.TouchCitizen(context.Background(), "telegram", chat, "", r.clock.Now())
	if err != nil {
		r.t.Fatal(err)
	}
	return c
}

// badReview files a level-1 review of window by a new citizen and returns the ticket number.
func (r *rig) badReview(window string) string {
	r.t.Helper()
	ctx := context.Background()
	r.seq++
	c := r.citizen(fmt.Sprintf("rater-%d", r.seq))
	w, err := r.store.WindowByCode(ctx, window)
	if err != nil {
		r.t.Fatal(err)
	}
	rt := &models.Rating{WindowID: w.ID, CitizenID: c.ID, Level: 1, Aspects: "attitude.cold", Comment: "态度差", Channel: "telegram", CreatedAt: r.clock.Now()}
	if err := r.store.CreateRating(ctx, rt, r.clock.Now().Add(-time.Hour)); err != nil {
		r.t.Fatal(err)
	}
	return rt.Ticket.No
}

// move applies changes as an administrator (or as actor), failing the test on a refusal.
func (r *rig) move(no string, changes ...models.Change) {
	r.t.Helper()
	for _, c := range changes {
		if c.Actor.Role == "" {
			c.Actor = models.Actor{Role: models.RoleAdmin}
		}
		c.At = r.clock.Now()
		if _, _, err := r.store.Transition(context.Background(), no, c); err != nil {
			r.t.Fatalf("%s %s: %v", no, c.Action, err)
		}
	}
}

func (r *rig) ticket(no string) *models.Ticket {
	r.t.Helper()
	tk, err := r.store.TicketByNo(context.Background(), no)
	if err != nil {
		r.t.Fatal(err)
	}
	return tk
}

func (r *rig) staff(no string) *models.Staff {
	r.t.Helper()
	st, err := r.store.StaffByNo(context.Background(), no)
	if err != nil {
		r.t.Fatal(err)
	}
	return st
}
