package bot

import (
	"context"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/runbooks"
)

// RequestPrevention answers as the engine would: production with four
// eyes, staging refused while nonprod has not passed.
func (f *fakeEngine) RequestPrevention(_ context.Context, req runbooks.PreventionRequest) (*runbooks.Prevention, error) {
	if req.Tier == "staging" && req.Mode == runbooks.ModePrevention {
		return nil, runbooks.Errorf(runbooks.CodeBlocked, "nonprod's monitoring window failed its detection gate (PV-1: 7 detection(s)), so staging may not start.")
	}
	return &runbooks.Prevention{ID: "PV-" + req.Tenant + "-" + req.Tier, Tenant: req.Tenant, Tier: req.Tier, Mode: req.Mode, MinApprovals: 2, FourEyes: true,
		Plan: runbooks.PreventionTier{HostGroup: "hg-1", Window: runbooks.DefaultPreventionWindow}}, nil
}

var _ Preventions = (*fakeEngine)(nil)

func TestPreventionRolloutCommand(t *testing.T) {
	r := newRig(t, HandlerOptions{})
	tenant := r.eng.tenants[0].Name
	got := r.command(t, "U-REQ", "prevention "+tenant+" production")
	for _, w := range []string{"Requested prevention PV-" + tenant + "-production", "host group hg-1 moves to the prevention policy",
		"14-day monitoring window", "2 approval(s) from production approvers other than the requester (four eyes)"} {
		if !strings.Contains(got, w) {
			t.Errorf("reply:\n%s\nwant %q", got, w)
		}
	}
	if got := r.command(t, "U-REQ", "prevention rollback "+tenant+" production"); !strings.Contains(got, "Requested detection") {
		t.Errorf("rollback reply %q", got)
	}
	if got := r.command(t, "U-REQ", "prevention "+tenant+" staging"); !strings.Contains(got, "7 detection(s)") {
		t.Errorf("refusal reply %q, want the counts", got)
	}
	if got := r.command(t, "U-REQ", "prevention "+tenant); !strings.Contains(got, "needs a tenant and a tier") {
		t.Errorf("short command: %q", got)
	}
}
