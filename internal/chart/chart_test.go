package chart_test

import (
	"bytes"
	"encoding/xml"
	"image/png"
	"io"
	"math"
	"slices"
	"strings"
	"testing"

	"windowbot/internal/chart"
	// The go command passes -update to every test binary of the module; testenv defines it.
	_ "windowbot/internal/testenv"
)

var nan = math.NaN()

// svgCounts parses an SVG and counts its circles and the texts it shows.
func svgCounts(t *testing.T, doc string) (circles int, texts []string, dashed int) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(doc))
	inText := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed SVG: %v\n%s", err, doc)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			switch el.Name.Local {
			case "circle":
				circles++
			case "text":
				inText = true
			case "path":
				for _, a := range el.Attr {
					if a.Name.Local == "stroke-dasharray" {
						dashed++
					}
				}
			}
		case xml.EndElement:
			inText = false
		case xml.CharData:
			if inText {
				texts = append(texts, string(el))
			}
		}
	}
	return circles, texts, dashed
}

func TestTrendSVG(t *testing.T) {
	months := []string{"12", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"}
	for _, tc := range []struct {
		name   string
		trend  chart.Trend
		dots   int
		dashed int
	}{
		{"a year", chart.Trend{Labels: months, Values: []float64{.93, .95, .96, nan, .97, .98, .91, .95, .96, .97, .99, .94, .96}, Target: .95}, 12, 1},
		{"one month", chart.Trend{Labels: months[:1], Values: []float64{1}, Target: .95}, 1, 1},
		{"no data", chart.Trend{Labels: months, Values: []float64{nan, nan, nan, nan, nan, nan, nan, nan, nan, nan, nan, nan, nan}, Target: .95}, 0, 1},
		{"no target", chart.Trend{Labels: months[:3], Values: []float64{.5, .6, .7}}, 3, 0},
		{"nothing at all", chart.Trend{}, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.trend.SVG(&b); err != nil {
				t.Fatal(err)
			}
			doc := b.String()
			if !strings.HasPrefix(doc, "<svg ") || !strings.Contains(doc, `viewBox="0 0 480 240"`) || strings.Contains(doc, ` width="`) {
				t.Errorf("not a scalable svg element: %.200s", doc)
			}
			circles, texts, dashed := svgCounts(t, doc)
			if circles != tc.dots || tc.trend.Points() != tc.dots {
				t.Errorf("%d circles, Points() = %d; want %d", circles, tc.trend.Points(), tc.dots)
			}
			if dashed != tc.dashed {
				t.Errorf("%d dashed lines, want %d", dashed, tc.dashed)
			}
			joined := strings.Join(texts, " ")
			if !strings.Contains(joined, "100%") {
				t.Errorf("no 100%% on the axis: %q", joined)
			}
			for _, x := range texts {
				if x != "" && !strings.HasSuffix(x, "%") && !slices.Contains(tc.trend.Labels, x) {
					t.Errorf("stray text %q", x)
				}
			}
			for _, l := range tc.trend.Labels {
				if !strings.Contains(" "+joined+" ", " "+l+" ") {
					t.Errorf("label %q missing from %q", l, joined)
				}
			}
		})
	}
	// The axis goes down far enough to show the lowest point and the target.
	var b bytes.Buffer
	if err := (chart.Trend{Labels: []string{"1", "2"}, Values: []float64{.62, .99}, Target: .95}).SVG(&b); err != nil {
		t.Fatal(err)
	}
	if _, texts, _ := svgCounts(t, b.String()); !strings.Contains(strings.Join(texts, " "), "60%") {
		t.Errorf("axis of a 62%% month: %q", texts)
	}
}

// go-chart writes SVG text as it is given; labels that are not plain digits must not break the
// document or inject markup.
func TestTrendSVGEscapesLabels(t *testing.T) {
	var b bytes.Buffer
	tr := chart.Trend{Labels: []string{"<b>1</b>", "a&b"}, Values: []float64{.9, .95}, Target: .95}
	if err := tr.SVG(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "<b>") {
		t.Fatal("label markup written raw")
	}
	if _, texts, _ := svgCounts(t, b.String()); !strings.Contains(strings.Join(texts, "|"), "<b>1</b>|a&b") {
		t.Errorf("labels = %q", texts)
	}
}

func TestTrendPNG(t *testing.T) {
	var b bytes.Buffer
	tr := chart.Trend{Labels: []string{"1", "2", "3"}, Values: []float64{.9, nan, .97}, Target: .95, Width: 600, Height: 300}
	if err := tr.PNG(&b); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	if got := img.Bounds().Size(); got.X != 600 || got.Y != 300 {
		t.Fatalf("size = %v", got)
	}
	// Somewhere the series' blue is drawn.
	found := false
	for y := 0; y < 300 && !found; y++ {
		for x := 0; x < 600; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 == uint32(chart.SeriesColor.R) && g>>8 == uint32(chart.SeriesColor.G) && bl>>8 == uint32(chart.SeriesColor.B) {
				found = true
				break
			}
		}
	}
	if !found {
		t.Error("no pixel of the series colour")
	}
}
