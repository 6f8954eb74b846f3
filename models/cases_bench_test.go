package models_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"windowbot/internal/testenv"
	"windowbot/models"
)

// BenchmarkRegisterCases registers 10,000 finished cases in requests of 500, as a case system
// does after a busy day, with phones given with consent (each queues its SMS invitation):
//
//	go test ./models -run '^$' -bench RegisterCases -benchtime 1x
//
// It reports the whole time, the time of one request and the bytes allocated per case.
func BenchmarkRegisterCases(b *testing.B) {
	testenv.ForEachDBBench(b, func(b *testing.B, url string) {
		for range b.N {
			b.StopTimer()
			s := testenv.OpenStore(b, url)
			ctx := b.Context()
			var windows, staff strings.Builder
			windows.WriteString(models.WindowsCSVHeader)
			staff.WriteString(models.StaffCSVHeader)
			for w := range 20 {
				fmt.Fprintf(&windows, "\nC01,示范中心,W%03d,窗口%d,部门", w, w)
				fmt.Fprintf(&staff, "\nS%03d,员工%d,W%03d,staff", w, w, w)
			}
			if _, err := s.Import(ctx, strings.NewReader(windows.String()), "w.csv", strings.NewReader(staff.String()), "s.csv"); err != nil {
				b.Fatal(err)
			}
			invite := models.CaseSMSInvite(func(token string) string { return "https://hall.example.cn/?c=" + token })
			const total, batch = 10000, models.MaxCasesPerRequest
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			b.StartTimer()
			start := time.Now()
			for i := 0; i < total; i += batch {
				in := make([]models.NewCase, 0, batch)
				for j := i; j < i+batch; j++ {
					in = append(in, models.NewCase{CaseNo: fmt.Sprintf("NS20261205-%05d", j), MatterName: "社保卡补办",
						WindowCode: fmt.Sprintf("W%03d", j%20), StaffNo: fmt.Sprintf("S%03d", j%20),
						FinishedAt: "2026-12-05 10:00:00", Phone: fmt.Sprintf("138%08d", j), Consent: true})
				}
				if _, err := s.RegisterCases(ctx, in, models.CaseOptions{Location: testenv.Shanghai, Invite: invite}); err != nil {
					b.Fatal(err)
				}
			}
			took := time.Since(start)
			b.StopTimer()
			runtime.ReadMemStats(&after)
			b.ReportMetric(took.Seconds(), "s/10k")
			b.ReportMetric(took.Seconds()*1000/float64(total/batch), "ms/request")
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/total, "B-alloc/case")
			var n int64
			s.DB().Model(&models.Case{}).Count(&n)
			if n != total {
				b.Fatalf("%d cases stored", n)
			}
		}
	})
}
