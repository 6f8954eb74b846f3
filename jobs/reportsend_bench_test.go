package jobs_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"windowbot/bot"
	"windowbot/internal/testenv"
	"windowbot/jobs"
	"windowbot/jobs/report"
	"windowbot/models"
)

// BenchmarkReportSender measures records sent per second by one sender to a local fake
// provincial endpoint (bearer auth, one record per POST), 2,000 ratings queued:
//
//	go test ./jobs -run '^$' -bench ReportSender -benchtime 1x
func BenchmarkReportSender(b *testing.B) {
	testenv.ForEachDBBench(b, func(b *testing.B, url string) {
		for range b.N {
			b.StopTimer()
			s := openStore(b, url)
			ctx := b.Context()
			oneWindow(b, s)
			w, _ := s.WindowByCode(ctx, "W001")
			const n = 2000
			at := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
			for i := range n {
				c := citizen(b, s, bot.WeChat, fmt.Sprintf("o-bench-%05d", i))
				if err := s.CreateRating(ctx, &models.Rating{WindowID: w.ID, CitizenID: c.ID, Level: 5, Praise: "warm", Channel: "wechat",
					Comment: "很好", CreatedAt: at}, at.Add(-time.Hour)); err != nil {
					b.Fatal(err)
				}
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") != "Bearer t" {
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				w.Write([]byte(`{"code":"200"}`))
			}))
			cl, err := report.NewClient(report.Config{URL: srv.URL, Auth: report.AuthBearer, Token: "t"}, report.Options{})
			if err != nil {
				b.Fatal(err)
			}
			sender := &jobs.ReportSender{Store: s, Client: cl, Mapper: report.NewMapper(report.Mapping{}, testenv.Shanghai), Batch: 100}
			b.StartTimer()
			start := time.Now()
			sent := 0
			for {
				bt, err := sender.Once(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if bt.Sent == 0 {
					break
				}
				sent += bt.Sent
			}
			b.ReportMetric(float64(sent)/time.Since(start).Seconds(), "records/s")
			srv.Close()
			if sent != n {
				b.Fatalf("sent %d of %d", sent, n)
			}
		}
	})
}
