package models

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Case is one finished service case (办件) of the hall's case system, and its one-time rating
// invitation (一事一评): a rating made through Token records the case, names the case's staff
// member, is counted once per case and does not use up the citizen's rating of the window for
// the day. A staff member's /invite makes a case without a case number.
type Case struct {
	ID uint `gorm:"primaryKey"`
	// CaseNo is the case system's case number (办件编号); nil for an invitation a staff member
	// asked for at the counter without one.
	CaseNo     *string `gorm:"size:64;uniqueIndex:idx_case_no"`
	MatterCode string  `gorm:"size:64;not null;default:''"`
	MatterName string  `gorm:"size:200;not null;default:''"`
	WindowID   uint    `gorm:"not null;index"`
	Window     *Window
	// StaffID is the staff member who handled the case: the one a rating through it rates.
	StaffID    *uint `gorm:"index"`
	Staff      *Staff
	FinishedAt time.Time `gorm:"not null"`
	// Phone is the citizen's mobile number (11 digits), empty when none was given; it is sent
	// to only with Consent.
	Phone   string `gorm:"size:20;not null;default:''"`
	Consent bool   `gorm:"not null;default:false"`
	// Token is the invitation: the web link's ?c=, the Telegram start payload c_TOKEN, the WeChat
	// QR scene c_TOKEN.
	Token     string    `gorm:"size:32;not null;uniqueIndex:idx_case_token"`
	ExpiresAt time.Time `gorm:"not null;index:idx_case_due,priority:2"`
	// CitizenID is the chat account that last opened the invitation: the reminder goes there.
	CitizenID *uint
	// RemindedAt is when the one reminder was queued; nil before.
	RemindedAt *time.Time `gorm:"index:idx_case_due,priority:1"`
	// Source says where the case came from: CaseFromAPI, CaseFromFile or CaseFromCounter.
	Source    string `gorm:"size:10;not null"`
	CreatedAt time.Time
	UpdatedAt time.Time
	// Rated is set by the queries that look: a rating through the invitation exists. It is not
	// a column of cases (Rating.CaseID is the one record of it).
	Rated bool `gorm:"-"`
}

// Where a case came from (Case.Source).
const (
	CaseFromAPI     = "api"
	CaseFromFile    = "file"
	CaseFromCounter = "counter"
)

// CaseLinkPrefix starts the deep-link payload of a case invitation: "/start c_<token>".
const CaseLinkPrefix = "c_"

// CaseTokenPattern is what an invitation token looks like: 22 characters of URL-safe base64,
// which fits a Telegram start payload and a WeChat QR scene after "c_".
var CaseTokenPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`)

// MaxCasesPerRequest is how many cases one registration takes.
const MaxCasesPerRequest = 500

// DefaultCaseExpiryDays is how long an invitation stays valid unless configured.
const DefaultCaseExpiryDays = 15

// Errors of case invitations.
var (
	// ErrCaseRated means a rating through the invitation exists: one case, one rating.
	ErrCaseRated = errors.New("store: case already rated")
	// ErrCaseExpired means the invitation is past its ExpiresAt.
	ErrCaseExpired = errors.New("store: case invitation expired")
)

// NewCase is one case to register, as the case system sends it.
type NewCase struct {
	CaseNo     string `json:"case_no"`
	MatterCode string `json:"matter_code"`
	MatterName string `json:"matter_name"`
	WindowCode string `json:"window_code"`
	StaffNo    string `json:"staff_no"`
	// FinishedAt is RFC 3339 (2026-11-23T10:00:00+08:00) or a date and time in the hall's zone
	// (2026-11-23 10:00:00).
	FinishedAt string `json:"finished_at"`
	Phone      string `json:"phone"`
	Consent    bool   `json:"consent"`
}

// CaseRowError is what is wrong with one row of a registration.
type CaseRowError struct {
	// Row counts from 1 in the request (or from the first data line in a file).
	Row    int    `json:"row"`
	CaseNo string `json:"case_no,omitempty"`
	Reason string `json:"reason"`
}

// CaseError is a registration refused as a whole: nothing of it was written.
type CaseError struct {
	Rows []CaseRowError
}

func (e *CaseError) Error() string {
	parts := make([]string, 0, len(e.Rows))
	for _, r := range e.Rows {
		parts = append(parts, fmt.Sprintf("row %d: %s", r.Row, r.Reason))
	}
	return "store: cases refused: " + strings.Join(parts, "; ")
}

// CaseOptions are the rules of a registration.
type CaseOptions struct {
	// Now is the moment of registration; invitations expire ExpiryDays after it.
	Now        time.Time
	ExpiryDays int
	// Location reads finished_at without a zone (default UTC).
	Location *time.Location
	// Source is stored with new cases (CaseFromAPI, CaseFromFile).
	Source string
	// Invite, when set, returns the pushes that invite the citizen of a new case (an SMS to a
	// phone given with consent); they are queued in the registration's transaction.
	Invite func(tx *gorm.DB, c *Case) ([]*Push, error)
}

// caseNoPattern is what a case number may look like: letters, digits and the punctuation case
// systems use.
var caseNoPattern = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N}._/:#()\-]{0,63}$`)

// NormalizeMobile returns a mainland mobile number as its 11 digits, from the forms people and
// systems write it in (+86, 86 or 0086 in front, spaces or dashes between, full-width digits).
func NormalizeMobile(s string) (string, bool) {
	s = FoldWidth(strings.TrimSpace(s))
	s = strings.NewReplacer(" ", "", "-", "").Replace(s)
	for _, p := range []string{"+86", "0086"} {
		s = strings.TrimPrefix(s, p)
	}
	if len(s) == 13 && strings.HasPrefix(s, "86") {
		s = s[2:]
	}
	return s, PhonePattern.MatchString(s)
}

// parseFinished reads a finished_at value.
func parseFinished(s string, loc *time.Location) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// NewCaseToken returns a fresh invitation token (128 random bits).
func NewCaseToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// RegisterCases registers finished cases and returns their invitations, in the order of in.
// All or nothing: a row that names no window, a staff member not at the window, a malformed
// number or time refuses the whole request with a *CaseError naming every bad row. A case number
// already registered — earlier, by another replica at the same moment, or twice in in — answers
// the invitation it already has, unchanged.
func (s *Store) RegisterCases(ctx context.Context, in []NewCase, o CaseOptions) ([]Case, error) {
	if len(in) == 0 {
		return nil, &CaseError{Rows: []CaseRowError{{Row: 0, Reason: "no cases"}}}
	}
	if len(in) > MaxCasesPerRequest {
		return nil, &CaseError{Rows: []CaseRowError{{Row: 0, Reason: fmt.Sprintf("%d cases: at most %d a request", len(in), MaxCasesPerRequest)}}}
	}
	if o.ExpiryDays <= 0 {
		o.ExpiryDays = DefaultCaseExpiryDays
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.Source == "" {
		o.Source = CaseFromAPI
	}
	db := s.db.WithContext(ctx)

	// The windows and staff named, each read once.
	windowCodes, staffNos := map[string]bool{}, map[string]bool{}
	for _, c := range in {
		windowCodes[strings.TrimSpace(c.WindowCode)] = true
		if no := strings.TrimSpace(c.StaffNo); no != "" {
			staffNos[no] = true
		}
	}
	windows := map[string]Window{}
	var ws []Window
	if err := db.Where("code IN ?", setKeys(windowCodes)).Find(&ws).Error; err != nil {
		return nil, fmt.Errorf("store: register cases: windows: %w", err)
	}
	for _, w := range ws {
		windows[w.Code] = w
	}
	staff := map[string]Staff{}
	if len(staffNos) > 0 {
		var ss []Staff
		if err := db.Where("staff_no IN ?", setKeys(staffNos)).Find(&ss).Error; err != nil {
			return nil, fmt.Errorf("store: register cases: staff: %w", err)
		}
		for _, st := range ss {
			staff[st.StaffNo] = st
		}
	}

	var bad []CaseRowError
	rows := make([]Case, len(in))
	for i, nc := range in {
		row := i + 1
		no := CleanText(strings.TrimSpace(nc.CaseNo))
		fail := func(reason string) {
			bad = append(bad, CaseRowError{Row: row, CaseNo: Truncate(no, 64), Reason: reason})
		}
		if !caseNoPattern.MatchString(no) {
			fail("case_no: want 1-64 letters, digits and . _ / : # ( ) -")
			continue
		}
		c := Case{CaseNo: &no, Source: o.Source, Consent: nc.Consent}
		c.MatterCode = CleanText(strings.TrimSpace(nc.MatterCode))
		c.MatterName = CleanText(strings.TrimSpace(nc.MatterName))
		if utf8.RuneCountInString(c.MatterCode) > 64 {
			fail("matter_code: longer than 64 characters")
		}
		if utf8.RuneCountInString(c.MatterName) > 200 {
			fail("matter_name: longer than 200 characters")
		}
		w, ok := windows[strings.TrimSpace(nc.WindowCode)]
		if !ok {
			fail(fmt.Sprintf("window_code %q: no such window", Truncate(strings.TrimSpace(nc.WindowCode), 40)))
		}
		c.WindowID = w.ID
		if sno := strings.TrimSpace(nc.StaffNo); sno != "" {
			st, found := staff[sno]
			switch {
			case !found:
				fail(fmt.Sprintf("staff_no %q: no such staff member", Truncate(sno, 40)))
			case ok && (st.WindowID == nil || *st.WindowID != w.ID || (st.Role != RoleStaff && st.Role != RoleLead)):
				fail(fmt.Sprintf("staff_no %q: not at window %s", sno, w.Code))
			default:
				id := st.ID
				c.StaffID = &id
			}
		}
		fin, okT := parseFinished(nc.FinishedAt, o.Location)
		switch {
		case !okT:
			fail("finished_at: want RFC 3339 (2026-11-23T10:00:00+08:00) or 2026-11-23 10:00:00")
		case fin.After(o.Now.Add(time.Hour)):
			fail("finished_at: in the future")
		}
		c.FinishedAt = fin.UTC()
		if p := strings.TrimSpace(nc.Phone); p != "" {
			m, okP := NormalizeMobile(p)
			if !okP {
				fail("phone: not a mainland mobile number")
			}
			c.Phone = m
		}
		rows[i] = c
	}
	if len(bad) > 0 {
		return nil, &CaseError{Rows: bad}
	}

	now := o.Now.UTC()
	expires := now.AddDate(0, 0, o.ExpiryDays)
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		nos := make([]string, 0, len(rows))
		for _, c := range rows {
			nos = append(nos, *c.CaseNo)
		}
		existing, err := casesByNo(tx, nos)
		if err != nil {
			return err
		}
		var fresh []*Case
		seen := map[string]bool{}
		for i := range rows {
			no := *rows[i].CaseNo
			if existing[no] != nil || seen[no] {
				continue
			}
			seen[no] = true
			c := rows[i]
			c.Token, c.ExpiresAt, c.CreatedAt, c.UpdatedAt = NewCaseToken(), expires, now, now
			fresh = append(fresh, &c)
		}
		if len(fresh) > 0 {
			// A replica registering the same number at this moment wins; its row is read below.
			res := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "case_no"}}, DoNothing: true}).
				CreateInBatches(fresh, 100)
			if res.Error != nil {
				return res.Error
			}
		}
		all, err := casesByNo(tx, nos)
		if err != nil {
			return err
		}
		if o.Invite != nil {
			for _, c := range fresh {
				got := all[*c.CaseNo]
				if got == nil || got.Token != c.Token {
					continue // another registration made it
				}
				pushes, err := o.Invite(tx, got)
				if err != nil {
					return err
				}
				if err := Enqueue(tx, now, pushes...); err != nil {
					return err
				}
			}
		}
		for i := range rows {
			rows[i] = *all[*rows[i].CaseNo]
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: register cases: %w", err)
	}
	return rows, nil
}

func casesByNo(tx *gorm.DB, nos []string) (map[string]*Case, error) {
	out := make(map[string]*Case, len(nos))
	for _, chunk := range chunks(nos) {
		var cs []Case
		if err := tx.Where("case_no IN ?", chunk).Find(&cs).Error; err != nil {
			return nil, fmt.Errorf("cases by number: %w", err)
		}
		for i := range cs {
			out[*cs[i].CaseNo] = &cs[i]
		}
	}
	return out, nil
}

func setKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// CounterInvite is an invitation a staff member asks for at the counter (/invite).
type CounterInvite struct {
	StaffID uint
	// CaseNo and Phone are optional; a CaseNo already registered answers that case's invitation
	// when it is of the staff member's window.
	CaseNo string
	Phone  string
}

// CreateCounterInvite makes a fresh invitation for the staff member's window and themselves.
// ErrNotFound when the staff member works at no window.
func (s *Store) CreateCounterInvite(ctx context.Context, in CounterInvite, now time.Time, expiryDays int) (*Case, error) {
	st, err := s.StaffByID(ctx, in.StaffID)
	if err != nil {
		return nil, fmt.Errorf("store: counter invite: %w", err)
	}
	if st.WindowID == nil || st.Window == nil {
		return nil, fmt.Errorf("store: counter invite: staff %s works at no window: %w", st.StaffNo, ErrNotFound)
	}
	if in.CaseNo != "" {
		cs, err := s.RegisterCases(ctx, []NewCase{{
			CaseNo: in.CaseNo, WindowCode: st.Window.Code, StaffNo: st.StaffNo,
			FinishedAt: now.UTC().Format(time.RFC3339), Phone: in.Phone, Consent: in.Phone != "",
		}}, CaseOptions{Now: now, ExpiryDays: expiryDays, Source: CaseFromCounter})
		if err != nil {
			return nil, err
		}
		return s.CaseByToken(ctx, cs[0].Token)
	}
	if expiryDays <= 0 {
		expiryDays = DefaultCaseExpiryDays
	}
	sid := st.ID
	c := &Case{WindowID: *st.WindowID, StaffID: &sid, FinishedAt: now.UTC(), Token: NewCaseToken(),
		ExpiresAt: now.UTC().AddDate(0, 0, expiryDays), Source: CaseFromCounter}
	if in.Phone != "" {
		if m, ok := NormalizeMobile(in.Phone); ok {
			c.Phone, c.Consent = m, true
		}
	}
	if err := s.db.WithContext(ctx).Create(c).Error; err != nil {
		return nil, fmt.Errorf("store: counter invite: %w", err)
	}
	return s.CaseByToken(ctx, c.Token)
}

// CaseByToken returns the case of an invitation token with its window (and center) and staff
// member, and whether it was rated. ErrNotFound for an unknown token.
func (s *Store) CaseByToken(ctx context.Context, token string) (*Case, error) {
	if !CaseTokenPattern.MatchString(token) {
		return nil, fmt.Errorf("store: case: %w", ErrNotFound)
	}
	var c Case
	err := s.db.WithContext(ctx).Preload("Window.Center").Preload("Staff").Where("token = ?", token).First(&c).Error
	if err != nil {
		return nil, fmt.Errorf("store: case: %w", notFound(err))
	}
	var n int64
	if err := s.db.WithContext(ctx).Model(&Rating{}).Where("case_id = ?", c.ID).Count(&n).Error; err != nil {
		return nil, fmt.Errorf("store: case: rated: %w", err)
	}
	c.Rated = n > 0
	return &c, nil
}

// OpenCase records that the chat account citizenID opened the invitation, so that the reminder
// reaches them there.
func (s *Store) OpenCase(ctx context.Context, caseID, citizenID uint) error {
	err := s.db.WithContext(ctx).Model(&Case{}).Where("id = ?", caseID).Update("citizen_id", citizenID).Error
	if err != nil {
		return fmt.Errorf("store: open case %d: %w", caseID, err)
	}
	return nil
}

// caseForRating checks, inside CreateRating's transaction, that r may be stored through its
// case: the case exists, is of r's window, has not expired and has no rating. It locks the case's
// row, so two deliveries of the same vote store one rating; the unique index on ratings.case_id
// holds it in any case. r names the case's staff member.
func caseForRating(tx *gorm.DB, r *Rating) error {
	var c Case
	if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&c, *r.CaseID).Error; err != nil {
		return fmt.Errorf("case %d: %w", *r.CaseID, notFound(err))
	}
	if c.WindowID != r.WindowID {
		return fmt.Errorf("case %d is of window %d, not %d: %w", c.ID, c.WindowID, r.WindowID, ErrNotFound)
	}
	var n int64
	if err := tx.Model(&Rating{}).Where("case_id = ?", c.ID).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return ErrCaseRated
	}
	if !r.CreatedAt.IsZero() && r.CreatedAt.After(c.ExpiresAt) {
		return ErrCaseExpired
	}
	r.StaffID = c.StaffID
	return nil
}

// PlatformSMS is the platform of a phone number a citizen gave with consent: a recipient of
// pushes by text message (bot.SMS), never a chat.
const PlatformSMS = "sms"

// smsCitizen returns the recipient row of a mobile number (11 digits), creating it.
func smsCitizen(tx *gorm.DB, phone string, now time.Time) (*Citizen, error) {
	c := Citizen{Platform: PlatformSMS, ExternalID: "+86" + phone, LastSeenAt: now.UTC()}
	err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "platform"}, {Name: "external_id"}}, DoNothing: true}).
		Create(&c).Error
	if err != nil {
		return nil, fmt.Errorf("sms recipient: %w", err)
	}
	var out Citizen
	if err := tx.Where("platform = ? AND external_id = ?", PlatformSMS, c.ExternalID).First(&out).Error; err != nil {
		return nil, fmt.Errorf("sms recipient: %w", err)
	}
	return &out, nil
}

// CaseMessage is the message of a case's invitation or reminder: window, matter, the web link
// (SMS) and expiry.
func caseMessage(tx *gorm.DB, key string, c *Case, link string) (*PushMessage, error) {
	var w Window
	if err := tx.Preload("Center").First(&w, c.WindowID).Error; err != nil {
		return nil, fmt.Errorf("case %d: window: %w", c.ID, err)
	}
	matter := ""
	if c.MatterName != "" {
		matter = "「" + c.MatterName + "」"
	}
	m := msg(key).set("Place", w.Place()).set("Matter", matter).set("Link", link).day("Due", c.ExpiresAt)
	return m, nil
}

// CaseSMSInvite returns the CaseOptions.Invite that texts the citizen of a new case whose phone
// was given with consent (短信邀评): a push of KindCaseInvite to the number, with the web link of
// the invitation made by link.
func CaseSMSInvite(link func(token string) string) func(tx *gorm.DB, c *Case) ([]*Push, error) {
	return func(tx *gorm.DB, c *Case) ([]*Push, error) {
		if c.Phone == "" || !c.Consent {
			return nil, nil
		}
		to, err := smsCitizen(tx, c.Phone, c.CreatedAt)
		if err != nil {
			return nil, err
		}
		m, err := caseMessage(tx, "n_case_invite", c, link(c.Token))
		if err != nil {
			return nil, err
		}
		return []*Push{{DedupeKey: fmt.Sprintf("case_invite:%d:c%d", c.ID, to.ID), Kind: KindCaseInvite, CitizenID: to.ID, Message: m}}, nil
	}
}

// RemindCases queues the one reminder of each invitation that is still unrated after, has not
// expired and was not reminded: to the chat account that opened it, else by SMS to a phone given
// with consent. Invitations with neither are marked reminded without a push. It returns how
// many reminders were queued.
func (s *Store) RemindCases(ctx context.Context, now time.Time, after time.Duration, link func(token string) string) (int, error) {
	now = now.UTC()
	var due []Case
	err := s.db.WithContext(ctx).
		Where("reminded_at IS NULL AND expires_at > ? AND created_at <= ?", now, now.Add(-after)).
		Where("NOT EXISTS (SELECT 1 FROM ratings WHERE ratings.case_id = cases.id)").
		Where("citizen_id IS NOT NULL OR (phone <> '' AND consent = ?)", true).
		Order("id").Limit(1000).Find(&due).Error
	if err != nil {
		return 0, fmt.Errorf("store: remind cases: %w", err)
	}
	n := 0
	for i := range due {
		c := &due[i]
		err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			// Claimed by the update: a second replica running the job at once updates nothing.
			res := tx.Model(&Case{}).Where("id = ? AND reminded_at IS NULL", c.ID).Update("reminded_at", now)
			if res.Error != nil || res.RowsAffected == 0 {
				return res.Error
			}
			var p *Push
			var to Citizen
			if c.CitizenID != nil {
				if err := tx.Where("id = ? AND inactive = ?", *c.CitizenID, false).Limit(1).Find(&to).Error; err != nil {
					return err
				}
			}
			switch {
			case to.ID != 0:
				m, err := caseMessage(tx, "n_case_reminder_chat", c, "")
				if err != nil {
					return err
				}
				m.Buttons = [][]PushButton{{{Key: "btn_rate_case", Payload: "cmd:/start " + CaseLinkPrefix + c.Token}}}
				p = &Push{Kind: KindCaseReminder, CitizenID: to.ID, Message: m}
			case c.Phone != "" && c.Consent:
				sms, err := smsCitizen(tx, c.Phone, now)
				if err != nil {
					return err
				}
				m, err := caseMessage(tx, "n_case_reminder", c, link(c.Token))
				if err != nil {
					return err
				}
				p = &Push{Kind: KindCaseReminder, CitizenID: sms.ID, Message: m}
			default:
				return nil
			}
			p.DedupeKey = fmt.Sprintf("case_reminder:%d:c%d", c.ID, p.CitizenID)
			added, err := EnqueueNew(tx, now, p)
			n += added
			return err
		})
		if err != nil {
			return n, fmt.Errorf("store: remind case %d: %w", c.ID, err)
		}
	}
	return n, nil
}
