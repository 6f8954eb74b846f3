package poster

import (
	"bytes"
	"flag"
	"image"
	"image/color"
	"image/png"
	"os"
	"testing"

	"windowbot/internal/text"
)

var starOut = flag.String("out.star", "", "write the star poster of the tests to this PNG file")

// starFixture is the README's star, with a photo: a plain portrait-shaped picture.
func starFixture(withPhoto bool) Star {
	s := Star{Lang: text.ZH, Heading: "2026年10月 服务之星", Center: "示范政务服务中心", Name: "张伟", Window: "W001 不动产登记",
		Rate: 0.967, Ratings: 30, Quotes: []string{"耐心解答，一次就办好了", "非常专业", "态度热情，电话 138****8000 回访也很及时"},
		RunnersUp: []string{"李娜（W002）", "王芳（W003）"}}
	if withPhoto {
		ph := image.NewRGBA(image.Rect(0, 0, 300, 400))
		fill(ph, ph.Bounds(), color.RGBA{0x3a, 0x6e, 0xa5, 0xff})
		disc(ph, 150, 150, 80, color.RGBA{0xf1, 0xc2, 0x9c, 0xff})
		fill(ph, image.Rect(40, 260, 260, 400), color.RGBA{0x22, 0x22, 0x33, 0xff})
		s.Photo = ph
	}
	return s
}

func TestStarPoster(t *testing.T) {
	r := NewRendererFont(cjkFont(t))
	for _, withPhoto := range []bool{true, false} {
		data, err := r.StarPNG(starFixture(withPhoto))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != StarWidth || b.Dy() != StarHeight {
			t.Fatalf("size %v", b.Size())
		}
		for name, band := range map[string]image.Rectangle{
			"name":    image.Rect(0, 850, StarWidth, 930),
			"window":  image.Rect(0, 945, StarWidth, 990),
			"quotes":  image.Rect(0, 1160, StarWidth, 1330),
			"runners": image.Rect(0, 1370, StarWidth, StarHeight),
		} {
			if n := darkIn(img, band); n < 300 {
				t.Errorf("photo %v: %s band has %d dark pixels, want text", withPhoto, name, n)
			}
		}
		if withPhoto && *starOut != "" {
			if err := os.WriteFile(*starOut, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := r.StarPNG(Star{Lang: text.ZH, Heading: "x"}); err == nil {
		t.Error("a star without a name was drawn")
	}
}

func BenchmarkStarPoster(b *testing.B) {
	path, err := FindFont("")
	if err != nil {
		b.Skip(err)
	}
	r, err := NewRenderer(path)
	if err != nil {
		b.Fatal(err)
	}
	s := starFixture(true)
	for b.Loop() {
		if _, err := r.StarPNG(s); err != nil {
			b.Fatal(err)
		}
	}
}
