package config

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/invalid/*.want from the current output")

// TestInvalid parses each testdata/invalid/*.yaml and compares every
// problem, printed as file:line: field: message, with the .want file beside
// it. The .want files were checked by hand against the line numbers.
func TestInvalid(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test cases: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			_, err := Load(file)
			var ps *Problems
			if !errors.As(err, &ps) {
				t.Fatalf("Load(%s) = %v, want *Problems", file, err)
			}
			for _, p := range ps.List {
				if p.Line < 1 || p.File != file {
					t.Errorf("problem %+v: want Line >= 1 and File %q", p, file)
				}
			}
			got := ps.Error() + "\n"
			golden := strings.TrimSuffix(file, ".yaml") + ".want"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("problems differ\n got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	var ps *Problems
	if err == nil || errors.As(err, &ps) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Load(missing) = %v, want a wrapped not-exist error", err)
	}
}
