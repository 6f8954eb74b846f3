package poster

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/skip2/go-qrcode"
	xdraw "golang.org/x/image/draw"

	"windowbot/internal/text"
)

// Size is a paper size a poster is printed on, in pixels at 300 dpi.
type Size struct {
	// Name is how the size is asked for: a4, a5 or tent.
	Name          string
	Width, Height int
}

// The print sizes, at 300 dpi: A4 for the wall behind a counter, A5 for its front, and a table
// tent (A6, the insert of an acrylic stand on the counter).
var (
	A4   = Size{Name: "a4", Width: 2480, Height: 3508}
	A5   = Size{Name: "a5", Width: 1748, Height: 2480}
	Tent = Size{Name: "tent", Width: 1240, Height: 1748}
)

// Sizes lists the print sizes, the default first.
func Sizes() []Size { return []Size{A4, A5, Tent} }

// ParseSize returns the size named name (a4, a5 or tent, any case).
func ParseSize(name string) (Size, error) {
	for _, s := range Sizes() {
		if strings.EqualFold(name, s.Name) {
			return s, nil
		}
	}
	return Size{}, fmt.Errorf("poster: unknown size %q (a4, a5 or tent)", name)
}

// Print is a print-ready poster: the QR code with the window's or staff member's name, what the
// five levels mean, and where to complain.
type Print struct {
	Poster
	// Lang is the language of the poster's fixed words (the levels, the hotlines).
	Lang string
	// Center is the hall's name, printed in the header.
	Center string
	// StaffNo and Photo make a staff member's own poster (亮牌上岗): their number large and their
	// photo beside the code. Photo is optional.
	StaffNo string
	Photo   image.Image
	// Hotline is the hall's supervision hotline (监督电话) and ServiceLine the government service
	// hotline (12345); either may be empty.
	Hotline, ServiceLine string
}

// Colours of the print poster.
var (
	red       = rgb(signalRGB)
	ink       = rgb(inkRGB)
	grey      = rgb(greyRGB)
	paleRed   = rgb(0xfdf0f1)
	lightGrey = rgb(ruleRGB)
)

// levelNotes are the one-line explanations of the five levels, best first.
func levelNotes(lang string) [5]string {
	return [5]string{
		text.T(lang, "poster.level_5"), text.T(lang, "poster.level_4"), text.T(lang, "poster.level_3"),
		text.T(lang, "poster.level_2"), text.T(lang, "poster.level_1"),
	}
}

// PrintImage draws p at size. It fails before drawing when the URL does not fit a QR code or the
// font lacks a character of the texts.
func (r *Renderer) PrintImage(p Print, size Size) (*image.RGBA, error) {
	if p.URL == "" {
		return nil, errors.New("poster: empty URL")
	}
	if strings.TrimSpace(p.Title) == "" {
		return nil, errors.New("poster: empty title")
	}
	if size.Width <= 0 || size.Height <= 0 {
		return nil, errors.New("poster: no size")
	}
	lang := p.Lang
	if p.Footer == "" {
		p.Footer = text.T(lang, "poster.window_footer")
	}
	header := text.T(lang, "poster.print_header")
	notes := levelNotes(lang)
	var levels [5]string
	for i := range levels {
		levels[i] = text.T(lang, "level."+strconv.Itoa(5-i))
	}
	var contact []string
	if p.Hotline != "" {
		contact = append(contact, text.T(lang, "poster.hotline", "Phone", p.Hotline))
	}
	if p.ServiceLine != "" {
		contact = append(contact, text.T(lang, "poster.service_line", "Phone", p.ServiceLine))
	}
	staffNo := ""
	if p.StaffNo != "" {
		staffNo = text.T(lang, "poster.staff_no", "StaffNo", p.StaffNo)
	}
	anonymous := text.T(lang, "poster.anonymous")
	levelsTitle := text.T(lang, "poster.levels_title")
	all := header + p.Center + p.Title + p.Subtitle + p.Footer + strings.Join(notes[:], "") + strings.Join(levels[:], "") +
		strings.Join(contact, "") + staffNo + anonymous + levelsTitle + "12345·："
	if err := r.font.check(all); err != nil {
		return nil, err
	}
	q, err := qrcode.New(p.URL, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("poster: qr code for %q: %w", p.URL, err)
	}
	q.DisableBorder = true

	W, H := size.Width, size.Height
	// Every length is in thousandths of the width: the three sizes share one layout.
	u := func(v float64) int { return int(v * float64(W) / 1000) }
	uf := func(v float64) float64 { return v * float64(W) / 1000 }
	img := image.NewRGBA(image.Rect(0, 0, W, H))
	fill(img, img.Bounds(), color.White)
	margin := u(60)
	inner := W - 2*margin

	// Header: a red band with the campaign's name and the hall.
	fill(img, image.Rect(0, 0, W, u(150)), red)
	white := color.White
	lines := []textLine{
		{text: header, size: uf(62), minSize: uf(40), x: margin, width: inner, y: u(78), col: white, bold: true},
		{text: p.Center, size: uf(38), minSize: uf(26), x: margin, width: inner, y: u(130), col: white},
		{text: p.Title, size: uf(96), minSize: uf(52), x: margin, width: inner, y: u(255), col: ink, bold: true},
		{text: p.Subtitle, size: uf(38), minSize: uf(26), x: margin, width: inner, y: u(315), col: grey},
	}
	// The code, and on a staff member's poster their photo and number beside it.
	qrTop := u(345)
	if p.StaffNo != "" {
		photo := image.Rect(margin, qrTop+u(20), margin+u(330), qrTop+u(20)+u(440))
		if p.Photo != nil {
			drawCover(img, photo, p.Photo)
		} else {
			fill(img, photo, paleRed)
			initial := string([]rune(strings.TrimSpace(p.Title))[:1])
			lines = append(lines, textLine{text: initial, size: uf(180), x: photo.Min.X, width: photo.Dx(), y: photo.Min.Y + u(290), col: red})
		}
		frame(img, photo, max(u(3), 1), lightGrey)
		lines = append(lines, textLine{text: staffNo, size: uf(44), minSize: uf(26), x: photo.Min.X - u(20), width: photo.Dx() + u(40), y: photo.Max.Y + u(62), col: ink, bold: true})
		drawQRIn(img, image.Rect(margin+u(360), qrTop, W-margin+u(20), qrTop+u(520)), q.Bitmap())
	} else {
		drawQRIn(img, image.Rect((W-u(520))/2, qrTop, (W+u(520))/2, qrTop+u(520)), q.Bitmap())
	}
	lines = append(lines, textLine{text: p.Footer, size: uf(52), minSize: uf(30), x: margin, width: inner, y: qrTop + u(580), col: red, bold: true})

	// The five levels, one line each, on a pale box.
	box := image.Rect(margin, qrTop+u(615), W-margin, qrTop+u(615)+u(300))
	fill(img, box, paleRed)
	lines = append(lines, textLine{text: levelsTitle, size: uf(36), x: box.Min.X + u(30), width: box.Dx() - u(60), y: box.Min.Y + u(52), col: ink, align: alignLeft, bold: true})
	for i := range 5 {
		y := box.Min.Y + u(102) + i*u(44)
		disc(img, box.Min.X+u(52), y-u(11), u(18), levelColour(5-i))
		lines = append(lines,
			textLine{text: strconv.Itoa(5 - i), size: uf(26), x: box.Min.X + u(32), width: u(40), y: y, col: white, bold: true},
			textLine{text: levels[i], size: uf(34), x: box.Min.X + u(90), width: u(200), y: y, col: ink, align: alignLeft, bold: true},
			textLine{text: notes[i], size: uf(32), minSize: uf(20), x: box.Min.X + u(300), width: box.Dx() - u(330), y: y, col: grey, align: alignLeft},
		)
	}
	// Where to complain, and the promise of anonymity.
	rule := box.Max.Y + u(25)
	fill(img, image.Rect(margin, rule, W-margin, rule+max(u(2), 1)), lightGrey)
	if len(contact) > 0 {
		lines = append(lines, textLine{text: strings.Join(contact, "　"), size: uf(40), minSize: uf(24), x: margin, width: inner, y: rule + u(50), col: ink, bold: true})
	}
	lines = append(lines, textLine{text: anonymous, size: uf(30), minSize: uf(20), x: margin, width: inner, y: min(rule+u(100), H-u(20)), col: grey})
	for _, l := range lines {
		if _, err := r.draw(img, l); err != nil {
			return nil, err
		}
	}
	return img, nil
}

// levelColour is the colour of a level's badge: red for the bad reviews, grey for 基本满意,
// green for the good ones.
func levelColour(level int) color.RGBA {
	switch level {
	case 5, 4:
		return rgb(0x1e8e3e)
	case 3:
		return rgb(0x888888)
	}
	return red
}

// RenderPrint writes p at size as a PNG to w.
func (r *Renderer) RenderPrint(w io.Writer, p Print, size Size) error {
	img, err := r.PrintImage(p, size)
	if err != nil {
		return err
	}
	enc := png.Encoder{CompressionLevel: png.DefaultCompression}
	if err := enc.Encode(w, img); err != nil {
		return fmt.Errorf("poster: encode png: %w", err)
	}
	return nil
}

// WritePrintFile renders p at size as a PNG file at path, created or truncated.
func (r *Renderer) WritePrintFile(path string, p Print, size Size) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("poster: %w", err)
	}
	if err := r.RenderPrint(f, p, size); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("poster: %w", err)
	}
	return nil
}

// DecodePhoto reads a staff photo (JPEG or PNG) for a poster.
func DecodePhoto(data []byte) (image.Image, error) {
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("poster: photo: %w", err)
	}
	return img, nil
}

// LocalURL reports whether base is no address a citizen's phone can open: empty, not a URL, or
// a loopback or unspecified host (localhost, 127.0.0.1, ::1, 0.0.0.0).
func LocalURL(base string) bool {
	u, err := url.Parse(strings.TrimSpace(base))
	if err != nil || u.Host == "" {
		return true
	}
	host := strings.ToLower(u.Hostname())
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback() || ip.IsUnspecified()
	}
	return false
}

// Staff photos are kept at most this size: enough for a poster at 300 dpi (about 5 cm wide).
const (
	photoMaxWidth  = 600
	photoMaxHeight = 800
)

// NormalizePhoto reads a staff photo (JPEG or PNG) and returns it as a JPEG of at most
// 600×800 pixels, so a camera's 10-megabyte original is stored as a hundred kilobytes.
func NormalizePhoto(data []byte) ([]byte, error) {
	img, err := DecodePhoto(data)
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	scale := min(1, float64(photoMaxWidth)/float64(b.Dx()), float64(photoMaxHeight)/float64(b.Dy()))
	w, h := max(int(float64(b.Dx())*scale), 1), max(int(float64(b.Dy())*scale), 1)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	xdraw.CatmullRom.Scale(dst, dst.Bounds(), img, b, xdraw.Src, nil)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 88}); err != nil {
		return nil, fmt.Errorf("poster: photo: %w", err)
	}
	return buf.Bytes(), nil
}
