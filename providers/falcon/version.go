package falcon

import (
	"fmt"
	"strconv"
	"strings"
)

// numbers returns the leading run of numeric fields of a sensor build
// ("7.20.19113.0") or kernel release ("3.10.0-1160.99.1.el7.x86_64" →
// 3 10 0 1160 99 1); it stops at the first field that is not a number.
func numbers(v string) []int {
	var out []int
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == '.' || r == '-' || r == '_' || r == '+' }) {
		n, err := strconv.Atoi(f)
		if err != nil {
			break
		}
		out = append(out, n)
	}
	return out
}

// compareVersions orders two versions by their numeric fields; a missing
// field counts as 0, so 7.20.19113 equals 7.20.19113.0.
func compareVersions(a, b string) int {
	x, y := numbers(a), numbers(b)
	for i := 0; i < max(len(x), len(y)); i++ {
		var p, q int
		if i < len(x) {
			p = x[i]
		}
		if i < len(y) {
			q = y[i]
		}
		switch {
		case p < q:
			return -1
		case p > q:
			return 1
		}
	}
	return 0
}

// constraint is a parsed version constraint: space-separated clauses that
// must all hold. A clause is an operator (>=, <=, >, <, =, !=) and a
// version, or a prefix: "6.x" / "6.*" (numeric fields), "3.10.0-1160*"
// (text). An empty constraint matches everything.
type constraint []clause

type clause struct {
	op     string // >=, <=, >, <, =, !=, prefix, numprefix
	value  string
	fields []int
}

func parseConstraint(s string) (constraint, error) {
	var out constraint
	for _, f := range strings.Fields(s) {
		c, err := parseClause(f)
		if err != nil {
			return nil, fmt.Errorf("constraint %q: %w", s, err)
		}
		out = append(out, c)
	}
	return out, nil
}

func parseClause(f string) (clause, error) {
	for _, op := range []string{">=", "<=", "!=", ">", "<", "="} {
		if v, ok := strings.CutPrefix(f, op); ok {
			if len(numbers(v)) == 0 {
				return clause{}, fmt.Errorf("%q: %q is not a version", f, v)
			}
			return clause{op: op, value: v}, nil
		}
	}
	for _, suffix := range []string{".x", ".*"} {
		if v, ok := strings.CutSuffix(f, suffix); ok {
			fields := numbers(v)
			if len(fields) == 0 || len(strings.Split(v, ".")) != len(fields) {
				return clause{}, fmt.Errorf("%q: %q is not a numeric prefix", f, v)
			}
			return clause{op: "numprefix", fields: fields}, nil
		}
	}
	if v, ok := strings.CutSuffix(f, "*"); ok {
		return clause{op: "prefix", value: v}, nil
	}
	if len(numbers(f)) == 0 {
		return clause{}, fmt.Errorf("%q is not a version", f)
	}
	return clause{op: "=", value: f}, nil
}

func (c constraint) matches(v string) bool {
	for _, cl := range c {
		if !cl.matches(v) {
			return false
		}
	}
	return true
}

func (cl clause) matches(v string) bool {
	switch cl.op {
	case "prefix":
		return strings.HasPrefix(v, cl.value)
	case "numprefix":
		n := numbers(v)
		if len(n) < len(cl.fields) {
			return false
		}
		for i, f := range cl.fields {
			if n[i] != f {
				return false
			}
		}
		return true
	}
	if len(numbers(v)) == 0 {
		return false
	}
	cmp := compareVersions(v, cl.value)
	switch cl.op {
	case ">=":
		return cmp >= 0
	case "<=":
		return cmp <= 0
	case ">":
		return cmp > 0
	case "<":
		return cmp < 0
	case "!=":
		return cmp != 0
	}
	return cmp == 0
}
