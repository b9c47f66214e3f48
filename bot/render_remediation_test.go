package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// fxRemediation is a remediation of two instances awaiting approval.
func fxRemediation() *runbooks.Remediation {
	at := time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)
	return &runbooks.Remediation{ID: "RM-acme-cu-20261122-0200-abc123", Tenant: "acme-cu", Env: "production",
		Status: runbooks.RemAwaitingApproval, Created: at, WindowEnd: at.Add(10 * time.Minute),
		MinApprovals: 2, FourEyes: true, Production: true, Journal: runbooks.Journal{Revision: 4},
		Instances: []runbooks.RemediationInstance{
			{Host: runbooks.Host{ID: "i-0abc", Name: "web-01", Cloud: runbooks.AWS}, Rules: []string{"ec2-managedinstance-patch-compliance-status-check"},
				Since: at.Add(-3 * time.Hour), Compliance: runbooks.NonCompliant},
			{Host: runbooks.Host{ID: "i-0def", Cloud: runbooks.AWS}, Rules: []string{"ec2-managedinstance-patch-compliance-status-check", "custom-kernel-rule"},
				Since: at.Add(-20 * time.Minute), Compliance: runbooks.NonCompliant},
		}}
}

// TestConfigEventCardRender: a remediation's card names the tenant, the
// environment's policy, each instance with its non-compliant rules and
// for how long, offers Approve (never Halt or a cycle's Reject) and names
// the dismiss command while open; dismissed, it shows the reason and no
// buttons; failed, it offers Retry.
func TestConfigEventCardRender(t *testing.T) {
	r := fxRemediation()
	now := r.Created.Add(time.Minute)
	card := func() string {
		return rendered(t, renderRoot(remediationView(r), rootView{Tenant: "Acme Credit Union", Now: now, Remediation: r}))
	}
	got := card()
	for _, w := range []string{"Remediation · Acme Credit Union", "*Remediation*\\n`RM-acme-cu-20261122-0200-abc123`", "*Reported by*\\nAWS Config",
		"*production* policy: 2 approval(s), four eyes, production, no auto_remediate",
		"*web-01 (i-0abc)* NON_COMPLIANT: ec2-managedinstance-patch-compliance-status-check — non-compliant for 3h1m",
		"*i-0def* NON_COMPLIANT: ec2-managedinstance-patch-compliance-status-check, custom-kernel-rule — non-compliant for 21m",
		`"action_id":"patchgate.approve"`, "Approve remediation",
		`/patch dismiss RM-acme-cu-20261122-0200-abc123 \u003creason…\u003e`} {
		if !strings.Contains(got, w) {
			t.Errorf("awaiting approval: %s\nwant %q", got, w)
		}
	}
	for _, w := range []string{"patchgate.halt", "patchgate.reject"} {
		if strings.Contains(got, w) {
			t.Errorf("the card offers %s, which a remediation does not take: %s", w, got)
		}
	}

	if !strings.Contains(got, "Each approval must come from a different person (four eyes)") || strings.Contains(got, "The requester may not") {
		t.Errorf("four eyes on a card without a requester: %s", got)
	}
	r.Status = runbooks.RemPatching
	if got := card(); strings.Contains(got, "/patch dismiss") || strings.Contains(got, `"type":"actions"`) {
		t.Errorf("patching: %s\nwant neither buttons nor the dismiss command (the engine refuses it now)", got)
	}

	r.Status, r.Failure = runbooks.RemFailed, &runbooks.Failure{Phase: runbooks.Phase(runbooks.RemPatching), Reason: "SendCommand refused"}
	if got := card(); !strings.Contains(got, "Retry remediation") || !strings.Contains(got, "SendCommand refused") {
		t.Errorf("failed: %s\nwant Retry and the reason", got)
	}

	r.Status, r.Failure, r.Dismissal, r.Ended = runbooks.RemDismissed, nil, "decommissioned on Friday", now
	got = card()
	if strings.Contains(got, `"type":"actions"`) || strings.Contains(got, "/patch dismiss") || !strings.Contains(got, "Dismissed: decommissioned on Friday") {
		t.Errorf("dismissed: %s\nwant the reason and no buttons", got)
	}

	r.AutoRemediate, r.Production, r.FourEyes, r.MinApprovals = true, false, false, 1
	if got := card(); !strings.Contains(got, "1 approval(s), auto_remediate") {
		t.Errorf("auto_remediate tier: %s\nwant the policy to say so", got)
	}

	ev := runbooks.Event{Seq: 5, Type: runbooks.EvRemediationDismissed, Actor: "U-ALICE", Stage: remediationStage, Detail: "dismissed: decommissioned on Friday"}
	if !notable(remediationView(r), ev) {
		t.Fatal("a dismissal is not worth a thread message")
	}
	posts := renderThread(remediationView(r), []runbooks.Event{ev})
	if len(posts) != 1 || !strings.Contains(rendered(t, posts[0].msg), "<@U-ALICE> dismissed: decommissioned on Friday") {
		t.Errorf("thread: %+v\nwant who dismissed and why", posts)
	}
}
