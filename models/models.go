// Package models holds windowbot's records (gorm entities), the store that queries them, the
// versioned schema migrations, and the pure domain rules: rating levels and aspects, scoring.
// It imports nothing else of windowbot's.
package models

import (
	"errors"
	"time"
)

// Roles a staff record can hold.
const (
	RoleStaff = "staff"
	// RoleLead is a window's or department's lead (窗口/科室负责人): works at a window, handles the
	// tickets that name a person of it (never their own).
	RoleLead       = "lead"
	RoleSupervisor = "supervisor"
	RoleAdmin      = "admin"
	// RoleInspector is a citizen inspector (市民督察员): visits windows unannounced against the
	// service standard's checklist and sees only their own visits, never ratings or citizens.
	RoleInspector = "inspector"
)

// StaffRoles lists the roles a staff record can hold.
var StaffRoles = []string{RoleStaff, RoleLead, RoleSupervisor, RoleAdmin}

// Center is a service hall (服务中心/便民服务中心).
type Center struct {
	ID        uint   `gorm:"primaryKey"`
	Code      string `gorm:"size:40;not null;uniqueIndex"`
	Name      string `gorm:"size:200;not null"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Window is one counter in a center; its Code is printed on the QR poster.
type Window struct {
	ID         uint   `gorm:"primaryKey"`
	Code       string `gorm:"size:40;not null;uniqueIndex"`
	Name       string `gorm:"size:200;not null"`
	Department string `gorm:"size:200"`
	CenterID   uint   `gorm:"not null;index"`
	Center     *Center
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Staff is a person working at a window (Role staff, or lead for the window's lead) or supervising a center (Role supervisor;
// WindowID then names a window of the supervised center or is nil with CenterID set; a nil
// CenterID for a supervisor or admin means all centers).
type Staff struct {
	ID       uint   `gorm:"primaryKey"`
	StaffNo  string `gorm:"size:40;not null;uniqueIndex"`
	Name     string `gorm:"size:200;not null"`
	Role     string `gorm:"size:20;not null"`
	WindowID *uint  `gorm:"index"`
	Window   *Window
	CenterID *uint `gorm:"index"`
	Center   *Center
	// PhotoHash names the staff member's photo among the pictures (Picture), for their poster
	// (亮牌上岗) and the service star's; empty when none was imported.
	PhotoHash string `gorm:"size:64;not null;default:''"`
	// Phone is a citizen inspector's mobile number, for the office to reach them; shown to
	// nobody in chat.
	Phone     string `gorm:"size:20;not null;default:''"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Citizen is one platform identity (a Telegram chat, a WeChat OpenID, a web visitor). A person who
// uses two apps is two rows; a row bound to a staff record (StaffID) acts as that staff member.
type Citizen struct {
	ID         uint   `gorm:"primaryKey"`
	Platform   string `gorm:"size:20;not null;uniqueIndex:idx_citizen_identity"`
	ExternalID string `gorm:"size:128;not null;uniqueIndex:idx_citizen_identity"`
	Lang       string `gorm:"size:10"`
	// Inactive is set when the user blocked the bot or unsubscribed: pushes skip them.
	Inactive bool
	// Subscribed is the citizen's opt-in to announcements: the monthly service stars of the
	// centers they use.
	Subscribed bool  `gorm:"not null;default:false"`
	StaffID    *uint `gorm:"index"`
	Staff      *Staff
	LastSeenAt time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Rating is one citizen's review of one window (一次一评). It is never edited or deleted;
// a supervisor may only mark it Excluded after an upheld appeal.
type Rating struct {
	ID        uint  `gorm:"primaryKey"`
	WindowID  uint  `gorm:"not null;index:idx_rating_window_time,priority:1;index:idx_rating_citizen_window,priority:2;index:idx_rating_time_cover,priority:2"`
	StaffID   *uint `gorm:"index:idx_rating_staff_time,priority:1;index:idx_rating_time_cover,priority:3"`
	CitizenID uint  `gorm:"not null;index:idx_rating_citizen_window,priority:1"`
	Level     int   `gorm:"not null;index:idx_rating_time_cover,priority:4"`
	// Aspects and Praise are comma-separated catalogue keys (see Aspects, PraiseTags).
	Aspects  string `gorm:"size:500"`
	Praise   string `gorm:"size:200"`
	Comment  string `gorm:"size:2000"`
	Channel  string `gorm:"size:20;not null"`
	Excluded bool   `gorm:"not null;default:false;index:idx_rating_time_cover,priority:5"`
	// CaseID is the service case the rating was invited for (一事一评); nil for a rating without
	// one. Unique: one case, one rating.
	CaseID *uint `gorm:"uniqueIndex:idx_rating_case"`
	Case   *Case
	// CreatedAt is the moment of rating; indexes serve per-window periods, the one-per-day rule,
	// (idx_rating_time_cover, migration 4) the partial days of the period tallies of rankings
	// and the star, and (idx_rating_staff_time, migration 11) one staff member's period.
	CreatedAt time.Time `gorm:"not null;index:idx_rating_window_time,priority:2;index:idx_rating_citizen_window,priority:3;index:idx_rating_time_cover,priority:1;index:idx_rating_staff_time,priority:2"`
	// Ticket is the bad-review ticket the rating opened (levels 1–2), where loaded.
	Ticket *Ticket `gorm:"foreignKey:RatingID"`
	// TicketDescription is what that ticket says happened, in words: the rating dialog writes the
	// problems and the comment. Without it the ticket carries the comment alone. It is not a
	// column of ratings.
	TicketDescription string `gorm:"-"`
}

// Sentinel errors of the store, checked with errors.Is.
var (
	// ErrNotFound means the record asked for does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrAlreadyRated means the citizen rated this window within the configured period.
	ErrAlreadyRated = errors.New("store: already rated this window in this period")
	// ErrOwnWindow means a staff account tried to rate its own window.
	ErrOwnWindow = errors.New("store: staff cannot rate their own window")
)
