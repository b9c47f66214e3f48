package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// FuzzParse feeds Parse arbitrary bytes, seeded with the example and every
// invalid case. Parse must not panic, must return a Config or *Problems,
// and every problem must carry the file name and a line: problems about a
// missing section point at line 1, so there is no exception.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/invalid/*.yaml")
	for _, path := range append(seeds, examplePath) {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(minimal))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data)
		if err == nil {
			if c == nil {
				t.Fatal("Parse returned neither a Config nor problems")
			}
			c.Tenants()
			c.Pipeline()
			c.EngineConfig()
			return
		}
		var ps *Problems
		if !errors.As(err, &ps) || len(ps.List) == 0 || c != nil {
			t.Fatalf("Parse = %v, %v; want nil and a non-empty *Problems", c, err)
		}
		for _, p := range ps.List {
			if p.Line < 1 || p.File != "fuzz.yaml" || p.Message == "" {
				t.Errorf("problem without a place or a message: %+v", p)
			}
		}
		if !slices.IsSortedFunc(ps.List, func(a, b Problem) int { return a.Line - b.Line }) {
			t.Errorf("problems not sorted by line: %v", ps)
		}
	})
}
