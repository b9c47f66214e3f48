package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// Remediations answers with one open remediation of the rig's tenant.
func (f *fakeEngine) Remediations(_ context.Context, finished bool) ([]*runbooks.Remediation, error) {
	if finished {
		return nil, nil
	}
	r := fxRemediation()
	r.Tenant = f.tenants[0].Name
	r.Instances[0].Since = time.Now().Add(-2 * time.Hour)
	r.Instances[1].Since = time.Now().Add(-time.Hour)
	return []*runbooks.Remediation{r}, nil
}

var _ Remediations = (*fakeEngine)(nil)

// TestConfigEventRemediationsAndDismissCommands: /patch remediations lists
// the open ones with instances and age; /patch dismiss hands a dismiss
// decision with the reason to Decide, and refuses a cycle ID or no reason.
func TestConfigEventRemediationsAndDismissCommands(t *testing.T) {
	r := newRig(t, HandlerOptions{})
	tenant := r.eng.tenants[0].Name
	got := r.command(t, "U-ALICE", "remediations "+tenant)
	for _, w := range []string{"Open remediations of " + tenant + " (1):", "`RM-acme-cu-20261122-0200-abc123` (" + tenant + "/production) — awaiting approval (0/2)",
		"2 instance(s): i-0abc, i-0def", "non-compliant for 2h0m"} {
		if !strings.Contains(got, w) {
			t.Errorf("remediations reply:\n%s\nwant %q", got, w)
		}
	}
	if got := r.command(t, "U-ALICE", "remediations nosuch"); !strings.Contains(got, "Unknown tenant") {
		t.Errorf("unknown tenant: %q", got)
	}

	r.command(t, "U-ALICE", "dismiss RM-acme-cu-20261122-0200-abc123 decommissioned on Friday")
	_, decides := r.eng.calls()
	if len(decides) != 1 || decides[0].Action != runbooks.Dismiss || decides[0].Reason != "decommissioned on Friday" ||
		decides[0].Cycle != "RM-acme-cu-20261122-0200-abc123" || decides[0].Actor != "U-ALICE" {
		t.Fatalf("decisions %+v, want one dismiss with its reason", decides)
	}
	for _, line := range []string{"dismiss RM-acme-cu-1", "dismiss acme-cu-1 no reason needed"} {
		if got := r.command(t, "U-ALICE", line); !strings.Contains(got, "Usage: /patch dismiss <RM-id> <reason…>") {
			t.Errorf("%q: %q, want a usage error", line, got)
		}
	}
	if _, decides := r.eng.calls(); len(decides) != 1 {
		t.Errorf("a refused dismiss reached Decide: %+v", decides)
	}
}
