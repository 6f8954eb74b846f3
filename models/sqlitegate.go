package models

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"

	"gorm.io/gorm"
)

// SQLite has one writer at a time. Left to itself, a connection that finds the write lock taken
// sleeps in SQLite's busy handler (1, 2, 5, … up to 100 ms a try) and tries again, while a
// connection that just arrived may take the lock before it wakes: under a steady stream of
// writes some writers wait for seconds (measured: answers of the WeChat benchmark past the 4 s a
// passive reply has, at 64 senders on a slow host). sqliteGate queues this process's write
// transactions in Go instead, first come first served (a channel's waiting senders are served in
// order), and hands the lock straight to the next: a writer waits for the writers ahead of it
// and no longer. Other processes on the same file (a one-off command beside the server) still
// meet the busy handler.
//
// What is queued: every transaction (gorm's Transaction, and the transaction gorm puts around
// each Create, Update and Delete), and statements run by Exec outside one. A write through
// Raw(…).Scan outside a transaction (an UPDATE … RETURNING) cannot be held until its rows are
// read, so Store.write runs those in a transaction.
type sqliteGate struct {
	db   *sql.DB
	slot chan struct{}
	// wait is how long a writer waits for its turn before failing, as busy_timeout does.
	wait time.Duration
}

var (
	_ gorm.ConnPool         = (*sqliteGate)(nil)
	_ gorm.ConnPoolBeginner = (*sqliteGate)(nil)
	_ gorm.GetDBConnector   = (*sqliteGate)(nil)
	_ gorm.Tx               = (*gatedTx)(nil)
)

// errWriterWait is returned when a writer did not get its turn within the gate's wait.
var errWriterWait = errors.New("store: sqlite: no turn to write within the busy timeout")

func newSQLiteGate(db *sql.DB, wait time.Duration) *sqliteGate {
	return &sqliteGate{db: db, slot: make(chan struct{}, 1), wait: wait}
}

// acquire waits for the writer's turn; the returned func gives it back, once.
func (g *sqliteGate) acquire(ctx context.Context) (func(), error) {
	select {
	case g.slot <- struct{}{}:
	default:
		t := time.NewTimer(g.wait)
		defer t.Stop()
		select {
		case g.slot <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.C:
			return nil, errWriterWait
		}
	}
	var once sync.Once
	return func() { once.Do(func() { <-g.slot }) }, nil
}

func (g *sqliteGate) GetDBConn() (*sql.DB, error) { return g.db, nil }

func (g *sqliteGate) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return g.db.PrepareContext(ctx, query)
}

func (g *sqliteGate) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	release, err := g.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	return g.db.ExecContext(ctx, query, args...)
}

func (g *sqliteGate) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return g.db.QueryContext(ctx, query, args...)
}

func (g *sqliteGate) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return g.db.QueryRowContext(ctx, query, args...)
}

// BeginTx begins a transaction in the writer's turn, which it keeps until it commits or rolls
// back, or its context ends (database/sql then rolls it back).
func (g *sqliteGate) BeginTx(ctx context.Context, opts *sql.TxOptions) (gorm.ConnPool, error) {
	release, err := g.acquire(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := g.db.BeginTx(ctx, opts)
	if err != nil {
		release()
		return nil, err
	}
	stop := context.AfterFunc(ctx, release)
	return &gatedTx{Tx: tx, done: func() { stop(); release() }}, nil
}

// gatedTx is a transaction holding the writer's turn.
type gatedTx struct {
	*sql.Tx
	done func()
}

func (t *gatedTx) Commit() error {
	defer t.done()
	return t.Tx.Commit()
}

func (t *gatedTx) Rollback() error {
	defer t.done()
	return t.Tx.Rollback()
}

// write runs fn, a write outside any transaction of the caller: on SQLite in a transaction of
// its own, so that it waits for its turn behind the other writers (sqliteGate), elsewhere as it
// is.
func (s *Store) write(ctx context.Context, fn func(db *gorm.DB) error) error {
	db := s.db.WithContext(ctx)
	if s.dialect != DialectSQLite {
		return fn(db)
	}
	return db.Transaction(fn)
}
