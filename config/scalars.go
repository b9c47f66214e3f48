package config

import (
	"time"

	"gopkg.in/yaml.v3"
)

// The decoders below return a field's decode func writing into dst. A null
// or absent value leaves dst alone, keeping its default; a value of the
// wrong type is reported and also leaves dst alone.

// scalar returns n if it is a non-null scalar, else reports it.
func (d *decoder) scalar(n *yaml.Node, path, want string) (*yaml.Node, bool) {
	if d.schema != nil {
		d.schema.leaf(path, want)
		return nil, false
	}
	n = deref(n)
	if isNull(n) {
		return nil, false
	}
	if n.Kind != yaml.ScalarNode {
		d.add(n, path, "must be %s, got %s", want, describe(n))
		return nil, false
	}
	return n, true
}

// str takes any scalar as written, so an unquoted AWS account such as
// 012345678901 keeps its leading zero rather than becoming a number.
func (d *decoder) str(dst *string) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		d.schema.def(path, *dst)
		if n, ok := d.scalar(v, path, "a string"); ok {
			*dst = n.Value
		}
	}
}

func (d *decoder) strs(dst *[]string) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		if isNull(v) {
			return
		}
		out := []string{}
		d.items(v, path, func(v *yaml.Node, p string) {
			if n, ok := d.element(v, p); ok {
				out = append(out, n.Value)
			}
		})
		*dst = out
	}
}

func (d *decoder) strMap(dst *map[string]string) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		if isNull(v) {
			return
		}
		out := map[string]string{}
		d.entries(v, path, func(key string, _, v *yaml.Node, p string) {
			if n, ok := d.element(v, p); ok {
				out[key] = n.Value
			}
		})
		*dst = out
	}
}

// element is a string inside a list or map, where null is not "keep the
// default" but a hole.
func (d *decoder) element(v *yaml.Node, path string) (*yaml.Node, bool) {
	if isNull(v) {
		d.add(deref(v), path, "must be a string, got null")
		return nil, false
	}
	return d.scalar(v, path, "a string")
}

func (d *decoder) integer(dst *int) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		i := int64(*dst)
		d.int64(&i)(v, path)
		*dst = int(i)
	}
}

func (d *decoder) int64(dst *int64) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		d.schema.def(path, *dst)
		n, ok := d.scalar(v, path, "a whole number")
		if !ok {
			return
		}
		var i int64
		if n.ShortTag() != "!!int" || n.Decode(&i) != nil {
			d.add(n, path, "must be a whole number, got %q", n.Value)
			return
		}
		*dst = i
	}
}

// boolean accepts only true and false: yes/no/on/off are strings in YAML
// 1.2, and guessing what "four_eyes: no" meant is not this file's job.
func (d *decoder) boolean(dst *bool) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		d.schema.def(path, *dst)
		n, ok := d.scalar(v, path, "true or false")
		if !ok {
			return
		}
		if n.ShortTag() != "!!bool" || n.Decode(dst) != nil {
			d.add(n, path, "must be true or false, got %q", n.Value)
		}
	}
}

// duration parses a Go duration; unit is the one a bare number most likely
// meant, for the hint ("24" for a soak means 24h).
func (d *decoder) duration(dst *time.Duration, unit string) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		d.schema.def(path, *dst)
		n, ok := d.scalar(v, path, "a duration such as 30s")
		if !ok {
			return
		}
		t, err := parseDuration(n.Value, unit)
		if err != nil {
			d.add(n, path, "%v", err)
			return
		}
		*dst = t
	}
}

// strsMap decodes a mapping of lists of strings (user groups to members).
func (d *decoder) strsMap(dst *map[string][]string) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		if isNull(v) {
			return
		}
		out := map[string][]string{}
		d.entries(v, path, func(key string, _, v *yaml.Node, p string) {
			var members []string
			d.strs(&members)(v, p)
			out[key] = members
		})
		*dst = out
	}
}
