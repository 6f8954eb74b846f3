package poster

import (
	"encoding/binary"
	"testing"

	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
)

// misalign rewrites a font with every table one byte off a 4-byte boundary, the shape of
// fonts-wqy-microhei's tables.
func misalign(t *testing.T, data []byte) []byte {
	t.Helper()
	be := binary.BigEndian
	n := int(be.Uint16(data[4:]))
	out := append([]byte(nil), data[:12+16*n]...)
	out = append(out, 0) // from here on every table starts at an odd offset
	for i := range n {
		rec := out[12+16*i:]
		off, length := be.Uint32(rec[8:]), be.Uint32(rec[12:])
		be.PutUint32(rec[8:], uint32(len(out)))
		out = append(out, data[off:off+length]...)
		if len(out)%2 == 0 {
			out = append(out, 0)
		}
	}
	return out
}

func TestRealignUnalignedFont(t *testing.T) {
	bad := misalign(t, goregular.TTF)
	if _, err := opentype.Parse(bad); err == nil {
		t.Fatal("sfnt accepted unaligned tables; the realign fallback may no longer be needed")
	}
	f, err := parseFont(bad)
	if err != nil {
		t.Fatalf("parseFont did not recover: %v", err)
	}
	want, err := opentype.Parse(goregular.TTF)
	if err != nil {
		t.Fatal(err)
	}
	if f.NumGlyphs() != want.NumGlyphs() {
		t.Errorf("%d glyphs, want %d", f.NumGlyphs(), want.NumGlyphs())
	}
	var buf sfnt.Buffer
	if idx, err := f.GlyphIndex(&buf, 'W'); err != nil || idx == 0 {
		t.Errorf("GlyphIndex('W') = %d, %v", idx, err)
	}
}

func TestRealignCollectionMember(t *testing.T) {
	// A two-member collection of the misaligned font.
	one := misalign(t, goregular.TTF)
	be := binary.BigEndian
	hdr := make([]byte, 20)
	copy(hdr, "ttcf")
	be.PutUint32(hdr[4:], 0x00010000)
	be.PutUint32(hdr[8:], 2)
	// Shift the member's table offsets by the header size, both members share the tables.
	member := append([]byte(nil), one...)
	n := int(be.Uint16(member[4:]))
	for i := range n {
		rec := member[12+16*i:]
		be.PutUint32(rec[8:], be.Uint32(rec[8:])+uint32(len(hdr)))
	}
	be.PutUint32(hdr[12:], uint32(len(hdr)))
	be.PutUint32(hdr[16:], uint32(len(hdr)))
	ttc := append(hdr, member...)

	f, err := parseFont(ttc)
	if err != nil {
		t.Fatalf("parseFont: %v", err)
	}
	if name, _ := f.Name(nil, sfnt.NameIDFamily); name != "Go" {
		t.Errorf("family %q, want Go", name)
	}
	if _, err := realign(ttc, 2); err == nil {
		t.Error("member 2 of 2: no error")
	}
	if _, err := realign(ttc[:30], 0); err == nil {
		t.Error("truncated: no error")
	}
}
