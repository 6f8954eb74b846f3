package poster

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
)

// InstallHint is what to do when no usable font is found, in Debian terms because that is what
// the Docker image and the test machines run.
const InstallHint = "install fonts-wqy-microhei (apt-get install fonts-wqy-microhei) or set qr_font / WINDOWBOT_QR_FONT to a TTF/TTC/OTF file with Chinese glyphs"

// fontCandidates are the usual places of a CJK font, best first. Go ships no CJK font, so a poster
// must borrow one from the system; the package name tells the operator what to install.
func fontCandidates() []string {
	return []string{
		"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",            // Debian/Ubuntu fonts-wqy-microhei
		"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",              // Debian/Ubuntu fonts-wqy-zenhei
		"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",    // Debian/Ubuntu fonts-noto-cjk
		"/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",   // Debian/Ubuntu fonts-noto-cjk
		"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", // Debian/Ubuntu fonts-droid-fallback
		"/usr/share/fonts/truetype/arphic/uming.ttc",                // Debian/Ubuntu fonts-arphic-uming
		"/usr/share/fonts/truetype/arphic/ukai.ttc",                 // Debian/Ubuntu fonts-arphic-ukai
		"/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",            // Fedora wqy-microhei-fonts
		"/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",                // Fedora/Alpine wqy-zenhei
		"/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",  // Fedora google-noto-sans-cjk-fonts
		"/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",         // Arch noto-fonts-cjk
		"/System/Library/Fonts/STHeiti Medium.ttc",                  // macOS
		`C:\Windows\Fonts\simhei.ttf`,                               // Windows
	}
}

// FontNotFoundError says that no font file was found and what to install.
type FontNotFoundError struct {
	// Configured is the path from the configuration, or "" when the system paths were searched.
	Configured string
	// Tried lists the paths looked at.
	Tried []string
	// Err is why the configured path failed, if one was configured.
	Err error
}

// Error returns a one-line message ending with InstallHint.
func (e *FontNotFoundError) Error() string {
	if e.Configured != "" {
		return fmt.Sprintf("poster: font %q from qr_font / WINDOWBOT_QR_FONT: %v", e.Configured, e.Err)
	}
	return fmt.Sprintf("poster: no CJK font found (looked at %s); %s", strings.Join(e.Tried, ", "), InstallHint)
}

// Unwrap returns the error of the configured path.
func (e *FontNotFoundError) Unwrap() error { return e.Err }

// MissingGlyphError reports runes the font cannot draw. Drawing them anyway would print empty
// boxes (tofu) on a poster that is then laminated and screwed to a counter.
type MissingGlyphError struct {
	// Font names the font file.
	Font string
	// Runes are the characters without a glyph, each once, in order of appearance.
	Runes []rune
}

// Error lists the missing characters.
func (e *MissingGlyphError) Error() string {
	return fmt.Sprintf("poster: font %s has no glyph for %q; use a font covering them (%s)", e.Font, string(e.Runes), InstallHint)
}

// FindFont returns the font file to use: configured when it is set (an operator who names a file
// wants that file, so a missing one is an error rather than a silent fallback), else the first of
// the usual system CJK fonts that exists. The error is a *FontNotFoundError.
func FindFont(configured string) (string, error) {
	return findFont(configured, fontCandidates())
}

func findFont(configured string, candidates []string) (string, error) {
	if configured != "" {
		st, err := os.Stat(configured)
		if err != nil {
			return "", &FontNotFoundError{Configured: configured, Tried: []string{configured}, Err: err}
		}
		if st.IsDir() {
			return "", &FontNotFoundError{Configured: configured, Tried: []string{configured}, Err: errors.New("is a directory, not a font file")}
		}
		return configured, nil
	}
	for _, p := range candidates {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", &FontNotFoundError{Tried: candidates}
}

// Font is a parsed font file. Parsing a CJK font takes tens of milliseconds and megabytes, so load
// it once and share it: a Font is safe for concurrent use.
type Font struct {
	// Path is the file the font came from.
	Path string
	// Family is the font's family name, e.g. "WenQuanYi Micro Hei".
	Family string

	f *opentype.Font
}

// cjkProbe are characters every poster has; a font without them is not a Chinese font.
const cjkProbe = "窗口评价"

// LoadFont parses a TTF, OTF or TTC file. Of a collection it takes the Simplified Chinese member
// when one is named so (Noto CJK puts Japanese first, whose glyph shapes differ), else the first.
// It fails with a *MissingGlyphError when the font has no Chinese glyphs at all.
func LoadFont(path string) (*Font, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("poster: read font: %w", err)
	}
	f, err := parseFont(data)
	if err != nil {
		return nil, fmt.Errorf("poster: parse font %s: %w", path, err)
	}
	family, _ := f.Name(nil, sfnt.NameIDFamily)
	font := &Font{Path: path, Family: family, f: f}
	if err := font.check(cjkProbe); err != nil {
		return nil, err
	}
	return font, nil
}

// parseFont picks and parses the font to use from a file's bytes.
func parseFont(data []byte) (*opentype.Font, error) {
	if !bytes.HasPrefix(data, []byte("ttcf")) {
		return parseMember(data, 0, opentype.Parse)
	}
	c, err := opentype.ParseCollection(data)
	if err != nil {
		return nil, err
	}
	if c.NumFonts() == 0 {
		return nil, errors.New("empty font collection")
	}
	var first *opentype.Font
	var buf sfnt.Buffer
	for i := range c.NumFonts() {
		f, err := parseMember(data, i, func([]byte) (*opentype.Font, error) { return c.Font(i) })
		if err != nil {
			if i == 0 {
				return nil, err
			}
			continue
		}
		if i == 0 {
			first = f
		}
		name, _ := f.Name(&buf, sfnt.NameIDFamily)
		for _, tag := range []string{" SC", " CN", " GB", "Simplified"} {
			if strings.Contains(name+" ", tag+" ") {
				return f, nil
			}
		}
	}
	return first, nil
}

// parseMember parses font index of data with parse and, when that fails, retries on a realigned
// copy (see realign) before giving up with the first error.
func parseMember(data []byte, index int, parse func([]byte) (*opentype.Font, error)) (*opentype.Font, error) {
	f, err := parse(data)
	if err == nil {
		return f, nil
	}
	fixed, rerr := realign(data, index)
	if rerr != nil {
		return nil, err
	}
	if f, rerr := opentype.Parse(fixed); rerr == nil {
		return f, nil
	}
	return nil, err
}

// check returns a *MissingGlyphError naming every rune of s the font cannot draw.
func (f *Font) check(s string) error {
	var buf sfnt.Buffer
	var missing []rune
	for _, r := range s {
		if r == ' ' || r == '\u3000' {
			continue // spaces need an advance, not a glyph
		}
		idx, err := f.f.GlyphIndex(&buf, r)
		if (err != nil || idx == 0) && !strings.ContainsRune(string(missing), r) {
			missing = append(missing, r)
		}
	}
	if len(missing) > 0 {
		return &MissingGlyphError{Font: f.Path, Runes: missing}
	}
	return nil
}
