package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

// TestSensorCoverageOnTheCLI: `patchgate sensors [tenant]` prints the
// coverage /patch sensors shows, judged against edr.tiers' minimum, with
// the simulation named as the source of every line.
func TestSensorCoverageOnTheCLI(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := cliConfig(t, dir, 0)
	b, _ := os.ReadFile(path)
	if err := os.WriteFile(path, append(b, []byte("edr: {tiers: [{env: production, min_version: \"7.99\", host_group: sim-hg-production, prevention_policy: sim-prevention-production}]}\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	code := run(ctx, []string{"sensors", "acme-cu", "-c", path}, &out, &out)
	got := out.String()
	for _, want := range []string{"acme-cu/nonprod: 1 of 1 hosts covered", "acme-cu/production: 0 of 1 hosts covered — 0 without a sensor, 1 outdated",
		"minimum 7.99 (source: simulation)", "below the production minimum 7.99"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if code != 0 {
		t.Errorf("exit %d", code)
	}
	out.Reset()
	code = run(ctx, []string{"sensors", "validate", "acme-cu", "production", "-c", path}, &out, &out)
	if got := out.String(); !strings.Contains(got, "acme-cu/production: 0 of 1 hosts pass, 1 failed checks (source: simulation)") ||
		!strings.Contains(got, "version: ") || !strings.Contains(got, "want ≥ 7.99") {
		t.Errorf("sensors validate: exit %d\n%s", code, got)
	}
	out.Reset()
	if code := run(ctx, []string{"sensors", "nope", "-c", path}, &out, &out); code == 0 || !strings.Contains(out.String(), "Unknown tenant") {
		t.Errorf("unknown tenant: exit %d\n%s", code, out.String())
	}
}
