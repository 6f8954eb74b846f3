package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	gormlogger "gorm.io/gorm/logger"
)

// Dialect names returned by Store.Dialect.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// DefaultSQLitePath is the database file Open uses for an empty URL: the zero-set-up default of a
// single machine.
const DefaultSQLitePath = "windowbot.db"

// sqlitePragmas are appended to every SQLite DSN. WAL lets readers run beside the writer,
// busy_timeout makes a second writer wait instead of failing at once, foreign_keys is off by
// default in SQLite, and _txlock=immediate takes the write lock at BEGIN: a deferred transaction
// that reads and then writes (CreateRating, Migrate) would otherwise fail with SQLITE_BUSY when
// another connection wrote in between, instead of waiting its turn.
var sqlitePragmas = "_pragma=busy_timeout(" + strconv.FormatInt(sqliteBusyTimeout.Milliseconds(), 10) + ")" +
	"&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_txlock=immediate"

// sqliteBusyTimeout is how long a writer waits for the write lock: SQLite's busy_timeout, and this
// process's queue of writers (sqlitegate.go).
const sqliteBusyTimeout = 5 * time.Second

// maxOpenConns bounds one replica's database connections; PostgreSQL's default limit of 100
// then serves four replicas with room for migrations and administration.
const maxOpenConns = 20

// slowQuery is the duration above which a statement is logged at warn.
const slowQuery = time.Second

// Store is windowbot's database: every query of the records goes through it. It is safe for
// concurrent use.
type Store struct {
	db      *gorm.DB
	dialect string
	logger  *slog.Logger
	rules   TicketRules
	observe func(context.Context)

	replicaURL    string
	replicaMaxLag time.Duration
	replica       *replica
	// supervision holds the checklist and the rating-fraud thresholds (WithSupervision).
	supervision SupervisionRules
	// ticketLink makes the web link texted to a complainant (WithTicketSMS); nil texts nobody.
	ticketLink func(token string) string

	// The hot path's caches (cache.go).
	places, citizens *shared
	windowByCode     *memo[string, Window]
	staffOfWindow    *memo[uint, []Staff]
	citizenByKey     *memo[citizenKey, Citizen]
}

// Option configures a Store when it is opened.
type Option func(*Store)

// WithTicketRules sets the deadlines and the calendar of tickets (default: DefaultTicketRules in
// UTC).
func WithTicketRules(r TicketRules) Option { return func(s *Store) { s.rules = r } }

// WithQueryObserver has the store call observe before each statement that reads (a query or a
// raw row scan), with the statement's context: a count of the reads a page or a job costs, for a
// metric or for a test that checks a cache. observe must be safe for concurrent use.
func WithQueryObserver(observe func(ctx context.Context)) Option {
	return func(s *Store) { s.observe = observe }
}

// Open connects to the database named by databaseURL and checks that it answers. It does not
// migrate: call Migrate. Accepted forms:
//
//	""                                  SQLite file windowbot.db in the working directory
//	sqlite:PATH, sqlite://PATH, PATH    SQLite file PATH (pure Go driver, no cgo)
//	postgres://… or postgresql://…      PostgreSQL
//	host=a,b dbname=… …                 PostgreSQL, in libpq's keyword form
//
// Several hosts (postgres://u@a:5432,b:5432/db or host=a,b) with target_session_attrs=read-write
// make the driver try each in turn and keep the one that takes writes: after a failover, the
// connections to the old primary fail, and the next ones reach the new primary.
func Open(ctx context.Context, databaseURL string, logger *slog.Logger, opts ...Option) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	dialect, dsn, err := parseDatabaseURL(databaseURL)
	if err != nil {
		return nil, err
	}
	var dialector gorm.Dialector
	switch dialect {
	case DialectSQLite:
		sqlDB, err := sql.Open(sqlite.DriverName, dsn)
		if err != nil {
			return nil, fmt.Errorf("store: open %s: %w", dialect, err)
		}
		// This process's writers take their turns in order (sqlitegate.go).
		dialector = &sqlite.Dialector{DSN: dsn, Conn: newSQLiteGate(sqlDB, sqliteBusyTimeout)}
	case DialectPostgres:
		dialector = postgres.Open(dsn)
	}
	db, err := gorm.Open(dialector, &gorm.Config{
		Logger: &gormSlog{logger: logger},
		// Times are stored in UTC so that SQLite, which keeps them as text, compares them in order.
		NowFunc:              func() time.Time { return time.Now().UTC() },
		TranslateError:       true,
		DisableAutomaticPing: true, // we ping below, with the caller's ctx
	})
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dialect, err)
	}
	if err := registerStoreCleaning(db); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dialect, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dialect, err)
	}
	// database/sql keeps only 2 idle connections by default: under load every other query would
	// open a new PostgreSQL connection (measured: 64 concurrent WeChat senders fell from ~257 to
	// ~40 messages/s). Keep as many idle as may be open.
	sqlDB.SetMaxOpenConns(maxOpenConns)
	sqlDB.SetMaxIdleConns(maxOpenConns)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	if dialect == DialectSQLite && (strings.Contains(dsn, ":memory:") || strings.Contains(dsn, "mode=memory")) {
		// Each connection to an in-memory database is a database of its own.
		sqlDB.SetMaxOpenConns(1)
	}
	s := &Store{db: db, dialect: dialect, logger: logger, rules: DefaultTicketRules(time.UTC)}
	s.openCaches()
	for _, o := range opts {
		o(s)
	}
	if s.observe != nil {
		observe := func(tx *gorm.DB) { s.observe(tx.Statement.Context) }
		if err := errors.Join(
			db.Callback().Query().Before("gorm:query").Register("windowbot:observe", observe),
			db.Callback().Row().Before("gorm:row").Register("windowbot:observe", observe),
		); err != nil {
			_ = sqlDB.Close()
			return nil, fmt.Errorf("store: observe queries: %w", err)
		}
	}
	if err := s.Ping(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	if err := s.openReplica(); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	// Not the URL: it may carry a password.
	logger.InfoContext(ctx, "database opened", "dialect", dialect)
	return s, nil
}

// parseDatabaseURL maps the accepted URL forms to a dialect and a driver DSN.
func parseDatabaseURL(u string) (dialect, dsn string, err error) {
	u = strings.TrimSpace(u)
	lower := strings.ToLower(u)
	switch {
	case u == "":
		return DialectSQLite, withPragmas(DefaultSQLitePath), nil
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		return DialectPostgres, u, nil
	case IsKeywordDSN(u):
		return DialectPostgres, u, nil
	case strings.HasPrefix(lower, "sqlite://"):
		return sqlitePath(u[len("sqlite://"):])
	case strings.HasPrefix(lower, "sqlite:"):
		return sqlitePath(u[len("sqlite:"):])
	case strings.HasPrefix(lower, "file:"):
		// An SQLite URI filename; passed through whole.
		return DialectSQLite, withPragmas(u), nil
	}
	if i := strings.Index(u, ":"); i > 1 && !strings.ContainsAny(u[:i], `/\.`) {
		// Something like mysql://… or redis:…; a one-letter prefix is a Windows drive, not a scheme.
		return "", "", fmt.Errorf("store: unsupported database URL scheme %q (want sqlite:PATH, a file path or postgres://)", u[:i])
	}
	return sqlitePath(u)
}

// IsKeywordDSN reports whether u is a PostgreSQL connection string in libpq's keyword form
// ("host=a,b port=5432 dbname=wb target_session_attrs=read-write"): words of key=value, one of
// them naming the server or the database. A file path with "=" in it is not one.
func IsKeywordDSN(u string) bool {
	fields := strings.Fields(u)
	if len(fields) == 0 {
		return false
	}
	named := false
	for i, f := range fields {
		k, _, ok := strings.Cut(f, "=")
		if !ok {
			if i == 0 {
				return false
			}
			continue // the rest of a quoted value with spaces
		}
		if k == "" || strings.ContainsAny(k, `/\.:'`) {
			return false
		}
		switch k {
		case "host", "hostaddr", "dbname", "service":
			named = true
		}
	}
	return named
}

func sqlitePath(p string) (string, string, error) {
	if p == "" {
		return "", "", errors.New("store: sqlite URL without a path")
	}
	return DialectSQLite, withPragmas(p), nil
}

func withPragmas(p string) string {
	if strings.Contains(p, "?") {
		return p + "&" + sqlitePragmas
	}
	return p + "?" + sqlitePragmas
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping %s: %w", s.dialect, err)
	}
	return nil
}

// Close closes the connection pool.
func (s *Store) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	if err := errors.Join(sqlDB.Close(), s.closeReplica()); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// Dialect returns DialectSQLite or DialectPostgres.
func (s *Store) Dialect() string { return s.dialect }

// LastSeenEvery is how stale a citizen's stored last-seen time may grow before TouchCitizen
// writes it again: a citizen's messages cost one read, not one write each. Readers of LastSeenAt
// (the 48-hour window of WeChat's customer-service messages) see it at most this much early.
const LastSeenEvery = time.Minute

// TouchCitizen returns the citizen row of a platform identity, creating it on first contact, and
// records lastSeen. lang is stored on creation and fills an empty Lang later, but never overrides
// one already stored: the user may have chosen a language in the bot since. It clears Inactive:
// a user who blocked the bot (or unfollowed) and writes again can be reached again.
//
// The row is read first and written only when something changes: the identity is new, marked
// inactive, has no language yet while lang has one, or was last seen LastSeenEvery or more
// before lastSeen.
func (s *Store) TouchCitizen(ctx context.Context, platform, externalID, lang string, lastSeen time.Time) (*Citizen, error) {
	key := citizenKey{platform, externalID}
	epoch, cached := s.citizens.current(ctx)
	if cached {
		if c, ok := s.citizenByKey.get(epoch, key); ok && c.touched(lang, lastSeen) {
			return &c, nil
		}
	}
	c, err := s.touchCitizen(ctx, platform, externalID, lang, lastSeen)
	if err == nil && cached {
		s.citizenByKey.put(epoch, key, *c)
	}
	return c, err
}

// touched says the row needs no write for a message at lastSeen in lang.
func (c *Citizen) touched(lang string, lastSeen time.Time) bool {
	return c.ID != 0 && !c.Inactive && (lang == "" || c.Lang != "") && lastSeen.Sub(c.LastSeenAt) < LastSeenEvery
}

func (s *Store) touchCitizen(ctx context.Context, platform, externalID, lang string, lastSeen time.Time) (*Citizen, error) {
	var cur Citizen
	err := s.db.WithContext(ctx).Where("platform = ? AND external_id = ?", platform, externalID).Limit(1).Find(&cur).Error
	if err != nil {
		return nil, fmt.Errorf("store: touch citizen %s: %w", platform, err)
	}
	if cur.touched(lang, lastSeen) {
		return &cur, nil
	}
	lastSeen = lastSeen.UTC()
	db := s.db.WithContext(ctx)
	if cur.ID != 0 {
		// The row read above, changed as the statement changes it: no second read.
		err := db.Model(&Citizen{}).Where("id = ?", cur.ID).Updates(map[string]any{
			"last_seen_at": gorm.Expr("CASE WHEN last_seen_at > ? THEN last_seen_at ELSE ? END", lastSeen, lastSeen),
			"lang":         gorm.Expr("CASE WHEN lang = '' OR lang IS NULL THEN ? ELSE lang END", lang),
			"inactive":     false,
		}).Error
		if err != nil {
			return nil, fmt.Errorf("store: touch citizen %s: %w", platform, err)
		}
		if lastSeen.After(cur.LastSeenAt) {
			cur.LastSeenAt = lastSeen
		}
		if cur.Lang == "" {
			cur.Lang = lang
		}
		cur.Inactive = false
		return &cur, nil
	}
	c := Citizen{Platform: platform, ExternalID: externalID, Lang: lang, LastSeenAt: lastSeen}
	// One statement, so two first messages of a new user arriving at once cannot both insert; it
	// returns the row as stored (the other message's, if it won), and needs no transaction around
	// it (on SQLite it takes its turn among the writers in one, Store.write).
	err = s.write(ctx, func(db *gorm.DB) error {
		return upsertCitizen(db, &c)
	})
	if err != nil {
		return nil, fmt.Errorf("store: touch citizen %s: %w", platform, err)
	}
	return &c, nil
}

// upsertCitizen inserts c, or updates the row of its platform and external id, and reads the
// row back into c.
func upsertCitizen(db *gorm.DB, c *Citizen) error {
	return db.Session(&gorm.Session{SkipDefaultTransaction: true}).Clauses(clause.Returning{}, clause.OnConflict{
		Columns: []clause.Column{{Name: "platform"}, {Name: "external_id"}},
		DoUpdates: clause.Set{
			// Deliveries can arrive out of order: keep the latest time.
			{Column: clause.Column{Name: "last_seen_at"}, Value: gorm.Expr("CASE WHEN citizens.last_seen_at > excluded.last_seen_at THEN citizens.last_seen_at ELSE excluded.last_seen_at END")},
			{Column: clause.Column{Name: "lang"}, Value: gorm.Expr("CASE WHEN citizens.lang = '' OR citizens.lang IS NULL THEN excluded.lang ELSE citizens.lang END")},
			{Column: clause.Column{Name: "updated_at"}, Value: gorm.Expr("excluded.updated_at")},
			// A message from the user proves they can be reached again (they unblocked the bot
			// or followed again), so pushes go to them again.
			{Column: clause.Column{Name: "inactive"}, Value: false},
		},
	}).Create(c).Error
}

// StaffByID returns a staff record with its Window (nil for a supervisor without one), or
// ErrNotFound.
func (s *Store) StaffByID(ctx context.Context, id uint) (*Staff, error) {
	var st Staff
	if err := s.db.WithContext(ctx).Preload("Window").First(&st, id).Error; err != nil {
		return nil, fmt.Errorf("store: staff %d: %w", id, notFound(err))
	}
	return &st, nil
}

// WindowByCode returns a window with its Center, or ErrNotFound. Codes match case-insensitively,
// full-width letters and digits folded, because citizens type them from a poster; the expression index of migration 1 serves the lookup.
func (s *Store) WindowByCode(ctx context.Context, code string) (*Window, error) {
	if !queryable(code) {
		return nil, fmt.Errorf("store: window by code %q: %w", code, ErrNotFound)
	}
	key := strings.ToUpper(strings.TrimSpace(FoldWidth(code)))
	epoch, cached := s.places.current(ctx)
	if w, ok := s.windowByCode.get(epoch, key); cached && ok {
		return &w, nil
	}
	var w Window
	err := s.db.WithContext(ctx).Joins("Center").Where("UPPER(windows.code) = ?", key).First(&w).Error
	if err != nil {
		return nil, fmt.Errorf("store: window by code %q: %w", code, notFound(err))
	}
	if cached {
		s.windowByCode.put(epoch, key, w)
	}
	return &w, nil
}

// Centers lists all centers by code.
func (s *Store) Centers(ctx context.Context) ([]Center, error) {
	var cs []Center
	if err := s.db.WithContext(ctx).Order("code").Find(&cs).Error; err != nil {
		return nil, fmt.Errorf("store: centers: %w", err)
	}
	return cs, nil
}

// WindowsOfCenter lists a center's windows by code; an unknown center has none.
func (s *Store) WindowsOfCenter(ctx context.Context, centerID uint) ([]Window, error) {
	var ws []Window
	if err := s.db.WithContext(ctx).Where("center_id = ?", centerID).Order("code").Find(&ws).Error; err != nil {
		return nil, fmt.Errorf("store: windows of center %d: %w", centerID, err)
	}
	return ws, nil
}

// StaffOfWindow lists the staff members (role staff) of a window by staff number: the people a
// citizen may have been served by there. Supervisors and administrators whose record names the
// window are not among them.
func (s *Store) StaffOfWindow(ctx context.Context, windowID uint) ([]Staff, error) {
	epoch, cached := s.places.current(ctx)
	if ss, ok := s.staffOfWindow.get(epoch, windowID); cached && ok {
		return slices.Clone(ss), nil
	}
	var ss []Staff
	err := s.db.WithContext(ctx).Where("window_id = ? AND role = ?", windowID, RoleStaff).
		Order("staff_no, id").Find(&ss).Error
	if err != nil {
		return nil, fmt.Errorf("store: staff of window %d: %w", windowID, err)
	}
	if cached {
		s.staffOfWindow.put(epoch, windowID, slices.Clone(ss))
	}
	return ss, nil
}

// RatedSince reports whether the citizen rated the window at or after since. Excluded ratings
// count: an upheld appeal does not give the citizen another vote. A rating through a case
// invitation does not: it is counted once per case instead.
func (s *Store) RatedSince(ctx context.Context, citizenID, windowID uint, since time.Time) (bool, error) {
	ok, err := ratedSince(s.db.WithContext(ctx), citizenID, windowID, since)
	if err != nil {
		return false, fmt.Errorf("store: rated since: %w", err)
	}
	return ok, nil
}

// ratingsSince selects the citizen's ratings of the window at or after since that count against
// another (not those through a case), inside db.
func ratingsSince(db *gorm.DB, citizenID, windowID uint, since time.Time) *gorm.DB {
	return db.Model(&Rating{}).
		Where("citizen_id = ? AND window_id = ? AND created_at >= ? AND case_id IS NULL", citizenID, windowID, since.UTC())
}

func ratedSince(db *gorm.DB, citizenID, windowID uint, since time.Time) (bool, error) {
	var n int64
	err := ratingsSince(db, citizenID, windowID, since).Limit(1).Count(&n).Error
	return n > 0, err
}

// CreateRating inserts r after its checks, all in one transaction: ErrNotFound if the citizen or
// the window does not exist, ErrBanned if a ban is in force on the citizen, ErrOwnWindow if the
// citizen is bound to a staff record of r.WindowID, ErrAlreadyRated if the citizen rated
// r.WindowID at or after since. A rating through a case (r.CaseID) skips that last check and
// gets ErrCaseRated instead when the case has its rating, ErrCaseExpired past the invitation's
// expiry; it names the case's staff member. A bad review (levels 1–2) opens its ticket in the same
// transaction; r.Ticket is set to it. The ticket names the staff member the rating names, and is
// routed by TicketRules.Routing: never to the person it names.
//
// r.StaffID, when set, must name a staff member (role staff) of r.WindowID at the moment of
// storing; otherwise it is cleared and the rating counts for the window alone, so that nobody is
// credited or blamed for a window they no longer work at (the citizen may have chosen them
// minutes earlier, before a transfer was imported). The caller sees the cleared field.
//
// Two deliveries of the same vote can race. The transaction first locks the citizen's row
// (SELECT … FOR UPDATE on PostgreSQL), so a citizen's ratings are checked and inserted one at a
// time while different citizens do not wait for each other; under READ COMMITTED the check that
// follows the lock sees the rating the previous holder committed. SQLite has no row locks, but
// every transaction there begins IMMEDIATE (see sqlitePragmas), which serialises all writers.
func (s *Store) CreateRating(ctx context.Context, r *Rating, since time.Time) error {
	if !Level(r.Level).Valid() {
		return fmt.Errorf("store: create rating: invalid level %d", r.Level)
	}
	if !r.CreatedAt.IsZero() {
		r.CreatedAt = r.CreatedAt.UTC()
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var c Citizen
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&c, r.CitizenID).Error; err != nil {
			return fmt.Errorf("citizen %d: %w", r.CitizenID, notFound(err))
		}
		// A bad review's ticket and its notices name the window and its center: read once, with
		// the center. A good review needs only to know the window is there, which the checks
		// below ask with the rest.
		var w Window
		bad := Level(r.Level).Bad()
		if bad {
			if err := tx.Joins("Center").First(&w, r.WindowID).Error; err != nil {
				return fmt.Errorf("window %d: %w", r.WindowID, notFound(err))
			}
		}
		// Under the citizen's lock, so a rating the previous holder committed is seen.
		chk, err := checkRating(tx, r.CitizenID, r.WindowID, since, bad)
		if err != nil {
			return err
		}
		switch {
		case !chk.window:
			return fmt.Errorf("window %d: %w", r.WindowID, ErrNotFound)
		case chk.banned:
			return ErrBanned
		}
		if c.StaffID != nil {
			var st Staff
			err := tx.Where("id = ? AND window_id = ?", *c.StaffID, r.WindowID).Limit(1).Find(&st).Error
			if err != nil {
				return err
			}
			if st.ID != 0 {
				return ErrOwnWindow
			}
		}
		if r.CaseID != nil {
			// 一事一评: the case is rated once, by its staff member, whatever else the citizen
			// rated today.
			if err := caseForRating(tx, r); err != nil {
				return err
			}
		} else if chk.rated {
			return ErrAlreadyRated
		}
		if r.StaffID != nil && r.CaseID == nil {
			// FOR SHARE: an import moving this staff member at the same moment waits until the
			// rating is stored, which then names them while they still worked here.
			var st Staff
			err := tx.Clauses(clause.Locking{Strength: "SHARE"}).Select("id").
				Where("id = ? AND window_id = ? AND role = ?", *r.StaffID, r.WindowID, RoleStaff).
				Limit(1).Find(&st).Error
			if err != nil {
				return err
			}
			if st.ID == 0 {
				r.StaffID = nil
			}
		}
		if err := tx.Create(r).Error; err != nil {
			return err
		}
		// The provincial platform hears of every rating, once (docs/reporting.md).
		if err := queueReport(tx, &ReportRecord{Type: ReportEvaluation, RatingID: r.ID, At: r.CreatedAt}); err != nil {
			return err
		}
		if !bad {
			return nil
		}
		// Every bad review becomes a ticket, in the same transaction: no bad review without one.
		id := r.ID
		desc := r.TicketDescription
		if desc == "" {
			desc = r.Comment
		}
		t, err := s.openTicket(tx, &Ticket{
			Kind: KindBadReview, CenterID: w.CenterID, WindowID: &w.ID, Category: badReviewCategory(r),
			Description: desc, RatingID: &id, CitizenID: r.CitizenID, Channel: r.Channel, NamedStaffID: r.StaffID,
			Window: &w, Center: w.Center,
		}, SplitKeys(r.Aspects), r.CreatedAt, desc, &c)
		if err != nil {
			return fmt.Errorf("bad-review ticket: %w", err)
		}
		r.Ticket = t
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: create rating: %w", err)
	}
	return nil
}

// ratingChecks are what storing a rating asks of the database in one statement.
type ratingChecks struct {
	window bool // the window exists
	banned bool // a ban is in force on the citizen
	rated  bool // the citizen rated the window since the period began (not through a case)
}

// checkRating asks, in one statement inside tx, whether the window exists (taken as known when
// windowRead), whether a ban is in force on the citizen and whether they rated the window at or
// after since: three round trips of the hot path in one (docs/benchmarks.md, issue 17).
func checkRating(tx *gorm.DB, citizenID, windowID uint, since time.Time, windowRead bool) (ratingChecks, error) {
	sub := func() *gorm.DB { return tx.Session(&gorm.Session{NewDB: true}) }
	chk := ratingChecks{window: windowRead}
	q := "SELECT EXISTS (?), EXISTS (?)"
	args := []any{bansInForce(sub(), citizenID).Select("1"), ratingsSince(sub(), citizenID, windowID, since).Select("1")}
	dest := []any{&chk.banned, &chk.rated}
	if !windowRead {
		q += ", EXISTS (?)"
		args = append(args, sub().Model(&Window{}).Select("1").Where("id = ?", windowID))
		dest = append(dest, &chk.window)
	}
	if err := tx.Raw(q, args...).Row().Scan(dest...); err != nil {
		return ratingChecks{}, fmt.Errorf("rating checks: %w", err)
	}
	return chk, nil
}

// notFound maps gorm's not-found error to ErrNotFound and leaves others alone.
func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotFound
	}
	return err
}

// gormSlog routes gorm's logging to slog. SQL is always logged without its parameters, which can
// hold phone numbers and comments. Failed statements are logged at debug only: the error is
// returned to the caller, which logs it once at the edge.
type gormSlog struct {
	logger *slog.Logger
}

var (
	_ gormlogger.Interface = (*gormSlog)(nil)
	_ gorm.ParamsFilter    = (*gormSlog)(nil)
)

func (l *gormSlog) LogMode(gormlogger.LogLevel) gormlogger.Interface { return l }

func (l *gormSlog) Info(ctx context.Context, msg string, args ...any) {
	l.logger.DebugContext(ctx, "gorm: "+fmt.Sprintf(msg, args...))
}

func (l *gormSlog) Warn(ctx context.Context, msg string, args ...any) {
	l.logger.WarnContext(ctx, "gorm: "+fmt.Sprintf(msg, args...))
}

func (l *gormSlog) Error(ctx context.Context, msg string, args ...any) {
	l.logger.WarnContext(ctx, "gorm: "+fmt.Sprintf(msg, args...))
}

func (l *gormSlog) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	elapsed := time.Since(begin)
	switch {
	case elapsed > slowQuery:
		sql, rows := fc()
		l.logger.WarnContext(ctx, "slow sql", "sql", sql, "rows", rows, "duration", elapsed, "error", err)
	case err != nil && !errors.Is(err, gorm.ErrRecordNotFound) && l.logger.Enabled(ctx, slog.LevelDebug):
		sql, rows := fc()
		l.logger.DebugContext(ctx, "sql failed", "sql", sql, "rows", rows, "duration", elapsed, "error", err)
	}
}

// ParamsFilter drops the parameters from logged SQL.
func (l *gormSlog) ParamsFilter(_ context.Context, sql string, _ ...any) (string, []any) {
	return sql, nil
}

// gorm's Scan (what Raw(…).Scan runs) does not ask the logger to filter: it records the
// statement with logger.Recorder, which fills the parameters in unless RecorderParamsFilter
// drops them, and then hands the finished text to Trace. The hook is gorm's, process-wide, so it
// is set once here rather than by each Open.
func init() {
	gormlogger.RecorderParamsFilter = func(_ context.Context, sql string, _ ...any) (string, []any) {
		return sql, nil
	}
}
