package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// Preflight answers a report with one unmanaged host, as the engine would.
func (f *fakeEngine) Preflight(_ context.Context, tenant, actor string) (runbooks.PreflightReport, error) {
	return runbooks.PreflightReport{Tenant: tenant, Actor: actor, At: time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC), Hosts: 3,
		Checks: []runbooks.PreflightCheck{{Name: "inventory", Status: runbooks.PreflightFail, Summary: "3 hosts, 1 unmanaged",
			Findings: []runbooks.Finding{{HostID: "i-1", HostName: "web-01", Reason: "not managed by its patch agent"}}, Sources: []string{"aws-ssm"}}},
		NeedPerson: []runbooks.Finding{{HostID: "i-1", HostName: "web-01"}}}, nil
}

var _ Preflighter = (*fakeEngine)(nil)

// TestPreflightDryRunCommandOpensNoCycle: /patch preflight answers with the
// report (the verdict, the check, the host and its source) and starts
// nothing.
func TestPreflightDryRunCommandOpensNoCycle(t *testing.T) {
	r := newRig(t, HandlerOptions{})
	got := r.command(t, "U-REQ", "preflight acme-cu")
	for _, w := range []string{"preflight of acme-cu: NOT ready", "no cycle was opened", "[FAIL] inventory: 3 hosts, 1 unmanaged (source: aws-ssm)",
		"- web-01: not managed by its patch agent", "1 host(s) need a person"} {
		if !strings.Contains(got, w) {
			t.Errorf("reply:\n%s\nwant it to contain %q", got, w)
		}
	}
	if starts, _ := r.eng.calls(); len(starts) != 0 {
		t.Fatalf("preflight started cycles %v", starts)
	}
	if got := r.command(t, "U-REQ", "preflight nowhere-cu"); !strings.Contains(got, `Unknown tenant "nowhere-cu"`) {
		t.Errorf("unknown tenant reply %q", got)
	}
}
