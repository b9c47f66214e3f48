package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// TestConfigEventRemediationCLI: a remediation opened by a compliance
// event is listed and shown by `patchgate remediation`, and dismissed by
// `remediation decide` through Engine.Decide: no reason is refused, with a
// reason it is recorded and audited.
func TestConfigEventRemediationCLI(t *testing.T) {
	ctx := context.Background()
	path := cliConfig(t, t.TempDir(), 0)
	var id string
	err := withApp(ctx, path, wiring{}, func(a *app) error {
		var err error
		id, err = a.engine.IntakeComplianceEvent(ctx, runbooks.ComplianceEvent{ID: "ev-1", Account: "111111111111", Region: "us-east-1",
			InstanceID: "i-0cli0001", Rule: "ec2-managedinstance-patch-compliance-status-check", Compliance: runbooks.NonCompliant,
			At: time.Now().Add(-2 * time.Hour), Source: "http", Tenant: "acme-cu", Env: "nonprod"})
		return err
	})
	if err != nil || !runbooks.IsRemediationID(id) {
		t.Fatalf("intake: %q %v", id, err)
	}
	cli := func(args ...string) (int, string) {
		var out bytes.Buffer
		code := run(ctx, append(args, "-c", path), &out, &out)
		return code, out.String()
	}
	code, out := cli("remediation", "list", "acme-cu")
	if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "nonprod") {
		t.Errorf("list: exit %d\n%s", code, out)
	}
	if code, out := cli("remediation", "list", "other-tenant"); code != 0 || strings.Contains(out, id) {
		t.Errorf("list of another tenant: exit %d\n%s", code, out)
	}
	code, out = cli("remediation", "show", id)
	for _, w := range []string{id, "i-0cli0001", "111111111111", "NON_COMPLIANT", "ec2-managedinstance-patch-compliance-status-check",
		"policy: 1 approval(s), four eyes false", "non-compliant for 2h", runbooks.EvRemediationOpened} {
		if code != 0 || !strings.Contains(out, w) {
			t.Errorf("show: exit %d\n%s\nwant %q", code, out, w)
		}
	}
	if code, out := cli("remediation", "decide", id, "--action", "dismiss", "--as", "U0ALICE001"); code == 0 || !strings.Contains(out, "needs --reason") {
		t.Errorf("dismiss without a reason: exit %d\n%s", code, out)
	}
	if code, out := cli("remediation", "decide", id, "--action", "dismiss", "--as", "U0ALICE001", "--reason", "instance retired"); code != 0 || !strings.Contains(out, "Dismissed") {
		t.Fatalf("dismiss: exit %d\n%s", code, out)
	}
	code, out = cli("remediation", "show", id)
	if code != 0 || !strings.Contains(out, "dismissed: instance retired") || !strings.Contains(out, runbooks.EvRemediationDismissed) {
		t.Errorf("show after dismiss: exit %d\n%s", code, out)
	}
}
