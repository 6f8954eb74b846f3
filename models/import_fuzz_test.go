package models_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"image"
	"image/png"
	"io"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"windowbot/internal/testenv"
	"windowbot/models"
)

// importRecord is one record of an import file as the oracle reads it: its editor line and its
// fields, cleaned and trimmed as the importer promises to read them.
type importRecord struct {
	line   int
	fields []string
	utf8   bool
}

// readImportFile reads data as a spreadsheet writes it (Excel's BOM allowed, quoted fields,
// CRLF), independently of the importer: the records up to the first quoting error, and the line
// where that error starts (0 if none).
func readImportFile(data []byte) (recs []importRecord, badQuoteLine int) {
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return recs, 0
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return recs, pe.StartLine
		}
		line, _ := r.FieldPos(0)
		ok := utf8.ValidString(strings.Join(rec, ""))
		for i := range rec {
			if ok {
				rec[i] = models.CleanText(rec[i])
			}
			rec[i] = strings.TrimSpace(rec[i])
		}
		recs = append(recs, importRecord{line: line, fields: rec, utf8: ok})
	}
}

// importOracle is what the oracle expects of an import: the lines that are wrong on their own
// (every one must be named), whether the files as a whole must be accepted, and the rows they hold.
type importOracle struct {
	badLines map[string]map[int]bool // file → lines wrong on their own
	starts   map[string]map[int]bool // file → lines where a record, or a quoting error, starts
	accept   bool
	windows  [][]string // window rows: center code, center name, code, name, department
	staff    [][]string // staff rows: staff_no, name, window code, role, photo
}

// importRow is a data record with the right number of fields, padded to five.
type importRow struct {
	line int
	f    []string
}

// judgeImport applies the documented rules of the import files (models.Import) to the files.
// dbWindows are the upper-case codes of the windows in the database before the import.
func judgeImport(windows, staff []byte, haveWindows, haveStaff bool, dbWindows map[string]bool) importOracle {
	o := importOracle{badLines: map[string]map[int]bool{"windows.csv": {}, "staff.csv": {}},
		starts: map[string]map[int]bool{"windows.csv": {1: true}, "staff.csv": {1: true}}, accept: true}
	validName := func(s string) bool { n := utf8.RuneCountInString(s); return n >= 1 && n <= 200 }
	validStaffNo := func(s string) bool {
		if s == "" || utf8.RuneCountInString(s) > models.MaxCodeLen {
			return false
		}
		for _, r := range s {
			if unicode.IsSpace(r) || !unicode.IsPrint(r) {
				return false
			}
		}
		return true
	}
	// rows returns the data records of a file whose header is right, marking what is wrong.
	rows := func(name string, data []byte, header string, photo bool) []importRow {
		recs, badQuote := readImportFile(data)
		for _, r := range recs {
			o.starts[name][r.line] = true
		}
		if badQuote > 0 {
			o.starts[name][badQuote] = true
			o.accept = false
		}
		if len(recs) == 0 {
			o.accept = false // empty file, or a quoting error in the header
			return nil
		}
		want := strings.Count(header, ",") + 1
		got := strings.Join(recs[0].fields, ",")
		switch {
		case recs[0].utf8 && got == header:
		case recs[0].utf8 && photo && got == header+",photo":
			want++
		default:
			o.badLines[name][recs[0].line] = true
			o.accept = false
			return nil
		}
		var out []importRow
		for _, r := range recs[1:] {
			if strings.Join(r.fields, "") == "" {
				continue
			}
			if !r.utf8 || len(r.fields) != want {
				o.badLines[name][r.line] = true
				o.accept = false
				continue
			}
			out = append(out, importRow{line: r.line, f: append(r.fields, "")[:5]})
		}
		return out
	}
	bad := func(name string, line int) {
		o.badLines[name][line] = true
		o.accept = false
	}

	inFile := map[string]bool{}
	if haveWindows {
		centers, seen := map[string]string{}, map[string]bool{}
		for _, r := range rows("windows.csv", windows, models.WindowsCSVHeader, false) {
			line, centerCode, centerName, code, name, dept := r.line, r.f[0], r.f[1], r.f[2], r.f[3], r.f[4]
			if !models.WindowCodePattern.MatchString(centerCode) || !validName(centerName) ||
				!models.WindowCodePattern.MatchString(code) || !validName(name) || utf8.RuneCountInString(dept) > 200 {
				bad("windows.csv", line)
			}
			if models.WindowCodePattern.MatchString(code) {
				inFile[strings.ToUpper(code)] = true
			}
			key := strings.ToUpper(centerCode)
			if first, ok := centers[key]; ok && first != centerName && centerName != "" {
				o.accept = false // named two ways
			} else if !ok && centerName != "" {
				centers[key] = centerName
			}
			if seen[strings.ToUpper(code)] {
				o.accept = false // duplicate window
			}
			seen[strings.ToUpper(code)] = true
			o.windows = append(o.windows, r.f)
		}
	}
	if haveStaff {
		seen := map[string]bool{}
		for _, r := range rows("staff.csv", staff, models.StaffCSVHeader, true) {
			line, no, name, code, role, photo := r.line, r.f[0], r.f[1], r.f[2], strings.ToLower(r.f[3]), r.f[4]
			switch {
			case !validStaffNo(no), !validName(name),
				role != models.RoleStaff && role != models.RoleSupervisor && role != models.RoleAdmin,
				role == models.RoleStaff && code == "",
				code != "" && !models.WindowCodePattern.MatchString(code):
				bad("staff.csv", line)
			}
			if code != "" && !inFile[strings.ToUpper(code)] && !dbWindows[strings.ToUpper(code)] {
				o.accept = false // unknown window
			}
			if photo != "" && photo != "ok.png" {
				o.accept = false // a photo that cannot be read
			}
			if seen[no] {
				o.accept = false // duplicate staff number
			}
			seen[no] = true
			o.staff = append(o.staff, r.f)
		}
	}
	return o
}

// importSnapshot is every row an import may write.
type importSnapshot struct {
	Centers  []models.Center
	Windows  []models.Window
	Staff    []models.Staff
	Pictures []models.Picture
}

func snapshotImport(t *testing.T, db *gorm.DB) importSnapshot {
	t.Helper()
	var s importSnapshot
	for _, dst := range []any{&s.Centers, &s.Windows, &s.Staff, &s.Pictures} {
		q := db
		if _, ok := dst.(*[]models.Picture); !ok {
			q = q.Order("id")
		} else {
			q = q.Order("hash")
		}
		if err := q.Find(dst).Error; err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// restoreImport puts the rows of before back, in one transaction: what the import added goes,
// what it changed is written back (its UpdatedAt then differs from before: nothing compares it
// across inputs). Rows the import left alone are not written.
func restoreImport(t *testing.T, db *gorm.DB, before, after importSnapshot) {
	t.Helper()
	err := db.Transaction(func(tx *gorm.DB) error {
		var staffIDs, windowIDs, centerIDs []uint
		var hashes []string
		for _, r := range before.Staff {
			staffIDs = append(staffIDs, r.ID)
		}
		for _, r := range before.Windows {
			windowIDs = append(windowIDs, r.ID)
		}
		for _, r := range before.Centers {
			centerIDs = append(centerIDs, r.ID)
		}
		for _, r := range before.Pictures {
			hashes = append(hashes, r.Hash)
		}
		for _, del := range []struct {
			model    any
			col      string
			keep     any
			old, now int
		}{
			{&models.Staff{}, "id", staffIDs, len(before.Staff), len(after.Staff)},
			{&models.Window{}, "id", windowIDs, len(before.Windows), len(after.Windows)},
			{&models.Center{}, "id", centerIDs, len(before.Centers), len(after.Centers)},
			{&models.Picture{}, "hash", hashes, len(before.Pictures), len(after.Pictures)},
		} {
			if del.old == del.now {
				continue // an import adds rows and never deletes: nothing was added
			}
			q := tx.Where("1 = 1")
			if del.old > 0 {
				q = tx.Where(del.col+" NOT IN ?", del.keep)
			}
			if err := q.Delete(del.model).Error; err != nil {
				return err
			}
		}
		for i := range before.Centers {
			if i < len(after.Centers) && !reflect.DeepEqual(before.Centers[i], after.Centers[i]) {
				if err := tx.Omit(clause.Associations).Save(&before.Centers[i]).Error; err != nil {
					return err
				}
			}
		}
		for i := range before.Windows {
			if i < len(after.Windows) && !reflect.DeepEqual(before.Windows[i], after.Windows[i]) {
				if err := tx.Omit(clause.Associations).Save(&before.Windows[i]).Error; err != nil {
					return err
				}
			}
		}
		for i := range before.Staff {
			if i < len(after.Staff) && !reflect.DeepEqual(before.Staff[i], after.Staff[i]) {
				if err := tx.Omit(clause.Associations).Save(&before.Staff[i]).Error; err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("put the database back: %v", err)
	}
}

// FuzzImport imports any windows and staff files (which&1: the windows file is given, which&2:
// the staff file; neither means both) into the demo database, against an oracle that reads the
// files with encoding/csv and the rules documented on models.Import. It holds that:
//   - an import either writes everything or nothing: a refused import (an *ImportError) leaves
//     every center, window, staff member and picture as it was;
//   - a refused import names every line that is wrong on its own (a bad code, name, role or
//     staff number, a wrong number of fields, broken UTF-8, a wrong header), each problem on a
//     line where a record or a quoting error starts, on one line of text;
//   - files the rules accept are imported, and files they refuse are refused;
//   - after an import every row of the files is in the database as written (codes matched
//     case-insensitively), and importing the same files again changes nothing.
//
// The database is put back after each input, so each is judged alone.
func FuzzImport(f *testing.F) {
	type seed struct {
		which          byte
		windows, staff string
	}
	for _, s := range []seed{
		{3, models.WindowsCSVHeader + "\nC01,城东中心,A01,综合窗口,政务办\nC01,城东中心,A02,税务窗口,税务局\r\nC02,城西中心,B01,综合窗口,\n",
			models.StaffCSVHeader + "\nS1,张三,A01,staff\nS2,李四,a02,staff\nS3,王五,B01,supervisor\nS4,赵六,,supervisor\nS5,钱七,,Admin\n"},
		{3, "\xEF\xBB\xBF" + models.WindowsCSVHeader + "\r\nC01,\"城东,中心\",A01,\"综合\"\"窗口\"\"\",政务办\r\n,,,,\r\n", ""},
		{2, "", models.StaffCSVHeader + ",photo\nS1,张三,W001,staff,ok.png\nS2,李四,W001,staff,\nS3,王五,W001,staff,missing.jpg\n"},
		{2, "", models.StaffCSVHeader + "\nS1,张三,W999,staff\nS 2,李四,,boss\n,,W001,staff\nS1,重复,W001,staff\n"},
		{1, models.WindowsCSVHeader + "\nC01,中心\u202e,A01,窗口\x00,政务\u200b办\nC01,别名,A02,窗口,\nbad code,中心,A 3,,\nC01,中心,A01,重复,\n", ""},
		{1, models.WindowsCSVHeader + "\nC01,\"unterminated,A01,x,y\nC02,中心,B01,窗口,\n", ""},
		{1, "window_code,name\nA01,x\n", ""},
		{1, models.WindowsCSVHeader + "\nC01,中心,A01,,政务办\nC01,,A02,窗口,\n,中心,A03,窗口,\n", ""},
		{2, "", models.StaffCSVHeader + "\nS1,,W001,staff\nS2,李四,W001,\nS3,王五,W00_1,supervisor\n"},
		{1, models.WindowsCSVHeader + "\nC01,\xff\xfe,A01,窗口,\n", ""},
		{3, "", ""},
	} {
		f.Add(s.which, []byte(s.windows), []byte(s.staff))
	}
	var png bytes.Buffer
	if err := pngEncode(&png, 2, 3); err != nil {
		f.Fatal(err)
	}
	photo := png.Bytes()
	photos := func(_, name string) ([]byte, error) {
		if name == "ok.png" {
			return photo, nil
		}
		return nil, errors.New("no such file")
	}

	var stores []*models.Store
	for _, url := range testenv.FuzzDatabaseURLs(f) {
		stores = append(stores, testenv.OpenDemoStore(f, url))
	}
	f.Fuzz(func(t *testing.T, which byte, windows, staff []byte) {
		for _, store := range stores {
			checkImport(t, store, photo, photos, which, windows, staff)
		}
	})
}

// checkImport imports the files into store and checks the invariants of FuzzImport.
func checkImport(t *testing.T, store *models.Store, photo []byte, photos func(_, name string) ([]byte, error), which byte, windows, staff []byte) {
	t.Helper()
	db := testenv.DB(t, store)
	haveWindows, haveStaff := which&1 != 0 || which&3 == 0, which&2 != 0 || which&3 == 0
	before := snapshotImport(t, db)
	dbWindows := map[string]bool{}
	for _, w := range before.Windows {
		dbWindows[strings.ToUpper(w.Code)] = true
	}
	o := judgeImport(windows, staff, haveWindows, haveStaff, dbWindows)
	files := func() models.ImportFiles {
		in := models.ImportFiles{WindowsName: "windows.csv", StaffName: "staff.csv", Photos: photos, Now: testenv.Monday10}
		if haveWindows {
			in.Windows = bytes.NewReader(windows)
		}
		if haveStaff {
			in.Staff = bytes.NewReader(staff)
		}
		return in
	}
	_, err := store.ImportFiles(context.Background(), files())
	if err != nil {
		var ie *models.ImportError
		if !errors.As(err, &ie) {
			t.Fatalf("import failed without naming problems: %v", err)
		}
		if o.accept {
			t.Fatalf("files the rules accept were refused:\n%v", err)
		}
		if after := snapshotImport(t, db); !reflect.DeepEqual(after, before) {
			t.Fatalf("a refused import wrote:\n%v", err)
		}
		named := map[string]map[int]bool{"windows.csv": {}, "staff.csv": {}}
		for _, p := range ie.Problems {
			if !o.starts[p.File][p.Line] || p.Reason == "" || strings.ContainsAny(p.Reason, "\r\n") {
				t.Fatalf("problem %q: not on a line where a record starts, or not one line of text", p.String())
			}
			named[p.File][p.Line] = true
		}
		for file, lines := range o.badLines {
			for line := range lines {
				if !named[file][line] {
					t.Fatalf("%s:%d is wrong on its own but not named:\n%v", file, line, err)
				}
			}
		}
		return
	}
	if !o.accept {
		t.Fatalf("files the rules refuse were imported: bad lines %v", o.badLines)
	}
	after := snapshotImport(t, db)
	defer restoreImport(t, db, before, after)
	windowByCode := map[string]models.Window{}
	for _, w := range after.Windows {
		windowByCode[strings.ToUpper(w.Code)] = w
	}
	centerByID := map[uint]models.Center{}
	for _, c := range after.Centers {
		centerByID[c.ID] = c
	}
	for _, r := range o.windows {
		w, ok := windowByCode[strings.ToUpper(r[2])]
		c := centerByID[w.CenterID]
		if !ok || w.Code != r[2] || w.Name != r[3] || w.Department != r[4] || !strings.EqualFold(c.Code, r[0]) || c.Name != r[1] {
			t.Fatalf("window row %q is stored as %+v in %+v", r, w, c)
		}
	}
	staffByNo := map[string]models.Staff{}
	for _, s := range after.Staff {
		staffByNo[s.StaffNo] = s
	}
	for _, r := range o.staff {
		s, ok := staffByNo[r[0]]
		if !ok || s.Name != r[1] || s.Role != strings.ToLower(r[3]) || (r[4] == "ok.png" && s.PhotoHash != models.PictureHash(photo)) {
			t.Fatalf("staff row %q is stored as %+v", r, s)
		}
		if w, ok := windowByCode[strings.ToUpper(r[2])]; r[2] != "" && (!ok || s.CenterID == nil || *s.CenterID != w.CenterID ||
			(s.Role == models.RoleStaff) != (s.WindowID != nil && *s.WindowID == w.ID)) {
			t.Fatalf("staff row %q is stored as %+v (window %+v)", r, s, w)
		}
	}
	res, err := store.ImportFiles(context.Background(), files())
	if err != nil || res != (models.ImportResult{}) {
		t.Fatalf("importing the same files again: %+v, %v", res, err)
	}
	if again := snapshotImport(t, db); !reflect.DeepEqual(again, after) {
		t.Fatal("importing the same files again wrote")
	}
}

// pngEncode writes a gray PNG of w×h.
func pngEncode(w io.Writer, width, height int) error {
	return png.Encode(w, image.NewGray(image.Rect(0, 0, width, height)))
}

// TestLookupsOfCodesNoDatabaseTakes (found by FuzzQuery on PostgreSQL: GET
// /api/v1/windows/%10%00%00%00/stats answered 500): a code, ticket number or staff number with a
// NUL byte or bytes that are not UTF-8 names nothing, on PostgreSQL too, which refuses them in a
// query with an error.
func TestLookupsOfCodesNoDatabaseTakes(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		seeded(t, s)
		for _, code := range []string{"W0\x0001", "\x10\x00", "W\xff", "\xc3"} {
			for what, err := range map[string]error{
				"window": func() error { _, err := s.WindowByCode(ctx, code); return err }(),
				"center": func() error { _, err := s.CenterByCode(ctx, code); return err }(),
				"ticket": func() error { _, err := s.TicketByNo(ctx, code); return err }(),
				"staff":  func() error { _, err := s.StaffByNo(ctx, code); return err }(),
			} {
				if !errors.Is(err, models.ErrNotFound) {
					t.Errorf("%s %q: %v, want not found", what, code, err)
				}
			}
		}
	})
}
