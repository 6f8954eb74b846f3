package poster

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"strings"

	chart "github.com/wcharczuk/go-chart/v2"
	"github.com/wcharczuk/go-chart/v2/drawing"

	"windowbot/internal/text"
)

// ReportWidth is the report chart's width; its height grows with the windows below target.
const ReportWidth = 1200

// maxBars bounds the windows below target drawn; the text lists them all.
const maxBars = 8

// Report is the monthly report's chart: satisfaction month by month against the target, and the
// windows below target.
type Report struct {
	// Lang is the language of the chart's words.
	Lang string
	// Title heads the chart, e.g. "2026年10月 月度好差评报告 · 示范政务服务中心".
	Title string
	// Months label the trend, oldest first ("2025-11"); Rates are their satisfaction rates in
	// [0,1], NaN for a month without ratings.
	Months []string
	Rates  []float64
	// Target is the satisfaction target in [0,1].
	Target float64
	// Below are the windows of the last month under the target, worst first.
	Below []Bar
}

// Bar is a window under the target.
type Bar struct {
	Code, Name string
	Rate       float64
	Count      int
}

var (
	chartBlue = drawing.Color{R: 0x1f, G: 0x5f, B: 0xbf, A: 0xff}
	chartRed  = drawing.Color{R: 0xc8, G: 0x10, B: 0x2e, A: 0xff}
)

// ReportPNG draws r as a PNG ReportWidth wide: the trend as a go-chart line chart (its
// axes in figures only, which go-chart's own font draws) under a heading and a legend in the
// hall's language, then the windows below target as bars.
func (r *Renderer) ReportPNG(rep Report) ([]byte, error) {
	img, err := r.ReportImage(rep)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("poster: encode png: %w", err)
	}
	return buf.Bytes(), nil
}

// ReportImage draws r; ReportPNG encodes it.
func (r *Renderer) ReportImage(rep Report) (*image.RGBA, error) {
	if len(rep.Months) == 0 || len(rep.Months) != len(rep.Rates) {
		return nil, errors.New("poster: report chart needs a rate for every month")
	}
	lang := rep.Lang
	pct := func(v float64) string { return fmt.Sprintf("%.1f%%", v*100) }
	legendRate := text.T(lang, "poster.chart_rate")
	legendTarget := text.T(lang, "poster.chart_target", "Target", pct(rep.Target))
	belowTitle := text.T(lang, "poster.chart_below", "Count", len(rep.Below))
	noneBelow := text.T(lang, "poster.chart_none_below")
	var barTexts strings.Builder
	for _, b := range rep.Below {
		barTexts.WriteString(b.Code + b.Name)
	}
	if err := r.font.check(rep.Title + legendRate + legendTarget + belowTitle + noneBelow + barTexts.String()); err != nil {
		return nil, err
	}
	bars := min(len(rep.Below), maxBars)
	W, H := ReportWidth, 150+trendHeight+30+60+max(bars, 1)*44+40
	img := image.NewRGBA(image.Rect(0, 0, W, H))
	fill(img, img.Bounds(), color.White)
	fill(img, image.Rect(0, 0, W, 90), red)
	lines := []textLine{{text: rep.Title, size: 40, minSize: 24, x: 40, width: W - 80, y: 60, col: color.White, bold: true, align: alignLeft}}

	// The trend.
	trend, err := trendChart(rep)
	if err != nil {
		return nil, err
	}
	drawImage(img, image.Pt(0, 150), trend)
	// Legend: a blue line for the rate, a red one for the target.
	fill(img, image.Rect(60, 122, 110, 128), rgb(0x1f5fbf))
	lines = append(lines, textLine{text: legendRate, size: 26, x: 120, width: 400, y: 135, col: ink, align: alignLeft})
	for x := 560; x < 610; x += 14 {
		fill(img, image.Rect(x, 122, x+8, 128), red)
	}
	lines = append(lines, textLine{text: legendTarget, size: 26, x: 620, width: 500, y: 135, col: ink, align: alignLeft})

	// The windows below target, as bars from 0 to 100%.
	top := 150 + trendHeight + 30
	fill(img, image.Rect(40, top-15, W-40, top-13), lightGrey)
	lines = append(lines, textLine{text: belowTitle, size: 32, x: 40, width: W - 80, y: top + 30, col: ink, bold: true, align: alignLeft})
	if len(rep.Below) == 0 {
		lines = append(lines, textLine{text: noneBelow, size: 28, x: 40, width: W - 80, y: top + 90, col: grey, align: alignLeft})
	}
	barX, barW := 420, W-420-170
	for i, b := range rep.Below[:bars] {
		y := top + 60 + i*44
		fill(img, image.Rect(barX, y, barX+barW, y+30), rgb(0xf2f2f2))
		fill(img, image.Rect(barX, y, barX+int(float64(barW)*clamp01(b.Rate)), y+30), red)
		tx := barX + int(float64(barW)*clamp01(rep.Target))
		fill(img, image.Rect(tx-1, y-4, tx+2, y+34), ink)
		lines = append(lines,
			textLine{text: b.Code + " " + b.Name, size: 26, minSize: 18, x: 40, width: barX - 60, y: y + 25, col: ink, align: alignLeft},
			textLine{text: pct(b.Rate), size: 26, x: barX + barW + 15, width: 150, y: y + 25, col: red, align: alignLeft, bold: true},
		)
	}
	for _, l := range lines {
		if _, err := r.draw(img, l); err != nil {
			return nil, err
		}
	}
	return img, nil
}

// trendHeight is the height of the trend chart.
const trendHeight = 560

// trendChart draws the satisfaction rates of the months and the target with go-chart.
func trendChart(rep Report) (image.Image, error) {
	var xs, ys []float64
	lo := rep.Target
	for i, v := range rep.Rates {
		if math.IsNaN(v) {
			continue // a month without ratings has no point
		}
		xs, ys = append(xs, float64(i)), append(ys, v*100)
		lo = min(lo, v)
	}
	ticks := make([]chart.Tick, len(rep.Months))
	for i, m := range rep.Months {
		ticks[i] = chart.Tick{Value: float64(i), Label: m}
	}
	floor := math.Max(0, math.Floor(lo*100/5)*5-5)
	n := float64(len(rep.Months) - 1)
	series := []chart.Series{
		chart.ContinuousSeries{XValues: []float64{0, math.Max(n, 1)}, YValues: []float64{rep.Target * 100, rep.Target * 100},
			Style: chart.Style{StrokeColor: chartRed, StrokeWidth: 3, StrokeDashArray: []float64{10, 6}}},
	}
	if len(xs) > 0 {
		series = append(series, chart.ContinuousSeries{XValues: xs, YValues: ys,
			Style: chart.Style{StrokeColor: chartBlue, StrokeWidth: 4, DotColor: chartBlue, DotWidth: 6}})
	}
	c := chart.Chart{
		Width: ReportWidth, Height: trendHeight,
		Background: chart.Style{Padding: chart.Box{Top: 20, Left: 30, Right: 40, Bottom: 20}},
		XAxis: chart.XAxis{Ticks: ticks, Range: &chart.ContinuousRange{Min: 0, Max: math.Max(n, 1)},
			Style: chart.Style{FontSize: 11, TextRotationDegrees: 0}},
		YAxis: chart.YAxis{Range: &chart.ContinuousRange{Min: floor, Max: 100},
			ValueFormatter: func(v any) string { return fmt.Sprintf("%.0f%%", v) },
			Style:          chart.Style{FontSize: 12}, GridMajorStyle: chart.Style{StrokeColor: drawing.Color{R: 0xdd, G: 0xdd, B: 0xdd, A: 0xff}, StrokeWidth: 1}},
		Series: series,
	}
	var buf bytes.Buffer
	if err := c.Render(chart.PNG, &buf); err != nil {
		return nil, fmt.Errorf("poster: trend chart: %w", err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		return nil, fmt.Errorf("poster: trend chart: %w", err)
	}
	return img, nil
}

func clamp01(v float64) float64 { return math.Max(0, math.Min(1, v)) }

// drawImage draws src with its top-left corner at at.
func drawImage(dst *image.RGBA, at image.Point, src image.Image) {
	b := src.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			dst.Set(at.X+x-b.Min.X, at.Y+y-b.Min.Y, src.At(x, y))
		}
	}
}
