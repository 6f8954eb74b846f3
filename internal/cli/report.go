package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"windowbot/jobs"
	"windowbot/jobs/report"
	"windowbot/models"
)

// reportMapping is the province's codes of the configuration, departments written
// "code|name|hall code".
func (a *app) reportMapping() report.Mapping {
	m := a.cfg.Report.Mapping
	depts := func(in map[string]string) map[string]report.Department {
		out := make(map[string]report.Department, len(in))
		for k, v := range in {
			parts := strings.SplitN(v, "|", 3)
			d := report.Department{Code: strings.TrimSpace(parts[0])}
			if len(parts) > 1 {
				d.Name = strings.TrimSpace(parts[1])
			}
			if len(parts) > 2 {
				d.HallCode = strings.TrimSpace(parts[2])
			}
			out[k] = d
		}
		return out
	}
	return report.Mapping{
		AreaCode: m.AreaCode, AreaName: m.AreaName, DataSource: m.DataSource, IDPrefix: m.IDPrefix, TimeLayout: m.TimeLayout,
		Centers: depts(m.Centers), Windows: depts(m.Windows),
		Channels: m.Channels, Levels: m.Levels, Aspects: m.Aspects, Results: m.Results,
	}
}

// reportSender is the sender of the report outbox, nil when no report URL is configured (the
// records are then kept for `windowbot report export`).
func (a *app) reportSender(store *models.Store) (*jobs.ReportSender, error) {
	r := a.cfg.Report
	if r.URL == "" {
		return nil, nil
	}
	cl, err := report.NewClient(report.Config{
		URL: r.URL, Auth: r.Auth, Token: r.Token, SignatureHeader: r.SignatureHeader, Timeout: r.Timeout,
		SuccessField: r.SuccessField, SuccessValue: r.SuccessValue,
	}, report.Options{})
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return &jobs.ReportSender{Store: store, Client: cl, Mapper: report.NewMapper(a.reportMapping(), a.loc), Logger: a.logger}, nil
}

// cmdReport is `windowbot report export --period 2026-11 [--format json|csv] [--out FILE]`, which
// writes the provincial records of what happened in a month or year (the same fields the sender
// posts), and `windowbot report status`, which counts sent, pending and failed records.
func cmdReport(ctx context.Context, a *app, args []string) error {
	if len(args) == 0 || (args[0] != "export" && args[0] != "status") {
		fmt.Fprintln(a.stderr, "report: say export or status")
		return errUsage
	}
	if args[0] == "status" {
		if err := parse(flags("report status", a.stderr), args[1:]); err != nil {
			return err
		}
		return a.reportStatus(ctx)
	}
	fs := flags("report export", a.stderr)
	period := fs.String("period", "", "the month (2026-11) or year (2026) whose records to write")
	format := fs.String("format", report.FormatJSON, "json (one record per line) or csv")
	out := fs.String("out", "", "the file to write (default: standard output)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *period == "" {
		fmt.Fprintln(a.stderr, "report export: say --period 2026-11")
		return errUsage
	}
	p, err := models.ParsePeriodKey(*period, a.loc)
	if err != nil {
		fmt.Fprintf(a.stderr, "report export: %v\n", err)
		return errUsage
	}
	if *format != report.FormatJSON && *format != report.FormatCSV {
		fmt.Fprintf(a.stderr, "report export: --format %q: say json or csv\n", *format)
		return errUsage
	}
	w := a.stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return fmt.Errorf("report export: %w", err)
		}
		defer f.Close()
		w = f
	}
	store, err := a.openStoreReading(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	n, err := exportReports(ctx, store, report.NewMapper(a.reportMapping(), a.loc), p, *format, w)
	if err != nil {
		return fmt.Errorf("report export: %w", err)
	}
	fmt.Fprintf(a.stderr, "report export: %d records of %s\n", n, *period)
	return nil
}

// exportReports writes the records of p a page at a time, in constant memory.
func exportReports(ctx context.Context, store *models.Store, mp *report.Mapper, p models.Period, format string, w io.Writer) (int, error) {
	ex, err := report.NewExporter(w, format, report.ExportOptions{BOM: format == report.FormatCSV})
	if err != nil {
		return 0, err
	}
	n := 0
	var after uint
	for {
		recs, err := store.ReportRecordsIn(ctx, p.From, p.To, after, 500)
		if err != nil {
			return n, err
		}
		if len(recs) == 0 {
			break
		}
		after = recs[len(recs)-1].ID
		subs, err := store.ReportSubjects(ctx, recs)
		if err != nil {
			return n, err
		}
		for _, sub := range subs {
			rec, err := jobs.ReportRecord(mp, sub)
			if err != nil {
				return n, err
			}
			if err := ex.Write(rec); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, ex.Close()
}

func (a *app) reportStatus(ctx context.Context) error {
	store, err := a.openStoreReading(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	st, err := store.ReportStatus(ctx)
	if err != nil {
		return err
	}
	dest := "not sent (no report.url; use report export)"
	if a.cfg.Report.URL != "" {
		dest = "sent to the provincial platform"
	}
	fmt.Fprintf(a.stdout, "report records: %s\nsent\t%d\npending\t%d\nfailed\t%d\n", dest, st.Sent, st.Pending, st.Failed)
	if st.OldestPending != nil {
		fmt.Fprintf(a.stdout, "oldest pending: %s\n", st.OldestPending.In(a.loc).Format(time.DateTime))
	}
	if st.LastError != "" {
		fmt.Fprintf(a.stdout, "last error (%s): %s\n", st.LastErrorAt.In(a.loc).Format(time.DateTime), st.LastError)
	}
	return nil
}
