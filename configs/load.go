package configs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// FieldError is one bad setting. Its message is a single line naming the environment variable
// (what operators usually set) and the YAML key, or the file and line the value came from.
type FieldError struct {
	// Env is the environment variable of the setting, empty for an unknown file key.
	Env string
	// Key is the dotted YAML key.
	Key string
	// Source is "file:line" when the value came from a file, else empty.
	Source string
	// Reason says what is wrong and, where it helps, what would be right.
	Reason string
}

// Error returns the one-line message.
func (e *FieldError) Error() string {
	switch {
	case e.Source != "":
		return fmt.Sprintf("configs: %s: %s: %s", e.Source, e.Key, e.Reason)
	case e.Env != "":
		return fmt.Sprintf("configs: %s (%s): %s", e.Env, e.Key, e.Reason)
	default:
		return fmt.Sprintf("configs: %s: %s", e.Key, e.Reason)
	}
}

// Errors is several FieldErrors reported together, still as one line, so an operator fixes them
// in one round instead of one restart per mistake.
type Errors []*FieldError

// Error joins the problems with "; ".
func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = strings.TrimPrefix(e.Error(), "configs: ")
	}
	return "configs: " + strings.Join(parts, "; ")
}

// Unwrap lets errors.As find each FieldError.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// Load returns Default, overlaid by the YAML file at path (none when path is ""), overlaid by the
// environment read through getenv (os.LookupEnv in main; nil reads none). The file is strict: an
// unknown or duplicated key is an error naming it, because a misspelt key would otherwise leave a
// default silently in force. Load does not call Validate.
func Load(path string, getenv func(string) (string, bool)) (Config, error) {
	c := Default()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("configs: read config file: %w", err)
		}
		if err := decodeYAML(&c, filepath.Base(path), data); err != nil {
			return Config{}, err
		}
	}
	if err := applyEnv(&c, getenv); err != nil {
		return Config{}, err
	}
	return c, nil
}

// decodeYAML walks the document itself instead of using yaml's KnownFields, whose errors span
// several lines and name Go types rather than the dotted key the operator wrote.
func decodeYAML(c *Config, name string, data []byte) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("configs: parse %s: %s", name, strings.ReplaceAll(err.Error(), "\n", " "))
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil // empty file: defaults
	}
	root := resolve(doc.Content[0])
	if isNull(root) {
		return nil
	}
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("configs: %s:%d: the file must be a mapping of keys to values", name, root.Line)
	}
	return decodeMapping(c, name, "", root)
}

func decodeMapping(c *Config, name, prefix string, m *yaml.Node) error {
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		kn, vn := m.Content[i], resolve(m.Content[i+1])
		key := prefix + kn.Value
		src := fmt.Sprintf("%s:%d", name, kn.Line)
		if line, dup := seen[kn.Value]; dup {
			return &FieldError{Key: key, Source: src, Reason: fmt.Sprintf("duplicate key (first set on line %d)", line)}
		}
		seen[kn.Value] = kn.Line

		if e, ok := envVarByKey(key); ok {
			if err := decodeLeaf(c, e, vn); err != nil {
				return &FieldError{Env: e.Name, Key: key, Source: src, Reason: err.Error()}
			}
			continue
		}
		if sub := sectionKeys(key); len(sub) > 0 {
			if isNull(vn) {
				continue
			}
			if vn.Kind != yaml.MappingNode {
				return &FieldError{Key: key, Source: src, Reason: "must be a section of keys: " + strings.Join(sub, ", ")}
			}
			if err := decodeMapping(c, name, key+".", vn); err != nil {
				return err
			}
			continue
		}
		where := "top-level keys"
		if prefix != "" {
			where = "keys in " + strings.TrimSuffix(prefix, ".")
		}
		return &FieldError{Key: key, Source: src,
			Reason: fmt.Sprintf("unknown key (%s: %s)", where, strings.Join(sectionKeys(strings.TrimSuffix(prefix, ".")), ", "))}
	}
	return nil
}

// decodeLeaf reads one value node with the same parser the environment uses.
func decodeLeaf(c *Config, e EnvVar, n *yaml.Node) error {
	if p, ok := e.field(c).(*map[string]string); ok {
		if isNull(n) {
			*p = nil
			return nil
		}
		if n.Kind != yaml.MappingNode {
			return errors.New("must be a mapping of kind: value")
		}
		m := make(map[string]string, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], resolve(n.Content[i+1])
			if v.Kind != yaml.ScalarNode || isNull(v) || v.Value == "" {
				return fmt.Errorf("%s: must be a non-empty value (line %d)", k.Value, k.Line)
			}
			if _, dup := m[k.Value]; dup {
				return fmt.Errorf("%s: duplicate key (line %d)", k.Value, k.Line)
			}
			m[k.Value] = v.Value
		}
		*p = m
		return nil
	}
	if p, ok := e.field(c).(*[]string); ok {
		if isNull(n) {
			*p = nil
			return nil
		}
		if n.Kind != yaml.SequenceNode {
			return errors.New("must be a list (- item per line, or [a, b])")
		}
		list := make([]string, 0, len(n.Content))
		for _, item := range n.Content {
			item = resolve(item)
			if item.Kind != yaml.ScalarNode || isNull(item) || strings.TrimSpace(item.Value) == "" {
				return fmt.Errorf("item on line %d must be a single non-empty value", item.Line)
			}
			list = append(list, strings.TrimSpace(item.Value))
		}
		*p = list
		return nil
	}
	if n.Kind != yaml.ScalarNode {
		return errors.New("must be a single value, not a list or a section")
	}
	raw := n.Value
	if isNull(n) {
		raw = ""
	}
	return e.setString(c, raw)
}

// sectionKeys lists the direct children of a section ("" = the top level); none means section is
// not a section.
func sectionKeys(section string) []string {
	prefix := section + "."
	if section == "" {
		prefix = ""
	}
	var out []string
	for _, e := range EnvVars() {
		rest, ok := strings.CutPrefix(e.Key, prefix)
		if !ok {
			continue
		}
		child, _, _ := strings.Cut(rest, ".")
		if !slices.Contains(out, child) {
			out = append(out, child)
		}
	}
	return out
}

// resolve follows YAML aliases (*anchor) to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}
