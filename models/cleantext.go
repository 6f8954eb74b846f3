package models

import (
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
	"gorm.io/gorm"
)

// CleanText is what every channel does to a person's text before anything reads it: bytes that
// are not UTF-8 become U+FFFD, line breaks become "\n", and control characters other than "\n"
// and "\t" (NUL above all, which PostgreSQL refuses in text), bidirectional controls and
// zero-width characters are removed. Those last two are invisible where the text is shown, yet
// an override (U+202E) turns "差评" round on a supervisor's screen and a zero-width space hides a
// phone number from MaskPII. The adapters call it through bot.Clean; the store applies its part
// that PostgreSQL needs once more (see cleanForStore).
func CleanText(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.Contains(s, "\r\n") {
		s = strings.ReplaceAll(s, "\r\n", "\n")
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r == '\r' || r == '\u2028' || r == '\u2029':
			return '\n'
		case unicode.IsControl(r), Invisible(r):
			return -1
		}
		return r
	}, s)
}

// Invisible reports whether r is a format character (Unicode category Cf): the bidirectional
// controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069), the zero-width characters
// (U+200B–U+200D, U+2060, U+FEFF), and the others nothing shows either — the soft hyphen
// (U+00AD), the invisible operators (U+2061–U+2064), the Mongolian vowel separator (U+180E),
// the deprecated format characters (U+206A–U+206F), tags (U+E0001, U+E0020–U+E007F) and the
// like. They change how text reads without being seen, and any of them between two digits hides
// a number from MaskPII. The prepended concatenation marks (U+0600–U+0605 and the like) are
// format characters too, but visible signs, and are kept.
func Invisible(r rune) bool {
	if r < 0xAD {
		return false // the common case: ASCII and Latin-1 up to the soft hyphen
	}
	return unicode.Is(unicode.Cf, r) && !unicode.Is(unicode.Prepended_Concatenation_Mark, r)
}

// FoldWidth folds full-width characters to their ASCII forms (Ｗ００１ → W001, the ideographic
// space to a space) and half-width katakana to full width. Chinese input methods type
// full-width digits and letters easily, so every code and number a person types (window codes,
// staff numbers, ticket numbers, binding codes, phone numbers) is folded before it is matched.
// It is not applied to free text, whose full-width punctuation is the Chinese norm.
func FoldWidth(s string) string { return width.Fold.String(s) }

// cleanForStore removes what PostgreSQL refuses in a text column: NUL and bytes that are not
// UTF-8. SQLite would store them, so without this a text could be saved on one database and
// fail with an error on the other.
func cleanForStore(s string) string {
	if utf8.ValidString(s) && !strings.ContainsRune(s, 0) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}

// queryable reports whether s can be compared with a text column on every database. PostgreSQL
// refuses NUL and bytes that are not UTF-8 in a query's parameters as in a row, with an error
// rather than no match: a lookup by such a code, number or name (a crafted URL of the admin API)
// finds nothing without asking.
func queryable(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// registerStoreCleaning makes every insert and update clean the strings it writes with
// cleanForStore: the channels clean text where it comes in (bot.Clean), and this second line
// holds for what reaches the store another way (an import, a test, a channel added later).
func registerStoreCleaning(db *gorm.DB) error {
	if err := db.Callback().Create().Before("gorm:create").Register("windowbot:clean_text", cleanStatement); err != nil {
		return err
	}
	return db.Callback().Update().Before("gorm:update").Register("windowbot:clean_text", cleanStatement)
}

func cleanStatement(db *gorm.DB) {
	switch d := db.Statement.Dest.(type) {
	case map[string]any:
		for k, v := range d {
			if s, ok := v.(string); ok {
				d[k] = cleanForStore(s)
			}
		}
		return
	case *map[string]any:
		if d != nil {
			for k, v := range *d {
				if s, ok := v.(string); ok {
					(*d)[k] = cleanForStore(s)
				}
			}
		}
		return
	}
	cleanValue(reflect.ValueOf(db.Statement.Dest), 0)
}

// cleanValue cleans the settable strings of v: a struct's string and *string fields, its
// embedded structs', and those of each element of a slice of them. Associations are cleaned by
// the statements that save them.
func cleanValue(v reflect.Value, depth int) {
	if depth > 3 || !v.IsValid() {
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			cleanValue(v.Elem(), depth)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			cleanValue(v.Index(i), depth+1)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range v.NumField() {
			f, sf := v.Field(i), t.Field(i)
			switch {
			case !sf.IsExported():
			case f.Kind() == reflect.String:
				if f.CanSet() {
					f.SetString(cleanForStore(f.String()))
				}
			case f.Kind() == reflect.Pointer && sf.Type.Elem().Kind() == reflect.String:
				if !f.IsNil() && f.Elem().CanSet() {
					f.Elem().SetString(cleanForStore(f.Elem().String()))
				}
			case sf.Anonymous && (f.Kind() == reflect.Struct || f.Kind() == reflect.Pointer):
				cleanValue(f, depth+1)
			}
		}
	}
}
