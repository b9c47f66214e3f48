package main

import (
	"os"
	"sort"
	"strings"
	"testing"
)

// TestConfigDocCurrent fails when docs/CONFIG.md is not what the schema
// produces: a key was added, removed, renamed or got a new default.
func TestConfigDocCurrent(t *testing.T) {
	doc, _, missing := render()
	if len(missing) > 0 {
		t.Logf("keys without a description in config/gen/descriptions.go: %s", strings.Join(missing, ", "))
	}
	have, err := os.ReadFile("../../docs/CONFIG.md")
	if err != nil {
		t.Fatal(err)
	}
	if string(have) != doc {
		t.Fatal("docs/CONFIG.md is out of date: run `go run ./config/gen` from the repository root")
	}
}

// TestDescriptionsNameKeys: a description for a key the schema lacks is a
// renamed or removed key whose text would silently vanish.
func TestDescriptionsNameKeys(t *testing.T) {
	_, used, _ := render()
	var stale []string
	for k := range descriptions {
		if _, dup := pending[k]; dup {
			stale = append(stale, k+" (also in pending)")
		}
		if !used[k] {
			stale = append(stale, k)
		}
	}
	sort.Strings(stale)
	if len(stale) > 0 {
		t.Errorf("descriptions for keys the schema does not have: %s", strings.Join(stale, ", "))
	}
}

// TestDocShowsSchema: spot checks of the rendering, so a broken renderer
// cannot pass by writing a broken file and comparing it with itself.
func TestDocShowsSchema(t *testing.T) {
	doc, _, _ := render()
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
