package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"gopkg.in/yaml.v3"
)

// Load reads and parses the configuration file at path. A file that cannot
// be read is an ordinary error; a file with problems returns *Problems.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes and validates a configuration; name is the file name its
// problems carry. It returns every problem at once as *Problems, sorted by
// line, and a nil Config with them.
func Parse(name string, data []byte) (*Config, error) {
	d := newDecoder(name)
	c := defaults()
	if root, ok := d.document(data); ok {
		d.root(root, c)
		d.followStep(c)
		d.validate(c)
	}
	if len(d.probs) > 0 {
		ps := &Problems{List: d.probs}
		ps.sort()
		return nil, ps
	}
	normalize(c)
	return c, nil
}

// document parses data into its root mapping: nil for an empty document
// (all defaults). It reports false, with a problem, when there is nothing
// to decode: a syntax error, several documents, unsafe aliases, or a root
// that is not a mapping.
func (d *decoder) document(data []byte) (*yaml.Node, bool) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, true
		}
		d.syntax(err, data)
		return nil, false
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		if err != nil {
			d.syntax(err, data)
		} else {
			d.add(&next, "", "only one YAML document is allowed; remove the second ---")
		}
		return nil, false
	}
	if !d.aliases(&doc) {
		return nil, false
	}
	var root *yaml.Node
	if len(doc.Content) > 0 {
		root = deref(doc.Content[0])
	}
	if isNull(root) {
		return nil, true
	}
	if root.Kind != yaml.MappingNode {
		d.add(root, "", "the file must be a mapping of sections (%s), got %s", sectionList, describe(root))
		return nil, false
	}
	d.pos[""] = root
	return root, true
}
