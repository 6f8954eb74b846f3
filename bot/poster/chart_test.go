package poster

import (
	"bytes"
	"flag"
	"image"
	"image/png"
	"math"
	"os"
	"testing"

	"windowbot/internal/text"
)

var chartOut = flag.String("out.chart", "", "write the report chart of the tests to this PNG file")

func reportFixture() Report {
	return Report{
		Lang: text.ZH, Title: "【月度好差评报告】2026年10月 · 示范政务服务中心", Target: 0.95,
		Months: []string{"25-11", "25-12", "26-01", "26-02", "26-03", "26-04", "26-05", "26-06", "26-07", "26-08", "26-09", "26-10"},
		Rates:  []float64{math.NaN(), 0.91, 0.93, 0.92, 0.95, 0.96, 0.94, 0.97, 0.96, 0.98, 0.89, 0.967},
		Below: []Bar{{Code: "W005", Name: "公安户政", Rate: 0.70, Count: 10},
			{Code: "W002", Name: "企业开办综合受理窗口（含税务、社保、公积金）", Rate: 0.9, Count: 41}},
	}
}

func TestReportChart(t *testing.T) {
	r := NewRendererFont(cjkFont(t))
	data, err := r.ReportPNG(reportFixture())
	if err != nil {
		t.Fatal(err)
	}
	if *chartOut != "" {
		if err := os.WriteFile(*chartOut, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != ReportWidth || b.Dy() != 150+trendHeight+30+60+2*44+40 {
		t.Fatalf("size %v", b.Size())
	}
	for name, band := range map[string]image.Rectangle{
		"legend": image.Rect(0, 100, ReportWidth, 140),
		"trend":  image.Rect(0, 160, ReportWidth, 150+trendHeight),
		"bars":   image.Rect(0, 150+trendHeight+90, 420, 150+trendHeight+180),
	} {
		if n := darkIn(img, band); n < 300 {
			t.Errorf("%s has %d dark pixels", name, n)
		}
	}
	// No month with ratings and nothing below target still draws.
	rep := reportFixture()
	for i := range rep.Rates {
		rep.Rates[i] = math.NaN()
	}
	rep.Below = nil
	if _, err := r.ReportPNG(rep); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReportPNG(Report{Lang: text.ZH, Months: []string{"x"}}); err == nil {
		t.Error("a month without its rate was drawn")
	}
}

func BenchmarkReportChart(b *testing.B) {
	path, err := FindFont("")
	if err != nil {
		b.Skip(err)
	}
	r, err := NewRenderer(path)
	if err != nil {
		b.Fatal(err)
	}
	rep := reportFixture()
	for b.Loop() {
		if _, err := r.ReportPNG(rep); err != nil {
			b.Fatal(err)
		}
	}
}
