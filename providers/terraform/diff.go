package terraform

import (
	"reflect"
	"regexp"
	"sort"
	"strconv"
)

// segment is one step of an attribute path: a map key or a list index.
type segment struct {
	key   string
	index int
	isIdx bool
}

// diffPaths returns the paths of leaves that differ between before and after.
// A missing side is treated as an empty container, so null and [] or {} do not
// count as a change: providers flip between them without anything changing.
func diffPaths(before, after any) [][]segment {
	var out [][]segment
	walkDiff(nil, before, after, &out)
	return out
}

func walkDiff(path []segment, b, a any, out *[][]segment) {
	bm, bIsMap := asMap(b)
	am, aIsMap := asMap(a)
	if bIsMap && aIsMap {
		keys := make(map[string]bool, len(bm)+len(am))
		for k := range bm {
			keys[k] = true
		}
		for k := range am {
			keys[k] = true
		}
		for _, k := range sortedKeys(keys) {
			walkDiff(appendSeg(path, segment{key: k}), bm[k], am[k], out)
		}
		return
	}
	bl, bIsList := asList(b)
	al, aIsList := asList(a)
	if bIsList && aIsList {
		for i := 0; i < max(len(bl), len(al)); i++ {
			var bv, av any
			if i < len(bl) {
				bv = bl[i]
			}
			if i < len(al) {
				av = al[i]
			}
			if i >= len(bl) || i >= len(al) {
				// A whole element came or went: report the element, not its leaves.
				*out = append(*out, appendSeg(path, segment{index: i, isIdx: true}))
				continue
			}
			walkDiff(appendSeg(path, segment{index: i, isIdx: true}), bv, av, out)
		}
		return
	}
	if !reflect.DeepEqual(b, a) {
		*out = append(*out, path)
	}
}

// asMap accepts nil as an empty map when the other side decides the shape.
func asMap(v any) (map[string]any, bool) {
	if v == nil {
		return nil, true
	}
	m, ok := v.(map[string]any)
	return m, ok
}

func asList(v any) ([]any, bool) {
	if v == nil {
		return nil, true
	}
	l, ok := v.([]any)
	return l, ok
}

func appendSeg(path []segment, s segment) []segment {
	p := make([]segment, len(path), len(path)+1)
	copy(p, path)
	return append(p, s)
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// pathString renders a path as a reader would write it in HCL; keys that are
// not identifiers (tags like "kubernetes.io/role") are quoted in brackets so
// the dots inside them are not mistaken for nesting.
func pathString(path []segment) string {
	s := ""
	for _, seg := range path {
		switch {
		case seg.isIdx:
			s += "[" + strconv.Itoa(seg.index) + "]"
		case !identifier.MatchString(seg.key):
			s += "[" + strconv.Quote(seg.key) + "]"
		case s == "":
			s = seg.key
		default:
			s += "." + seg.key
		}
	}
	return s
}

// isSensitive reports whether the value at path is marked in a
// before_sensitive/after_sensitive structure: true on the path itself or on
// any ancestor or descendant marks it (a list of which only some elements are
// secret is still not shown).
func isSensitive(marks any, path []segment) bool {
	cur := marks
	for _, seg := range path {
		if b, ok := cur.(bool); ok {
			return b
		}
		switch m := cur.(type) {
		case map[string]any:
			if seg.isIdx {
				return false
			}
			cur = m[seg.key]
		case []any:
			if !seg.isIdx || seg.index >= len(m) {
				return false
			}
			cur = m[seg.index]
		default:
			return false
		}
	}
	return containsTrue(cur)
}

func containsTrue(v any) bool {
	switch t := v.(type) {
	case bool:
		return t
	case map[string]any:
		for _, x := range t {
			if containsTrue(x) {
				return true
			}
		}
	case []any:
		for _, x := range t {
			if containsTrue(x) {
				return true
			}
		}
	}
	return false
}

// valueAt returns the value at path, or nil where the path does not exist.
func valueAt(v any, path []segment) any {
	for _, seg := range path {
		switch t := v.(type) {
		case map[string]any:
			v = t[seg.key]
		case []any:
			if !seg.isIdx || seg.index >= len(t) {
				return nil
			}
			v = t[seg.index]
		default:
			return nil
		}
	}
	return v
}
