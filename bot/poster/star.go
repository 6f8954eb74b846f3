package poster

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"

	"windowbot/internal/text"
)

// The star poster's size: 3:4, sharp on a phone and light enough to send to every subscriber.
const (
	StarWidth  = 1080
	StarHeight = 1440
)

// Star is what a service star's poster shows (服务之星, or one of the year's ten best).
type Star struct {
	// Lang is the language of the poster's fixed words.
	Lang string
	// Heading is the honour, e.g. "2026年10月 服务之星" or "2026年度 十佳服务明星 · 第 3 名".
	Heading string
	// Center is the hall's name.
	Center string
	// Name and Window are the star's name and their window ("W001 不动产登记").
	Name, Window string
	// Photo is the star's imported photo; nil draws their initial instead.
	Photo image.Image
	// Rate is the satisfaction rate in [0,1] over Ratings ratings.
	Rate    float64
	Ratings int
	// Quotes are up to three citizens' praise, already masked.
	Quotes []string
	// RunnersUp names the runners-up of the month, if any.
	RunnersUp []string
}

var gold = rgb(0xf6c343)

// StarPNG draws s as a StarWidth×StarHeight PNG. It fails before drawing when the font lacks a
// character of the texts.
func (r *Renderer) StarPNG(s Star) ([]byte, error) {
	img, err := r.StarImage(s)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.DefaultCompression}).Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("poster: encode png: %w", err)
	}
	return buf.Bytes(), nil
}

// StarImage draws s; StarPNG encodes it.
func (r *Renderer) StarImage(s Star) (*image.RGBA, error) {
	if strings.TrimSpace(s.Name) == "" {
		return nil, errors.New("poster: a star without a name")
	}
	lang := s.Lang
	figures := text.T(lang, "poster.star_figures", "Rate", fmt.Sprintf("%.1f%%", s.Rate*100), "Count", s.Ratings)
	quotesTitle := text.T(lang, "poster.star_quotes")
	quotes := s.Quotes[:min(len(s.Quotes), 3)]
	runners := ""
	if len(s.RunnersUp) > 0 {
		runners = text.T(lang, "poster.star_runners_up", "Names", strings.Join(s.RunnersUp, text.T(lang, "poster.name_sep")))
	}
	if err := r.font.check(s.Heading + s.Center + s.Name + s.Window + figures + quotesTitle + strings.Join(quotes, "") + runners + "“”"); err != nil {
		return nil, err
	}
	W, H := StarWidth, StarHeight
	img := image.NewRGBA(image.Rect(0, 0, W, H))
	fill(img, img.Bounds(), rgb(0xfffaf0))
	// A red band with the honour, a gold rule under it.
	fill(img, image.Rect(0, 0, W, 250), red)
	fill(img, image.Rect(0, 250, W, 262), gold)
	lines := []textLine{
		{text: s.Center, size: 36, minSize: 24, x: 60, width: W - 120, y: 80, col: gold},
		{text: s.Heading, size: 76, minSize: 40, x: 60, width: W - 120, y: 190, col: color.White, bold: true},
	}
	// The photo in a gold frame, or the name's first character on a disc.
	photo := image.Rect((W-390)/2, 305, (W+390)/2, 305+500)
	fill(img, photo.Inset(-12), gold)
	if s.Photo != nil {
		drawCover(img, photo, s.Photo)
	} else {
		fill(img, photo, rgb(0xfdf0f1))
		initial := string([]rune(strings.TrimSpace(s.Name))[:1])
		lines = append(lines, textLine{text: initial, size: 240, x: photo.Min.X, width: photo.Dx(), y: photo.Min.Y + 330, col: red})
	}
	lines = append(lines,
		textLine{text: s.Name, size: 88, minSize: 48, x: 60, width: W - 120, y: 920, col: ink, bold: true},
		textLine{text: s.Window, size: 40, minSize: 26, x: 60, width: W - 120, y: 980, col: grey},
		textLine{text: figures, size: 44, minSize: 28, x: 60, width: W - 120, y: 1048, col: red, bold: true},
	)
	y := 1110
	if len(quotes) > 0 {
		fill(img, image.Rect(60, y-10, W-60, y-8), lightGrey)
		lines = append(lines, textLine{text: quotesTitle, size: 32, x: 60, width: W - 120, y: y + 36, col: grey, align: alignLeft})
		y += 40
		for _, q := range quotes {
			y += 50
			lines = append(lines, textLine{text: "“" + q + "”", size: 34, minSize: 22, x: 90, width: W - 180, y: y, col: ink, align: alignLeft})
		}
	}
	if runners != "" {
		lines = append(lines, textLine{text: runners, size: 32, minSize: 20, x: 60, width: W - 120, y: H - 40, col: grey})
	}
	for _, l := range lines {
		if _, err := r.draw(img, l); err != nil {
			return nil, err
		}
	}
	return img, nil
}
