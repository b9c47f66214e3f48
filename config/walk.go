package config

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// decoder turns yaml.v3 nodes into a Config, collecting problems instead of
// stopping at the first, and remembers where each field was written so the
// rules checked after decoding can point at it too.
type decoder struct {
	file   string
	probs  []Problem
	failed map[string]bool       // fields that already have a problem
	pos    map[string]*yaml.Node // field path → the key (or item) that set it
	schema *schemaProbe          // non-nil: walking the schema itself, not a file (schema.go)
}

func newDecoder(file string) *decoder {
	return &decoder{file: file, failed: map[string]bool{}, pos: map[string]*yaml.Node{}}
}

// add records a problem with field, at node n. One problem per field: the
// first (a type error, say) is the useful one, and a rule tripping over the
// value it left behind would only add noise.
func (d *decoder) add(n *yaml.Node, field, format string, args ...any) {
	if field != "" && d.failed[field] {
		return
	}
	d.failed[field] = true
	d.note(n, field, fmt.Sprintf(format, args...))
}

// note records a problem that says nothing about the field's value (a
// repeated key), so the field's own problems are still reported. A nil node
// (an empty file has none) counts as line 1.
func (d *decoder) note(n *yaml.Node, field, msg string) {
	p := Problem{File: d.file, Line: 1, Field: field, Message: msg}
	if n != nil && n.Line > 0 {
		p.Line, p.Column = n.Line, n.Column
	}
	d.probs = append(d.probs, p)
}

// at records a problem with field where the file set it, or, for a field the
// file left out, where its nearest enclosing field was set. It is for rules
// checked after decoding, so it stays quiet under a field that already has
// a problem: a tier that was not a mapping has no env worth reporting.
func (d *decoder) at(field, format string, args ...any) {
	for p := field; p != ""; p = parent(p) {
		if d.failed[p] {
			return
		}
	}
	for p := field; ; p = parent(p) {
		if n, ok := d.pos[p]; ok {
			d.add(n, field, format, args...)
			return
		}
		if p == "" {
			d.add(nil, field, format, args...)
			return
		}
	}
}

// set reports whether the file wrote field (rather than leaving a default).
func (d *decoder) set(field string) bool { _, ok := d.pos[field]; return ok }

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// parent strips the last .key or [i] from a field path.
func parent(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// deref follows an alias to the node it names. Parse has already refused
// alias cycles, so this ends.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// isNull reports an absent or null value; both mean "keep the default".
func isNull(n *yaml.Node) bool {
	n = deref(n)
	return n == nil || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names what a node holds, for "must be X, got Y".
func describe(n *yaml.Node) string {
	switch n = deref(n); n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	if n.ShortTag() == "!!null" {
		return "null"
	}
	return fmt.Sprintf("%q", n.Value)
}

// entries walks mapping n, calling fn for each key in file order. It
// reports non-string and duplicate keys (yaml.v3 keeps both copies of a
// duplicate in a Node) and merge keys, which it does not implement.
func (d *decoder) entries(n *yaml.Node, path string, fn func(key string, k, v *yaml.Node, field string)) {
	if d.schema != nil {
		d.schema.mapping(path, fn)
		return
	}
	n = deref(n)
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.add(n, path, "must be a mapping, got %s", describe(n))
		return
	}
	first := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.note(k, path, "keys must be plain strings, got "+describe(k))
			continue
		}
		field := join(path, k.Value)
		if k.ShortTag() == "!!merge" {
			d.add(k, field, "merge keys (<<) are not supported; write the keys out")
			continue
		}
		if prev, dup := first[k.Value]; dup {
			d.note(k, field, fmt.Sprintf("duplicate key; first set on line %d", prev.Line))
			continue
		}
		first[k.Value] = k
		d.pos[field] = k
		fn(k.Value, k, v, field)
	}
}

// field is one known key of a mapping and how to decode its value.
type field struct {
	key    string
	doc    string // what the key means, for docs/CONFIG.md
	decode func(v *yaml.Node, path string)
}

// fields decodes mapping n by its known keys and reports the rest.
func (d *decoder) fields(n *yaml.Node, path string, fs ...field) {
	if d.schema != nil {
		d.schema.section(path, fs)
		return
	}
	d.entries(n, path, func(key string, k, v *yaml.Node, p string) {
		if path == "" && strings.HasPrefix(key, "x-") {
			return // an extension key: a home for YAML anchors, as in Compose files
		}
		i := slices.IndexFunc(fs, func(f field) bool { return f.key == key })
		if i < 0 {
			delete(d.pos, p)
			d.unknown(k, p, key, fs)
			return
		}
		fs[i].decode(v, p)
	})
}

func (d *decoder) unknown(k *yaml.Node, path, key string, fs []field) {
	if len(fs) == 0 {
		d.add(k, path, "unknown key; this section takes no settings yet")
		return
	}
	known := make([]string, len(fs))
	for i, f := range fs {
		known[i] = f.key
	}
	if s, ok := suggest(key, known); ok {
		d.add(k, path, "unknown key; did you mean %s?", s)
		return
	}
	d.add(k, path, "unknown key; expected one of %s", strings.Join(known, ", "))
}

// items walks sequence n, calling fn for each item with its path.
func (d *decoder) items(n *yaml.Node, path string, fn func(v *yaml.Node, field string)) {
	if d.schema != nil {
		d.schema.list(path, fn)
		return
	}
	n = deref(n)
	if isNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.add(n, path, "must be a list, got %s", describe(n))
		return
	}
	for i, v := range n.Content {
		p := index(path, i)
		d.pos[p] = v // an alias item points at its use, not its anchor
		fn(v, p)
	}
}
