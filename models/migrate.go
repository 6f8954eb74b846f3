package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// migration is one versioned schema step.
type migration struct {
	version int
	name    string
	// up runs inside the migration transaction; it must use tx only.
	up func(tx *gorm.DB) error
}

// migrations lists every schema step in the order it is applied.
//
// To change the schema, APPEND a step with the next version number and a short name, e.g.
//
//	{version: 2, name: "create tickets", up: func(tx *gorm.DB) error {
//		return tx.Migrator().CreateTable(&ticketV2{})
//	}},
//
// Never edit or reorder a released step: databases in the field already recorded it and will not
// run it again. A step describes the schema as it was at that version, so give it its own frozen
// struct (like the v1 types below) or plain SQL rather than the live entity structs, which keep
// changing; TestSchemaMatchesEntities fails when an entity gains a column or index that no step
// creates. Steps run in one transaction (PostgreSQL and SQLite both have transactional DDL), so
// a failing step leaves the database at the version before the batch.
func migrations() []migration {
	return []migration{
		{version: 1, name: "create centers, windows, staffs, citizens, ratings", up: migrateV1},
		{version: 2, name: "create pushes (outbox)", up: migrateV2},
		{version: 3, name: "create tickets, ticket events, attachments, followers, counters", up: migrateV3},
		{version: 4, name: "push leases, citizen opt-in, job runs, service stars, rating period index", up: migrateV4},
		{version: 5, name: "create staff invites, citizen bans, inspections", up: migrateV5},
		{version: 6, name: "pushes carry message data", up: migrateV6},
		{version: 7, name: "board: index tickets by resolution and publication, events by action", up: migrateV7},
		{version: 8, name: "pictures, staff photos, push pictures, several service stars a center", up: migrateV8},
		{version: 9, name: "ticket routing: the person named, the route, conduct cases, referrals, photo purposes", up: migrateV9},
		{version: 10, name: "web pushes waiting for the visitor's page", up: migrateV10},
		{version: 11, name: "daily rating counts per window and per staff member, kept by triggers", up: migrateV11},
		{version: 12, name: "cases and their invitations, ratings through a case, the provincial report's outbox", up: migrateV12},
		{version: 13, name: "supervision: matters, inspectors, inspections by kind with checklist items, rating flags", up: migrateV13},
		{version: 14, name: "tickets: the secret of the web link texted to a complainant", up: migrateV14},
		{version: 15, name: "cache versions: what changes windows, staff and citizens tells every replica's cache", up: migrateV15},
	}
}

// migrationLockKey is the PostgreSQL advisory lock key that serialises Migrate across replicas
// ("wbmigrat" in ASCII), chosen so that it cannot collide with other users of advisory locks.
const migrationLockKey int64 = 0x77626d6967726174

// Migrate applies the steps the database has not recorded yet, in order, and records each in
// schema_migrations. It is safe when several replicas start at once: on PostgreSQL the migration
// transaction first takes a transaction-scoped advisory lock, so the second replica waits and then
// finds every step recorded; on SQLite the transaction begins IMMEDIATE and so holds the database's
// write lock from the start. Running it again is a no-op.
func (s *Store) Migrate(ctx context.Context) error {
	steps := migrations()
	for i, m := range steps {
		if m.version != i+1 {
			return fmt.Errorf("store: migrate: step %d (%s) has version %d: versions must be 1, 2, 3, …", i+1, m.name, m.version)
		}
	}
	var applied []migration
	var newest int
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if s.dialect == DialectPostgres {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", migrationLockKey).Error; err != nil {
				return fmt.Errorf("lock: %w", err)
			}
		}
		if err := tx.Exec(s.createSchemaMigrationsSQL()).Error; err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		var versions []int
		if err := tx.Table("schema_migrations").Pluck("version", &versions).Error; err != nil {
			return fmt.Errorf("read schema_migrations: %w", err)
		}
		done := make(map[int]bool, len(versions))
		for _, v := range versions {
			done[v] = true
			newest = max(newest, v)
		}
		for _, m := range steps {
			if done[m.version] {
				continue
			}
			if err := m.up(tx); err != nil {
				return fmt.Errorf("step %d (%s): %w", m.version, m.name, err)
			}
			err := tx.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
				m.version, m.name, time.Now().UTC()).Error
			if err != nil {
				return fmt.Errorf("record step %d: %w", m.version, err)
			}
			applied = append(applied, m)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	for _, m := range applied {
		s.logger.InfoContext(ctx, "schema migration applied", "version", m.version, "name", m.name, "dialect", s.dialect)
	}
	if latest := steps[len(steps)-1].version; newest > latest {
		// A newer replica of a rolling deployment migrated first; this one may lack columns it wrote.
		s.logger.WarnContext(ctx, "database schema is newer than this binary", "database_version", newest, "binary_version", latest)
	}
	return nil
}

// SchemaVersion returns the highest recorded migration version, 0 before the first Migrate.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	db := s.db.WithContext(ctx)
	if !db.Migrator().HasTable("schema_migrations") {
		return 0, nil
	}
	var v *int
	if err := db.Table("schema_migrations").Select("MAX(version)").Scan(&v).Error; err != nil {
		return 0, fmt.Errorf("store: schema version: %w", err)
	}
	if v == nil {
		return 0, nil
	}
	return *v, nil
}

func (s *Store) createSchemaMigrationsSQL() string {
	ts := "DATETIME"
	if s.dialect == DialectPostgres {
		ts = "TIMESTAMPTZ"
	}
	return "CREATE TABLE IF NOT EXISTS schema_migrations (" +
		"version BIGINT PRIMARY KEY, " +
		"name VARCHAR(200) NOT NULL, " +
		"applied_at " + ts + " NOT NULL)"
}

// Version 1: the tables as first released. These types freeze that schema; see migrations.

type centerV1 struct {
	ID        uint   `gorm:"primaryKey"`
	Code      string `gorm:"size:40;not null;uniqueIndex"`
	Name      string `gorm:"size:200;not null"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (centerV1) TableName() string { return "centers" }

type windowV1 struct {
	ID         uint   `gorm:"primaryKey"`
	Code       string `gorm:"size:40;not null;uniqueIndex"`
	Name       string `gorm:"size:200;not null"`
	Department string `gorm:"size:200"`
	CenterID   uint   `gorm:"not null;index"`
	Center     *centerV1
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

func (windowV1) TableName() string { return "windows" }

type staffV1 struct {
	ID        uint   `gorm:"primaryKey"`
	StaffNo   string `gorm:"size:40;not null;uniqueIndex"`
	Name      string `gorm:"size:200;not null"`
	Role      string `gorm:"size:20;not null"`
	WindowID  *uint  `gorm:"index"`
	Window    *windowV1
	CenterID  *uint `gorm:"index"`
	Center    *centerV1
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (staffV1) TableName() string { return "staffs" }

type citizenV1 struct {
	ID         uint   `gorm:"primaryKey"`
	Platform   string `gorm:"size:20;not null;uniqueIndex:idx_citizen_identity"`
	ExternalID string `gorm:"size:128;not null;uniqueIndex:idx_citizen_identity"`
	Lang       string `gorm:"size:10"`
	Inactive   bool
	StaffID    *uint `gorm:"index"`
	Staff      *staffV1
	LastSeenAt time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

func (citizenV1) TableName() string { return "citizens" }

// ratingV1 declares its references only here, so the database enforces them while the entity
// stays free of association fields nobody preloads.
type ratingV1 struct {
	ID        uint `gorm:"primaryKey"`
	WindowID  uint `gorm:"not null;index:idx_rating_window_time,priority:1;index:idx_rating_citizen_window,priority:2"`
	Window    *windowV1
	StaffID   *uint `gorm:"index"`
	Staff     *staffV1
	CitizenID uint `gorm:"not null;index:idx_rating_citizen_window,priority:1"`
	Citizen   *citizenV1
	Level     int       `gorm:"not null"`
	Aspects   string    `gorm:"size:500"`
	Praise    string    `gorm:"size:200"`
	Comment   string    `gorm:"size:2000"`
	Channel   string    `gorm:"size:20;not null"`
	Excluded  bool      `gorm:"not null;default:false"`
	CreatedAt time.Time `gorm:"not null;index:idx_rating_window_time,priority:2;index:idx_rating_citizen_window,priority:3"`
}

func (ratingV1) TableName() string { return "ratings" }

func migrateV1(tx *gorm.DB) error {
	// Referenced tables first.
	if err := tx.Migrator().CreateTable(&centerV1{}, &windowV1{}, &staffV1{}, &citizenV1{}, &ratingV1{}); err != nil {
		return err
	}
	// Codes are looked up case-insensitively (citizens type them); these indexes serve that
	// lookup and stop "w001" and "W001" from being two windows.
	for _, q := range []string{
		"CREATE UNIQUE INDEX idx_centers_code_upper ON centers (UPPER(code))",
		"CREATE UNIQUE INDEX idx_windows_code_upper ON windows (UPPER(code))",
	} {
		if err := tx.Exec(q).Error; err != nil {
			return err
		}
	}
	return nil
}

// Version 2: the push outbox.

type pushV2 struct {
	ID        uint   `gorm:"primaryKey"`
	DedupeKey string `gorm:"size:300;not null;uniqueIndex"`
	Kind      string `gorm:"size:40;not null"`
	CitizenID uint   `gorm:"not null;index"`
	Citizen   *citizenV1
	Text      string    `gorm:"size:4000;not null"`
	Buttons   string    `gorm:"size:2000"`
	Urgent    bool      `gorm:"not null;default:false"`
	State     string    `gorm:"size:20;not null;index:idx_push_due,priority:1"`
	NotBefore time.Time `gorm:"not null;index:idx_push_due,priority:2"`
	Attempts  int       `gorm:"not null;default:0"`
	LastError string    `gorm:"size:500"`
	SentAt    *time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (pushV2) TableName() string { return "pushes" }

func migrateV2(tx *gorm.DB) error {
	return tx.Migrator().CreateTable(&pushV2{})
}

// Version 3: tickets and their audit trail.

type ticketV3 struct {
	ID              uint       `gorm:"primaryKey"`
	No              string     `gorm:"size:24;not null;uniqueIndex"`
	Kind            string     `gorm:"size:20;not null"`
	State           string     `gorm:"size:20;not null;index:idx_ticket_state_window,priority:1"`
	CenterID        uint       `gorm:"not null;index"`
	Center          *centerV1  `gorm:"foreignKey:CenterID"`
	WindowID        *uint      `gorm:"index:idx_ticket_state_window,priority:2"`
	Window          *windowV1  `gorm:"foreignKey:WindowID"`
	Category        string     `gorm:"size:40;not null"`
	Description     string     `gorm:"size:4000"`
	RatingID        *uint      `gorm:"uniqueIndex"`
	Rating          *ratingV1  `gorm:"foreignKey:RatingID"`
	CitizenID       uint       `gorm:"not null;index"`
	Citizen         *citizenV1 `gorm:"foreignKey:CitizenID"`
	Channel         string     `gorm:"size:20;not null"`
	Anonymous       bool       `gorm:"not null;default:false"`
	Phone           string     `gorm:"size:20"`
	CallbackConsent bool       `gorm:"not null;default:false"`
	OwnerStaffID    *uint      `gorm:"index"`
	OwnerStaff      *staffV1   `gorm:"foreignKey:OwnerStaffID"`
	Escalated       bool       `gorm:"not null;default:false"`
	CallbackDue     time.Time  `gorm:"not null"`
	RectifyDue      time.Time  `gorm:"not null;index"`
	AcceptedAt      *time.Time
	ResolvedAt      *time.Time
	ClosedAt        *time.Time
	Plan            string `gorm:"size:4000"`
	Result          string `gorm:"size:4000"`
	Reason          string `gorm:"size:1000"`
	CloseReason     string `gorm:"size:20"`
	Rerate          string `gorm:"size:20"`
	CitizenAppealed bool   `gorm:"not null;default:false"`
	StaffAppealed   bool   `gorm:"not null;default:false"`
	AppealBy        string `gorm:"size:20"`
	AppealFrom      string `gorm:"size:20"`
	AppealReason    string `gorm:"size:1000"`
	PublishedAt     *time.Time
	CreatedAt       time.Time `gorm:"not null;index"`
	UpdatedAt       time.Time
}

func (ticketV3) TableName() string { return "tickets" }

type ticketEventV3 struct {
	ID             uint      `gorm:"primaryKey"`
	TicketID       uint      `gorm:"not null;index:idx_event_ticket,priority:1"`
	Ticket         *ticketV3 `gorm:"foreignKey:TicketID"`
	Action         string    `gorm:"size:20;not null"`
	FromState      string    `gorm:"size:20"`
	ToState        string    `gorm:"size:20;not null"`
	ActorRole      string    `gorm:"size:20;not null"`
	ActorStaffID   *uint
	ActorCitizenID *uint
	Note           string    `gorm:"size:4000"`
	Public         bool      `gorm:"not null;default:false"`
	CreatedAt      time.Time `gorm:"not null;index:idx_event_ticket,priority:2"`
}

func (ticketEventV3) TableName() string { return "ticket_events" }

type ticketAttachmentV3 struct {
	ID        uint      `gorm:"primaryKey"`
	TicketID  uint      `gorm:"not null;index"`
	Ticket    *ticketV3 `gorm:"foreignKey:TicketID"`
	Platform  string    `gorm:"size:20;not null"`
	FileID    string    `gorm:"size:300"`
	MIMEType  string    `gorm:"size:60"`
	Size      int64
	Data      []byte
	CreatedAt time.Time
}

func (ticketAttachmentV3) TableName() string { return "ticket_attachments" }

type ticketFollowerV3 struct {
	ID        uint       `gorm:"primaryKey"`
	TicketID  uint       `gorm:"not null;uniqueIndex:idx_follower,priority:1"`
	Ticket    *ticketV3  `gorm:"foreignKey:TicketID"`
	CitizenID uint       `gorm:"not null;uniqueIndex:idx_follower,priority:2;index"`
	Citizen   *citizenV1 `gorm:"foreignKey:CitizenID"`
	CreatedAt time.Time
}

func (ticketFollowerV3) TableName() string { return "ticket_followers" }

type ticketCounterV3 struct {
	Day string `gorm:"primaryKey;size:8"`
	N   int    `gorm:"not null"`
}

func (ticketCounterV3) TableName() string { return "ticket_counters" }

func migrateV3(tx *gorm.DB) error {
	return tx.Migrator().CreateTable(&ticketV3{}, &ticketEventV3{}, &ticketAttachmentV3{}, &ticketFollowerV3{}, &ticketCounterV3{})
}

// Version 4: what the scheduled jobs and the push dispatcher need.

type pushV4 struct {
	Lease string `gorm:"size:64;not null;default:''"`
}

func (pushV4) TableName() string { return "pushes" }

type citizenV4 struct {
	Subscribed bool `gorm:"not null;default:false"`
}

func (citizenV4) TableName() string { return "citizens" }

type jobRunV4 struct {
	ID         uint   `gorm:"primaryKey"`
	Name       string `gorm:"size:60;not null;uniqueIndex:idx_job_run_occurrence,priority:1"`
	Period     string `gorm:"size:40;not null;uniqueIndex:idx_job_run_occurrence,priority:2"`
	Owner      string `gorm:"size:200;not null"`
	Status     string `gorm:"size:20;not null"`
	Items      int    `gorm:"not null;default:0"`
	Error      string `gorm:"size:500"`
	StartedAt  time.Time
	FinishedAt *time.Time
}

func (jobRunV4) TableName() string { return "job_runs" }

type serviceStarV4 struct {
	ID               uint   `gorm:"primaryKey"`
	Period           string `gorm:"size:7;not null;uniqueIndex:idx_star_period_center,priority:1"`
	CenterID         uint   `gorm:"not null;uniqueIndex:idx_star_period_center,priority:2"`
	Center           *centerV1
	StaffID          uint `gorm:"not null;index"`
	Staff            *staffV1
	WindowID         *uint
	Window           *windowV1
	Ratings          int     `gorm:"not null"`
	SatisfactionRate float64 `gorm:"not null"`
	GoodRate         float64 `gorm:"not null"`
	Score            float64 `gorm:"not null"`
	Praise           string  `gorm:"size:2000"`
	CreatedAt        time.Time
}

func (serviceStarV4) TableName() string { return "service_stars" }

func migrateV4(tx *gorm.DB) error {
	if err := tx.Migrator().AddColumn(&pushV4{}, "Lease"); err != nil {
		return err
	}
	if err := tx.Migrator().AddColumn(&citizenV4{}, "Subscribed"); err != nil {
		return err
	}
	if err := tx.Migrator().CreateTable(&jobRunV4{}, &serviceStarV4{}); err != nil {
		return err
	}
	// The rankings and the monthly star count a period's ratings by window and staff member; this
	// index holds everything they read, so a month is one range of it (an index-only scan).
	return tx.Exec("CREATE INDEX idx_rating_time_cover ON ratings (created_at, window_id, staff_id, level, excluded)").Error
}

// Version 5: binding codes, bans and inspections.

type staffInviteV5 struct {
	ID        uint      `gorm:"primaryKey"`
	StaffID   uint      `gorm:"not null;index"`
	Staff     *staffV1  `gorm:"foreignKey:StaffID"`
	CodeHash  string    `gorm:"size:64;not null;uniqueIndex"`
	ExpiresAt time.Time `gorm:"not null"`
	UsedAt    *time.Time
	UsedBy    *uint
	UsedByC   *citizenV1 `gorm:"foreignKey:UsedBy"`
	RevokedAt *time.Time
	CreatedAt time.Time
}

func (staffInviteV5) TableName() string { return "staff_invites" }

type citizenBanV5 struct {
	ID        uint       `gorm:"primaryKey"`
	CitizenID uint       `gorm:"not null;index"`
	Citizen   *citizenV1 `gorm:"foreignKey:CitizenID"`
	Reason    string     `gorm:"size:1000;not null"`
	StaffID   *uint
	Staff     *staffV1  `gorm:"foreignKey:StaffID"`
	CreatedAt time.Time `gorm:"not null"`
	LiftedAt  *time.Time
	LiftedBy  *uint
	Lifter    *staffV1 `gorm:"foreignKey:LiftedBy"`
}

func (citizenBanV5) TableName() string { return "citizen_bans" }

type inspectionV5 struct {
	ID        uint      `gorm:"primaryKey"`
	WindowID  uint      `gorm:"not null;index"`
	Window    *windowV1 `gorm:"foreignKey:WindowID"`
	CenterID  uint      `gorm:"not null;index:idx_inspection_center_time,priority:1"`
	Center    *centerV1 `gorm:"foreignKey:CenterID"`
	StaffID   *uint
	Staff     *staffV1  `gorm:"foreignKey:StaffID"`
	Score     int       `gorm:"not null"`
	Findings  string    `gorm:"size:2000;not null"`
	CreatedAt time.Time `gorm:"not null;index:idx_inspection_center_time,priority:2"`
}

func (inspectionV5) TableName() string { return "inspections" }

func migrateV5(tx *gorm.DB) error {
	return tx.Migrator().CreateTable(&staffInviteV5{}, &citizenBanV5{}, &inspectionV5{})
}

// Version 6: a push caused in a transaction carries its message as data (PushMessage, JSON),
// worded when it is sent.

type pushV6 struct {
	Message string `gorm:"type:text"`
}

func (pushV6) TableName() string { return "pushes" }

func migrateV6(tx *gorm.DB) error {
	return tx.Migrator().AddColumn(&pushV6{}, "Message")
}

// Version 7: what the public board counts. The board reads the rectifications finished in a
// period (resolved_at), the published notices newest first (published_at) and the re-ratings
// given in a period (ticket events by action and time); without these indexes each is a scan of
// its whole table.
func migrateV7(tx *gorm.DB) error {
	for _, q := range []string{
		"CREATE INDEX idx_ticket_resolved ON tickets (resolved_at)",
		"CREATE INDEX idx_ticket_published ON tickets (published_at)",
		"CREATE INDEX idx_event_action_time ON ticket_events (action, created_at)",
	} {
		if err := tx.Exec(q).Error; err != nil {
			return err
		}
	}
	return nil
}

// Version 8: pictures (staff photos, posters and charts sent with pushes), and several service
// stars per center and period with runners-up.

type pictureV8 struct {
	Hash      string `gorm:"primaryKey;size:64"`
	MIMEType  string `gorm:"size:40;not null"`
	Width     int    `gorm:"not null"`
	Height    int    `gorm:"not null"`
	Data      []byte `gorm:"not null"`
	CreatedAt time.Time
}

func (pictureV8) TableName() string { return "pictures" }

type staffV8 struct {
	PhotoHash string `gorm:"size:64;not null;default:''"`
}

func (staffV8) TableName() string { return "staffs" }

type pushV8 struct {
	PictureHash string `gorm:"size:64;not null;default:''"`
}

func (pushV8) TableName() string { return "pushes" }

type serviceStarV8 struct {
	Place    int  `gorm:"not null;default:1"`
	RunnerUp bool `gorm:"not null;default:false"`
}

func (serviceStarV8) TableName() string { return "service_stars" }

func migrateV8(tx *gorm.DB) error {
	if err := tx.Migrator().CreateTable(&pictureV8{}); err != nil {
		return err
	}
	for _, c := range []struct {
		model any
		field string
	}{{&staffV8{}, "PhotoHash"}, {&pushV8{}, "PictureHash"}, {&serviceStarV8{}, "Place"}, {&serviceStarV8{}, "RunnerUp"}} {
		if err := tx.Migrator().AddColumn(c.model, c.field); err != nil {
			return err
		}
	}
	// One star per center and period becomes one row per place; the stars stored so far are
	// place 1.
	if err := tx.Exec("DROP INDEX idx_star_period_center").Error; err != nil {
		return err
	}
	return tx.Exec("CREATE UNIQUE INDEX idx_star_period_center_place ON service_stars (period, center_id, place)").Error
}

// Version 9: who handles a ticket. A ticket records the staff member it names, its route
// (window, lead or supervisors) and whether it is a conduct case, and when it was referred to the
// discipline body; a photo records whose it is (the complaint's, the rectification's evidence,
// the re-rating's). Tickets from before are the window's.

type ticketV9 struct {
	NamedStaffID *uint  `gorm:"index:idx_tickets_named_staff_id"`
	Route        string `gorm:"size:20;not null;default:'window'"`
	Conduct      bool   `gorm:"not null;default:false"`
	ReferredAt   *time.Time
}

func (ticketV9) TableName() string { return "tickets" }

type ticketAttachmentV9 struct {
	Purpose string `gorm:"size:20;not null;default:''"`
}

func (ticketAttachmentV9) TableName() string { return "ticket_attachments" }

func migrateV9(tx *gorm.DB) error {
	for _, c := range []struct {
		model any
		field string
	}{{&ticketV9{}, "NamedStaffID"}, {&ticketV9{}, "Route"}, {&ticketV9{}, "Conduct"}, {&ticketV9{}, "ReferredAt"}, {&ticketAttachmentV9{}, "Purpose"}} {
		if err := tx.Migrator().AddColumn(c.model, c.field); err != nil {
			return err
		}
	}
	return tx.Migrator().CreateIndex(&ticketV9{}, "NamedStaffID")
}

// webPushV10 is models.WebPush as version 10 created it.
type webPushV10 struct {
	ID        uint      `gorm:"primaryKey"`
	Visitor   string    `gorm:"size:64;not null;index:idx_web_push_visitor"`
	Body      string    `gorm:"type:text;not null"`
	CreatedAt time.Time `gorm:"not null;index:idx_web_push_created"`
}

func (webPushV10) TableName() string { return "web_pushes" }

func migrateV10(tx *gorm.DB) error { return tx.Migrator().CreateTable(&webPushV10{}) }

// caseV12 is models.Case as version 12 created it.
type caseV12 struct {
	ID         uint      `gorm:"primaryKey"`
	CaseNo     *string   `gorm:"size:64;uniqueIndex:idx_case_no"`
	MatterCode string    `gorm:"size:64;not null;default:''"`
	MatterName string    `gorm:"size:200;not null;default:''"`
	WindowID   uint      `gorm:"not null;index:idx_cases_window_id"`
	StaffID    *uint     `gorm:"index:idx_cases_staff_id"`
	FinishedAt time.Time `gorm:"not null"`
	Phone      string    `gorm:"size:20;not null;default:''"`
	Consent    bool      `gorm:"not null;default:false"`
	Token      string    `gorm:"size:32;not null;uniqueIndex:idx_case_token"`
	ExpiresAt  time.Time `gorm:"not null;index:idx_case_due,priority:2"`
	CitizenID  *uint
	RemindedAt *time.Time `gorm:"index:idx_case_due,priority:1"`
	Source     string     `gorm:"size:10;not null"`
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

func (caseV12) TableName() string { return "cases" }

type ratingV12 struct {
	CaseID *uint `gorm:"uniqueIndex:idx_rating_case"`
}

func (ratingV12) TableName() string { return "ratings" }

// reportRecordV12 is models.ReportRecord as version 12 created it.
type reportRecordV12 struct {
	ID        uint   `gorm:"primaryKey"`
	DedupeKey string `gorm:"size:40;not null;uniqueIndex:idx_report_key"`
	Type      string `gorm:"size:20;not null"`
	RatingID  uint   `gorm:"not null;index:idx_report_records_rating_id"`
	EventID   *uint
	Result    string    `gorm:"size:20;not null;default:''"`
	ReRating  int       `gorm:"not null;default:0"`
	At        time.Time `gorm:"not null;index:idx_report_at"`
	State     string    `gorm:"size:20;not null;index:idx_report_due,priority:1"`
	NotBefore time.Time `gorm:"not null;index:idx_report_due,priority:2"`
	Attempts  int       `gorm:"not null;default:0"`
	LastError string    `gorm:"size:500;not null;default:''"`
	Lease     string    `gorm:"size:64;not null;default:''"`
	SentAt    *time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (reportRecordV12) TableName() string { return "report_records" }

func migrateV12(tx *gorm.DB) error {
	if err := tx.Migrator().CreateTable(&reportRecordV12{}); err != nil {
		return err
	}
	if err := tx.Migrator().CreateTable(&caseV12{}); err != nil {
		return err
	}
	if err := tx.Migrator().AddColumn(&ratingV12{}, "CaseID"); err != nil {
		return err
	}
	if err := tx.Migrator().CreateIndex(&ratingV12{}, "idx_rating_case"); err != nil {
		return err
	}
	return nil
}

// Version 13: supervision beyond ratings — the matters of the one-time notification guide
// (一次性告知), citizen inspectors' phone numbers, inspections by kind with their checklist items,
// the rating-fraud flags, and the matter a complaint names.

type matterV13 struct {
	ID            uint      `gorm:"primaryKey"`
	Code          string    `gorm:"size:40;not null;uniqueIndex"`
	Name          string    `gorm:"size:200;not null"`
	WindowID      uint      `gorm:"not null;index"`
	Window        *windowV1 `gorm:"foreignKey:WindowID"`
	Materials     string    `gorm:"type:text;not null"`
	TimeLimitDays int       `gorm:"not null;default:0"`
	Fee           string    `gorm:"size:200;not null;default:''"`
	Notes         string    `gorm:"size:1000;not null;default:''"`
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

func (matterV13) TableName() string { return "matters" }

type staffV13 struct {
	Phone string `gorm:"size:20;not null;default:''"`
}

func (staffV13) TableName() string { return "staffs" }

type inspectionV13 struct {
	Kind   string `gorm:"size:20;not null;default:'unannounced'"`
	Note   string `gorm:"size:2000;not null;default:''"`
	Failed int    `gorm:"not null;default:0"`
}

func (inspectionV13) TableName() string { return "inspections" }

type inspectionItemV13 struct {
	ID            uint          `gorm:"primaryKey"`
	InspectionID  uint          `gorm:"not null;index"`
	Inspection    *inspectionV5 `gorm:"foreignKey:InspectionID"`
	Item          string        `gorm:"size:40;not null"`
	Result        string        `gorm:"size:10;not null"`
	Comment       string        `gorm:"size:1000;not null;default:''"`
	TicketID      *uint         `gorm:"index"`
	Ticket        *ticketV3     `gorm:"foreignKey:TicketID"`
	PhotoPlatform string        `gorm:"size:20;not null;default:''"`
	PhotoFileID   string        `gorm:"size:300;not null;default:''"`
	PhotoMIME     string        `gorm:"size:60;not null;default:''"`
	PhotoData     []byte
	CreatedAt     time.Time `gorm:"not null"`
}

func (inspectionItemV13) TableName() string { return "inspection_items" }

type ratingFlagV13 struct {
	ID        uint      `gorm:"primaryKey"`
	RatingID  uint      `gorm:"not null;uniqueIndex:idx_rating_flag,priority:1"`
	Rating    *ratingV1 `gorm:"foreignKey:RatingID"`
	Signal    string    `gorm:"size:20;not null;uniqueIndex:idx_rating_flag,priority:2"`
	Detail    string    `gorm:"size:200;not null;default:''"`
	Decision  string    `gorm:"size:10;not null;default:'';index"`
	DecidedBy *uint
	Decider   *staffV1 `gorm:"foreignKey:DecidedBy"`
	DecidedAt *time.Time
	CreatedAt time.Time `gorm:"not null;index"`
}

func (ratingFlagV13) TableName() string { return "rating_flags" }

type ticketV13 struct {
	MatterID *uint `gorm:"index:idx_tickets_matter_id"`
}

func (ticketV13) TableName() string { return "tickets" }

func migrateV13(tx *gorm.DB) error {
	if err := tx.Migrator().CreateTable(&matterV13{}, &inspectionItemV13{}, &ratingFlagV13{}); err != nil {
		return err
	}
	for _, c := range []struct {
		model any
		field string
	}{{&staffV13{}, "Phone"}, {&inspectionV13{}, "Kind"}, {&inspectionV13{}, "Note"}, {&inspectionV13{}, "Failed"}, {&ticketV13{}, "MatterID"}} {
		if err := tx.Migrator().AddColumn(c.model, c.field); err != nil {
			return err
		}
	}
	return tx.Migrator().CreateIndex(&ticketV13{}, "MatterID")
}

type ticketV14 struct {
	LinkToken string `gorm:"size:22;not null;default:'';index:idx_tickets_link_token"`
}

func (ticketV14) TableName() string { return "tickets" }

func migrateV14(tx *gorm.DB) error {
	if err := tx.Migrator().AddColumn(&ticketV14{}, "LinkToken"); err != nil {
		return err
	}
	return tx.Migrator().CreateIndex(&ticketV14{}, "LinkToken")
}

type cacheVersionV15 struct {
	Name    string `gorm:"primaryKey;size:20"`
	Version int64  `gorm:"not null;default:0"`
}

func (cacheVersionV15) TableName() string { return "cache_versions" }

func migrateV15(tx *gorm.DB) error {
	if err := tx.Migrator().CreateTable(&cacheVersionV15{}); err != nil {
		return err
	}
	return tx.Create([]cacheVersionV15{{Name: "places"}, {Name: "citizens"}}).Error
}

// ErrSchemaBehind means the database has not been migrated to this binary's schema.
var ErrSchemaBehind = errors.New("store: database schema is behind this windowbot")

// CheckSchema returns ErrSchemaBehind (wrapped, with both versions) unless every migration of
// this binary is recorded: for commands that only read and must not change a database.
func (s *Store) CheckSchema(ctx context.Context) error {
	have, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	steps := migrations()
	if want := steps[len(steps)-1].version; have < want {
		return fmt.Errorf("%w (database at version %d, this windowbot needs %d): run `windowbot migrate`", ErrSchemaBehind, have, want)
	}
	return nil
}
