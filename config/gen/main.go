// Command gen writes docs/CONFIG.md, the configuration reference, from
// config.Schema: the decoder's own key lists, with the doc each key's field
// carries beside its decoder. Run it from the repository root after
// changing a key:
//
//	go run ./config/gen            (or: go generate ./config)
//
// Its test fails when docs/CONFIG.md differs from what it would write, so
// the reference cannot drift from the keys, types and defaults the decoder
// has, and fails when a key has no doc.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	out := flag.String("o", "docs/CONFIG.md", "file to write")
	flag.Parse()
	doc, missing := render()
	if len(missing) > 0 {
		fmt.Fprintf(os.Stderr, "gen: these keys have no doc in their config field yet: %v\n", missing)
	}
	if err := os.WriteFile(*out, []byte(doc), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
