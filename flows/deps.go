package flows

import (
	"context"
	"time"

	"windowbot/models"
)

// Store is what the conversations read and write in the database. *models.Store implements it.
type Store interface {
	// TouchCitizen returns the citizen row of a platform identity, creating it on first contact,
	// and records lastSeen (pushes on some platforms are only allowed shortly after it).
	TouchCitizen(ctx context.Context, platform, externalID, lang string, lastSeen time.Time) (*models.Citizen, error)
	// StaffByID returns a staff record with its Window, or models.ErrNotFound.
	StaffByID(ctx context.Context, id uint) (*models.Staff, error)
	// StaffByNo returns a staff record with its Window and Center, or models.ErrNotFound.
	StaffByNo(ctx context.Context, staffNo string) (*models.Staff, error)
	// StaffOfWindow lists the staff members (role staff, never supervisors or administrators)
	// of a window by staff number.
	StaffOfWindow(ctx context.Context, windowID uint) ([]models.Staff, error)
	// WindowByCode returns a window with its Center, or models.ErrNotFound. Codes match
	// case-insensitively.
	WindowByCode(ctx context.Context, code string) (*models.Window, error)
	// Centers lists all centers by code.
	Centers(ctx context.Context) ([]models.Center, error)
	// WindowsOfCenter lists a center's windows by code.
	WindowsOfCenter(ctx context.Context, centerID uint) ([]models.Window, error)
	// RatedSince reports whether the citizen rated the window at or after since.
	RatedSince(ctx context.Context, citizenID, windowID uint, since time.Time) (bool, error)
	// CreateRating inserts r in one transaction with its checks: models.ErrAlreadyRated if the
	// citizen rated r.WindowID at or after since, models.ErrOwnWindow if the citizen is bound to a
	// staff record of that window. r.StaffID is cleared when it no longer names a staff member of
	// r.WindowID. r.CreatedAt must be set by the caller.
	CreateRating(ctx context.Context, r *models.Rating, since time.Time) error
}
