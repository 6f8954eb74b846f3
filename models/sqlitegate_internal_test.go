package models

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/glebarez/sqlite"
)

// TestSQLiteGateWaitAndCancel: a writer that does not get its turn within the wait fails with
// errWriterWait, as SQLite's busy_timeout fails one; a transaction whose context ends gives its
// turn back without a Commit or Rollback (database/sql rolls it back).
func TestSQLiteGateWaitAndCancel(t *testing.T) {
	_, dsn, err := parseDatabaseURL("sqlite:" + filepath.Join(t.TempDir(), "gate.db"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open(sqlite.DriverName, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	g := newSQLiteGate(db, 50*time.Millisecond)

	ctx, cancel := context.WithCancel(context.Background())
	tx, err := g.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.ExecContext(context.Background(), "CREATE TABLE t (n INTEGER)"); !errors.Is(err, errWriterWait) {
		t.Fatalf("a write while a transaction holds the turn: %v, want errWriterWait", err)
	}
	cancel()
	g.wait = 5 * time.Second // the turn comes back as the context ends, not at once
	if _, err := g.ExecContext(context.Background(), "CREATE TABLE t (n INTEGER)"); err != nil {
		t.Fatalf("a write after the holder's context ended: %v", err)
	}
	// The ended transaction's Rollback fails (it is done) and gives back nothing twice.
	_ = tx.(*gatedTx).Rollback()
	for range 2 {
		release, err := g.acquire(context.Background())
		if err != nil {
			t.Fatalf("the turn after the rollback: %v", err)
		}
		release()
	}
}
