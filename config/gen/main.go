// Command gen writes docs/CONFIG.md, the configuration reference, from
// config.Schema (the decoder's own key lists) and the descriptions in
// descriptions.go. Run it from the repository root after changing a key:
//
//	go run ./config/gen            (or: go generate ./config)
//
// Its test fails when docs/CONFIG.md differs from what it would write, or
// when a key has no description, so the reference cannot drift.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	out := flag.String("o", "docs/CONFIG.md", "file to write")
	flag.Parse()
	doc, _, missing := render()
	if len(missing) > 0 {
		fmt.Fprintf(os.Stderr, "gen: describe these keys in config/gen/descriptions.go first: %v\n", missing)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, []byte(doc), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
