// Package text is the one catalog of everything windowbot says to people: citizens, staff and
// supervisors, in every channel, in pushes and reports. The messages live in one file per
// language under locales/ (zh-CN first, en), embedded in the binary and read with go-i18n;
// T looks one up and fills in its named fields.
//
// A message's fields are Go template fields ({{.No}}, {{.Due}}); callers pass them as name/value
// pairs, as slog does:
//
//	text.T(lang, "unknown_command", "Command", "/"+name)
//
// A key that does not exist or a field left out never shows a person an empty message: T falls
// back to the Chinese message, then to the key itself. In a test binary the same mistakes panic,
// so a test that reaches them fails.
package text

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"testing"
	texttemplate "text/template"
	"text/template/parse"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/nicksnyder/go-i18n/v2/i18n/template"
	"golang.org/x/text/language"
	"gopkg.in/yaml.v3"
)

// The languages of the catalog. ZH is the default: the halls are Chinese.
const (
	ZH = "zh-CN"
	EN = "en"
)

// Langs returns the languages of the catalog, the default first.
func Langs() []string { return []string{ZH, EN} }

// Lang maps a language hint (a platform's language code, a browser's Accept-Language, a stored
// preference) to a language of the catalog: English for anything that starts with "en", Chinese
// for everything else, the empty hint included.
func Lang(hint string) string {
	if hint == ZH || hint == EN {
		return hint
	}
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(hint)), "en") {
		return EN
	}
	return ZH
}

// Parse reports which language of the catalog a single language tag names: Chinese of any region
// or script ("zh", "zh-TW", "zh_Hans") is ZH, English of any region is EN. ok is false for any
// other tag, so a caller can go on to its next preference.
func Parse(tag string) (lang string, ok bool) {
	tag = strings.ToLower(strings.TrimSpace(tag))
	switch {
	case tag == "zh" || strings.HasPrefix(tag, "zh-") || strings.HasPrefix(tag, "zh_"):
		return ZH, true
	case tag == "en" || strings.HasPrefix(tag, "en-") || strings.HasPrefix(tag, "en_"):
		return EN, true
	}
	return "", false
}

// T returns the message key in lang (any hint Lang accepts) with its fields filled from kv, a
// list of name/value pairs. See the package comment for what happens when something is missing.
func T(lang, key string, kv ...any) string {
	lang = Lang(lang)
	s, err := catalog.render(lang, key, kv)
	if err != nil && strict() {
		panic(err)
	}
	if s != "" {
		return s
	}
	if lang != ZH {
		if s, _ := catalog.render(ZH, key, kv); s != "" {
			return s
		}
	}
	return key
}

// Has reports whether the catalog holds key in lang. It is for labels built from stored codes,
// where an unknown code is data to show as it is rather than a mistake in the program.
func Has(lang, key string) bool {
	_, ok := catalog.messages[Lang(lang)][key]
	return ok
}

// strict reports whether a mistake in a lookup should panic: only in a test binary, where it
// fails the test that made it instead of reading as a fallback text nobody checks. The package's
// own tests replace it to see the fallbacks.
var strict = testing.Testing

//go:embed locales/*.yaml
var locales embed.FS

// textParser executes every message with missing fields as errors. Without Funcs it is cacheable, so
// go-i18n parses each message once and keeps it.
var textParser = &template.TextParser{Option: "missingkey=error"}

// catalog is built once from the embedded files and never changes afterwards, so it is read
// without locks.
var catalog = mustLoad(locales)

// message is what the catalog knows of one message besides the bundle: its text, for messages
// with no fields (returned as they are, without a template), and the names of its fields.
type message struct {
	src    string
	fields []string // sorted; nil for a message without fields
}

// book holds the messages of every language and one go-i18n localizer per language.
type book struct {
	messages   map[string]map[string]message
	localizers map[string]*i18n.Localizer
}

func mustLoad(fsys fs.FS) *book {
	b, err := load(fsys)
	if err != nil {
		panic(err)
	}
	return b
}

// load reads locales/<lang>.yaml for every language into a go-i18n bundle.
func load(fsys fs.FS) (*book, error) {
	bundle := i18n.NewBundle(language.MustParse(ZH))
	unmarshal := map[string]i18n.UnmarshalFunc{"yaml": yaml.Unmarshal}
	b := &book{messages: map[string]map[string]message{}, localizers: map[string]*i18n.Localizer{}}
	for _, lang := range Langs() {
		name := path.Join("locales", lang+".yaml")
		buf, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("text: %w", err)
		}
		mf, err := i18n.ParseMessageFileBytes(buf, name, unmarshal)
		if err != nil {
			return nil, fmt.Errorf("text: %s: %w", name, err)
		}
		if err := bundle.AddMessages(mf.Tag, mf.Messages...); err != nil {
			return nil, fmt.Errorf("text: %s: %w", name, err)
		}
		msgs := make(map[string]message, len(mf.Messages))
		for _, m := range mf.Messages {
			fields, err := fieldsOf(m.Other)
			if err != nil {
				return nil, fmt.Errorf("text: %s: %s: %w", name, m.ID, err)
			}
			msgs[m.ID] = message{src: m.Other, fields: fields}
		}
		b.messages[lang] = msgs
		b.localizers[lang] = i18n.NewLocalizer(bundle, lang)
	}
	return b, nil
}

// render fills in one message. A non-empty result is usable even when err reports a mistake the
// caller made (a field the message does not have); an empty one means there is nothing to show.
func (b *book) render(lang, key string, kv []any) (string, error) {
	m, ok := b.messages[lang][key]
	if !ok {
		return "", fmt.Errorf("text: no message %q in %s", key, lang)
	}
	if m.fields == nil {
		if len(kv) > 0 {
			return m.src, fmt.Errorf("text: %s: message has no fields, got %v", key, kv)
		}
		return m.src, nil
	}
	data, err := dataOf(kv)
	if err != nil {
		return "", fmt.Errorf("text: %s: %w", key, err)
	}
	s, err := b.localizers[lang].Localize(&i18n.LocalizeConfig{MessageID: key, TemplateData: data, TemplateParser: textParser})
	if err != nil {
		return "", fmt.Errorf("text: %s in %s: %w", key, lang, err)
	}
	for name := range data {
		if _, found := slices.BinarySearch(m.fields, name); !found {
			return s, fmt.Errorf("text: %s: message has no field %q", key, name)
		}
	}
	return s, nil
}

// dataOf turns name/value pairs into a template's data.
func dataOf(kv []any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("odd number of name/value arguments: %v", kv)
	}
	data := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		name, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("field name %v is not a string", kv[i])
		}
		data[name] = kv[i+1]
	}
	return data, nil
}

// fieldsOf returns the sorted names of the template fields a message uses, nil for none. Only
// plain fields are allowed: a translator reads {{.Name}}, not a program.
func fieldsOf(src string) ([]string, error) {
	if !strings.Contains(src, "{{") {
		return nil, nil
	}
	t, err := texttemplate.New("").Option("missingkey=error").Parse(src)
	if err != nil {
		return nil, err
	}
	var fields []string
	for _, n := range t.Tree.Root.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
		case *parse.ActionNode:
			if len(n.Pipe.Decl) > 0 || len(n.Pipe.Cmds) != 1 || len(n.Pipe.Cmds[0].Args) != 1 {
				return nil, fmt.Errorf("%q: only {{.Name}} fields are allowed", n)
			}
			f, ok := n.Pipe.Cmds[0].Args[0].(*parse.FieldNode)
			if !ok || len(f.Ident) != 1 {
				return nil, fmt.Errorf("%q: only {{.Name}} fields are allowed", n)
			}
			if !slices.Contains(fields, f.Ident[0]) {
				fields = append(fields, f.Ident[0])
			}
		default:
			return nil, fmt.Errorf("%q: only text and {{.Name}} fields are allowed", n)
		}
	}
	if len(fields) == 0 {
		return nil, errors.New("a template without fields")
	}
	slices.Sort(fields)
	return fields, nil
}
