package models

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// CitizenBan stops an abusive chat account from rating and complaining. It is recorded, never
// deleted: lifting a ban sets LiftedAt. The citizen's earlier ratings and tickets stay.
type CitizenBan struct {
	ID        uint     `gorm:"primaryKey"`
	CitizenID uint     `gorm:"not null;index"`
	Citizen   *Citizen `gorm:"foreignKey:CitizenID"`
	Reason    string   `gorm:"size:1000;not null"`
	// StaffID is the supervisor who imposed it; LiftedBy the one who lifted it.
	StaffID   *uint
	CreatedAt time.Time `gorm:"not null"`
	LiftedAt  *time.Time
	LiftedBy  *uint
}

// Sentinel errors of bans.
var (
	// ErrBanned means the citizen is banned from rating and complaining.
	ErrBanned = errors.New("store: citizen is banned")
	// ErrAlreadyBanned means a ban is in force already.
	ErrAlreadyBanned = errors.New("store: citizen already banned")
	// ErrNotBanned means there is no ban in force to lift.
	ErrNotBanned = errors.New("store: citizen not banned")
)

// bansInForce selects the bans in force on the citizen, inside db (a transaction or not).
func bansInForce(db *gorm.DB, citizenID uint) *gorm.DB {
	return db.Model(&CitizenBan{}).Where("citizen_id = ? AND lifted_at IS NULL", citizenID)
}

// banned reports whether a ban is in force on the citizen, inside db (a transaction or not).
func banned(db *gorm.DB, citizenID uint) (bool, error) {
	var n int64
	err := bansInForce(db, citizenID).Limit(1).Count(&n).Error
	return n > 0, err
}

// notBanned returns ErrBanned if a ban is in force on the citizen, inside db: the check of every
// write a banned citizen may not make (rating, complaining, joining a ticket).
func notBanned(db *gorm.DB, citizenID uint) error {
	b, err := banned(db, citizenID)
	if err == nil && b {
		err = ErrBanned
	}
	return err
}

// Banned reports whether a ban is in force on the citizen.
func (s *Store) Banned(ctx context.Context, citizenID uint) (bool, error) {
	b, err := banned(s.db.WithContext(ctx), citizenID)
	if err != nil {
		return false, fmt.Errorf("store: banned %d: %w", citizenID, err)
	}
	return b, nil
}

// BanCitizen records a ban on the citizen by the staff member byStaffID; ErrAlreadyBanned if one
// is in force. The citizen's row is locked first, so two supervisors banning at once record one.
func (s *Store) BanCitizen(ctx context.Context, citizenID, byStaffID uint, reason string, now time.Time) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var c Citizen
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&c, citizenID).Error; err != nil {
			return notFound(err)
		}
		b, err := banned(tx, citizenID)
		if err != nil {
			return err
		}
		if b {
			return ErrAlreadyBanned
		}
		by := byStaffID
		return tx.Create(&CitizenBan{CitizenID: citizenID, Reason: reason, StaffID: &by, CreatedAt: now.UTC()}).Error
	})
	if err != nil {
		return fmt.Errorf("store: ban %d: %w", citizenID, err)
	}
	return nil
}

// UnbanCitizen lifts the ban in force on the citizen; ErrNotBanned if there is none.
func (s *Store) UnbanCitizen(ctx context.Context, citizenID, byStaffID uint, now time.Time) error {
	res := s.db.WithContext(ctx).Model(&CitizenBan{}).Where("citizen_id = ? AND lifted_at IS NULL", citizenID).
		Updates(map[string]any{"lifted_at": now.UTC(), "lifted_by": byStaffID})
	if res.Error != nil {
		return fmt.Errorf("store: unban %d: %w", citizenID, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: unban %d: %w", citizenID, ErrNotBanned)
	}
	return nil
}

// Pseudonyms turns citizen IDs into stable pseudonyms ("C-" and ten letters or digits): an HMAC
// of the ID under a server secret, so supervisors and reports can tell citizens apart, and refer
// to one, without learning the platform identity, and nobody without the secret can map one back.
type Pseudonyms struct{ key []byte }

// NewPseudonyms returns pseudonyms under secret; the same secret gives the same pseudonyms on
// every replica and after restarts.
func NewPseudonyms(secret []byte) *Pseudonyms {
	return &Pseudonyms{key: append([]byte(nil), secret...)}
}

// refPrefix starts every citizen pseudonym.
const refPrefix = "C-"

// Citizen returns the pseudonym of the citizen with id.
func (p *Pseudonyms) Citizen(id uint) string {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte("citizen:" + strconv.FormatUint(uint64(id), 10)))
	// 50 bits: collisions stay unlikely among millions of citizens.
	return refPrefix + base32.StdEncoding.EncodeToString(m.Sum(nil))[:10]
}

// Anonymous returns the pseudonym of the anonymous filing that is ticket id: its own, keyed by
// the ticket and never by the citizen, so that nothing shown of it (a supervisor's view, the
// API, an export, a report) equals the citizen's pseudonym elsewhere or joins to it. It looks
// like any citizen's pseudonym.
func (p *Pseudonyms) Anonymous(ticketID uint) string {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte("anonymous-ticket:" + strconv.FormatUint(uint64(ticketID), 10)))
	return refPrefix + base32.StdEncoding.EncodeToString(m.Sum(nil))[:10]
}

// Of returns how t's filer is named: the anonymous filing's own pseudonym, or the citizen's.
func (p *Pseudonyms) Of(t *Ticket) string {
	if t.Anonymous {
		return p.Anonymous(t.ID)
	}
	return p.Citizen(t.CitizenID)
}

// NormRef reads a typed pseudonym: case and the prefix do not matter.
func NormRef(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, refPrefix)
	return refPrefix + s
}

// CitizenByRef finds the citizen whose pseudonym is ref among those who filed, joined or rated
// something in the center (nil: any center), or who filed an anonymous ticket there whose own
// pseudonym is ref; else ErrNotFound. Pseudonyms cannot be reversed, so it compares the
// pseudonym of each such citizen and anonymous ticket; the scope keeps the candidates few and
// keeps a supervisor from reaching citizens outside their center.
func (s *Store) CitizenByRef(ctx context.Context, p *Pseudonyms, ref string, centerID *uint) (*Citizen, error) {
	ref = NormRef(ref)
	db := s.db.WithContext(ctx)
	sub := func() *gorm.DB { return db.Session(&gorm.Session{NewDB: true}) }
	tickets := sub().Model(&Ticket{}).Select("citizen_id").Where("anonymous = ?", false)
	followers := sub().Model(&TicketFollower{}).Select("ticket_followers.citizen_id").
		Joins("JOIN tickets ON tickets.id = ticket_followers.ticket_id")
	raters := sub().Model(&Rating{}).Select("ratings.citizen_id").Joins("JOIN windows ON windows.id = ratings.window_id")
	anonymous := sub().Model(&Ticket{}).Select("id", "citizen_id").Where("anonymous = ?", true)
	if centerID != nil {
		tickets = tickets.Where("center_id = ?", *centerID)
		followers = followers.Where("tickets.center_id = ?", *centerID)
		raters = raters.Where("windows.center_id = ?", *centerID)
		anonymous = anonymous.Where("center_id = ?", *centerID)
	}
	var ids []uint
	err := db.Model(&Citizen{}).Where("id IN (?) OR id IN (?) OR id IN (?)", tickets, followers, raters).
		Order("id").Pluck("id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("store: citizen by ref: %w", err)
	}
	found := uint(0)
	for _, id := range ids {
		if p.Citizen(id) == ref {
			found = id
			break
		}
	}
	if found == 0 {
		var anon []Ticket
		if err := anonymous.Order("id").Find(&anon).Error; err != nil {
			return nil, fmt.Errorf("store: citizen by ref: %w", err)
		}
		for _, t := range anon {
			if p.Anonymous(t.ID) == ref {
				found = t.CitizenID
				break
			}
		}
	}
	if found == 0 {
		return nil, fmt.Errorf("store: citizen by ref: %w", ErrNotFound)
	}
	var c Citizen
	if err := db.First(&c, found).Error; err != nil {
		return nil, fmt.Errorf("store: citizen by ref: %w", notFound(err))
	}
	return &c, nil
}
