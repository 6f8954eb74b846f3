package models_test

import (
	"errors"
	"strings"
	"testing"

	"windowbot/models"
)

const (
	windowsHeader = "center_code,center_name,window_code,window_name,department\n"
	staffHeader   = "staff_no,name,window_code,role\n"
)

func importStrings(t *testing.T, s *models.Store, windows, staff string) (models.ImportResult, error) {
	t.Helper()
	var w, st *strings.Reader
	if windows != "" {
		w = strings.NewReader(windows)
	}
	if staff != "" {
		st = strings.NewReader(staff)
	}
	// A nil *strings.Reader in an io.Reader is not a nil interface: pass untyped nils.
	switch {
	case w == nil && st == nil:
		return s.Import(ctxT(t), nil, "windows.csv", nil, "staff.csv")
	case w == nil:
		return s.Import(ctxT(t), nil, "windows.csv", st, "staff.csv")
	case st == nil:
		return s.Import(ctxT(t), w, "windows.csv", nil, "staff.csv")
	}
	return s.Import(ctxT(t), w, "windows.csv", st, "staff.csv")
}

func staffByNo(t *testing.T, s *models.Store, no string) models.Staff {
	t.Helper()
	var st models.Staff
	if err := s.DB().Preload("Window").Preload("Center").Where("staff_no = ?", no).First(&st).Error; err != nil {
		t.Fatalf("staff %s: %v", no, err)
	}
	return st
}

func TestImport(t *testing.T) {
	windows := windowsHeader +
		"C01,城东中心,A01,综合窗口,政务办\n" +
		"C01,城东中心,A02,税务窗口,税务局\n" +
		"C02,城西中心,B01,综合窗口,\n"
	staff := staffHeader +
		"S1,张三,A01,staff\n" +
		"S2,李四,a02,staff\n" + // codes match case-insensitively
		"S3,王五,B01,supervisor\n" +
		"S4,赵六,,supervisor\n" +
		"S5,钱七,,Admin\n"
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := ctxT(t)
		res, err := importStrings(t, s, windows, staff)
		if err != nil {
			t.Fatalf("Import: %v", err)
		}
		if want := (models.ImportResult{CentersCreated: 2, WindowsCreated: 3, StaffCreated: 5}); res != want {
			t.Errorf("result = %+v, want %+v", res, want)
		}
		w, err := s.WindowByCode(ctx, "a01")
		if err != nil || w.Name != "综合窗口" || w.Department != "政务办" || w.Center.Code != "C01" {
			t.Fatalf("A01 = %+v, %v", w, err)
		}
		s1 := staffByNo(t, s, "S1")
		if s1.Role != models.RoleStaff || s1.Window == nil || s1.Window.Code != "A01" || s1.Center == nil || s1.Center.Code != "C01" {
			t.Errorf("S1 = %+v", s1)
		}
		if s2 := staffByNo(t, s, "S2"); s2.Window == nil || s2.Window.Code != "A02" {
			t.Errorf("S2 window = %+v", s2.Window)
		}
		if s3 := staffByNo(t, s, "S3"); s3.Role != models.RoleSupervisor || s3.WindowID != nil || s3.Center == nil || s3.Center.Code != "C02" {
			t.Errorf("S3 (supervisor of B01's center) = %+v", s3)
		}
		if s4 := staffByNo(t, s, "S4"); s4.WindowID != nil || s4.CenterID != nil {
			t.Errorf("S4 (supervisor of all centers) = %+v", s4)
		}
		if s5 := staffByNo(t, s, "S5"); s5.Role != models.RoleAdmin {
			t.Errorf("S5 role = %q", s5.Role)
		}

		// The same files again change nothing.
		res, err = importStrings(t, s, windows, staff)
		if err != nil {
			t.Fatalf("re-import: %v", err)
		}
		if res != (models.ImportResult{}) {
			t.Errorf("re-import result = %+v, want all zero", res)
		}

		// Edited files update in place.
		windows2 := windowsHeader +
			"C01,城东中心,A01,综合受理窗口,政务办\n" + // renamed window
			"C01,城东中心,A02,税务窗口,税务局\n" +
			"C02,城西便民服务中心,b01,综合窗口,\n" // renamed center, code case changed
		staff2 := staffHeader +
			"S1,张三,A02,staff\n" + // moved
			"S2,李四,A02,staff\n" +
			"S3,王五,B01,supervisor\n" +
			"S4,赵六,,admin\n" + // promoted
			"S5,钱七,,admin\n" +
			"S6,孙八,B01,staff\n" // new
		res, err = importStrings(t, s, windows2, staff2)
		if err != nil {
			t.Fatalf("edited import: %v", err)
		}
		want := models.ImportResult{CentersUpdated: 1, WindowsUpdated: 2, StaffCreated: 1, StaffUpdated: 2}
		if res != want {
			t.Errorf("edited import result = %+v, want %+v", res, want)
		}
		if s1 := staffByNo(t, s, "S1"); s1.Window == nil || s1.Window.Code != "A02" {
			t.Errorf("S1 not moved: %+v", s1.Window)
		}
		if w, _ := s.WindowByCode(ctx, "B01"); w == nil || w.Code != "b01" || w.Center.Name != "城西便民服务中心" {
			t.Errorf("B01 = %+v", w)
		}
		for model, want := range map[any]int64{&models.Center{}: 2, &models.Window{}: 3, &models.Staff{}: 6} {
			if n := count(t, s, model); n != want {
				t.Errorf("%T rows = %d, want %d", model, n, want)
			}
		}

		// A staff file alone may name windows already in the database.
		res, err = importStrings(t, s, "", staffHeader+"S7,周九,B01,staff\n")
		if err != nil {
			t.Fatalf("staff-only import: %v", err)
		}
		if res != (models.ImportResult{StaffCreated: 1}) {
			t.Errorf("staff-only result = %+v", res)
		}
		if s7 := staffByNo(t, s, "S7"); s7.Window == nil || s7.Window.Code != "b01" {
			t.Errorf("S7 window = %+v", s7.Window)
		}
	})
}

// Excel saves "CSV UTF-8" with a byte-order mark and CRLF line ends, and blank rows as commas.
func TestImportExcelExport(t *testing.T) {
	windows := "\xEF\xBB\xBF" + strings.ReplaceAll(windowsHeader+
		"C01,城东中心,A01,综合窗口,\"政务办,一科\"\n"+
		",,,,\n"+
		"C01,城东中心 , A02 ,税务窗口,税务局\n", "\n", "\r\n")
	staff := "\xEF\xBB\xBF" + strings.ReplaceAll(staffHeader+"S1,张三,A01,staff\n", "\n", "\r\n")
	forEachDB(t, func(t *testing.T, s *models.Store) {
		res, err := importStrings(t, s, windows, staff)
		if err != nil {
			t.Fatalf("Import: %v", err)
		}
		if want := (models.ImportResult{CentersCreated: 1, WindowsCreated: 2, StaffCreated: 1}); res != want {
			t.Errorf("result = %+v, want %+v", res, want)
		}
		w, err := s.WindowByCode(ctxT(t), "A01")
		if err != nil || w.Department != "政务办,一科" || w.Center.Code != "C01" {
			t.Errorf("A01 = %+v, %v", w, err)
		}
		if w, err := s.WindowByCode(ctxT(t), "A02"); err != nil || w.Code != "A02" || w.Center.Name != "城东中心" {
			t.Errorf("A02 (trimmed) = %+v, %v", w, err)
		}
	})
}

// Every problem is listed with its file and editor line, and nothing is written.
func TestImportAllProblemsNothingWritten(t *testing.T) {
	windows := strings.ReplaceAll(windowsHeader+
		"C01,城东中心,A01,综合窗口,政务办\n"+ // 2
		"\n"+ // 3: blank lines still count
		"C01,城东中心X,A02,税务窗口,税务局\n"+ // 4
		"C 2,城西中心,B01,综合窗口,\n"+ // 5
		"C02,城西中心,a01,重复,\n"+ // 6
		"C02,城西中心,B02,,\n"+ // 7
		"C02,城西中心,B03\n"+ // 8
		"DEMO,示范政务服务中心,W001,改名了,\n", // 9: valid, must not be applied
		"\n", "\r\n")
	staff := staffHeader +
		"S1,张三,A01,staff\n" + // 2
		"S1,李四,A02,staff\n" + // 3
		"S2,王五,,staff\n" + // 4
		"S3,赵六,Z99,staff\n" + // 5
		"S4,钱七,A01,boss\n" + // 6
		"S 5,孙八,A01,staff\n" + // 7
		"S6,周九,B01,supervisor\n" + // 8: B01's row is bad, but the window is in the file
		"S7,吴十,W002,staff\n" // 9: in the database
	want := strings.Join([]string{
		`windows.csv:4: center_code "C01" is named "城东中心X" here but "城东中心" on line 2`,
		`windows.csv:5: center_code "C 2": want 1–40 letters, digits or '-'`,
		`windows.csv:6: duplicate window_code "a01" (first on line 2)`,
		`windows.csv:7: window_name: want 1–200 characters, got 0`,
		`windows.csv:8: want 5 fields (center_code,center_name,window_code,window_name,department), got 3`,
		`staff.csv:3: duplicate staff_no "S1" (first on line 2)`,
		`staff.csv:4: window_code is required for role staff`,
		`staff.csv:5: unknown window_code "Z99": not in the windows file nor in the database`,
		`staff.csv:6: role "boss": want staff, lead, supervisor or admin`,
		`staff.csv:7: staff_no "S 5": want 1–40 characters without spaces`,
	}, "\n")
	forEachDB(t, func(t *testing.T, s *models.Store) {
		if err := s.SeedDemo(ctxT(t)); err != nil {
			t.Fatal(err)
		}
		centers, windowsN, staffN := count(t, s, &models.Center{}), count(t, s, &models.Window{}), count(t, s, &models.Staff{})
		_, err := importStrings(t, s, windows, staff)
		var ie *models.ImportError
		if !errors.As(err, &ie) {
			t.Fatalf("err = %v, want *ImportError", err)
		}
		if err.Error() != want {
			t.Errorf("error:\n%s\nwant:\n%s", err, want)
		}
		if len(ie.Problems) != 10 || ie.Problems[0].File != "windows.csv" || ie.Problems[0].Line != 4 {
			t.Errorf("problems = %+v", ie.Problems)
		}
		if c, w, st := count(t, s, &models.Center{}), count(t, s, &models.Window{}), count(t, s, &models.Staff{}); c != centers || w != windowsN || st != staffN {
			t.Errorf("rows changed: centers %d→%d, windows %d→%d, staff %d→%d", centers, c, windowsN, w, staffN, st)
		}
		if w, _ := s.WindowByCode(ctxT(t), "W001"); w == nil || w.Name != "不动产登记" {
			t.Errorf("W001 was renamed by a failed import: %+v", w)
		}
	})
}

func TestImportProblems(t *testing.T) {
	long := strings.Repeat("长", 201)
	tests := []struct {
		name, windows, staff string
		want                 []string
	}{
		{"staff file with only its header", "", staffHeader, nil}, // and no windows file at all
		{"windows file with nothing", "\xEF\xBB\xBF", "",
			[]string{`windows.csv:1: empty file: want the header "center_code,center_name,window_code,window_name,department"`}},
		{"wrong header", "centre,name,window,wname,dept\nC,C,W,W,\n", "",
			[]string{`windows.csv:1: header must be "center_code,center_name,window_code,window_name,department", got "centre,name,window,wname,dept"`}},
		{"staff header with an extra column", "", "staff_no,name,window_code,role,phone\n",
			[]string{`staff.csv:1: header must be "staff_no,name,window_code,role[,photo]", got "staff_no,name,window_code,role,phone"`}},
		{"names too long", windowsHeader + "C01," + long + ",A01," + long + "," + long + "\n", "",
			[]string{
				"windows.csv:2: center_name: want 1–200 characters, got 201",
				"windows.csv:2: window_name: want 1–200 characters, got 201",
				"windows.csv:2: department: want at most 200 characters, got 201",
			}},
		{"bad codes", windowsHeader + "C_1,中心,W/1,窗口,\nC1,中心," + strings.Repeat("W", 41) + ",窗口,\n", "",
			[]string{
				`windows.csv:2: center_code "C_1": want 1–40 letters, digits or '-'`,
				`windows.csv:2: window_code "W/1": want 1–40 letters, digits or '-'`,
				`windows.csv:3: window_code "` + strings.Repeat("W", 41) + `": want 1–40 letters, digits or '-'`,
			}},
		{"not UTF-8 (a GBK export)", windowsHeader + "C1,\xb3\xc7\xb6\xab,W1,\xd7\xdb\xba\xcf,\n", "",
			[]string{`windows.csv:2: not valid UTF-8: save the file as "CSV UTF-8"`}},
		{"broken quoting", windowsHeader + "C1,中心,W1,\"窗口,\nC1,中心,W2,窗口,\n", "",
			[]string{`windows.csv:2: extraneous or missing " in quoted-field; the rest of the file was not checked`}},
		{"staff problems", "", staffHeader + "S1,,W001,staff\nS2,名字,BAD_CODE,supervisor\nS3,名字,W404,admin\n",
			[]string{
				"staff.csv:2: name: want 1–200 characters, got 0",
				`staff.csv:3: window_code "BAD_CODE": want 1–40 letters, digits or '-'`,
				`staff.csv:4: unknown window_code "W404": not in the windows file nor in the database`,
			}},
	}
	forEachDB(t, func(t *testing.T, s *models.Store) {
		if err := s.SeedDemo(ctxT(t)); err != nil {
			t.Fatal(err)
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := importStrings(t, s, tt.windows, tt.staff)
				if tt.want == nil {
					if err != nil {
						t.Fatalf("err = %v, want none", err)
					}
					return
				}
				var ie *models.ImportError
				if !errors.As(err, &ie) {
					t.Fatalf("err = %v, want *ImportError", err)
				}
				if got, want := err.Error(), strings.Join(tt.want, "\n"); got != want {
					t.Errorf("error:\n%s\nwant:\n%s", got, want)
				}
			})
		}
	})
}
