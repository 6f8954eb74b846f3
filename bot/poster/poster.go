// Package poster makes the QR posters printed for a service window or worn by its staff: what
// the code opens on each channel (Linker: the web chat's link, the Telegram deep link, the WeChat
// account's permanent QR code), what the poster says (Spec, from a window or staff record), and
// the picture itself, a QR code with the Chinese name under it (Renderer). Go carries no CJK
// font, so the font comes from the system (FindFont, LoadFont) and every character is checked
// before drawing.
package poster

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"os"
	"strings"

	"github.com/skip2/go-qrcode"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"windowbot/internal/text"
)

// Poster size in pixels: 4:5, prints sharply on A5/A6 at about 200 dpi.
const (
	Width  = 800
	Height = 1000
)

// Layout, in pixels. The QR box includes the 4-module quiet zone scanners need.
const (
	qrBoxTop   = 40
	qrBoxSize  = 600
	quietZone  = 4 // modules
	textWidth  = 720
	titleBase  = 735
	subBase    = 810
	ruleY      = 860
	footerBase = 925

	titleMax, titleMin   = 64, 34
	subMax, subMin       = 30, 20
	footerMax, footerMin = 30, 20
)

// Colours as 0xRRGGBB. The footer uses the red of government signage so the call to action
// stands out.
const (
	inkRGB    = 0x111111
	greyRGB   = 0x555555
	ruleRGB   = 0xdddddd
	signalRGB = 0xc8102e
)

func rgb(v uint32) color.RGBA {
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 0xff}
}

// Poster is what one window's poster shows.
type Poster struct {
	// URL is encoded in the QR code: the window's rating link.
	URL string
	// Title is the window's name, printed large, e.g. "不动产登记".
	Title string
	// Subtitle is printed under the title, e.g. "窗口 W001 · 示范政务服务中心".
	Subtitle string
	// Footer is the call to action at the bottom; empty prints the window poster's footer.
	Footer string
}

// Renderer draws posters with one loaded font. It is safe for concurrent use.
type Renderer struct {
	font *Font
}

// NewRenderer loads the font file at path (see FindFont) and returns a Renderer using it.
func NewRenderer(path string) (*Renderer, error) {
	f, err := LoadFont(path)
	if err != nil {
		return nil, err
	}
	return NewRendererFont(f), nil
}

// NewRendererFont returns a Renderer using an already loaded font.
func NewRendererFont(f *Font) *Renderer {
	return &Renderer{font: f}
}

// Font returns the font the Renderer draws with.
func (r *Renderer) Font() *Font { return r.font }

// Render writes p as a Width×Height PNG to w. It fails before writing anything when the URL does
// not fit a QR code or the font lacks a character of the texts.
func (r *Renderer) Render(w io.Writer, p Poster) error {
	img, err := r.Image(p)
	if err != nil {
		return err
	}
	if err := png.Encode(w, img); err != nil {
		return fmt.Errorf("poster: encode png: %w", err)
	}
	return nil
}

// Image draws p. Render is Image followed by PNG encoding; Image serves callers that compose or
// encode differently.
func (r *Renderer) Image(p Poster) (*image.RGBA, error) {
	if p.URL == "" {
		return nil, errors.New("poster: empty URL")
	}
	if strings.TrimSpace(p.Title) == "" {
		return nil, errors.New("poster: empty title")
	}
	if p.Footer == "" {
		// The hall's posters are Chinese, with a line of English for visitors.
		p.Footer = text.T(text.ZH, "poster.window_footer")
	}
	if err := r.font.check(p.Title + p.Subtitle + p.Footer); err != nil {
		return nil, err
	}
	q, err := qrcode.New(p.URL, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("poster: qr code for %q: %w", p.URL, err)
	}
	q.DisableBorder = true // the quiet zone is drawn by the layout below

	img := image.NewRGBA(image.Rect(0, 0, Width, Height))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	drawQR(img, q.Bitmap())

	lines := []struct {
		text             string
		maxSize, minSize float64
		baseline         int
		rgb              uint32
	}{
		{p.Title, titleMax, titleMin, titleBase, inkRGB},
		{p.Subtitle, subMax, subMin, subBase, greyRGB},
		{p.Footer, footerMax, footerMin, footerBase, signalRGB},
	}
	for _, l := range lines {
		if l.text == "" {
			continue
		}
		if err := r.drawCentered(img, l.text, l.maxSize, l.minSize, l.baseline, rgb(l.rgb)); err != nil {
			return nil, err
		}
	}
	draw.Draw(img, image.Rect((Width-textWidth)/2+40, ruleY, (Width+textWidth)/2-40, ruleY+2),
		image.NewUniform(rgb(ruleRGB)), image.Point{}, draw.Src)
	return img, nil
}

// qrGeometry returns the module size and the top-left corner of a QR code of n modules, centred
// in the QR box with whole-pixel modules so every module prints the same size.
func qrGeometry(n int) (scale, x0, y0 int) {
	scale = max(qrBoxSize/(n+2*quietZone), 1)
	side := n * scale
	return scale, (Width - side) / 2, qrBoxTop + (qrBoxSize-side)/2
}

func drawQR(img *image.RGBA, bits [][]bool) {
	scale, x0, y0 := qrGeometry(len(bits))
	black := image.NewUniform(color.Black)
	for y, row := range bits {
		for x, on := range row {
			if on {
				r := image.Rect(x0+x*scale, y0+y*scale, x0+(x+1)*scale, y0+(y+1)*scale)
				draw.Draw(img, r, black, image.Point{}, draw.Src)
			}
		}
	}
}

// drawCentered draws one line centred on the baseline, shrinking the size until it fits
// textWidth and, below minSize, shortening it with an ellipsis: long window names exist
// ("企业开办综合受理窗口（含税务、社保、公积金）").
func (r *Renderer) drawCentered(img *image.RGBA, text string, maxSize, minSize float64, baseline int, col color.Color) error {
	var face font.Face
	var width fixed.Int26_6
	for size := maxSize; ; size -= 2 {
		if size < minSize {
			size = minSize
		}
		f, err := r.face(size)
		if err != nil {
			return err
		}
		width = font.MeasureString(f, text)
		if width.Ceil() <= textWidth || size == minSize {
			face = f
			break
		}
		_ = f.Close()
	}
	defer face.Close()

	if width.Ceil() > textWidth {
		ellipsis := "…"
		if r.font.check(ellipsis) != nil {
			ellipsis = "..."
		}
		runes := []rune(text)
		for len(runes) > 1 {
			runes = runes[:len(runes)-1]
			text = strings.TrimSpace(string(runes)) + ellipsis
			if width = font.MeasureString(face, text); width.Ceil() <= textWidth {
				break
			}
		}
	}
	d := font.Drawer{
		Dst:  img,
		Src:  image.NewUniform(col),
		Face: face,
		Dot:  fixed.P((Width-width.Ceil())/2, baseline),
	}
	d.DrawString(text)
	return nil
}

// face makes a face per call: an opentype face holds a glyph buffer and is not safe for
// concurrent use, while making one is cheap next to parsing the font.
func (r *Renderer) face(size float64) (font.Face, error) {
	f, err := opentype.NewFace(r.font.f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil, fmt.Errorf("poster: font face %.0fpx: %w", size, err)
	}
	return f, nil
}

// WriteFile renders p as a PNG file at path, created or truncated.
func (r *Renderer) WriteFile(path string, p Poster) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("poster: %w", err)
	}
	if err := r.Render(f, p); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("poster: %w", err)
	}
	return nil
}
