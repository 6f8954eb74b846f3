package models_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"windowbot/internal/testenv"
	"windowbot/models"
)

// TestWebPushesTakenOnce: a visitor's pushes wait in the database in order and are taken once,
// also by takes racing from two replicas; other visitors' stay; past the limit the oldest go,
// and so does a push nobody came for within WebPushKeep.
func TestWebPushesTakenOnce(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		now := testenv.Monday10
		for i := range 3 {
			if err := s.PutWebPush(ctx, "alice", []byte(fmt.Sprintf(`{"text":"%d"}`, i)), now); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.PutWebPush(ctx, "bob", []byte(`{"text":"b"}`), now); err != nil {
			t.Fatal(err)
		}
		var (
			wg  sync.WaitGroup
			mu  sync.Mutex
			got []string
		)
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ps, err := s.TakeWebPushes(ctx, "alice")
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				defer mu.Unlock()
				for _, p := range ps {
					got = append(got, string(p))
				}
			}()
		}
		wg.Wait()
		if len(got) != 3 {
			t.Fatalf("racing takes got %q, want each of 3 pushes once", got)
		}
		if ps, err := s.TakeWebPushes(ctx, "alice"); err != nil || len(ps) != 0 {
			t.Fatalf("a second take got %q, %v", ps, err)
		}
		if ps, err := s.TakeWebPushes(ctx, "bob"); err != nil || len(ps) != 1 || string(ps[0]) != `{"text":"b"}` {
			t.Fatalf("bob's pushes %q, %v", ps, err)
		}

		for i := range models.WebPushLimit + 2 {
			if err := s.PutWebPush(ctx, "carol", []byte(fmt.Sprint(i)), now); err != nil {
				t.Fatal(err)
			}
		}
		ps, err := s.TakeWebPushes(ctx, "carol")
		if err != nil || len(ps) != models.WebPushLimit || string(ps[0]) != "2" || string(ps[len(ps)-1]) != fmt.Sprint(models.WebPushLimit+1) {
			t.Fatalf("past the limit: %d pushes from %q, %v", len(ps), ps[0], err)
		}

		if err := s.PutWebPush(ctx, "dave", []byte("old"), now); err != nil {
			t.Fatal(err)
		}
		if err := s.PutWebPush(ctx, "erin", []byte("new"), now.Add(models.WebPushKeep+time.Hour)); err != nil {
			t.Fatal(err)
		}
		if ps, err := s.TakeWebPushes(ctx, "dave"); err != nil || len(ps) != 0 {
			t.Fatalf("a push older than WebPushKeep is still there: %q, %v", ps, err)
		}
	})
}
