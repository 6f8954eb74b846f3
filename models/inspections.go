package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Kinds of inspection (检查方式) the window service standard names.
const (
	InspectSelf        = "self"        // 自查
	InspectMutual      = "mutual"      // 互查
	InspectOnSite      = "onsite"      // 现场检查
	InspectUnannounced = "unannounced" // 暗访: a supervisor's or a citizen inspector's visit
)

// InspectionKinds lists the kinds in the order they are offered.
var InspectionKinds = []string{InspectSelf, InspectMutual, InspectOnSite, InspectUnannounced}

// Kinds of ticket that supervision opens: a checklist item found not to comply (不符合), and the
// rectification a window among the year's ten worst (十差) is notified of (通报).
const (
	KindInspection    = "inspection"
	KindRectification = "rectification"
)

// Results of a checklist item.
const (
	CheckPass       = "pass"       // 符合
	CheckFail       = "fail"       // 不符合
	CheckUnobserved = "unobserved" // 未观察
)

// CheckResults lists the results of a checklist item.
var CheckResults = []string{CheckPass, CheckFail, CheckUnobserved}

// CheckItem is one item of the window service standard's checklist. Category is the ticket
// category a failed item opens its ticket in. Label is the item's wording for a custom item;
// the standard items (DefaultChecklist) are worded by the catalog (check.<Key>).
type CheckItem struct {
	Key      string
	Category string
	Label    string
}

// DefaultChecklist is the window service standard's checklist: name badge shown (亮牌上岗),
// dress, civil phrases and no forbidden ones, first-asked responsibility (首问负责), every
// material told at once (一次性告知), time limits kept, no leaving the post, a notice when a
// window pauses.
func DefaultChecklist() []CheckItem {
	return []CheckItem{
		{Key: "badge", Category: "attitude"},
		{Key: "dress", Category: "attitude"},
		{Key: "civil", Category: "attitude"},
		{Key: "first_asked", Category: "capability"},
		{Key: "one_time", Category: "capability"},
		{Key: "time_limit", Category: "efficiency"},
		{Key: "on_post", Category: "conduct"},
		{Key: "pause_notice", Category: "efficiency"},
	}
}

// InspectionItem is one checklist item of an inspection: its result, the inspector's comment and
// photo, and the ticket a failed item opened.
type InspectionItem struct {
	ID           uint        `gorm:"primaryKey"`
	InspectionID uint        `gorm:"not null;index"`
	Inspection   *Inspection `gorm:"foreignKey:InspectionID"`
	Item         string      `gorm:"size:40;not null"`
	Result       string      `gorm:"size:10;not null"`
	Comment      string      `gorm:"size:1000;not null;default:''"`
	TicketID     *uint       `gorm:"index"`
	Ticket       *Ticket     `gorm:"foreignKey:TicketID"`
	// The photo, as a TicketAttachment keeps one: the platform's file, or the bytes of a web upload.
	PhotoPlatform string `gorm:"size:20;not null;default:''"`
	PhotoFileID   string `gorm:"size:300;not null;default:''"`
	PhotoMIME     string `gorm:"size:60;not null;default:''"`
	PhotoData     []byte
	CreatedAt     time.Time `gorm:"not null"`
}

// HasPhoto reports whether the item carries a photo.
func (i *InspectionItem) HasPhoto() bool { return i.PhotoFileID != "" || len(i.PhotoData) > 0 }

// VisitItem is a checklist item as recorded in a visit.
type VisitItem struct {
	Key     string
	Result  string
	Comment string
	// Photo is the item's photo, if any (Platform, FileID, MIMEType, Size, Data).
	Photo *TicketAttachment
}

// Visit is a checklist inspection as an inspector or a supervisor recorded it.
type Visit struct {
	Kind     string
	WindowID uint
	// StaffID is who inspected: a citizen inspector's or a supervisor's staff record.
	StaffID uint
	// CitizenID is their chat account: the tickets of failed items are theirs to track.
	CitizenID uint
	Channel   string
	Items     []VisitItem
	Note      string
	At        time.Time
}

// VisitResult is what RecordVisit stored: the inspection, and the tickets its failed items opened.
type VisitResult struct {
	Inspection *Inspection
	Tickets    []Ticket
}

// ErrVisit means a visit cannot be recorded as given (an unknown kind, item or result).
var ErrVisit = errors.New("store: visit not recordable")

// Checklist returns the checklist in force (SupervisionRules.Checklist, or DefaultChecklist).
func (s *Store) Checklist() []CheckItem {
	if len(s.supervision.Checklist) > 0 {
		return s.supervision.Checklist
	}
	return DefaultChecklist()
}

// RecordVisit stores a checklist inspection of a window in one transaction: the inspection with
// its score (the share of the items observed that comply, 0–100; 100 with none observed) and
// findings (the failed items' keys), one row per item, and for every failed item (不符合) a
// ticket of kind inspection in the item's category with its comment and photo. The ticket is
// routed like a bad review that names a person — to the window's leads, or the supervisors
// where it has none, never to its staff — because a finding concerns whoever was on duty.
func (s *Store) RecordVisit(ctx context.Context, v Visit) (*VisitResult, error) {
	if !slices.Contains(InspectionKinds, v.Kind) || v.WindowID == 0 || len(v.Items) == 0 {
		return nil, fmt.Errorf("%w: kind %q, window %d, %d items", ErrVisit, v.Kind, v.WindowID, len(v.Items))
	}
	cats := map[string]string{}
	for _, c := range s.Checklist() {
		cats[c.Key] = c.Category
	}
	pass, fail := 0, 0
	var failed []string
	for _, it := range v.Items {
		if _, ok := cats[it.Key]; !ok {
			return nil, fmt.Errorf("%w: item %q is not on the checklist", ErrVisit, it.Key)
		}
		switch it.Result {
		case CheckPass:
			pass++
		case CheckFail:
			fail++
			failed = append(failed, it.Key)
		case CheckUnobserved:
		default:
			return nil, fmt.Errorf("%w: result %q", ErrVisit, it.Result)
		}
	}
	score := 100
	if pass+fail > 0 {
		score = 100 * pass / (pass + fail)
	}
	findings := strings.Join(failed, ",")
	if findings == "" {
		findings = "-"
	}
	at := v.At.UTC()
	res := &VisitResult{}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var w Window
		if err := tx.Select("id", "center_id").First(&w, v.WindowID).Error; err != nil {
			return fmt.Errorf("window %d: %w", v.WindowID, notFound(err))
		}
		by := v.StaffID
		in := &Inspection{WindowID: w.ID, CenterID: w.CenterID, StaffID: &by, Score: score, Findings: findings,
			Kind: v.Kind, Note: v.Note, Failed: fail, CreatedAt: at}
		if err := tx.Create(in).Error; err != nil {
			return err
		}
		res.Inspection = in
		for _, it := range v.Items {
			row := InspectionItem{InspectionID: in.ID, Item: it.Key, Result: it.Result, Comment: it.Comment, CreatedAt: at}
			if it.Photo != nil {
				row.PhotoPlatform, row.PhotoFileID, row.PhotoMIME, row.PhotoData = it.Photo.Platform, it.Photo.FileID, it.Photo.MIMEType, it.Photo.Data
			}
			if it.Result == CheckFail {
				desc := it.Comment
				if desc == "" {
					desc = it.Key
				}
				wid := w.ID
				t, err := s.openTicket(tx, &Ticket{Kind: KindInspection, CenterID: w.CenterID, WindowID: &wid,
					Category: cats[it.Key], Description: desc, CitizenID: v.CitizenID, Channel: v.Channel}, nil, at, desc, nil)
				if err != nil {
					return fmt.Errorf("ticket of item %s: %w", it.Key, err)
				}
				if it.Photo != nil {
					if err := addAttachments(tx, t.ID, []TicketAttachment{*it.Photo}, at); err != nil {
						return err
					}
				}
				row.TicketID = &t.ID
				res.Tickets = append(res.Tickets, *t)
			}
			if err := tx.Create(&row).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: record visit: %w", err)
	}
	return res, nil
}

// VisitSummary is one of an inspector's visits as they may see it: when, where, how many items
// failed, and the state of each ticket those opened — nothing of ratings or citizens.
type VisitSummary struct {
	Inspection Inspection
	Window     Window
	Items      []InspectionItem
}

// VisitsOf returns the visits recorded by staff record staffID, newest first, at most limit,
// with each item's ticket.
func (s *Store) VisitsOf(ctx context.Context, staffID uint, limit int) ([]VisitSummary, error) {
	var ins []Inspection
	err := s.db.WithContext(ctx).Preload("Window.Center").Where("staff_id = ?", staffID).
		Order("created_at DESC, id DESC").Limit(limit).Find(&ins).Error
	if err != nil {
		return nil, fmt.Errorf("store: visits of %d: %w", staffID, err)
	}
	out := make([]VisitSummary, 0, len(ins))
	for _, in := range ins {
		var items []InspectionItem
		if err := s.db.WithContext(ctx).Preload("Ticket").Where("inspection_id = ?", in.ID).Order("id").Find(&items).Error; err != nil {
			return nil, fmt.Errorf("store: visits of %d: %w", staffID, err)
		}
		vs := VisitSummary{Inspection: in, Items: items}
		if in.Window != nil {
			vs.Window = *in.Window
		}
		out = append(out, vs)
	}
	return out, nil
}

// CreateInspector adds a citizen inspector (市民督察员: a staff record of role inspector, with a
// number of its own, INSP-001 …) and issues their one-time binding code, valid for validity.
func (s *Store) CreateInspector(ctx context.Context, name, phone string, validity time.Duration, now time.Time) (string, *Staff, error) {
	name = strings.TrimSpace(CleanText(name))
	phone = strings.TrimSpace(FoldWidth(phone))
	if !validName(name) || utf8.RuneCountInString(name) > maxNameLen {
		return "", nil, fmt.Errorf("store: create inspector: a name of 1–%d characters is required", maxNameLen)
	}
	if !PhonePattern.MatchString(phone) {
		return "", nil, fmt.Errorf("store: create inspector: %q is not a mobile number", phone)
	}
	var st Staff
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&Staff{}).Where("role = ?", RoleInspector).Count(&n).Error; err != nil {
			return err
		}
		for i := n + 1; ; i++ {
			no := fmt.Sprintf("INSP-%03d", i)
			var taken int64
			if err := tx.Model(&Staff{}).Where("staff_no = ?", no).Count(&taken).Error; err != nil {
				return err
			}
			if taken == 0 {
				st = Staff{StaffNo: no, Name: name, Role: RoleInspector, Phone: phone}
				return tx.Create(&st).Error
			}
		}
	})
	if err != nil {
		return "", nil, fmt.Errorf("store: create inspector: %w", err)
	}
	return s.CreateInvite(ctx, st.StaffNo, validity, now)
}

// PlatformSystem is the platform of the accounts in whose name windowbot itself files tickets
// (the yearly ranking's rectifications): never reachable, so no push goes to them.
const PlatformSystem = "system"

// OpenRectification opens the rectification ticket (通报·限期整改) of a window among the year's ten
// worst (十差), with description saying why, filed by the year's ranking: routed like one that
// names a person — to the window's leads, or the supervisors — and pushed to them and the
// center's supervisors. Once per window and year: a second call returns the ticket already open
// and false.
func (s *Store) OpenRectification(ctx context.Context, windowID uint, year int, description string, at time.Time) (*Ticket, bool, error) {
	var t *Ticket
	opened := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		by := Citizen{Platform: PlatformSystem, ExternalID: fmt.Sprintf("ranking-%d", year), Inactive: true,
			LastSeenAt: at.UTC(), CreatedAt: at.UTC(), UpdatedAt: at.UTC()}
		if err := tx.Where("platform = ? AND external_id = ?", by.Platform, by.ExternalID).FirstOrCreate(&by).Error; err != nil {
			return err
		}
		var existing Ticket
		err := tx.Where("kind = ? AND window_id = ? AND citizen_id = ?", KindRectification, windowID, by.ID).Limit(1).Find(&existing).Error
		if err != nil || existing.ID != 0 {
			t = &existing
			return err
		}
		var w Window
		if err := tx.First(&w, windowID).Error; err != nil {
			return notFound(err)
		}
		wid := w.ID
		t, err = s.openTicket(tx, &Ticket{Kind: KindRectification, CenterID: w.CenterID, WindowID: &wid, Category: CategoryOther,
			Description: Truncate(description, MaxDescriptionRunes), CitizenID: by.ID, Channel: PlatformSystem}, nil, at, description, &by)
		opened = err == nil
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("store: rectification of window %d for %d: %w", windowID, year, err)
	}
	return t, opened, nil
}
