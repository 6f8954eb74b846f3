package report

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// Export formats.
const (
	// FormatJSON writes one record per line (JSON lines), the body the platform receives.
	FormatJSON = "json"
	// FormatCSV writes a header of the national field names and one row per record.
	FormatCSV = "csv"
)

// Columns are the CSV columns, the record's JSON field names in the order of Record.
var Columns = []string{
	"recordId", "recordType", "evaluateId", "dataSource",
	"areaCode", "areaName", "deptCode", "proDepart", "hallCode", "windowCode", "windowName",
	"projectNo", "proStatus", "taskCode", "taskName", "proManager", "proManagerNo",
	"userProp", "pf", "satisfaction", "evalDetail", "writingEvaluation", "assessTime", "assessNumber",
	"rectification", "rectifyResult", "rectifyTime", "effectivEvalua",
}

// row returns r's values in the order of Columns.
func row(r Record) []string {
	number := ""
	if r.AssessNumber != 0 {
		number = strconv.Itoa(r.AssessNumber)
	}
	return []string{
		r.RecordID, r.RecordType, r.EvaluateID, r.DataSource,
		r.AreaCode, r.AreaName, r.DeptCode, r.ProDepart, r.HallCode, r.WindowCode, r.WindowName,
		r.ProjectNo, r.ProStatus, r.TaskCode, r.TaskName, r.ProManager, r.ProManagerNo,
		r.UserProp, r.Pf, r.Satisfaction, r.EvalDetail, r.WritingEvaluation, r.AssessTime, number,
		r.Rectification, r.RectifyResult, r.RectifyTime, r.EffectivEvalua,
	}
}

// Exporter writes records to a file for halls that upload them instead of sending them.
type Exporter interface {
	Write(r Record) error
	// Close flushes what is buffered; it does not close the underlying writer.
	Close() error
}

// ExportOptions tune an export.
type ExportOptions struct {
	// BOM starts a CSV file with a UTF-8 byte order mark, without which spreadsheet programs on
	// Chinese Windows read the file as GBK and show the names garbled.
	BOM bool
}

// NewExporter returns an Exporter of format (FormatJSON or FormatCSV) writing to w.
func NewExporter(w io.Writer, format string, opts ExportOptions) (Exporter, error) {
	switch format {
	case FormatJSON:
		bw := bufio.NewWriter(w)
		return &jsonLines{w: bw, enc: json.NewEncoder(bw)}, nil
	case FormatCSV:
		bw := bufio.NewWriter(w)
		if opts.BOM {
			if _, err := bw.WriteString("\ufeff"); err != nil {
				return nil, fmt.Errorf("report: export: %w", err)
			}
		}
		c := &csvRows{w: bw, csv: csv.NewWriter(bw)}
		if err := c.csv.Write(Columns); err != nil {
			return nil, fmt.Errorf("report: export: %w", err)
		}
		return c, nil
	}
	return nil, fmt.Errorf("report: export format %q: want %s or %s", format, FormatJSON, FormatCSV)
}

type jsonLines struct {
	w   *bufio.Writer
	enc *json.Encoder
}

func (j *jsonLines) Write(r Record) error {
	if err := j.enc.Encode(r); err != nil {
		return fmt.Errorf("report: export %s: %w", r.RecordID, err)
	}
	return nil
}

func (j *jsonLines) Close() error {
	if err := j.w.Flush(); err != nil {
		return fmt.Errorf("report: export: %w", err)
	}
	return nil
}

type csvRows struct {
	w   *bufio.Writer
	csv *csv.Writer
}

func (c *csvRows) Write(r Record) error {
	if err := c.csv.Write(row(r)); err != nil {
		return fmt.Errorf("report: export %s: %w", r.RecordID, err)
	}
	return nil
}

func (c *csvRows) Close() error {
	c.csv.Flush()
	if err := c.csv.Error(); err != nil {
		return fmt.Errorf("report: export: %w", err)
	}
	if err := c.w.Flush(); err != nil {
		return fmt.Errorf("report: export: %w", err)
	}
	return nil
}
