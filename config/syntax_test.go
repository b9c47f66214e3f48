package config

import (
	"errors"
	"strings"
	"testing"
)

// TestSyntaxLines pins how yaml.v3's messages become lines: scanner errors
// are 1-based, parser errors 0-based, and some carry no line at all.
func TestSyntaxLines(t *testing.T) {
	tests := []struct {
		name, yaml string
		line       int
		msg        string
	}{
		{"scanner", "a: 1\nb: c: d\n", 2, "mapping values are not allowed"},
		{"parser", "- a\nb: c\n", 2, "did not find expected '-' indicator"},
		{"parser on line 1", "{a: 1\n", 2, "did not find expected ',' or '}'"},
		{"tab", "a: 1\n\tb: 2\n", 2, "found a tab character"},
		{"control character", "a: 1\nb: 2\nc: \x01\n", 3, "control characters are not allowed"},
		{"invalid utf-8", "a: 1\nb: \xc3\x28\n", 2, "invalid"},
		{"unknown anchor", "a: 1\n\nb: *nope\n", 3, "unknown anchor 'nope'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(tt.yaml))
			var ps *Problems
			if !errors.As(err, &ps) || len(ps.List) != 1 {
				t.Fatalf("Parse = %v, want one problem", err)
			}
			p := ps.List[0]
			if p.Line != tt.line || p.Field != "" || !strings.Contains(p.Message, tt.msg) {
				t.Errorf("got %s, want line %d and a message containing %q", p, tt.line, tt.msg)
			}
		})
	}
}

func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("x-a0: &a0 [U0AAAAAAA, U0AAAAAAA, U0AAAAAAA, U0AAAAAAA, U0AAAAAAA, U0AAAAAAA, U0AAAAAAA, U0AAAAAAA, U0AAAAAAA, U0AAAAAAA]\n")
	for i := 1; i < 9; i++ {
		fmt := "x-aN: &aN [*aP, *aP, *aP, *aP, *aP, *aP, *aP, *aP, *aP, *aP]\n"
		fmt = strings.ReplaceAll(fmt, "N", string(rune('0'+i)))
		b.WriteString(strings.ReplaceAll(fmt, "P", string(rune('0'+i-1))))
	}
	_, err := Parse("bomb.yaml", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "expands to more than") {
		t.Fatalf("Parse(alias bomb) = %v", err)
	}
}
