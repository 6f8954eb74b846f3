package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Account is a chat account bound to a staff record: where that person's pushes go.
type Account struct {
	Citizen Citizen
	Staff   Staff
}

// staffOfCenter selects the staff records of a center: those whose CenterID is the center or
// whose window is in it.
func staffOfCenter(db *gorm.DB, centerID uint) *gorm.DB {
	return db.Where("staffs.center_id = ? OR staffs.window_id IN (?)", centerID, windowIDsOfCenter(db, centerID))
}

// windowIDsOfCenter is the subquery of the IDs of a center's windows.
func windowIDsOfCenter(db *gorm.DB, centerID uint) *gorm.DB {
	return db.Session(&gorm.Session{NewDB: true}).Model(&Window{}).Select("id").Where("center_id = ?", centerID)
}

// windowStaff selects the people working at a window: its staff and its leads.
func windowStaff(windowID uint) func(db *gorm.DB) *gorm.DB {
	return func(db *gorm.DB) *gorm.DB {
		return db.Where("role IN ? AND window_id = ?", []string{RoleStaff, RoleLead}, windowID)
	}
}

// accounts returns the active chat accounts of the staff records q selects, by staff number and
// account ID.
func (s *Store) accounts(ctx context.Context, q func(db *gorm.DB) *gorm.DB) ([]Account, error) {
	db := s.db.WithContext(ctx)
	var staff []Staff
	if err := q(db.Model(&Staff{})).Preload("Window").Order("staff_no").Find(&staff).Error; err != nil {
		return nil, err
	}
	if len(staff) == 0 {
		return nil, nil
	}
	ids := make([]uint, len(staff))
	for i, st := range staff {
		ids[i] = st.ID
	}
	var cs []Citizen
	if err := db.Where("staff_id IN ? AND inactive = ?", ids, false).Order("id").Find(&cs).Error; err != nil {
		return nil, err
	}
	byStaff := make(map[uint][]Citizen, len(staff))
	for _, c := range cs {
		byStaff[*c.StaffID] = append(byStaff[*c.StaffID], c)
	}
	out := make([]Account, 0, len(cs))
	for _, st := range staff {
		for _, c := range byStaff[st.ID] {
			out = append(out, Account{Citizen: c, Staff: st})
		}
	}
	return out, nil
}

// CenterStaffAccounts returns the active chat accounts of everybody working in a center: the
// staff of its windows and the supervisors assigned to it.
func (s *Store) CenterStaffAccounts(ctx context.Context, centerID uint) ([]Account, error) {
	out, err := s.accounts(ctx, func(db *gorm.DB) *gorm.DB { return staffOfCenter(db, centerID) })
	if err != nil {
		return nil, fmt.Errorf("store: staff accounts of center %d: %w", centerID, err)
	}
	return out, nil
}

// SupervisorAccounts returns the active chat accounts of every supervisor. A supervisor's
// scope is SupervisorScope of their Staff record.
func (s *Store) SupervisorAccounts(ctx context.Context) ([]Account, error) {
	out, err := s.accounts(ctx, func(db *gorm.DB) *gorm.DB { return db.Where("role = ?", RoleSupervisor) })
	if err != nil {
		return nil, fmt.Errorf("store: supervisor accounts: %w", err)
	}
	return out, nil
}

// SupervisorScope returns the center a supervisor oversees, or 0 for all centers: their
// CenterID, else their window's center, else all. Window must be loaded.
func SupervisorScope(st Staff) uint {
	switch {
	case st.CenterID != nil:
		return *st.CenterID
	case st.Window != nil:
		return st.Window.CenterID
	}
	return 0
}

// SubscribersOfCenter returns the active citizens who opted in to announcements and rated a
// window of the center at or after since; accounts bound to staff are left out.
func (s *Store) SubscribersOfCenter(ctx context.Context, centerID uint, since time.Time) ([]Citizen, error) {
	db := s.db.WithContext(ctx)
	rated := db.Session(&gorm.Session{NewDB: true}).Table("ratings").Select("1").
		Joins("JOIN windows ON windows.id = ratings.window_id").
		Where("ratings.citizen_id = citizens.id AND windows.center_id = ? AND ratings.created_at >= ?", centerID, since.UTC())
	var out []Citizen
	err := db.Where("subscribed = ? AND inactive = ? AND staff_id IS NULL AND EXISTS (?)", true, false, rated).
		Order("id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: subscribers of center %d: %w", centerID, err)
	}
	return out, nil
}

// SetSubscribed records whether a citizen wants announcements (monthly stars, rankings).
func (s *Store) SetSubscribed(ctx context.Context, citizenID uint, on bool, now time.Time) error {
	err := s.change(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&Citizen{}).Where("id = ?", citizenID).
			Updates(map[string]any{"subscribed": on, "updated_at": now.UTC()})
		if res.Error == nil && res.RowsAffected == 0 {
			return ErrNotFound
		}
		return res.Error
	}, s.citizens)
	if err != nil {
		return fmt.Errorf("store: subscribe citizen %d: %w", citizenID, err)
	}
	return nil
}

// WindowStaffAccounts returns the active chat accounts of a window's staff.
func (s *Store) WindowStaffAccounts(ctx context.Context, windowID uint) ([]Account, error) {
	out, err := s.accounts(ctx, windowStaff(windowID))
	if err != nil {
		return nil, fmt.Errorf("store: staff accounts of window %d: %w", windowID, err)
	}
	return out, nil
}
