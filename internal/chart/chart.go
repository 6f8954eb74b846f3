// Package chart draws windowbot's charts with go-chart: inline SVG for the public board, PNG
// for pictures sent in a chat. It knows nothing of ratings: a chart is labels and values.
//
// Texts inside a chart are measured with go-chart's embedded Latin font, which has no CJK
// glyphs, so labels are best kept to digits and Latin letters: the words go around the chart (a
// caption, a legend), where the page's own fonts draw them.
package chart

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"math"

	gochart "github.com/wcharczuk/go-chart/v2"
	"github.com/wcharczuk/go-chart/v2/drawing"
)

// Colours of the trend chart: the series in the board's blue, the target in its red.
var (
	SeriesColor = drawing.Color{R: 0x1b, G: 0x5f, B: 0xa8, A: 0xff}
	TargetColor = drawing.Color{R: 0xb2, G: 0x22, B: 0x22, A: 0xff}
	gridColor   = drawing.Color{R: 0xdd, G: 0xdd, B: 0xdd, A: 0xff}
	textColor   = drawing.Color{R: 0x44, G: 0x44, B: 0x44, A: 0xff}
)

// Trend is a rate over consecutive periods against a target: the board's satisfaction rate of
// thirteen months. Values are rates in [0, 1]; a NaN value is a period without data, drawn as no
// point (the line joins its neighbours).
type Trend struct {
	// Labels name the periods, oldest first, one per value; short (a month's number).
	Labels []string
	Values []float64
	// Target is drawn across as a dashed line; 0 draws none.
	Target float64
	// Width and Height are the size in pixels, default 480×240. An SVG scales to its box.
	Width, Height int
}

// Points counts the values that are drawn (not NaN): the dots of the series.
func (t Trend) Points() int {
	n := 0
	for _, v := range t.Values {
		if !math.IsNaN(v) {
			n++
		}
	}
	return n
}

// SVG writes the chart as an SVG element to embed in a page: no width or height of its own, so
// it takes the width its container gives it (the viewBox keeps the proportions).
func (t Trend) SVG(w io.Writer) error {
	var buf bytes.Buffer
	if err := t.chart(true).Render(gochart.SVG, &buf); err != nil {
		return fmt.Errorf("chart: trend svg: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// PNG writes the chart as a PNG picture.
func (t Trend) PNG(w io.Writer) error {
	if err := t.chart(false).Render(gochart.PNG, w); err != nil {
		return fmt.Errorf("chart: trend png: %w", err)
	}
	return nil
}

// chart builds the go-chart of t. go-chart writes SVG texts as they are, so for SVG the labels
// are escaped here.
func (t Trend) chart(svg bool) gochart.Chart {
	width, height := t.Width, t.Height
	if width <= 0 {
		width = 480
	}
	if height <= 0 {
		height = 240
	}
	n := max(len(t.Labels), len(t.Values), 1)
	lo, hi, step := t.yRange()

	label := func(s string) string {
		if svg {
			return html.EscapeString(s)
		}
		return s
	}
	// go-chart takes the x range from the ticks: the unlabelled ones at the ends leave half a
	// period of room around the first and the last point.
	xticks := make([]gochart.Tick, 0, n+2)
	xticks = append(xticks, gochart.Tick{Value: -0.5})
	for i := range n {
		l := ""
		if i < len(t.Labels) {
			l = label(t.Labels[i])
		}
		xticks = append(xticks, gochart.Tick{Value: float64(i), Label: l})
	}
	xticks = append(xticks, gochart.Tick{Value: float64(n) - 0.5})
	var yticks []gochart.Tick
	for v := lo; v <= hi+1e-9; v += step {
		yticks = append(yticks, gochart.Tick{Value: v, Label: fmt.Sprintf("%g%%", v)})
	}

	// An invisible frame spans the ranges, so a chart with one point or none still renders.
	series := []gochart.Series{gochart.ContinuousSeries{
		XValues: []float64{-0.5, float64(n) - 0.5}, YValues: []float64{lo, hi},
		Style: gochart.Style{StrokeWidth: 0, StrokeColor: drawing.ColorTransparent},
	}}
	if t.Target > 0 {
		y := t.Target * 100
		series = append(series, gochart.ContinuousSeries{
			Name: "target", XValues: []float64{-0.5, float64(n) - 0.5}, YValues: []float64{y, y},
			Style: gochart.Style{StrokeColor: TargetColor, StrokeWidth: 2, StrokeDashArray: []float64{6, 4}},
		})
	}
	var xs, ys []float64
	for i, v := range t.Values {
		if !math.IsNaN(v) {
			xs, ys = append(xs, float64(i)), append(ys, v*100)
		}
	}
	if len(xs) > 0 {
		series = append(series, gochart.ContinuousSeries{
			Name: "rate", XValues: xs, YValues: ys,
			Style: gochart.Style{StrokeColor: SeriesColor, StrokeWidth: 3, DotColor: SeriesColor, DotWidth: 4},
		})
	}
	axisText := gochart.Style{FontSize: 9, FontColor: textColor, StrokeColor: gridColor}
	return gochart.Chart{
		Width: width, Height: height,
		Background: gochart.Style{Padding: gochart.Box{Top: 12, Left: 8, Right: 12, Bottom: 4}},
		XAxis: gochart.XAxis{
			Style: axisText, Ticks: xticks,
		},
		YAxis: gochart.YAxis{
			Style: axisText, Ticks: yticks, AxisType: gochart.YAxisSecondary,
			GridMajorStyle: gochart.Style{StrokeColor: gridColor, StrokeWidth: 1},
			GridLines:      gridLines(yticks),
		},
		// The primary axis drawn on the left (AxisType above); go-chart's own secondary axis stays
		// hidden.
		YAxisSecondary: gochart.YAxis{Style: gochart.Style{Hidden: true}},
		Series:         series,
	}
}

func gridLines(ticks []gochart.Tick) []gochart.GridLine {
	out := make([]gochart.GridLine, len(ticks))
	for i, tk := range ticks {
		out[i] = gochart.GridLine{Value: tk.Value}
	}
	return out
}

// yRange is the percent range shown and the step of its grid: up to 100, down to a step below
// the lowest value and the target with some room, so that the differences that matter near the
// target show. The step is 5 points for a range of up to 30, then 10, then 20.
func (t Trend) yRange() (lo, hi, step float64) {
	low := 100.0
	if t.Target > 0 {
		low = t.Target * 100
	}
	for _, v := range t.Values {
		if !math.IsNaN(v) {
			low = min(low, v*100)
		}
	}
	low = max(0, low-2)
	switch {
	case low >= 70:
		step = 5
	case low >= 40:
		step = 10
	default:
		step = 20
	}
	lo = min(math.Floor(low/step)*step, 100-step)
	return lo, 100, step
}
