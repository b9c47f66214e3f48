package config

import (
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestSchemaKeys(t *testing.T) {
	got := map[string]Key{}
	for _, k := range Schema() {
		if _, dup := got[k.Path]; dup {
			t.Errorf("%s listed twice", k.Path)
		}
		got[k.Path] = k
		if k.Type == "" {
			t.Errorf("%s has no type: its decoder bypasses scalar/items/entries, which the schema probe hooks", k.Path)
		}
	}
	for _, want := range []struct{ Path, Type, Default string }{
		{"store", "section", ""},
		{"store.bolt.path", "string", `"` + DefaultBoltPath + `"`},
		{"store.redis.password", "secret", ""},
		{"engine.workers", "integer", "8"},
		{"engine.lease_ttl", "duration", "1m"},
		{"pipeline", "list", ""},
		{"pipeline[].approvers[]", "string", ""},
		{"pipeline[].four_eyes", "boolean", "false"},
		{"tenants[].environments.<name>.targets[].cloud", "string", ""},
		{"providers.sim.groups.<name>[]", "string", ""},
		{"slack.bot_token", "secret", ""},
		{"slack.update_interval", "duration", "3s"},
	} {
		if k, ok := got[want.Path]; !ok || k.Type != want.Type || k.Default != want.Default {
			t.Errorf("Schema has %+v, want %+v", k, want)
		}
	}
}

// TestSchemaCoversExample: every key the complete example file writes is a
// key Schema lists, so the reference cannot leave out one the decoder takes.
func TestSchemaCoversExample(t *testing.T) {
	b, err := os.ReadFile("../deploy/examples/patchgate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, k := range Schema() {
		known[k.Path] = true
	}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		n = deref(n)
		switch n.Kind {
		case yaml.DocumentNode:
			walk(n.Content[0], path)
		case yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c, path+"[]")
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				key := n.Content[i].Value
				if path == "" && strings.HasPrefix(key, "x-") {
					continue
				}
				p := join(path, key)
				if !known[p] {
					p = join(path, schemaAny) // a mapping of the user's own keys
				}
				if !known[p] {
					t.Errorf("example key %s (line %d) is not in Schema", join(path, key), n.Content[i].Line)
					continue
				}
				walk(n.Content[i+1], p)
			}
		}
	}
	walk(&doc, "")
}

// TestSchemaProbeOff: a probe left on a real decoder would accept anything.
func TestSchemaProbeOff(t *testing.T) {
	_ = Schema()
	if _, err := Parse("x.yaml", []byte("engine:\n  workers: many\n")); err == nil {
		t.Fatal("Parse accepted workers: many after Schema ran")
	}
}
