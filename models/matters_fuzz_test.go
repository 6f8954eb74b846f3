package models_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"windowbot/internal/testenv"
	"windowbot/models"
)

// FuzzImportMatters imports any matters file (windowbot import --matters) into the demo
// database. It holds that:
//   - an import either writes everything or nothing: a refused file (an *ImportError) leaves
//     every matter as it was;
//   - a refusal names each problem on a line of the file (1 to its number of lines), on one line
//     of text;
//   - after an accepted import every matter code of the file is in the database once, with no
//     control, bidi or zero-width character in its name or materials, and importing the same
//     file again changes nothing.
func FuzzImportMatters(f *testing.F) {
	for _, s := range []string{
		models.MattersCSVHeader + "\nM101,新办事项,W001,身份证；申请表,3,,\nm102,另一事项,w002,材料一,0,免费,备注\n",
		"\xEF\xBB\xBF" + models.MattersCSVHeader + "\r\nM101,\"含,逗号\",W001,\"材料\"\"一\"\"；材料二\",1,10元,\r\n",
		models.MattersCSVHeader + "\nM101,事项,W999,材料,1,,\nM 2,事项,W001,,x,,\nM101,重复,W001,材料,1,,\n",
		models.MattersCSVHeader + "\nM001,不动产登记（改名）,W001,材料\u202e一；\u200b材料二\x00,5,,\n",
		models.MattersCSVHeader + "\nM101,\"unterminated,W001,材料,1,,\n",
		"matter_code,matter_name\nM1,x\n",
		models.MattersCSVHeader + "\nM101,\xff\xfe,W001,材料,1,,\n",
	} {
		f.Add([]byte(s))
	}
	s := testenv.OpenDemoStore(f, testenv.SQLiteURL(f))
	ctx := context.Background()
	snapshot := func() string {
		var ms []models.Matter
		if err := s.DB().Order("code").Find(&ms).Error; err != nil {
			panic(err) // the fuzz target may not call f.Fatal
		}
		var b strings.Builder
		for _, m := range ms {
			fmt.Fprintf(&b, "%s|%s|%d|%s|%d|%s|%s\n", m.Code, m.Name, m.WindowID, m.Materials, m.TimeLimitDays, m.Fee, m.Notes)
		}
		return b.String()
	}
	initial := snapshot()
	var demo []models.Matter
	if err := s.DB().Order("id").Find(&demo).Error; err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		before := snapshot()
		defer func() {
			// Each input is judged alone: the demo matters are put back.
			if before == snapshot() {
				return
			}
			rows := append([]models.Matter(nil), demo...)
			if err := errors.Join(s.DB().Exec("DELETE FROM matters").Error, s.DB().Create(&rows).Error); err != nil {
				t.Fatal(err)
			}
			if got := snapshot(); got != initial {
				t.Fatalf("the demo matters were not put back:\n%s", got)
			}
		}()
		_, err := s.ImportMatters(ctx, bytes.NewReader(data), "matters.csv")
		var ie *models.ImportError
		if errors.As(err, &ie) {
			if after := snapshot(); after != before {
				t.Fatalf("a refused file changed the matters:\n%s\nthen\n%s", before, after)
			}
			lines := bytes.Count(data, []byte("\n")) + 1
			for _, p := range ie.Problems {
				if p.Line < 1 || p.Line > lines || strings.ContainsAny(p.String(), "\r\n") {
					t.Fatalf("problem %q: line out of the file (%d lines) or on several lines", p.String(), lines)
				}
			}
			return
		}
		if err != nil {
			t.Fatalf("import failed without naming a line: %v", err)
		}
		after := snapshot()
		for _, line := range strings.Split(after, "\n") {
			for _, r := range line {
				if models.CleanText(string(r)) != string(r) && r != '\n' {
					t.Fatalf("a stored matter holds %U: %q", r, line)
				}
			}
		}
		if _, err := s.ImportMatters(ctx, bytes.NewReader(data), "matters.csv"); err != nil {
			t.Fatalf("the same file again: %v", err)
		}
		if again := snapshot(); again != after {
			t.Fatalf("importing the same file again changed the matters:\n%s\nthen\n%s", after, again)
		}
	})
}
