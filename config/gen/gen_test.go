package main

import (
	"os"
	"strings"
	"testing"
)

// TestConfigDocCurrent fails when docs/CONFIG.md is not what the schema
// produces: a key was added, removed, renamed or got a new default.
func TestConfigDocCurrent(t *testing.T) {
	doc, _ := render()
	have, err := os.ReadFile("../../docs/CONFIG.md")
	if err != nil {
		t.Fatal(err)
	}
	if string(have) != doc {
		t.Fatal("docs/CONFIG.md is out of date: run `go run ./config/gen` from the repository root")
	}
}

// TestEveryKeyDocumented: a key's doc is written beside its decoder in
// config, so a new key without one fails here rather than reaching the
// reference as a blank.
func TestEveryKeyDocumented(t *testing.T) {
	if _, missing := render(); len(missing) > 0 {
		t.Errorf("keys without a doc in their config field: %s", strings.Join(missing, ", "))
	}
}

// TestDocShowsSchema: spot checks of the rendering, so a broken renderer
// cannot pass by writing a broken file and comparing it with itself.
func TestDocShowsSchema(t *testing.T) {
	doc, _ := render()
	for _, want := range []string{
		"\n## store\n",
		"| `store.bolt.path` | string | `\"/var/lib/patchgate/state.db\"` |",
		"| `engine.lease_ttl` | duration | `1m` |",
		"| `pipeline[].approvers` | list of strings | — |",
		"| `providers.sim.groups` | map of lists of strings | — |",
		"| `tenants[].environments` | map of mappings | — |",
		"| `slack.bot_token` | secret | — |",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("rendered reference lacks %q", want)
		}
	}
	for _, hidden := range []string{"`pipeline[].approvers[]`", "`tenants[].environments.<name>` |"} {
		if strings.Contains(doc, hidden) {
			t.Errorf("rendered reference shows element row %s", hidden)
		}
	}
}
