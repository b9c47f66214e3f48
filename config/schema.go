package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

//go:generate go run ./gen -o ../docs/CONFIG.md

// Key is one key of the configuration file as the decoder knows it: the
// reference documentation (docs/CONFIG.md, written by config/gen) is made
// from Schema, so it lists exactly the keys Load accepts.
type Key struct {
	// Path is the dotted key path. "[]" stands for any item of a list and
	// "<name>" for any key of a mapping whose keys are the user's
	// (tenants[].environments.<name>.targets[].cloud).
	Path string
	// Type is section, list, map, string, secret, integer, boolean or
	// duration.
	Type string
	// Default is the value an absent key takes, as YAML; "" for none. For a
	// key under a list item it is the item's default (see tierDefaults for
	// pipeline tiers named like the default ones).
	Default string
	// Doc says what the key means; it is written beside the key's decoder.
	Doc string
}

// Schema walks the decoder's own field lists (decode.go) over the
// defaults, without a file, and returns every key in the order the decoder
// declares them.
func Schema() []Key {
	p := &schemaProbe{at: map[string]int{}}
	d := newDecoder("schema")
	d.schema = p
	d.root(&yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}, defaults())
	return p.keys
}

// schemaProbe records what the decoder would accept while Schema drives it:
// in schema mode fields, entries and items call every decoder once with a
// placeholder instead of walking a node, and the scalar decoders report
// their type and current (default) value here instead of decoding.
type schemaProbe struct {
	keys []Key
	at   map[string]int // path → index in keys
}

// schemaAny is the placeholder key of a mapping with the user's own keys.
const schemaAny = "<name>"

// placeholder is what the probe passes as a value: a mapping, which no
// decoder takes for null, so each goes on to its probe hook.
var placeholder = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}

func (p *schemaProbe) key(path string) *Key {
	if i, ok := p.at[path]; ok {
		return &p.keys[i]
	}
	p.at[path] = len(p.keys)
	p.keys = append(p.keys, Key{Path: path})
	return &p.keys[len(p.keys)-1]
}

func (p *schemaProbe) section(path string, fs []field) {
	if path != "" {
		p.key(path).Type = "section"
	}
	for _, f := range fs {
		p.key(join(path, f.key)).Doc = f.doc
		f.decode(placeholder, join(path, f.key))
	}
}

func (p *schemaProbe) mapping(path string, fn func(key string, k, v *yaml.Node, field string)) {
	p.key(path).Type = "map"
	fn(schemaAny, placeholder, placeholder, join(path, schemaAny))
}

func (p *schemaProbe) list(path string, fn func(v *yaml.Node, field string)) {
	p.key(path).Type = "list"
	fn(placeholder, path+"[]")
}

// leaf records a scalar's type from the decoder's "must be …" wording.
func (p *schemaProbe) leaf(path, want string) {
	k := p.key(path)
	if k.Type != "" {
		return // named said more (a secret)
	}
	switch {
	case strings.Contains(want, "whole number"):
		k.Type = "integer"
	case strings.Contains(want, "true or false"):
		k.Type = "boolean"
	case strings.Contains(want, "duration"):
		k.Type = "duration"
	default:
		k.Type = "string"
	}
}

// named records a string key whose Go type says more than "string".
func (p *schemaProbe) named(path string, v any) {
	if p == nil {
		return
	}
	if reflect.TypeOf(v) == reflect.TypeFor[Secret]() {
		p.key(path).Type = "secret"
	}
}

// def records the value a key holds before the file is decoded onto it.
// A nil probe (decoding a real file) does nothing.
func (p *schemaProbe) def(path string, v any) {
	if p == nil {
		return
	}
	k := p.key(path)
	switch v := v.(type) {
	case string:
		if v != "" {
			k.Default = strconv.Quote(v)
		}
	case time.Duration:
		k.Default = shortDuration(v)
	default:
		k.Default = fmt.Sprint(v)
	}
}

// shortDuration writes 60s as 1m and 24h0m0s as 24h, as a person would.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
