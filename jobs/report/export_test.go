package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
)

func export(t *testing.T, format string, opts ExportOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	x, err := NewExporter(&buf, format, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range testRecords(t) {
		if err := x.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestExportJSONLines(t *testing.T) {
	got := export(t, FormatJSON, ExportOptions{})
	golden(t, "export.jsonl", got)
	// Each line is the body the platform receives for that record.
	lines := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
	recs := testRecords(t)
	if len(lines) != len(recs) {
		t.Fatalf("%d lines for %d records", len(lines), len(recs))
	}
	for i, r := range recs {
		body, _ := json.Marshal(r)
		if lines[i] != string(body) {
			t.Errorf("line %d = %s\nwant the sent body %s", i+1, lines[i], body)
		}
	}
}

func TestExportCSV(t *testing.T) {
	got := export(t, FormatCSV, ExportOptions{})
	golden(t, "export.csv", got)
	rows, err := csv.NewReader(bytes.NewReader(got)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+len(testRecords(t)) || strings.Join(rows[0], ",") != strings.Join(Columns, ",") {
		t.Fatalf("CSV has %d rows, header %v", len(rows), rows[0])
	}
	// The masked comment with its commas and Chinese stays one cell.
	col := map[string]int{}
	for i, c := range rows[0] {
		col[c] = i
	}
	if c := rows[1][col["writingEvaluation"]]; !strings.Contains(c, "138****5678") || strings.Contains(c, "13812345678") {
		t.Errorf("writingEvaluation cell = %q", c)
	}
	if rows[4][col["assessNumber"]] != "2" || rows[3][col["assessNumber"]] != "" {
		t.Errorf("assessNumber cells = %q, %q", rows[4][col["assessNumber"]], rows[3][col["assessNumber"]])
	}

	bom := export(t, FormatCSV, ExportOptions{BOM: true})
	if !bytes.Equal(bom, append([]byte("\ufeff"), got...)) {
		t.Error("the BOM export is not the plain export after a byte order mark")
	}
}

func TestExportFormat(t *testing.T) {
	if _, err := NewExporter(&bytes.Buffer{}, "xlsx", ExportOptions{}); err == nil {
		t.Fatal("NewExporter accepted xlsx")
	}
}
