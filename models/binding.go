package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// DefaultInviteValidity is how long a binding code is valid unless configured otherwise.
const DefaultInviteValidity = 72 * time.Hour

// StaffInvite is a one-time code that binds a chat account to a staff record. Only the hash of
// the code is stored: whoever reads the database cannot bind with it.
type StaffInvite struct {
	ID       uint   `gorm:"primaryKey"`
	StaffID  uint   `gorm:"not null;index"`
	Staff    *Staff `gorm:"foreignKey:StaffID"`
	CodeHash string `gorm:"size:64;not null;uniqueIndex"`
	// ExpiresAt ends the code's validity; UsedAt and UsedBy are set when it binds an account,
	// RevokedAt when the staff member's accounts were revoked before it was used.
	ExpiresAt time.Time `gorm:"not null"`
	UsedAt    *time.Time
	UsedBy    *uint
	RevokedAt *time.Time
	CreatedAt time.Time
}

// Sentinel errors of binding.
var (
	// ErrInvalidCode covers an unknown, used, expired or revoked binding code alike, so that a
	// guesser learns nothing from the answer.
	ErrInvalidCode = errors.New("store: invalid binding code")
	// ErrAlreadyBound means the chat account is bound to a staff record already.
	ErrAlreadyBound = errors.New("store: account already bound")
	// ErrNotBound means the chat account is not bound to a staff record.
	ErrNotBound = errors.New("store: account not bound")
)

// inviteAlphabet leaves out 0/O and 1/I/L, which people misread when they copy a code by hand.
const inviteAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// inviteLen characters of a 31-letter alphabet give about 59 bits: with the lock-out of /bind
// after five wrong tries, guessing is hopeless.
const inviteLen = 12

// newInviteCode returns a random code, uniform over the alphabet.
func newInviteCode() (string, error) {
	const limit = 256 - 256%len(inviteAlphabet) // reject bytes that would favour some letters
	out := make([]byte, 0, inviteLen)
	buf := make([]byte, 2*inviteLen)
	for len(out) < inviteLen {
		if _, err := rand.Read(buf); err != nil {
			return "", err
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < inviteLen {
				out = append(out, inviteAlphabet[int(b)%len(inviteAlphabet)])
			}
		}
	}
	return string(out), nil
}

// NormInviteCode upper-cases a typed code, folds full-width letters and digits, and drops the
// spaces, dashes and invisible characters people add when copying.
func NormInviteCode(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == ' ' || r == '-' || r == '\t' || Invisible(r):
			return -1
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, FoldWidth(s))
}

func hashInviteCode(code string) string {
	sum := sha256.Sum256([]byte("windowbot-invite:" + NormInviteCode(code)))
	return hex.EncodeToString(sum[:])
}

// StaffByNo returns a staff record with its Window and Center, or ErrNotFound.
func (s *Store) StaffByNo(ctx context.Context, staffNo string) (*Staff, error) {
	if !queryable(staffNo) {
		return nil, fmt.Errorf("store: staff %q: %w", staffNo, ErrNotFound)
	}
	var st Staff
	err := s.db.WithContext(ctx).Preload("Window").Preload("Center").
		Where("staff_no = ?", strings.TrimSpace(staffNo)).First(&st).Error
	if err != nil {
		return nil, fmt.Errorf("store: staff %q: %w", staffNo, notFound(err))
	}
	return &st, nil
}

// CreateInvite issues a binding code for the staff member numbered staffNo, valid for validity
// (DefaultInviteValidity when zero or negative) from now. The code is returned once and never
// stored. ErrNotFound if there is no such staff member.
func (s *Store) CreateInvite(ctx context.Context, staffNo string, validity time.Duration, now time.Time) (string, *Staff, error) {
	if validity <= 0 {
		validity = DefaultInviteValidity
	}
	st, err := s.StaffByNo(ctx, staffNo)
	if err != nil {
		return "", nil, fmt.Errorf("store: create invite: %w", err)
	}
	code, err := newInviteCode()
	if err != nil {
		return "", nil, fmt.Errorf("store: create invite: %w", err)
	}
	inv := StaffInvite{StaffID: st.ID, CodeHash: hashInviteCode(code), ExpiresAt: now.Add(validity).UTC(), CreatedAt: now.UTC()}
	if err := s.db.WithContext(ctx).Create(&inv).Error; err != nil {
		return "", nil, fmt.Errorf("store: create invite: %w", err)
	}
	return code, st, nil
}

// RedeemInvite binds the chat account citizenID to the staff record of code and uses the code
// up. An unknown, used, expired or revoked code is ErrInvalidCode; an account bound already is
// ErrAlreadyBound and leaves the code unused. It returns the staff record with its Window and
// Center.
func (s *Store) RedeemInvite(ctx context.Context, code string, citizenID uint, now time.Time) (*Staff, error) {
	now = now.UTC()
	var staffID uint
	err := s.change(ctx, func(tx *gorm.DB) error {
		var c Citizen
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&c, citizenID).Error; err != nil {
			return fmt.Errorf("citizen %d: %w", citizenID, notFound(err))
		}
		if c.StaffID != nil {
			return ErrAlreadyBound
		}
		var inv StaffInvite
		err := tx.Where("code_hash = ?", hashInviteCode(code)).Limit(1).Find(&inv).Error
		if err != nil {
			return err
		}
		if inv.ID == 0 {
			return ErrInvalidCode
		}
		// One conditional update: of two accounts redeeming the same code at once, one wins.
		res := tx.Model(&StaffInvite{}).
			Where("id = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?", inv.ID, now).
			Updates(map[string]any{"used_at": now, "used_by": citizenID})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrInvalidCode
		}
		if err := tx.Model(&Citizen{}).Where("id = ?", citizenID).
			Updates(map[string]any{"staff_id": inv.StaffID, "updated_at": now}).Error; err != nil {
			return err
		}
		staffID = inv.StaffID
		return nil
	}, s.citizens)
	if err != nil {
		return nil, fmt.Errorf("store: redeem invite: %w", err)
	}
	var st Staff
	if err := s.db.WithContext(ctx).Preload("Window").Preload("Center").First(&st, staffID).Error; err != nil {
		return nil, fmt.Errorf("store: redeem invite: staff %d: %w", staffID, notFound(err))
	}
	return &st, nil
}

// Unbind detaches the chat account citizenID from its staff record; ErrNotBound if it had none.
func (s *Store) Unbind(ctx context.Context, citizenID uint, now time.Time) error {
	err := s.change(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&Citizen{}).Where("id = ? AND staff_id IS NOT NULL", citizenID).
			Updates(map[string]any{"staff_id": nil, "updated_at": now.UTC()})
		if res.Error == nil && res.RowsAffected == 0 {
			return ErrNotBound
		}
		return res.Error
	}, s.citizens)
	if err != nil {
		return fmt.Errorf("store: unbind %d: %w", citizenID, err)
	}
	return nil
}

// RevokeStaff unbinds every chat account of the staff member numbered staffNo and revokes their
// unused codes, in one transaction. It returns how many accounts it unbound; ErrNotFound if there
// is no such staff member.
func (s *Store) RevokeStaff(ctx context.Context, staffNo string, now time.Time) (int, error) {
	st, err := s.StaffByNo(ctx, staffNo)
	if err != nil {
		return 0, fmt.Errorf("store: revoke: %w", err)
	}
	now = now.UTC()
	var n int64
	err = s.change(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&Citizen{}).Where("staff_id = ?", st.ID).
			Updates(map[string]any{"staff_id": nil, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		n = res.RowsAffected
		return tx.Model(&StaffInvite{}).Where("staff_id = ? AND used_at IS NULL AND revoked_at IS NULL", st.ID).
			Update("revoked_at", now).Error
	}, s.citizens)
	if err != nil {
		return 0, fmt.Errorf("store: revoke %s: %w", staffNo, err)
	}
	return int(n), nil
}

// ActorFor is who a chat account acts as: a citizen when st is nil (or holds an unknown role),
// else the staff record's role with its scope. st's Window must be loaded for a supervisor
// assigned through a window.
func ActorFor(citizenID uint, st *Staff) Actor {
	a := Actor{Role: RoleCitizen, CitizenID: citizenID}
	if st == nil {
		return a
	}
	switch st.Role {
	case RoleStaff, RoleLead:
		if st.WindowID == nil {
			return a // a staff record without a window has nothing to act on
		}
		w := *st.WindowID
		a.Role, a.StaffID, a.WindowID = st.Role, st.ID, &w
	case RoleSupervisor:
		a.Role, a.StaffID = RoleSupervisor, st.ID
		if center := SupervisorScope(*st); center != 0 {
			a.CenterID = &center
		}
	case RoleAdmin:
		a.Role, a.StaffID = RoleAdmin, st.ID
	case RoleInspector:
		// A citizen inspector acts on no ticket but the ones their visits opened, as a citizen.
		a.Role, a.StaffID = RoleInspector, st.ID
	}
	return a
}
