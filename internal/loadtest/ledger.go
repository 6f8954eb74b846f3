package loadtest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	gormlogger "gorm.io/gorm/logger"
)

// ledger is what the citizens were told was recorded: ratings by citizen, ticket numbers, and
// the dialogs whose final answer never came.
type ledger struct {
	mu       sync.Mutex
	ratings  map[string]int    // citizen → ratings thanked for
	tickets  map[string]string // ticket number → citizen
	unsure   map[string]int    // citizen → dialogs that may or may not have written a record
	unsureTk int               // complaints and bad reviews among them (a ticket may exist)
	citizens map[string]bool   // every citizen of the run that windowbot named
}

func newLedger() *ledger {
	return &ledger{ratings: map[string]int{}, tickets: map[string]string{}, unsure: map[string]int{},
		citizens: map[string]bool{}}
}

func (l *ledger) note(citizen string, p plan, out outcome) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if citizen != "" {
		l.citizens[citizen] = true
	}
	if out.rated {
		l.ratings[citizen]++
	}
	if out.ticket != "" {
		l.tickets[out.ticket] = citizen
	}
	if out.uncertain {
		l.unsure[citizen]++
		if p.kind == complain || p.kind == rateBad {
			l.unsureTk++
		}
	}
}

func (l *ledger) totals() (ratings, tickets, uncertain int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, n := range l.ratings {
		ratings += n
	}
	for _, n := range l.unsure {
		uncertain += n
	}
	return ratings, len(l.tickets), uncertain
}

// Check is the ledger held against the database.
type Check struct {
	// RatingsInDB are the ratings of this run's citizens in the database; TicketsInDB the
	// tickets opened since the run started.
	RatingsInDB, TicketsInDB int
	// Lost: records the tool was told about that the database does not hold. Doubled: records
	// the database holds more than once (or more of than the tool was told about, beyond the
	// dialogs whose answer never came). Unconfirmed: records of dialogs whose answer never came
	// that were written all the same (neither lost nor doubled).
	Lost, Doubled, Unconfirmed int
	// Foreign counts tickets since the start that no citizen of this run was given and that no
	// unanswered dialog explains: other traffic, or doubles.
	Foreign int
	// Problems names the first discrepancies.
	Problems []string
}

// OK is true when the database holds exactly what the ledger says.
func (c *Check) OK() bool { return c.Lost == 0 && c.Doubled == 0 && c.Foreign == 0 }

func (c *Check) String() string {
	s := fmt.Sprintf("database: %d ratings, %d tickets; lost %d, doubled %d, unconfirmed but written %d, unexplained tickets %d",
		c.RatingsInDB, c.TicketsInDB, c.Lost, c.Doubled, c.Unconfirmed, c.Foreign)
	if len(c.Problems) > 0 {
		s += "\n  " + strings.Join(c.Problems, "\n  ")
	}
	return s
}

func (c *Check) problem(format string, args ...any) {
	if len(c.Problems) < 20 {
		c.Problems = append(c.Problems, fmt.Sprintf(format, args...))
	}
}

// check compares the ledger with the database: the ratings of each citizen of the run, and the
// tickets opened since start.
func (l *ledger) check(ctx context.Context, db *ledgerDB, start time.Time) (*Check, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	since := start.Add(-2 * time.Second).UTC()
	counts, err := db.ratingsByCitizen(ctx, since)
	if err != nil {
		return nil, err
	}
	c := &Check{}
	for citizen := range l.citizens {
		got, want, unsure := counts[citizen], l.ratings[citizen], l.unsure[citizen]
		c.RatingsInDB += got
		switch {
		case got < want:
			c.Lost += want - got
			c.problem("%s: %d ratings thanked for, %d in the database", citizen, want, got)
		case got > want+unsure:
			c.Doubled += got - want - unsure
			c.problem("%s: %d ratings thanked for (%d unanswered), %d in the database", citizen, want, unsure, got)
		case got > want:
			c.Unconfirmed += got - want
		}
	}
	nos, err := db.ticketsSince(ctx, since)
	if err != nil {
		return nil, err
	}
	c.TicketsInDB = len(nos)
	seen := map[string]int{}
	for _, no := range nos {
		seen[no]++
	}
	for no := range l.tickets {
		switch seen[no] {
		case 0:
			c.Lost++
			c.problem("ticket %s was given to %s but is not in the database", no, l.tickets[no])
		case 1:
		default:
			c.Doubled += seen[no] - 1
			c.problem("ticket %s is in the database %d times", no, seen[no])
		}
	}
	var extra []string
	for no := range seen {
		if _, ok := l.tickets[no]; !ok {
			extra = append(extra, no)
		}
	}
	slices.Sort(extra)
	if len(extra) > l.unsureTk {
		c.Foreign = len(extra) - l.unsureTk
		c.problem("%d tickets no citizen was given (%d unanswered dialogs could explain some): %s",
			len(extra), l.unsureTk, strings.Join(extra[:min(len(extra), 5)], ", "))
	} else {
		c.Unconfirmed += len(extra)
	}
	return c, nil
}

// ledgerDB reads windowbot's database for the check.
type ledgerDB struct{ db *gorm.DB }

func openLedgerDB(url string) (*ledgerDB, error) {
	var d gorm.Dialector
	switch lower := strings.ToLower(url); {
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		d = postgres.Open(url)
	default:
		path := strings.TrimPrefix(strings.TrimPrefix(url, "sqlite://"), "sqlite:")
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		d = sqlite.Open(path + sep + "_pragma=busy_timeout(10000)")
	}
	db, err := gorm.Open(d, &gorm.Config{Logger: gormlogger.Discard})
	if err != nil {
		return nil, fmt.Errorf("loadtest: open the database: %w", err)
	}
	return &ledgerDB{db: db}, nil
}

func (d *ledgerDB) close() {
	if s, err := d.db.DB(); err == nil {
		s.Close()
	}
}

func (d *ledgerDB) windows(ctx context.Context) ([]string, error) {
	var codes []string
	if err := d.db.WithContext(ctx).Raw("SELECT code FROM windows ORDER BY code").Scan(&codes).Error; err != nil {
		return nil, fmt.Errorf("loadtest: read the windows: %w", err)
	}
	return codes, nil
}

// ratingsByCitizen counts the ratings made since since by citizen ("platform:external id").
func (d *ledgerDB) ratingsByCitizen(ctx context.Context, since time.Time) (map[string]int, error) {
	var rows []struct {
		Platform   string
		ExternalID string
		N          int
	}
	err := d.db.WithContext(ctx).Raw(`SELECT c.platform, c.external_id, COUNT(*) AS n FROM ratings r
		JOIN citizens c ON c.id = r.citizen_id WHERE r.created_at >= ? GROUP BY c.platform, c.external_id`, since).
		Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("loadtest: count the ratings: %w", err)
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.Platform+":"+r.ExternalID] = r.N
	}
	return out, nil
}

// ticketsSince returns the numbers of the tickets opened since since.
func (d *ledgerDB) ticketsSince(ctx context.Context, since time.Time) ([]string, error) {
	var nos []string
	if err := d.db.WithContext(ctx).Raw("SELECT no FROM tickets WHERE created_at >= ?", since).Scan(&nos).Error; err != nil {
		return nil, fmt.Errorf("loadtest: read the tickets: %w", err)
	}
	return nos, nil
}
