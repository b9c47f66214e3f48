package aws

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestPolicyRetentionScopedByTag: the retention job's destructive calls
// (DeregisterImage, DeleteSnapshot) are granted in one statement only, on
// images and snapshots carrying patchgate's cycle tag: the tenant role
// cannot delete an AMI or snapshot patchgate did not take (or, for an
// AMI's snapshots, tag just before retiring it).
func TestPolicyRetentionScopedByTag(t *testing.T) {
	doc := tenantPolicy(t)
	found := 0
	for _, s := range doc.Statement {
		for _, a := range []string{"ec2:DeregisterImage", "ec2:DeleteSnapshot"} {
			if !slices.Contains(s.Action, a) {
				continue
			}
			found++
			if s.Condition["Null"]["aws:ResourceTag/"+tagCycle] != "false" {
				t.Errorf("statement %s grants %s without requiring the %s tag: %v", s.Sid, a, tagCycle, s.Condition)
			}
			if s.Resource == "*" {
				t.Errorf("statement %s grants %s on every resource; want images and snapshots", s.Sid, a)
			}
		}
	}
	if found != 2 {
		t.Errorf("retention's delete actions granted %d times, want each once", found)
	}
}

// policyStatement is one statement of a policy in deploy/terraform.
type policyStatement struct {
	Sid       string
	Action    []string
	Resource  any
	Condition map[string]map[string]string
}

// tenantPolicy reads the tenant role's policy (policy-tenant.json).
func tenantPolicy(t *testing.T) (doc struct{ Statement []policyStatement }) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(terraformDir, "policy-tenant.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}
