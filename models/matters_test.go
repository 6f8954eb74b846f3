package models_test

import (
	"errors"
	"strings"
	"testing"

	"windowbot/internal/testenv"
	"windowbot/models"
)

// TestImportMattersAllOrNothing: a file with bad lines is refused whole, each bad line named
// with its reason; a good file is imported, and importing it again with a change updates the
// matter rather than adding one.
func TestImportMattersAllOrNothing(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, url string) {
		s := testenv.OpenDemoStore(t, url)
		ctx := ctxT(t)
		before := testenv.Count[models.Matter](t, s, "1 = 1")
		bad := models.MattersCSVHeader + "\n" +
			"X01,营业执照变更,W004,身份证；变更申请书,3,,\n" + // good
			"X 02,名称,W004,身份证,3,,\n" + // bad code
			"X03,名称,W999,身份证,3,,\n" + // no such window
			"X04,名称,W004,；；,3,,\n" + // no materials
			"X05,名称,W004,身份证,三天,,\n" + // not a number
			"X01,重复,W004,身份证,1,,\n" + // duplicate code
			"X06,名称,W004\n" // too few fields
		_, err := s.ImportMatters(ctx, strings.NewReader(bad), "matters.csv")
		var ie *models.ImportError
		if !errors.As(err, &ie) {
			t.Fatalf("err = %v, want an *ImportError", err)
		}
		want := []string{"matters.csv:3: matter_code", "matters.csv:4: window_code \"W999\"", "matters.csv:5: materials",
			"matters.csv:6: time_limit_days", "matters.csv:7: duplicate matter_code", "matters.csv:8: want 7 fields"}
		got := ie.Error()
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("problems do not name %q:\n%s", w, got)
			}
		}
		if strings.Contains(got, "matters.csv:2:") {
			t.Errorf("the good line is named:\n%s", got)
		}
		if n := testenv.Count[models.Matter](t, s, "1 = 1"); n != before {
			t.Fatalf("matters after a refused import: %d, want %d", n, before)
		}

		good := models.MattersCSVHeader + "\n\ufeff" +
			"X01,营业执照变更,w004,身份证原件；变更登记申请书；股东会决议,3,,可网上办理\n"
		res, err := s.ImportMatters(ctx, strings.NewReader(strings.Replace(good, "\ufeff", "", 1)), "matters.csv")
		if err != nil || res.Created != 1 || res.Updated != 0 {
			t.Fatalf("import: %+v, %v", res, err)
		}
		res, err = s.ImportMatters(ctx, strings.NewReader(strings.Replace(good, "\ufeff", "", 1)), "matters.csv")
		if err != nil || res.Created != 0 || res.Updated != 0 {
			t.Fatalf("the same file again: %+v, %v", res, err)
		}
		changed := strings.Replace(good, "股东会决议", "股东会决议；章程修正案", 1)
		res, err = s.ImportMatters(ctx, strings.NewReader(strings.Replace(changed, "\ufeff", "", 1)), "matters.csv")
		if err != nil || res.Created != 0 || res.Updated != 1 {
			t.Fatalf("a changed file: %+v, %v", res, err)
		}
		m, err := s.MatterByCode(ctx, "x01")
		if err != nil {
			t.Fatal(err)
		}
		if got := m.MaterialList(); len(got) != 4 || got[3] != "章程修正案" || m.Window.Code != "W004" || m.Window.Center == nil {
			t.Fatalf("matter after the update: %+v %q", m, got)
		}
	})
}

// TestMatchMatters: a matter is found by its code, its whole name, part of its name, or words
// sharing most of its name's character pairs; several are all offered; unrelated words find none.
func TestMatchMatters(t *testing.T) {
	all := []models.Matter{
		{Code: "M001", Name: "不动产登记（二手房转移登记）"},
		{Code: "M002", Name: "不动产抵押登记"},
		{Code: "M003", Name: "居民户口迁移"},
		{Code: "M004", Name: "个体工商户营业执照新办"},
	}
	codes := func(ms []models.Matter) string {
		var out []string
		for _, m := range ms {
			out = append(out, m.Code)
		}
		return strings.Join(out, ",")
	}
	for _, tc := range []struct{ words, want string }{
		{"m003", "M003"},
		{"不动产抵押登记", "M002"},
		{"不动产", "M001,M002"},
		{"营业执照", "M004"},
		{"营业执照办理", "M004"},
		{"户口迁移手续", "M003"},
		{"公积金", ""},
		{"的", ""},
	} {
		if got := codes(models.MatchMatters(all, tc.words, 8)); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.words, got, tc.want)
		}
	}
}
