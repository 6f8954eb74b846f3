package poster

import (
	"bytes"
	"errors"
	"flag"
	"image"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/skip2/go-qrcode"
	"golang.org/x/image/font/gofont/goregular"
)

// out writes the rendered test poster to a file, for looking at it:
//
//	go test ./bot/poster -run TestRender -args -out=poster.png
var (
	out      = flag.String("out", "", "write the rendered test poster to this PNG file")
	printOut = flag.String("out.print", "", "write the A4 print poster of the tests to this PNG file")
)

// cjkFont loads the system CJK font, skipping the test without one unless CI=true, where a skip
// would hide that posters print empty boxes.
func cjkFont(t *testing.T) *Font {
	t.Helper()
	path, err := FindFont(os.Getenv("WINDOWBOT_QR_FONT"))
	if err == nil {
		// A font that is there but cannot be used is a bug to fix, never a reason to skip.
		f, err := LoadFont(path)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CJK font required under CI=true: %v", err)
	}
	t.Skipf("no CJK font: %v", err)
	return nil
}

func dark(img image.Image, x, y int) bool {
	r, g, b, _ := img.At(x, y).RGBA()
	return (r+g+b)/3 < 0x8000
}

// darkIn counts dark pixels in rect.
func darkIn(img image.Image, rect image.Rectangle) int {
	n := 0
	for y := rect.Min.Y; y < rect.Max.Y; y++ {
		for x := rect.Min.X; x < rect.Max.X; x++ {
			if dark(img, x, y) {
				n++
			}
		}
	}
	return n
}

// darkBounds returns the bounding box of dark pixels in rect.
func darkBounds(img image.Image, rect image.Rectangle) image.Rectangle {
	b := image.Rectangle{Min: rect.Max, Max: rect.Min}
	for y := rect.Min.Y; y < rect.Max.Y; y++ {
		for x := rect.Min.X; x < rect.Max.X; x++ {
			if dark(img, x, y) {
				b.Min.X, b.Min.Y = min(b.Min.X, x), min(b.Min.Y, y)
				b.Max.X, b.Max.Y = max(b.Max.X, x+1), max(b.Max.Y, y+1)
			}
		}
	}
	return b
}

func render(t *testing.T, r *Renderer, p Poster) image.Image {
	t.Helper()
	var buf bytes.Buffer
	if err := r.Render(&buf, p); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatalf("output is not a PNG: %v", err)
	}
	return img
}

func TestRender(t *testing.T) {
	r := NewRendererFont(cjkFont(t))
	p := Poster{
		URL:      "https://wb.example.gov.cn/?w=W001",
		Title:    "不动产登记",
		Subtitle: "窗口 W001 · 示范政务服务中心",
	}
	var buf bytes.Buffer
	if err := r.Render(&buf, p); err != nil {
		t.Fatal(err)
	}
	if *out != "" {
		if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatalf("output is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != Width || b.Dy() != Height {
		t.Fatalf("size %v, want %dx%d", b.Size(), Width, Height)
	}

	// Text bands: the title, subtitle and footer each leave ink, and the title is centred.
	qrBottom := qrBoxTop + qrBoxSize
	bands := map[string]image.Rectangle{
		"title":    image.Rect(0, qrBottom, Width, subBase-35),
		"subtitle": image.Rect(0, subBase-35, Width, ruleY),
		"footer":   image.Rect(0, ruleY+5, Width, Height),
	}
	for name, band := range bands {
		if n := darkIn(img, band); n < 200 {
			t.Errorf("%s band has %d dark pixels, want text", name, n)
		}
	}
	tb := darkBounds(img, bands["title"])
	if c := (tb.Min.X + tb.Max.X) / 2; c < Width/2-10 || c > Width/2+10 {
		t.Errorf("title centred at x=%d, want about %d (bounds %v)", c, Width/2, tb)
	}
	if tb.Dx() < 5*40 {
		t.Errorf("title is %dpx wide, want five large characters", tb.Dx())
	}

	// The QR code: find it by its ink and sample every module against the encoder's bitmap.
	q, err := qrcode.New(p.URL, qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	q.DisableBorder = true
	bits := q.Bitmap()
	n := len(bits)
	qb := darkBounds(img, image.Rect(0, 0, Width, qrBottom))
	if qb.Dx() != qb.Dy() || qb.Dx()%n != 0 {
		t.Fatalf("QR bounds %v are not a square of %d whole modules", qb, n)
	}
	scale := qb.Dx() / n
	if scale < 4 {
		t.Errorf("module is %dpx, too small to scan from a printed poster", scale)
	}
	if qb.Min.X < quietZone*scale || qb.Min.Y < quietZone*scale || qrBottom-qb.Max.Y < quietZone*scale {
		t.Errorf("QR %v lacks a %d-module quiet zone", qb, quietZone)
	}
	for y := range n {
		for x := range n {
			cx, cy := qb.Min.X+x*scale+scale/2, qb.Min.Y+y*scale+scale/2
			if dark(img, cx, cy) != bits[y][x] {
				t.Fatalf("module (%d,%d) at pixel (%d,%d) is dark=%v, want %v", x, y, cx, cy, !bits[y][x], bits[y][x])
			}
		}
	}
}

func TestRenderLongTitleFits(t *testing.T) {
	r := NewRendererFont(cjkFont(t))
	for _, title := range []string{
		"企业开办综合受理窗口（含税务、社保、公积金）",
		strings.Repeat("不动产登记", 12),
	} {
		img := render(t, r, Poster{URL: "https://x.example/?w=W002", Title: title})
		b := darkBounds(img, image.Rect(0, qrBoxTop+qrBoxSize, Width, subBase-35))
		if b.Min.X < (Width-textWidth)/2-2 || b.Max.X > (Width+textWidth)/2+2 {
			t.Errorf("%q spills out of the text area: %v", title, b)
		}
	}
}

func TestRenderMissingGlyph(t *testing.T) {
	r := NewRendererFont(cjkFont(t))
	var buf bytes.Buffer
	err := r.Render(&buf, Poster{URL: "https://x.example", Title: "窗口\U0001F600\U0001F600"})
	var mg *MissingGlyphError
	if !errors.As(err, &mg) || string(mg.Runes) != "\U0001F600" {
		t.Fatalf("err = %v, want a MissingGlyphError for the emoji", err)
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %d bytes before failing", buf.Len())
	}
}

func TestLoadFontWithoutCJK(t *testing.T) {
	path := filepath.Join(t.TempDir(), "goregular.ttf")
	if err := os.WriteFile(path, goregular.TTF, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadFont(path)
	var mg *MissingGlyphError
	if !errors.As(err, &mg) || string(mg.Runes) != cjkProbe {
		t.Fatalf("err = %v, want a MissingGlyphError for %q", err, cjkProbe)
	}
	if !strings.Contains(err.Error(), "fonts-wqy-microhei") {
		t.Errorf("error does not say what to install: %v", err)
	}
}

func TestLoadFontErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadFont(filepath.Join(dir, "missing.ttf")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: err = %v", err)
	}
	junk := filepath.Join(dir, "junk.ttf")
	if err := os.WriteFile(junk, []byte("not a font"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFont(junk); err == nil || !strings.HasPrefix(err.Error(), "poster: parse font") {
		t.Errorf("junk file: err = %v", err)
	}
}

func TestFindFont(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "font.ttc")
	if err := os.WriteFile(existing, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "none.ttc")

	if got, err := findFont(existing, nil); err != nil || got != existing {
		t.Errorf("configured existing = %q, %v", got, err)
	}
	if got, err := findFont("", []string{missing, dir, existing}); err != nil || got != existing {
		t.Errorf("search = %q, %v; want the first regular file", got, err)
	}

	_, err := findFont(missing, []string{existing})
	var nf *FontNotFoundError
	if !errors.As(err, &nf) || nf.Configured != missing || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("configured missing: err = %v; want no fallback", err)
	}
	_, err = findFont("", []string{missing})
	if !errors.As(err, &nf) || !strings.Contains(err.Error(), "apt-get install fonts-wqy-microhei") ||
		!strings.Contains(err.Error(), missing) {
		t.Errorf("nothing found: err = %v", err)
	}
}

func TestRenderRejectsEmpty(t *testing.T) {
	r := NewRendererFont(cjkFont(t))
	for _, p := range []Poster{{Title: "不动产登记"}, {URL: "https://x.example", Title: " "}} {
		if err := r.Render(&bytes.Buffer{}, p); err == nil {
			t.Errorf("%+v: no error", p)
		}
	}
}

func TestRenderConcurrent(t *testing.T) {
	r := NewRendererFont(cjkFont(t))
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			if _, err := r.Image(Poster{URL: "https://x.example/?w=W00" + string(rune('0'+i)), Title: "社保医保"}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

func BenchmarkRender(b *testing.B) {
	path, err := FindFont("")
	if err != nil {
		b.Skip(err)
	}
	r, err := NewRenderer(path)
	if err != nil {
		b.Fatal(err)
	}
	p := Poster{URL: "https://wb.example.gov.cn/?w=W001", Title: "不动产登记", Subtitle: "窗口 W001 · 示范政务服务中心"}
	for b.Loop() {
		var buf bytes.Buffer
		if err := r.Render(&buf, p); err != nil {
			b.Fatal(err)
		}
	}
}
