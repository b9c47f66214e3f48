package multi

import (
	"context"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/runbooks"
)

// checkingCloud is a fake cloud whose patcher compares its baseline.
type checkingCloud struct {
	*fakeCloud
	answer  string
	blocked string
	asked   []runbooks.Target
}

func (c *checkingCloud) CheckBaseline(_ context.Context, _ runbooks.Tenant, env runbooks.Environment) (string, error) {
	c.asked = append(c.asked, env.Targets...)
	if c.blocked != "" {
		return "", runbooks.Errorf(runbooks.CodeBlocked, "%s", c.blocked)
	}
	return c.answer, nil
}

func (c *checkingCloud) cloud() Cloud { return Cloud{Inventory: c, Backups: c, Patcher: c} }

// TestPreflightDryRunBaselineRouter: each cloud is asked about its own
// targets only; a cloud that cannot check makes the whole check fail (never
// pass), and a blocked cloud blocks with its name.
func TestPreflightDryRunBaselineRouter(t *testing.T) {
	aws := &checkingCloud{fakeCloud: newFake(runbooks.AWS), answer: "pb-1 for 3 instances"}
	gcp := &checkingCloud{fakeCloud: newFake(runbooks.GCP), answer: "patch job parameters"}
	env := runbooks.Environment{Name: "production", Targets: []runbooks.Target{
		{Cloud: runbooks.AWS, Account: "111"}, {Cloud: runbooks.GCP, Account: "proj"}}}
	r, err := New(map[runbooks.Cloud]Cloud{runbooks.AWS: aws.cloud(), runbooks.GCP: gcp.cloud()})
	if err != nil {
		t.Fatal(err)
	}
	found, err := r.CheckBaseline(context.Background(), runbooks.Tenant{Name: "acme"}, env)
	if err != nil || found != "aws: pb-1 for 3 instances; gcp: patch job parameters" {
		t.Errorf("found %q, err %v", found, err)
	}
	if len(aws.asked) != 1 || aws.asked[0].Account != "111" || len(gcp.asked) != 1 || gcp.asked[0].Account != "proj" {
		t.Errorf("clouds asked about %v and %v, want their own target each", aws.asked, gcp.asked)
	}

	gcp.blocked = "baseline differs"
	if _, err := r.CheckBaseline(context.Background(), runbooks.Tenant{Name: "acme"}, env); runbooks.ErrorCode(err) != runbooks.CodeBlocked ||
		!strings.Contains(runbooks.ErrorMessage(err), "gcp: baseline differs") {
		t.Errorf("blocked gcp: err = %v, want blocked naming gcp", err)
	}

	plain := newFake(runbooks.GCP)
	r, _ = New(map[runbooks.Cloud]Cloud{runbooks.AWS: aws.cloud(), runbooks.GCP: plain.cloud()})
	if found, err := r.CheckBaseline(context.Background(), runbooks.Tenant{Name: "acme"}, env); err == nil ||
		!strings.Contains(err.Error(), "gcp patch provider has no read-only baseline check") {
		t.Errorf("a cloud without the check: found %q, err %v; want an error naming it", found, err)
	}
}
