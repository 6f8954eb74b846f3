package models

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Matter is one matter (事项) a window handles, with everything a citizen must bring: the
// one-time notification guide (一次性告知) answers a citizen with all of it at once.
type Matter struct {
	ID       uint    `gorm:"primaryKey"`
	Code     string  `gorm:"size:40;not null;uniqueIndex"`
	Name     string  `gorm:"size:200;not null"`
	WindowID uint    `gorm:"not null;index"`
	Window   *Window `gorm:"foreignKey:WindowID"`
	// Materials are the required materials, one a line (MatterMaterials splits them).
	Materials string `gorm:"type:text;not null"`
	// TimeLimitDays is the promised time limit in working days; 0 is done on the spot (即办).
	TimeLimitDays int    `gorm:"not null;default:0"`
	Fee           string `gorm:"size:200;not null;default:''"`
	Notes         string `gorm:"size:1000;not null;default:''"`
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// MaterialList returns the matter's materials, one an item.
func (m *Matter) MaterialList() []string { return strings.Split(m.Materials, "\n") }

// MattersCSVHeader is the header of the matters file `windowbot import --matters` reads.
const MattersCSVHeader = "matter_code,matter_name,window_code,materials,time_limit_days,fee,notes"

// Limits of a matter's fields, in characters.
const (
	maxMaterials     = 50
	maxMaterialRunes = 200
	maxFeeRunes      = 200
	maxNotesRunes    = 1000
	maxTimeLimitDays = 365
)

// MatterImportResult counts what ImportMatters wrote; re-importing the same file counts nothing.
type MatterImportResult struct {
	Created, Updated int
}

// splitMaterials splits the materials column at the full-width semicolon (；) that the hall's
// lists use, and at an ASCII one typed by mistake; empty items are dropped.
func splitMaterials(s string) []string {
	var out []string
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == '；' || r == ';' }) {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ImportMatters loads the matters of the one-time notification guide from a CSV file with the
// header MattersCSVHeader: materials separated by ；, the time limit in working days (0 for on
// the spot), the fee as text (empty: free). Like Import, every row is checked first and any
// problem refuses the whole file with an *ImportError naming each bad line; otherwise the rows
// are upserted by matter code (case-insensitively) in one transaction, so a re-import updates.
func (s *Store) ImportMatters(ctx context.Context, r io.Reader, name string) (MatterImportResult, error) {
	var problems []ImportProblem
	rows, err := readCSV(r, name, MattersCSVHeader, "", &problems)
	if err != nil {
		return MatterImportResult{}, fmt.Errorf("store: import %s: %w", name, err)
	}
	type row struct {
		line       int
		m          Matter
		windowCode string
	}
	var good []row
	seen := map[string]int{}
	codes := map[string]bool{}
	for _, r := range rows {
		f := r.fields
		ok := true
		check := func(good bool, format string, args ...any) {
			if !good {
				problem(&problems, name, r.line, format, args...)
				ok = false
			}
		}
		code, mname, wcode, days := f[0], f[1], f[2], f[4]
		check(validCode(code), "matter_code %q: want 1–%d letters, digits or '-'", code, MaxCodeLen)
		check(validName(mname), "matter_name: want 1–%d characters, got %d", maxNameLen, utf8.RuneCountInString(mname))
		check(validCode(wcode), "window_code %q: want 1–%d letters, digits or '-'", wcode, MaxCodeLen)
		mats := splitMaterials(f[3])
		check(len(mats) >= 1 && len(mats) <= maxMaterials, "materials: want 1–%d items separated by ；, got %d", maxMaterials, len(mats))
		for _, m := range mats {
			check(utf8.RuneCountInString(m) <= maxMaterialRunes, "materials: %q is longer than %d characters", Truncate(m, 20), maxMaterialRunes)
		}
		n, err := strconv.Atoi(days)
		check(err == nil && n >= 0 && n <= maxTimeLimitDays, "time_limit_days %q: want a whole number of working days, 0–%d", days, maxTimeLimitDays)
		check(utf8.RuneCountInString(f[5]) <= maxFeeRunes, "fee: want at most %d characters", maxFeeRunes)
		check(utf8.RuneCountInString(f[6]) <= maxNotesRunes, "notes: want at most %d characters", maxNotesRunes)
		if validCode(code) {
			key := strings.ToUpper(code)
			if first, dup := seen[key]; dup {
				check(false, "duplicate matter_code %q (first on line %d)", code, first)
			} else {
				seen[key] = r.line
			}
		}
		if validCode(wcode) {
			codes[strings.ToUpper(wcode)] = true
		}
		if ok {
			good = append(good, row{line: r.line, windowCode: strings.ToUpper(wcode), m: Matter{
				Code: code, Name: mname, Materials: strings.Join(mats, "\n"), TimeLimitDays: n, Fee: f[5], Notes: f[6],
			}})
		}
	}
	db := s.db.WithContext(ctx)
	windows, err := windowsByUpperCode(db, slices.Sorted(mapKeys(codes)))
	if err != nil {
		return MatterImportResult{}, fmt.Errorf("store: import %s: %w", name, err)
	}
	for _, r := range rows {
		if wc := r.fields[2]; validCode(wc) {
			if _, ok := windows[strings.ToUpper(wc)]; !ok {
				problem(&problems, name, r.line, "window_code %q: no such window (import it with --windows first)", wc)
			}
		}
	}
	if len(problems) > 0 {
		sort.SliceStable(problems, func(i, j int) bool { return problems[i].Line < problems[j].Line })
		return MatterImportResult{}, &ImportError{Problems: problems}
	}
	var res MatterImportResult
	err = db.Transaction(func(tx *gorm.DB) error {
		for _, r := range good {
			m := r.m
			m.WindowID = windows[r.windowCode].ID
			var old Matter
			if err := tx.Where("UPPER(code) = ?", strings.ToUpper(m.Code)).Limit(1).Find(&old).Error; err != nil {
				return err
			}
			if old.ID == 0 {
				if err := tx.Create(&m).Error; err != nil {
					return err
				}
				res.Created++
				continue
			}
			if old.Name == m.Name && old.WindowID == m.WindowID && old.Materials == m.Materials &&
				old.TimeLimitDays == m.TimeLimitDays && old.Fee == m.Fee && old.Notes == m.Notes {
				continue
			}
			err := tx.Model(&Matter{}).Where("id = ?", old.ID).Updates(map[string]any{
				"name": m.Name, "window_id": m.WindowID, "materials": m.Materials, "time_limit_days": m.TimeLimitDays,
				"fee": m.Fee, "notes": m.Notes, "updated_at": tx.NowFunc(),
			}).Error
			if err != nil {
				return err
			}
			res.Updated++
		}
		return nil
	})
	if err != nil {
		return MatterImportResult{}, fmt.Errorf("store: import %s: %w", name, err)
	}
	s.logger.InfoContext(ctx, "matters imported", "created", res.Created, "updated", res.Updated)
	return res, nil
}

func mapKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// MatterByCode returns a matter with its Window and the window's Center, or ErrNotFound.
func (s *Store) MatterByCode(ctx context.Context, code string) (*Matter, error) {
	if !queryable(code) {
		return nil, fmt.Errorf("store: matter %q: %w", code, ErrNotFound)
	}
	var m Matter
	err := s.db.WithContext(ctx).Preload("Window.Center").Where("UPPER(code) = ?", strings.ToUpper(strings.TrimSpace(code))).First(&m).Error
	if err != nil {
		return nil, fmt.Errorf("store: matter %q: %w", code, notFound(err))
	}
	return &m, nil
}

// MatterByID returns a matter with its Window and the window's Center, or ErrNotFound.
func (s *Store) MatterByID(ctx context.Context, id uint) (*Matter, error) {
	var m Matter
	if err := s.db.WithContext(ctx).Preload("Window.Center").First(&m, id).Error; err != nil {
		return nil, fmt.Errorf("store: matter %d: %w", id, notFound(err))
	}
	return &m, nil
}

// MattersOfWindow returns the matters a window handles, by code.
func (s *Store) MattersOfWindow(ctx context.Context, windowID uint) ([]Matter, error) {
	var ms []Matter
	if err := s.db.WithContext(ctx).Where("window_id = ?", windowID).Order("code").Find(&ms).Error; err != nil {
		return nil, fmt.Errorf("store: matters of window %d: %w", windowID, err)
	}
	return ms, nil
}

// FindMatters returns the matters a citizen's words name, best first, at most limit: the one
// whose code or whole name it is; else those whose name holds the words; else those whose
// name shares most pairs of neighbouring characters with them (营业执照办理 finds 个体工商户营业
// 执照新办), keeping only names that share at least half of the words' pairs.
func (s *Store) FindMatters(ctx context.Context, words string, limit int) ([]Matter, error) {
	q := strings.TrimSpace(words)
	if q == "" || !queryable(q) || limit <= 0 {
		return nil, nil
	}
	var all []Matter
	if err := s.db.WithContext(ctx).Preload("Window.Center").Order("code").Find(&all).Error; err != nil {
		return nil, fmt.Errorf("store: find matters: %w", err)
	}
	return MatchMatters(all, q, limit), nil
}

// MatchMatters is FindMatters' rule over the given matters.
func MatchMatters(all []Matter, words string, limit int) []Matter {
	q := strings.ToUpper(strings.TrimSpace(FoldWidth(words)))
	if q == "" {
		return nil
	}
	for _, m := range all {
		if strings.ToUpper(m.Code) == q || strings.ToUpper(m.Name) == q {
			return []Matter{m}
		}
	}
	var out []Matter
	for _, m := range all {
		if strings.Contains(strings.ToUpper(m.Name), q) {
			out = append(out, m)
		}
	}
	if len(out) > 0 {
		return out[:min(len(out), limit)]
	}
	want := bigrams(q)
	if len(want) == 0 {
		return nil
	}
	type scored struct {
		m     Matter
		score int
	}
	var hits []scored
	for _, m := range all {
		have := bigrams(strings.ToUpper(m.Name))
		n := 0
		for b := range want {
			if have[b] {
				n++
			}
		}
		if 2*n >= len(want) && n > 0 {
			hits = append(hits, scored{m, n})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].score > hits[j].score })
	for _, h := range hits[:min(len(hits), limit)] {
		out = append(out, h.m)
	}
	return out
}

// bigrams are the pairs of neighbouring characters of s, spaces left out.
func bigrams(s string) map[string]bool {
	rs := []rune(strings.ReplaceAll(s, " ", ""))
	out := map[string]bool{}
	for i := 0; i+1 < len(rs); i++ {
		out[string(rs[i:i+2])] = true
	}
	return out
}
