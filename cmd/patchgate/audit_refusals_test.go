package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state/checkpoint"
)

func TestAuditStartRefusalsBolt(t *testing.T)  { testAuditStartRefusals(t, "bolt") }
func TestAuditStartRefusalsRedis(t *testing.T) { testAuditStartRefusals(t, "redis") }

// testAuditStartRefusals: refused `cycle start` attempts are chained on the
// tenant's start-refusal stream and checkpointed at once, so `audit verify`
// checks that stream against its anchored head like a cycle's (a dropped
// refusal or a deleted stream exits 1 naming stream and seq), and `audit
// export` writes it (--tenant, --all) with a SIEM outcome of "denied".
func testAuditStartRefusals(t *testing.T, backend string) {
	ctx := context.Background()
	f := newAuditFixture(t, backend)
	stream := runbooks.StartRefusalStream("acme-cu")
	for range 2 {
		var out bytes.Buffer
		if code := run(ctx, []string{"cycle", "start", "acme-cu", "--as", "U0EVE00001", "--config", f.runCfg}, &out, &out); code == 0 {
			t.Fatalf("a start by someone not among the requesters: exit 0: %s", out.String())
		}
	}
	if _, err := os.Stat(filepath.Join(f.anchorDir, checkpoint.Name(stream, 2))); err != nil {
		t.Fatalf("the second refusal is not anchored: %v", err)
	}
	code, out := f.verify(t)
	if code != 0 || !strings.Contains(out, "audit OK") || !strings.Contains(out, "0 streams have no checkpoint yet") {
		t.Fatalf("untouched store: exit %d:\n%s", code, out)
	}

	var siem, errOut bytes.Buffer
	if code := run(ctx, []string{"audit", "export", "--tenant", "acme-cu", "--format", "siem", "--config", f.verifyCfg}, &siem, &errOut); code != 0 {
		t.Fatalf("export --tenant: exit %d: %s", code, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(siem.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("export --tenant: %d lines, want 2:\n%s", len(lines), siem.String())
	}
	for _, want := range []string{`"stream":"` + stream + `"`, `"actor":"U0EVE00001"`, `"action":"` + runbooks.EvStartRefused + `"`, `"outcome":"denied"`} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("SIEM line %s lacks %s", lines[1], want)
		}
	}
	var all bytes.Buffer
	if code := run(ctx, []string{"audit", "export", "--all", "--config", f.verifyCfg}, &all, &errOut); code != 0 ||
		strings.Count(all.String(), `"stream":"`+stream+`"`) != 2 {
		t.Fatalf("export --all: exit %d, %d lines of %s", code, strings.Count(all.String(), `"stream":"`+stream+`"`), stream)
	}
	if code := run(ctx, []string{"audit", "export", "--tenant", "nobody", "--config", f.verifyCfg}, &all, &errOut); code != 2 {
		t.Errorf("export --tenant of a tenant without refusals: exit %d, want 2", code)
	}

	es := f.raw.read(t, stream)
	f.raw.replace(t, stream, es[:1])
	code, out = f.verify(t)
	if want := fmt.Sprintf("BROKEN %s at seq 2", stream); code != 1 || !strings.Contains(out, want) || !strings.Contains(out, "truncated") {
		t.Fatalf("a dropped refusal: exit %d, want 1 and %q:\n%s", code, want, out)
	}
	f.raw.drop(t, stream)
	code, out = f.verify(t)
	if want := fmt.Sprintf("BROKEN %s at seq 2", stream); code != 1 || !strings.Contains(out, want) || !strings.Contains(out, "deleted") {
		t.Fatalf("a deleted refusal stream: exit %d, want 1 and %q:\n%s", code, want, out)
	}
}
