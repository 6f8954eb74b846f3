package poster

import (
	"image"
	"image/color"
	"image/draw"
	"strings"

	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
)

// Alignment of a line of text in its box.
type align int

const (
	alignCenter align = iota
	alignLeft
)

// textLine is one line to draw: at size px (shrunk down to minSize to fit width, then cut with an
// ellipsis), its box starting at x and width wide, on baseline y.
type textLine struct {
	text          string
	size, minSize float64
	x, width, y   int
	col           color.Color
	align         align
	bold          bool
}

// draw draws l on img and returns the width it took.
func (r *Renderer) draw(img *image.RGBA, l textLine) (int, error) {
	if l.text == "" {
		return 0, nil
	}
	if l.minSize <= 0 || l.minSize > l.size {
		l.minSize = l.size
	}
	var face font.Face
	var width fixed.Int26_6
	step := max(l.size/32, 1)
	for size := l.size; ; size -= step {
		size = max(size, l.minSize)
		f, err := r.face(size)
		if err != nil {
			return 0, err
		}
		width = font.MeasureString(f, l.text)
		if width.Ceil() <= l.width || size == l.minSize {
			face = f
			break
		}
		_ = f.Close()
	}
	defer face.Close()
	text := l.text
	if width.Ceil() > l.width {
		ellipsis := "…"
		if r.font.check(ellipsis) != nil {
			ellipsis = "..."
		}
		runes := []rune(text)
		for len(runes) > 1 {
			runes = runes[:len(runes)-1]
			text = strings.TrimSpace(string(runes)) + ellipsis
			if width = font.MeasureString(face, text); width.Ceil() <= l.width {
				break
			}
		}
	}
	x := l.x
	if l.align == alignCenter {
		x = l.x + (l.width-width.Ceil())/2
	}
	d := font.Drawer{Dst: img, Src: image.NewUniform(l.col), Face: face, Dot: fixed.P(x, l.y)}
	d.DrawString(text)
	if l.bold {
		// The system's CJK fonts come in one weight: a second pass a hair to the right makes a
		// heading read bold from across the hall.
		d.Dot = fixed.P(x+max(int(l.size/28), 1), l.y)
		d.DrawString(text)
	}
	return width.Ceil(), nil
}

// fill paints rect with c.
func fill(img *image.RGBA, rect image.Rectangle, c color.Color) {
	draw.Draw(img, rect, image.NewUniform(c), image.Point{}, draw.Src)
}

// disc paints a filled circle of radius rad around (cx, cy), its edge smoothed.
func disc(img *image.RGBA, cx, cy, rad int, c color.RGBA) {
	r2 := float64(rad * rad)
	for y := cy - rad - 1; y <= cy+rad+1; y++ {
		for x := cx - rad - 1; x <= cx+rad+1; x++ {
			dx, dy := float64(x-cx)+0.5, float64(y-cy)+0.5
			d := dx*dx + dy*dy
			switch {
			case d <= r2-float64(rad):
				img.SetRGBA(x, y, c)
			case d <= r2+float64(rad):
				// Within about half a pixel of the edge: blend.
				a := (r2 + float64(rad) - d) / (2 * float64(rad))
				blend(img, x, y, c, a)
			}
		}
	}
}

// blend mixes c into the pixel at (x, y) with weight a in [0,1].
func blend(img *image.RGBA, x, y int, c color.RGBA, a float64) {
	if !(image.Point{x, y}.In(img.Rect)) {
		return
	}
	o := img.RGBAAt(x, y)
	mix := func(p, q uint8) uint8 { return uint8(float64(p)*(1-a) + float64(q)*a + 0.5) }
	img.SetRGBA(x, y, color.RGBA{mix(o.R, c.R), mix(o.G, c.G), mix(o.B, c.B), 0xff})
}

// drawQRIn draws the QR code bits centred in box with whole-pixel modules, leaving the quiet
// zone scanners need inside the box, and returns the module size.
func drawQRIn(img *image.RGBA, box image.Rectangle, bits [][]bool) int {
	n := len(bits)
	side := min(box.Dx(), box.Dy())
	scale := max(side/(n+2*quietZone), 1)
	x0 := box.Min.X + (box.Dx()-n*scale)/2
	y0 := box.Min.Y + (box.Dy()-n*scale)/2
	fill(img, box, color.White)
	black := image.NewUniform(color.Black)
	for y, row := range bits {
		for x, on := range row {
			if on {
				rr := image.Rect(x0+x*scale, y0+y*scale, x0+(x+1)*scale, y0+(y+1)*scale)
				draw.Draw(img, rr, black, image.Point{}, draw.Src)
			}
		}
	}
	return scale
}

// drawCover scales src to cover rect (cropping what sticks out, centred) and draws it there.
func drawCover(img *image.RGBA, rect image.Rectangle, src image.Image) {
	sb := src.Bounds()
	if sb.Empty() {
		return
	}
	// The part of src with rect's aspect ratio.
	crop := sb
	if sb.Dx()*rect.Dy() > sb.Dy()*rect.Dx() {
		w := sb.Dy() * rect.Dx() / rect.Dy()
		crop.Min.X += (sb.Dx() - w) / 2
		crop.Max.X = crop.Min.X + w
	} else {
		h := sb.Dx() * rect.Dy() / rect.Dx()
		crop.Min.Y += (sb.Dy() - h) / 4 // a portrait's face is in its upper part
		crop.Max.Y = crop.Min.Y + h
	}
	xdraw.CatmullRom.Scale(img, rect, src, crop, xdraw.Src, nil)
}

// frame draws a border of width w inside rect.
func frame(img *image.RGBA, rect image.Rectangle, w int, c color.Color) {
	fill(img, image.Rect(rect.Min.X, rect.Min.Y, rect.Max.X, rect.Min.Y+w), c)
	fill(img, image.Rect(rect.Min.X, rect.Max.Y-w, rect.Max.X, rect.Max.Y), c)
	fill(img, image.Rect(rect.Min.X, rect.Min.Y, rect.Min.X+w, rect.Max.Y), c)
	fill(img, image.Rect(rect.Max.X-w, rect.Min.Y, rect.Max.X, rect.Max.Y), c)
}
