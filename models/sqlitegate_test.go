package models_test

import (
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"windowbot/internal/testenv"
)

// TestSQLiteWritersTakeTurns: writers that find SQLite's write lock taken get it in the order
// they came. Left to SQLite's busy handler, a writer that has waited long sleeps up to 100 ms
// between tries while one that just came tries every few milliseconds and takes the lock first:
// under a steady stream of writes the first ones waited for seconds (the WeChat benchmark's
// answers past the 4 s of a passive reply).
func TestSQLiteWritersTakeTurns(t *testing.T) {
	s := testenv.OpenStore(t, testenv.SQLiteURL(t))
	db := s.DB().WithContext(ctxT(t))
	if err := db.Exec("CREATE TABLE turns (n INTEGER NOT NULL)").Error; err != nil {
		t.Fatal(err)
	}
	const writers = 5
	held, release := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		err := db.Transaction(func(tx *gorm.DB) error {
			if err := tx.Exec("INSERT INTO turns (n) VALUES (0)").Error; err != nil {
				return err
			}
			close(held)
			<-release
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	}()
	<-held
	for i := 1; i <= writers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := db.Transaction(func(tx *gorm.DB) error {
				return tx.Exec("INSERT INTO turns (n) VALUES (?)", i).Error
			})
			if err != nil {
				t.Error(err)
			}
		}()
		// Each writer is waiting before the next comes: the order they came in is 1, 2, … .
		time.Sleep(150 * time.Millisecond)
	}
	close(release)
	wg.Wait()
	var order []int
	if err := db.Raw("SELECT n FROM turns ORDER BY rowid").Scan(&order).Error; err != nil {
		t.Fatal(err)
	}
	if len(order) != writers+1 {
		t.Fatalf("%d rows written, want %d: %v", len(order), writers+1, order)
	}
	for i, n := range order {
		if n != i {
			t.Fatalf("writers took their turns in the order %v, want 0 1 2 … %d", order, writers)
		}
	}
}
