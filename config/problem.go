package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Problem is one thing wrong with a configuration file, located well enough
// that an operator can go straight to it.
type Problem struct {
	File string
	// Line is 1-based and always set: a problem with something the file
	// leaves out points at the enclosing section, or at line 1.
	Line   int
	Column int // 1-based where yaml.v3 knows it, else 0; not printed
	// Field is the dotted path of the setting, e.g. pipeline[2].min_approvals
	// or tenants[0].environments.nonprod.targets[1].cloud; empty for problems
	// with the file as a whole (a YAML syntax error).
	Field   string
	Message string
}

// String prints file:line: field: message, the form editors and CI logs
// turn into links.
func (p Problem) String() string {
	if p.Field == "" {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
	}
	return fmt.Sprintf("%s:%d: %s: %s", p.File, p.Line, p.Field, p.Message)
}

// Problems is every problem found in one file. Load and Parse return all of
// them at once, so fixing a config is one edit, not one edit per run.
type Problems struct {
	List []Problem // sorted by line, then column, then field
}

// Error prints one problem per line.
func (ps *Problems) Error() string {
	lines := make([]string, len(ps.List))
	for i, p := range ps.List {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

func (ps *Problems) sort() {
	slices.SortStableFunc(ps.List, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column),
			cmp.Compare(a.Field, b.Field))
	})
}
