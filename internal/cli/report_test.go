package cli

import (
	"encoding/csv"
	"log/slog"
	"strings"
	"testing"
	"time"

	"windowbot/models"
)

// TestReportExportAndStatus: `windowbot report status` counts the records the ratings queued, and
// `windowbot report export` writes the month's records — in the national field names, the window's
// department from the mapping, phone numbers masked — and nothing of another month.
func TestReportExportAndStatus(t *testing.T) {
	e := baseEnv(t, nil)
	if code, _, errs := runCmd(t, e, "seed", "--demo"); code != 0 {
		t.Fatal(errs)
	}
	ctx := t.Context()
	s, err := models.Open(ctx, e["WINDOWBOT_DATABASE_URL"], slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.WindowByCode(ctx, "W001")
	if err != nil {
		t.Fatal(err)
	}
	for i, at := range []time.Time{
		time.Date(2026, 11, 3, 2, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC),
		time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC), // December: not in the November export
	} {
		c, err := s.TouchCitizen(ctx, "web", "report-"+string(rune('a'+i)), "zh-CN", at)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CreateRating(ctx, &models.Rating{WindowID: w.ID, CitizenID: c.ID, Level: 5, Praise: "warm",
			Comment: "办得快，我的电话 13812345678", Channel: "web", CreatedAt: at}, at.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()

	code, out, errs := runCmd(t, e, "report", "status")
	if code != 0 || !strings.Contains(out, "pending\t3") || !strings.Contains(out, "sent\t0") || !strings.Contains(out, "no report.url") {
		t.Fatalf("status: %d\n%s\n%s", code, out, errs)
	}

	e["WINDOWBOT_REPORT_MAPPING_AREA_CODE"] = "310101"
	code, out, errs = runCmd(t, e, "report", "export", "--period", "2026-11", "--format", "csv")
	if code != 0 {
		t.Fatalf("export: %d\n%s", code, errs)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\ufeff"))).ReadAll()
	if err != nil || len(rows) != 3 {
		t.Fatalf("export: %d rows (%v):\n%s", len(rows), err, out)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	for _, r := range rows[1:] {
		if r[col["windowCode"]] != "W001" || r[col["areaCode"]] != "310101" || r[col["pf"]] != "3" || r[col["satisfaction"]] != "5" ||
			strings.Contains(r[col["writingEvaluation"]], "13812345678") || !strings.HasPrefix(r[col["assessTime"]], "2026-11-") {
			t.Fatalf("row %v of %v", r, rows[0])
		}
	}
	code, out, _ = runCmd(t, e, "report", "export", "--period", "2026-12")
	if code != 0 || strings.Count(out, "\n") != 1 || !strings.Contains(out, `"recordId"`) {
		t.Fatalf("December as JSON lines: %d\n%s", code, out)
	}
	if code, _, errs = runCmd(t, e, "report", "export", "--period", "11/2026"); code != 2 || !strings.Contains(errs, "2026-11") {
		t.Fatalf("a bad period: %d %s", code, errs)
	}
}
