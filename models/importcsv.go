package models

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"
)

// The exact CSV headers Import accepts.
const (
	// WindowsCSVHeader is the header of the windows file.
	WindowsCSVHeader = "center_code,center_name,window_code,window_name,department"
	// StaffCSVHeader is the header of the staff file. A last column photo may follow (see
	// StaffPhotoColumn).
	StaffCSVHeader = "staff_no,name,window_code,role"
	// StaffPhotoColumn is the optional last column of the staff file: a staff member's photo for
	// their poster (亮牌上岗) and the service star's, as a file, or a folder holding STAFFNO.jpg.
	// Import reads it through ImportFiles.Photos.
	StaffPhotoColumn = "photo"
)

// ImportFiles is what ImportFiles reads: the windows file, the staff file (either may be nil),
// their names for problems, and how to read the photos the staff file names.
type ImportFiles struct {
	Windows     io.Reader
	WindowsName string
	Staff       io.Reader
	StaffName   string
	// Photos reads the photo of a staff row: photo is the row's photo column (a file, or a
	// folder holding STAFFNO.jpg), never empty. Its error becomes a problem of that row. Nil
	// refuses a staff file whose photo column names anything.
	Photos func(staffNo, photo string) ([]byte, error)
	// Now stamps the pictures stored.
	Now time.Time
}

const (
	maxNameLen = 200 // names and departments, in runes
	importIN   = 500 // codes per IN (…) list and rows per INSERT: far below both databases' limits
)

// ImportResult counts what Import wrote. Updated counts only rows whose values changed, so
// re-importing the same files reports nothing created or updated.
type ImportResult struct {
	CentersCreated, CentersUpdated int
	WindowsCreated, WindowsUpdated int
	StaffCreated, StaffUpdated     int
}

// ImportProblem is one thing wrong with an import file.
type ImportProblem struct {
	File string
	// Line is the line as a text editor numbers it: the header is line 1.
	Line   int
	Reason string
}

// String formats the problem as file:line: reason.
func (p ImportProblem) String() string { return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Reason) }

// ImportError lists every problem found in the import files; Import wrote nothing.
type ImportError struct {
	Problems []ImportProblem
}

// Error lists the problems one per line as file:line: reason, ready to show an administrator.
func (e *ImportError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Import loads centers, windows and staff from the administrator's CSV files (see
// WindowsCSVHeader and StaffCSVHeader; Excel's UTF-8 BOM and CRLF line ends are accepted, blank
// rows skipped). Either reader may be nil to import only the other file; the names label problems.
//
// Every row is validated before anything is written; if any row is bad the result is an
// *ImportError listing all problems and the database is untouched. Otherwise all rows are
// upserted in one transaction keyed by center code, window code (both case-insensitively) and
// staff number: a re-import updates names, departments, roles and assignments and never
// duplicates. Rows absent from the files are left alone; nothing is ever deleted.
//
// Staff with role staff or lead (窗口/科室负责人; the role column may also say 工作人员, 负责人,
// 督查 or 管理员) need a window_code, from the windows file or already in the database. A
// supervisor's or admin's window_code is optional: empty means all centers, a window code means
// that window's center (CenterID set, WindowID nil).
func (s *Store) Import(ctx context.Context, windows io.Reader, windowsName string, staff io.Reader, staffName string) (ImportResult, error) {
	return s.ImportFiles(ctx, ImportFiles{Windows: windows, WindowsName: windowsName, Staff: staff, StaffName: staffName, Now: time.Now()})
}

// ImportFiles is Import with staff photos: a staff file may end in a photo column
// (StaffPhotoColumn), read through in.Photos. Each photo must be a JPEG or PNG image
// (NewPicture); it is stored among the pictures and becomes the staff member's photo. A row
// whose photo is empty keeps the photo it has.
func (s *Store) ImportFiles(ctx context.Context, in ImportFiles) (ImportResult, error) {
	windows, windowsName, staff, staffName := in.Windows, in.WindowsName, in.Staff, in.StaffName
	v := importValidation{
		windowsFile: windowsName, staffFile: staffName, photos: in.Photos, now: in.Now,
		centerByKey: map[string]*importCenter{}, windowByKey: map[string]*importWindow{},
	}
	if windows != nil {
		rows, err := readCSV(windows, windowsName, WindowsCSVHeader, "", &v.windowProblems)
		if err != nil {
			return ImportResult{}, fmt.Errorf("store: import %s: %w", windowsName, err)
		}
		v.windows(rows)
	}
	if staff != nil {
		rows, err := readCSV(staff, staffName, StaffCSVHeader, StaffPhotoColumn, &v.staffProblems)
		if err != nil {
			return ImportResult{}, fmt.Errorf("store: import %s: %w", staffName, err)
		}
		v.staff(rows)
	}
	if err := v.resolveDBWindows(s.db.WithContext(ctx)); err != nil {
		return ImportResult{}, fmt.Errorf("store: import: %w", err)
	}
	if len(v.windowProblems)+len(v.staffProblems) > 0 {
		byLine := func(ps []ImportProblem) {
			sort.SliceStable(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
		}
		byLine(v.windowProblems)
		byLine(v.staffProblems)
		return ImportResult{}, &ImportError{Problems: append(v.windowProblems, v.staffProblems...)}
	}

	var res ImportResult
	err := s.change(ctx, func(tx *gorm.DB) error {
		var err error
		res, err = v.write(tx)
		return err
	}, s.places)
	if err != nil {
		return ImportResult{}, fmt.Errorf("store: import: %w", err)
	}
	s.logger.InfoContext(ctx, "import done",
		"centers_created", res.CentersCreated, "centers_updated", res.CentersUpdated,
		"windows_created", res.WindowsCreated, "windows_updated", res.WindowsUpdated,
		"staff_created", res.StaffCreated, "staff_updated", res.StaffUpdated)
	return res, nil
}

// csvRow is one data row with its editor line number; fields are trimmed.
type csvRow struct {
	line   int
	fields []string
}

// readCSV reads a whole file, checking the header: header, or header and the optional last
// column. Problems with the content are appended to problems; only a failure to read is
// returned as an error. Rows of a file without the optional column get it empty.
func readCSV(r io.Reader, name, header, optional string, problems *[]ImportProblem) ([]csvRow, error) {
	br := bufio.NewReader(r)
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte("\xEF\xBB\xBF")) {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1 // counted per row below, so every bad row is reported
	add := func(line int, format string, args ...any) {
		*problems = append(*problems, ImportProblem{File: name, Line: line, Reason: fmt.Sprintf(format, args...)})
	}
	want, nFields := header, strings.Count(header, ",")+1
	padded := false
	var rows []csvRow
	first := true
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			if first {
				add(1, "empty file: want the header %q", want)
			}
			return rows, nil
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			// The reader cannot be trusted to find the next row after a quoting error. The row
			// where the broken field starts is where the administrator has to look.
			add(pe.StartLine, "%v; the rest of the file was not checked", pe.Err)
			return rows, nil
		}
		if err != nil {
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		for i := range rec {
			// Names reach citizens' buttons and staff views: cleaned like text from a channel.
			// Bytes that are not UTF-8 are left for the check below, which names the file's
			// encoding as the problem.
			if utf8.ValidString(rec[i]) {
				rec[i] = CleanText(rec[i])
			}
			rec[i] = strings.TrimSpace(rec[i])
		}
		if first {
			first = false
			got := strings.Join(rec, ",")
			switch {
			case got == want:
				padded = optional != ""
			case optional != "" && got == want+","+optional:
				want, nFields = got, nFields+1
			default:
				if optional != "" {
					want += "[," + optional + "]"
				}
				add(line, "header must be %q, got %q", want, got)
				return nil, nil // columns unknown: the rows cannot be checked
			}
			continue
		}
		if strings.Join(rec, "") == "" {
			continue // spreadsheets export trailing blank rows as ",,,,"
		}
		if !utf8.ValidString(strings.Join(rec, "")) {
			add(line, "not valid UTF-8: save the file as \"CSV UTF-8\"")
			continue
		}
		if len(rec) != nFields {
			add(line, "want %d fields (%s), got %d", nFields, want, len(rec))
			continue
		}
		if padded {
			rec = append(rec, "")
		}
		rows = append(rows, csvRow{line: line, fields: rec})
	}
}

// importValidation collects the checked rows of both files and every problem found.
type importValidation struct {
	windowsFile, staffFile        string
	windowProblems, staffProblems []ImportProblem

	centers     []*importCenter          // in order of first appearance
	centerByKey map[string]*importCenter // by upper-case code
	windowRows  []*importWindow
	windowByKey map[string]*importWindow
	staffRows   []*importStaff
	photos      func(staffNo, photo string) ([]byte, error)
	now         time.Time
	// dbWindows are windows named by staff rows but absent from the windows file, by upper-case
	// code, as found in the database before writing.
	dbWindows map[string]Window
}

type importCenter struct {
	line       int
	code, name string
}

type importWindow struct {
	line                              int
	centerKey, code, name, department string
}

type importStaff struct {
	line                            int
	staffNo, name, role, windowCode string
	// photo is the picture read for the row, nil for none.
	photo *Picture
}

// readPhoto reads and checks the photo of a staff row, or records why it cannot and returns nil.
func (v *importValidation) readPhoto(line int, staffNo, photo string) *Picture {
	if v.photos == nil {
		problem(&v.staffProblems, v.staffFile, line, "photo %q: photos cannot be read here", photo)
		return nil
	}
	data, err := v.photos(staffNo, photo)
	if err == nil {
		var p *Picture
		if p, err = NewPicture(data); err == nil {
			return p
		}
	}
	problem(&v.staffProblems, v.staffFile, line, "photo %q: %v", photo, err)
	return nil
}

func problem(ps *[]ImportProblem, file string, line int, format string, args ...any) {
	*ps = append(*ps, ImportProblem{File: file, Line: line, Reason: fmt.Sprintf(format, args...)})
}

func (v *importValidation) windows(rows []csvRow) {
	for _, r := range rows {
		centerCode, centerName, code, name, dept := r.fields[0], r.fields[1], r.fields[2], r.fields[3], r.fields[4]
		ok := true
		check := func(good bool, format string, args ...any) {
			if !good {
				problem(&v.windowProblems, v.windowsFile, r.line, format, args...)
				ok = false
			}
		}
		check(validCode(centerCode), "center_code %q: want 1–%d letters, digits or '-'", centerCode, MaxCodeLen)
		check(validName(centerName), "center_name: want 1–%d characters, got %d", maxNameLen, utf8.RuneCountInString(centerName))
		check(validCode(code), "window_code %q: want 1–%d letters, digits or '-'", code, MaxCodeLen)
		check(validName(name), "window_name: want 1–%d characters, got %d", maxNameLen, utf8.RuneCountInString(name))
		check(utf8.RuneCountInString(dept) <= maxNameLen, "department: want at most %d characters, got %d", maxNameLen, utf8.RuneCountInString(dept))
		if validCode(centerCode) && centerName != "" {
			key := strings.ToUpper(centerCode)
			if c, seen := v.centerByKey[key]; !seen {
				v.centerByKey[key] = &importCenter{line: r.line, code: centerCode, name: centerName}
				v.centers = append(v.centers, v.centerByKey[key])
			} else {
				check(c.name == centerName, "center_code %q is named %q here but %q on line %d", centerCode, centerName, c.name, c.line)
			}
		}
		if validCode(code) {
			key := strings.ToUpper(code)
			if w, seen := v.windowByKey[key]; seen {
				check(false, "duplicate window_code %q (first on line %d)", code, w.line)
				continue
			}
			w := &importWindow{line: r.line, centerKey: strings.ToUpper(centerCode), code: code, name: name, department: dept}
			// Staff rows may name a window whose row has other problems; it still counts as known.
			v.windowByKey[key] = w
			if ok {
				v.windowRows = append(v.windowRows, w)
			}
		}
	}
}

// staffRoleNames are the Chinese names of the roles a staff file may use instead of the codes.
var staffRoleNames = map[string]string{
	"工作人员": RoleStaff, "窗口工作人员": RoleStaff,
	"负责人": RoleLead, "窗口负责人": RoleLead, "科室负责人": RoleLead,
	"督查": RoleSupervisor, "督查人员": RoleSupervisor, "管理员": RoleAdmin,
}

// staffRole reads the role column: a code (staff, lead, supervisor, admin) or its Chinese name.
func staffRole(s string) string {
	s = strings.TrimSpace(s)
	if r, ok := staffRoleNames[s]; ok {
		return r
	}
	return strings.ToLower(s)
}

func (v *importValidation) staff(rows []csvRow) {
	byNo := map[string]int{}
	for _, r := range rows {
		no, name, code, role := r.fields[0], r.fields[1], r.fields[2], staffRole(r.fields[3])
		ok := true
		check := func(good bool, format string, args ...any) {
			if !good {
				problem(&v.staffProblems, v.staffFile, r.line, format, args...)
				ok = false
			}
		}
		check(validStaffNo(no), "staff_no %q: want 1–%d characters without spaces", no, MaxCodeLen)
		check(validName(name), "name: want 1–%d characters, got %d", maxNameLen, utf8.RuneCountInString(name))
		switch role {
		case RoleStaff, RoleLead:
			check(code != "", "window_code is required for role %s", role)
		case RoleSupervisor, RoleAdmin:
		default:
			check(false, "role %q: want staff, lead, supervisor or admin", r.fields[3])
		}
		check(code == "" || validCode(code), "window_code %q: want 1–%d letters, digits or '-'", code, MaxCodeLen)
		if no != "" {
			if first, seen := byNo[no]; seen {
				check(false, "duplicate staff_no %q (first on line %d)", no, first)
			} else {
				byNo[no] = r.line
			}
		}
		var pic *Picture
		if photo := r.fields[4]; photo != "" && ok {
			pic = v.readPhoto(r.line, no, photo)
			ok = pic != nil
		}
		if ok {
			v.staffRows = append(v.staffRows, &importStaff{line: r.line, staffNo: no, name: name, role: role, windowCode: code, photo: pic})
		}
	}
}

// resolveDBWindows looks up, in the database, the windows that staff rows name but the windows
// file does not, and reports those that exist nowhere.
func (v *importValidation) resolveDBWindows(db *gorm.DB) error {
	var missing []string
	seen := map[string]bool{}
	for _, st := range v.staffRows {
		key := strings.ToUpper(st.windowCode)
		if key == "" || seen[key] {
			continue
		}
		seen[key] = true
		if _, inFile := v.windowByKey[key]; !inFile {
			missing = append(missing, key)
		}
	}
	found, err := windowsByUpperCode(db, missing)
	if err != nil {
		return err
	}
	v.dbWindows = found
	var kept []*importStaff
	for _, st := range v.staffRows {
		key := strings.ToUpper(st.windowCode)
		_, inFile := v.windowByKey[key]
		_, inDB := found[key]
		if key != "" && !inFile && !inDB {
			problem(&v.staffProblems, v.staffFile, st.line, "unknown window_code %q: not in the windows file nor in the database", st.windowCode)
			continue
		}
		kept = append(kept, st)
	}
	v.staffRows = kept
	return nil
}

// write upserts the validated rows; it runs in the import transaction.
func (v *importValidation) write(tx *gorm.DB) (ImportResult, error) {
	var res ImportResult

	// Centers.
	centerKeys := make([]string, 0, len(v.centers))
	for _, c := range v.centers {
		centerKeys = append(centerKeys, strings.ToUpper(c.code))
	}
	existingCenters := map[string]Center{}
	for _, part := range chunks(centerKeys) {
		var cs []Center
		if err := tx.Where("UPPER(code) IN ?", part).Find(&cs).Error; err != nil {
			return res, fmt.Errorf("load centers: %w", err)
		}
		for _, c := range cs {
			existingCenters[strings.ToUpper(c.Code)] = c
		}
	}
	centerID := map[string]uint{}
	var newCenters []Center
	for _, c := range v.centers {
		key := strings.ToUpper(c.code)
		old, ok := existingCenters[key]
		if !ok {
			newCenters = append(newCenters, Center{Code: c.code, Name: c.name})
			continue
		}
		centerID[key] = old.ID
		if old.Code != c.code || old.Name != c.name {
			err := tx.Model(&Center{ID: old.ID}).Updates(map[string]any{"code": c.code, "name": c.name}).Error
			if err != nil {
				return res, fmt.Errorf("update center %s: %w", c.code, err)
			}
			res.CentersUpdated++
		}
	}
	if len(newCenters) > 0 {
		if err := tx.CreateInBatches(&newCenters, importIN).Error; err != nil {
			return res, fmt.Errorf("create centers: %w", err)
		}
		for _, c := range newCenters {
			centerID[strings.ToUpper(c.Code)] = c.ID
		}
		res.CentersCreated = len(newCenters)
	}

	// Windows.
	windowKeys := make([]string, 0, len(v.windowRows))
	for _, w := range v.windowRows {
		windowKeys = append(windowKeys, strings.ToUpper(w.code))
	}
	existingWindows, err := windowsByUpperCode(tx, windowKeys)
	if err != nil {
		return res, err
	}
	windowByKey := map[string]Window{}
	var newWindows []Window
	for _, w := range v.windowRows {
		key := strings.ToUpper(w.code)
		want := Window{Code: w.code, Name: w.name, Department: w.department, CenterID: centerID[w.centerKey]}
		old, ok := existingWindows[key]
		if !ok {
			newWindows = append(newWindows, want)
			continue
		}
		want.ID = old.ID
		windowByKey[key] = want
		if old.Code != want.Code || old.Name != want.Name || old.Department != want.Department || old.CenterID != want.CenterID {
			err := tx.Model(&Window{ID: old.ID}).Updates(map[string]any{
				"code": want.Code, "name": want.Name, "department": want.Department, "center_id": want.CenterID,
			}).Error
			if err != nil {
				return res, fmt.Errorf("update window %s: %w", w.code, err)
			}
			res.WindowsUpdated++
		}
	}
	if len(newWindows) > 0 {
		if err := tx.CreateInBatches(&newWindows, importIN).Error; err != nil {
			return res, fmt.Errorf("create windows: %w", err)
		}
		for _, w := range newWindows {
			windowByKey[strings.ToUpper(w.Code)] = w
		}
		res.WindowsCreated = len(newWindows)
	}

	// Staff. Windows named only by staff rows are read again inside the transaction.
	var dbKeys []string
	for key := range v.dbWindows {
		dbKeys = append(dbKeys, key)
	}
	dbWindows, err := windowsByUpperCode(tx, dbKeys)
	if err != nil {
		return res, err
	}
	for key, w := range dbWindows {
		windowByKey[key] = w
	}
	staffNos := make([]string, 0, len(v.staffRows))
	for _, st := range v.staffRows {
		staffNos = append(staffNos, st.staffNo)
	}
	existingStaff := map[string]Staff{}
	for _, part := range chunks(staffNos) {
		var ss []Staff
		if err := tx.Where("staff_no IN ?", part).Find(&ss).Error; err != nil {
			return res, fmt.Errorf("load staff: %w", err)
		}
		for _, st := range ss {
			existingStaff[st.StaffNo] = st
		}
	}
	var newStaff []Staff
	for _, st := range v.staffRows {
		want := Staff{StaffNo: st.staffNo, Name: st.name, Role: st.role}
		if st.photo != nil {
			if err := savePicture(tx, v.now, st.photo); err != nil {
				return res, err
			}
			want.PhotoHash = st.photo.Hash
		}
		if st.windowCode != "" {
			w, ok := windowByKey[strings.ToUpper(st.windowCode)]
			if !ok {
				return res, fmt.Errorf("staff %s: window %s: %w", st.staffNo, st.windowCode, ErrNotFound)
			}
			cid := w.CenterID
			want.CenterID = &cid
			if st.role == RoleStaff || st.role == RoleLead {
				wid := w.ID
				want.WindowID = &wid
			}
		}
		old, ok := existingStaff[st.staffNo]
		if !ok {
			newStaff = append(newStaff, want)
			continue
		}
		if want.PhotoHash == "" {
			want.PhotoHash = old.PhotoHash // no photo in the file: the one imported before stays
		}
		if old.Name != want.Name || old.Role != want.Role || !sameID(old.WindowID, want.WindowID) || !sameID(old.CenterID, want.CenterID) || old.PhotoHash != want.PhotoHash {
			err := tx.Model(&Staff{ID: old.ID}).Updates(map[string]any{
				"name": want.Name, "role": want.Role, "window_id": want.WindowID, "center_id": want.CenterID, "photo_hash": want.PhotoHash,
			}).Error
			if err != nil {
				return res, fmt.Errorf("update staff %s: %w", st.staffNo, err)
			}
			res.StaffUpdated++
		}
	}
	if len(newStaff) > 0 {
		if err := tx.CreateInBatches(&newStaff, importIN).Error; err != nil {
			return res, fmt.Errorf("create staff: %w", err)
		}
		res.StaffCreated = len(newStaff)
	}
	return res, nil
}

// windowsByUpperCode loads the windows with the given upper-case codes, keyed by upper-case code.
func windowsByUpperCode(db *gorm.DB, keys []string) (map[string]Window, error) {
	out := make(map[string]Window, len(keys))
	for _, part := range chunks(keys) {
		var ws []Window
		if err := db.Where("UPPER(code) IN ?", part).Find(&ws).Error; err != nil {
			return nil, fmt.Errorf("load windows: %w", err)
		}
		for _, w := range ws {
			out[strings.ToUpper(w.Code)] = w
		}
	}
	return out, nil
}

func chunks(keys []string) [][]string {
	var out [][]string
	for len(keys) > 0 {
		n := min(len(keys), importIN)
		out = append(out, keys[:n])
		keys = keys[n:]
	}
	return out
}

func sameID(a, b *uint) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// validCode reports whether s is a window or center code (WindowCodePattern): codes are printed
// on posters and typed by citizens, so nothing else is allowed.
func validCode(s string) bool { return WindowCodePattern.MatchString(s) }

// validStaffNo allows any printable characters except spaces: HR systems differ in format.
func validStaffNo(s string) bool {
	if s == "" || utf8.RuneCountInString(s) > MaxCodeLen {
		return false
	}
	for _, r := range s {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

func validName(s string) bool {
	n := utf8.RuneCountInString(s)
	return n >= 1 && n <= maxNameLen
}
