package report

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"windowbot/internal/testenv"
)

// golden compares got with testdata/name, or rewrites the file under -update (testenv.Update,
// the one flag every package's tests share).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	testenv.Golden(t, filepath.Join("testdata", name), got)
}

var shanghai = time.FixedZone("CST", 8*3600)

var testMapping = Mapping{
	AreaCode:   "440305",
	AreaName:   "南山区",
	DataSource: "144",
	IDPrefix:   "NS",
	Centers: map[string]Department{
		"C01": {Code: "11440305MB2C94827X", Name: "南山区政务服务中心", HallCode: "44030500001"},
	},
	Windows: map[string]Department{
		"W012": {Code: "11440305007543345K", Name: "南山区人力资源局"},
	},
	Aspects: map[string]string{"slow": "501", "come_back": "504", "cold": "511"},
	Results: map[string]string{
		ResultRectified: "1", ResultSatisfied: "2", ResultNotSatisfied: "3",
		ResultNoReply: "4", ResultRejected: "5", ResultAppealUpheld: "6",
	},
}

// testRecords are the records of one bad review through a case invitation and its outcomes, and
// of a paper card without a case.
func testRecords(t *testing.T) []Record {
	t.Helper()
	mp := NewMapper(testMapping, shanghai)
	c := &Case{No: "4403051120261123000042", MatterCode: "11440305007543345K4440120012002", MatterName: "就业登记证办理"}
	at := time.Date(2026, 11, 23, 9, 41, 5, 0, shanghai)
	var recs []Record
	add := func(r Record, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	add(mp.Rating(Rating{
		ID: "1042", At: at.UTC(), Level: 2, Aspects: []string{"slow", "come_back"},
		Comment:  " 让我跑了三趟，电话13812345678打不通，身份证440305199001011234也登记错了 ",
		Platform: "wechat", CenterCode: "C01", WindowCode: "W012", WindowName: "12号窗口",
		StaffNo: "11191", StaffName: "董宁", Case: c,
	}))
	add(mp.Rating(Rating{
		ID: "1043", At: at.Add(time.Hour), Level: 5, Platform: "paper",
		CenterCode: "C01", WindowCode: "W020", WindowName: "20号窗口",
	}))
	add(mp.Outcome(Outcome{
		ID: "7001", RatingID: "1042", At: at.AddDate(0, 0, 6), Result: ResultRectified,
		Rectification: "已约谈窗口人员并当场补办，联系电话 0755-86666666",
		CenterCode:    "C01", WindowCode: "W012", WindowName: "12号窗口", Case: c,
	}))
	add(mp.Outcome(Outcome{
		ID: "7002", RatingID: "1042", At: at.AddDate(0, 0, 8), Result: ResultNotSatisfied,
		ReRating: 2, ReRatingComment: "还是没有办好，请联系 someone@example.com",
		CenterCode: "C01", WindowCode: "W012", WindowName: "12号窗口", Case: c,
	}))
	add(mp.Outcome(Outcome{
		ID: "7003", RatingID: "1043", At: at.AddDate(0, 0, 2), Result: ResultAppealUpheld,
		CenterCode: "C01", WindowCode: "W020",
	}))
	return recs
}

func TestRecordsGolden(t *testing.T) {
	got, err := json.MarshalIndent(testRecords(t), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "records.json", append(got, '\n'))
}

// TestRecordFieldNames holds the encoding to the national names: every JSON field of Record is
// a column of the export, in the same order, and each record carries its key fields.
func TestRecordFieldNames(t *testing.T) {
	typ := reflect.TypeFor[Record]()
	var tags []string
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		tags = append(tags, name)
	}
	if !reflect.DeepEqual(tags, Columns) {
		t.Fatalf("Record's JSON names\n%v\ndiffer from Columns\n%v", tags, Columns)
	}
	for _, r := range testRecords(t) {
		if got := row(r); len(got) != len(Columns) {
			t.Fatalf("row has %d values for %d columns", len(got), len(Columns))
		}
		var m map[string]any
		b, _ := json.Marshal(r)
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{"recordId", "recordType", "evaluateId", "areaCode", "deptCode"} {
			if m[key] == nil || m[key] == "" {
				t.Errorf("%s has no %s: %s", r.RecordID, key, b)
			}
		}
	}
}

func TestMapperCodes(t *testing.T) {
	// A province that counts satisfaction as GB/T 39046-2020 does (1 = 非常满意), its own channel
	// for the web chat, and an aspect it has no code for.
	m := Mapping{
		Levels:   map[string]string{"1": "5", "2": "4", "3": "3", "4": "2", "5": "1"},
		Channels: map[string]string{"web": "1"},
		Aspects:  map[string]string{"slow": "501"},
	}
	mp := NewMapper(m, shanghai)
	r, err := mp.Rating(Rating{ID: "9", Level: 5, Platform: "web", Aspects: []string{"slow", "cold"}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Satisfaction != "1" || r.Pf != "1" || r.EvalDetail != "501,cold" || r.RecordID != "WB-E-9" || r.AssessTime != "" {
		t.Errorf("record = %+v", r)
	}
	r, _ = mp.Rating(Rating{ID: "10", Level: 1, Platform: "telegram"})
	if r.Satisfaction != "5" || r.Pf != DefaultChannels["telegram"] || r.EvalDetail != "" {
		t.Errorf("record = %+v", r)
	}
	o, err := mp.Outcome(Outcome{ID: "3", RatingID: "10", Result: ResultSatisfied, ReRating: 4})
	if err != nil {
		t.Fatal(err)
	}
	if o.EvaluateID != "WB-E-10" || o.RecordID != "WB-R-3" || o.Satisfaction != "2" || o.AssessNumber != 2 || o.RectifyResult != ResultSatisfied {
		t.Errorf("outcome = %+v", o)
	}
}

func TestMapperRefuses(t *testing.T) {
	mp := NewMapper(Mapping{}, nil)
	for _, r := range []Rating{{Level: 3}, {ID: "1", Level: 0}, {ID: "1", Level: 6}} {
		if _, err := mp.Rating(r); !errors.Is(err, ErrInvalid) {
			t.Errorf("Rating(%+v) = %v, want ErrInvalid", r, err)
		}
	}
	for _, o := range []Outcome{
		{RatingID: "1", Result: ResultSatisfied},
		{ID: "1", Result: ResultSatisfied},
		{ID: "1", RatingID: "1", Result: "closed"},
		{ID: "1", RatingID: "1", Result: ResultSatisfied, ReRating: 7},
	} {
		if _, err := mp.Outcome(o); !errors.Is(err, ErrInvalid) {
			t.Errorf("Outcome(%+v) = %v, want ErrInvalid", o, err)
		}
	}
}

func TestMaskText(t *testing.T) {
	for in, want := range map[string]string{
		"电话13812345678":                     "电话138****5678",
		"+86 13812345678 或 8613912345678":   "+86 138****5678 或 86139****5678",
		"13812345678,13912345678":           "138****5678,139****5678",
		"138 1234 5678":                     "138******5678",
		"身份证440305199001011234":             "身份证440***********1234",
		"证件 44030519900101123X 号":           "证件 440***********123X 号",
		"mail zhang.san@example.com please": "mail z***@example.com please",
		"办件号 4403051120261123000042 不动":     "办件号 4403051120261123000042 不动",
		"座机 0755-86666666":                  "座机 075******6666",
		"  ":                                "",
		"非常满意，服务很好":                         "非常满意，服务很好",
	} {
		if got := MaskText(in); got != want {
			t.Errorf("MaskText(%q) = %q, want %q", in, got, want)
		}
	}
}
