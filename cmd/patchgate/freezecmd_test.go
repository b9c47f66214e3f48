package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

// TestFreezeOnTheCLI: patchgate freeze, freezes, cycle start (refused),
// unfreeze, through the engine functions /patch uses, with a configured
// freeze of the future listed beside the command one.
func TestFreezeOnTheCLI(t *testing.T) {
	ctx := context.Background()
	path := cliConfig(t, t.TempDir(), 0)
	b, _ := os.ReadFile(path)
	conf := append(b, []byte("freezes:\n  - {tenant: acme-cu, from: 2099-12-28, until: 2100-01-02, reason: year-end processing}\n")...)
	if err := os.WriteFile(path, conf, 0o600); err != nil {
		t.Fatal(err)
	}
	cli := func(args ...string) (int, string) {
		var out bytes.Buffer
		code := run(ctx, append(args, "-c", path), &out, &out)
		return code, out.String()
	}
	if code, out := cli("freeze", "acme-cu", "48h", "INC-9", "declared", "--as", "U0EVE00003"); code == 0 || !strings.Contains(out, "only approvers may freeze") {
		t.Errorf("outsider: exit %d\n%s", code, out)
	}
	if code, out := cli("freeze", "all", "48h", "INC-9", "declared", "--as", "U0ALICE001"); code != 0 || !strings.Contains(out, "Frozen: all tenants frozen until") {
		t.Fatalf("freeze: exit %d\n%s", code, out)
	}
	code, out := cli("freezes")
	if code != 0 || !strings.Contains(out, "all tenants frozen until") || !strings.Contains(out, "INC-9 declared (set by U0ALICE001)") ||
		!strings.Contains(out, "from 2099-12-28 00:00 UTC: acme-cu frozen until 2100-01-02 00:00 UTC: year-end processing (configured)") {
		t.Errorf("freezes: exit %d\n%s", code, out)
	}
	if code, out := cli("cycle", "start", "acme-cu", "--as", "U0ALICE001"); code == 0 || !strings.Contains(out, "no new cycle") {
		t.Errorf("start during the freeze: exit %d\n%s", code, out)
	}
	if code, out := cli("unfreeze", "all", "--as", "U0BOB00002"); code != 0 || !strings.Contains(out, "Lifted the freeze of all") {
		t.Errorf("unfreeze: exit %d\n%s", code, out)
	}
	if code, out := cli("cycle", "start", "acme-cu", "--as", "U0ALICE001"); code != 0 {
		t.Errorf("start after unfreeze: exit %d\n%s", code, out)
	}
}
