package poster

import (
	"bytes"
	"flag"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	xdraw "golang.org/x/image/draw"

	"windowbot/internal/text"
)

// printFixture is the window poster of the README's example.
func printFixture() Print {
	return Print{
		Poster: Poster{URL: "https://wb.example.gov.cn/?w=W001", Title: "不动产登记",
			Subtitle: "窗口 W001 · 示范政务服务中心", Footer: text.T(text.ZH, "poster.window_footer")},
		Lang: text.ZH, Center: "示范政务服务中心", Hotline: "0571-87000000", ServiceLine: "12345",
	}
}

// decodeQR reads the QR code back from a picture, as a phone would: from a copy 800 pixels
// wide, about what a phone's camera sees of a poster at arm's length.
func decodeQR(t *testing.T, img image.Image) string {
	t.Helper()
	b := img.Bounds()
	small := image.NewRGBA(image.Rect(0, 0, 800, 800*b.Dy()/b.Dx()))
	xdraw.ApproxBiLinear.Scale(small, small.Bounds(), img, b, xdraw.Src, nil)
	bmp, err := gozxing.NewBinaryBitmapFromImage(small)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		t.Fatalf("no QR code found in the poster: %v", err)
	}
	return res.GetText()
}

// Every size prints at its 300-dpi pixels and its QR code decodes back to the link; the staff
// poster carries their number.
func TestPrintSizesDecode(t *testing.T) {
	r := NewRendererFont(cjkFont(t))
	staff := printFixture()
	staff.URL, staff.Title, staff.StaffNo = "https://wb.example.gov.cn/?s=DEMO-002", "李娜", "DEMO-002"
	staff.Subtitle, staff.Footer = "工号 DEMO-002 · 窗口 W002 社保医保", text.T(text.ZH, "poster.staff_footer")
	for _, size := range Sizes() {
		for name, p := range map[string]Print{"window": printFixture(), "staff": staff} {
			t.Run(size.Name+"/"+name, func(t *testing.T) {
				img, err := r.PrintImage(p, size)
				if err != nil {
					t.Fatal(err)
				}
				if b := img.Bounds(); b.Dx() != size.Width || b.Dy() != size.Height {
					t.Fatalf("size %v, want %dx%d", b.Size(), size.Width, size.Height)
				}
				if got := decodeQR(t, img); got != p.URL {
					t.Fatalf("QR code reads %q, want %q", got, p.URL)
				}
			})
		}
	}
	if A4.Width != 2480 || A4.Height != 3508 {
		t.Errorf("A4 = %+v, want 2480×3508 (300 dpi)", A4)
	}
}

// The texts really render: each band of the A4 poster that holds words has ink in it, and the
// title is centred. A font without CJK glyphs is refused before drawing (TestRenderMissingGlyph),
// so ink here is Chinese characters, not boxes.
func TestPrintTextRenders(t *testing.T) {
	r := NewRendererFont(cjkFont(t))
	img, err := r.PrintImage(printFixture(), A4)
	if err != nil {
		t.Fatal(err)
	}
	u := func(v int) int { return v * A4.Width / 1000 }
	for name, band := range map[string]image.Rectangle{
		"title":    image.Rect(0, u(170), A4.Width, u(270)),
		"subtitle": image.Rect(0, u(280), A4.Width, u(330)),
		"footer":   image.Rect(0, u(880), A4.Width, u(940)),
		"levels":   image.Rect(u(360), u(1020), A4.Width, u(1240)),
		"hotline":  image.Rect(0, u(1300), A4.Width, u(1345)),
	} {
		if n := darkIn(img, band); n < 500 {
			t.Errorf("%s band has %d dark pixels, want text", name, n)
		}
	}
	tb := darkBounds(img, image.Rect(0, u(170), A4.Width, u(270)))
	if c := (tb.Min.X + tb.Max.X) / 2; c < A4.Width/2-20 || c > A4.Width/2+20 {
		t.Errorf("title centred at x=%d, want about %d", c, A4.Width/2)
	}
	// No hotline configured: that line is left out, not printed empty.
	p := printFixture()
	p.Hotline, p.ServiceLine = "", ""
	img, err = r.PrintImage(p, A4)
	if err != nil {
		t.Fatal(err)
	}
	if n := darkIn(img, image.Rect(0, u(1300), A4.Width, u(1345))); n != 0 {
		t.Errorf("hotline band has %d dark pixels without a hotline", n)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]Size{"a4": A4, "A5": A5, "tent": Tent} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseSize("letter"); err == nil || !strings.Contains(err.Error(), "a4, a5 or tent") {
		t.Errorf("letter: %v", err)
	}
}

func TestWritePrintFile(t *testing.T) {
	r := NewRendererFont(cjkFont(t))
	path := filepath.Join(t.TempDir(), "W001.png")
	if err := r.WritePrintFile(path, printFixture(), Tent); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil || img.Bounds().Dx() != Tent.Width {
		t.Fatalf("file is not the PNG poster: %v", err)
	}
}

func BenchmarkPrintA4(b *testing.B) {
	path, err := FindFont("")
	if err != nil {
		b.Skip(err)
	}
	r, err := NewRenderer(path)
	if err != nil {
		b.Fatal(err)
	}
	p := printFixture()
	for b.Loop() {
		var buf bytes.Buffer
		if err := r.RenderPrint(&buf, p, A4); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPrintOut writes the A4 window poster to -out.print when given, to look at it.
func TestPrintOut(t *testing.T) {
	if *printOut == "" {
		t.Skip("no -out.print")
	}
	r := NewRendererFont(cjkFont(t))
	if err := r.WritePrintFile(*printOut, printFixture(), A4); err != nil {
		t.Fatal(err)
	}
}

var screenshots = flag.String("screenshots", "", "write the README's pictures of a star poster and an A4 poster (at 2/5) into this folder")

// TestScreenshots writes docs/screenshots' pictures when -screenshots is given, and logs the
// full-size byte counts.
func TestScreenshots(t *testing.T) {
	if *screenshots == "" {
		t.Skip("no -screenshots")
	}
	r := NewRendererFont(cjkFont(t))
	star, err := r.StarPNG(starFixture(true))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*screenshots, "star-poster.png"), star, 0o644); err != nil {
		t.Fatal(err)
	}
	var full bytes.Buffer
	if err := r.RenderPrint(&full, printFixture(), A4); err != nil {
		t.Fatal(err)
	}
	img, err := r.PrintImage(printFixture(), A4)
	if err != nil {
		t.Fatal(err)
	}
	half := image.NewRGBA(image.Rect(0, 0, A4.Width*2/5, A4.Height*2/5))
	xdraw.CatmullRom.Scale(half, half.Bounds(), img, img.Bounds(), xdraw.Src, nil)
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, half); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*screenshots, "a4-poster.png"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("star poster %dx%d: %d bytes; A4 poster %dx%d: %d bytes full size, %d bytes at 2/5",
		StarWidth, StarHeight, len(star), A4.Width, A4.Height, full.Len(), buf.Len())
}
