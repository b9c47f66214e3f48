package bot

import (
	"strings"
	"testing"

	"github.com/patchgate/patchgate/runbooks"
)

// TestHaltedRootSaysWhichCallFailedAndThatNobodyWasPaged: the halted
// cycle's message names the failing call and a page that was not sent.
func TestHaltedRootSaysWhichCallFailedAndThatNobodyWasPaged(t *testing.T) {
	call := "aws ssm DescribeInstanceInformation (account 111111111111, us-east-1) failed after 3 attempts: connection accepted but no answer within 30s"
	c := &runbooks.Cycle{ID: "c1", Tenant: "acme-cu", Status: runbooks.StatusHalted, Stages: []runbooks.Stage{{
		Name: "preflight", Kind: runbooks.KindPreflight, Phase: runbooks.PhaseFailed, Errors: 3, LastError: call,
		Failure:  &runbooks.Failure{Phase: runbooks.PhaseInventory, Reason: "inventory failed 3 times: " + call},
		Incident: runbooks.Incident{Key: "patchgate/c1/preflight", LastError: "trigger patchgate/c1/preflight: pagerduty events Enqueue failed: HTTP 500"},
	}}}
	got := strings.Join(rootDetails(c, rootView{}), "\n")
	for _, want := range []string{"aws ssm DescribeInstanceInformation", "Paging failed, nobody was paged: trigger patchgate/c1/preflight"} {
		if !strings.Contains(got, want) {
			t.Errorf("root details lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "On-call paged") {
		t.Errorf("root details claim a page that was not sent:\n%s", got)
	}
}
