package aws

import (
	"slices"
	"testing"
)

// TestPolicyPatchCommandScoped: the tenant role may send commands only
// with the patch documents the configuration accepts (AWS-owned, so their
// ARNs carry no account, as AWS's policy examples write them), to EC2
// instances: not AWS-RunShellScript or any other document, which with
// ssm:SendCommand on every resource would let the role run anything as
// root on every instance of the account. The sensor install's own grant
// (sensor_deploy.tf) adds its one document.
func TestPolicyPatchCommandScoped(t *testing.T) {
	doc := tenantPolicy(t)
	want := []string{"arn:aws:ec2:*:*:instance/*"}
	for _, d := range patchDocuments {
		want = append(want, "arn:aws:ssm:*::document/"+d)
	}
	slices.Sort(want)
	found := 0
	for _, s := range doc.Statement {
		if !slices.Contains(s.Action, "ssm:SendCommand") && !slices.Contains(s.Action, "ssm:*") && !slices.Contains(s.Action, "*") {
			continue
		}
		found++
		res, ok := s.Resource.([]any)
		if !ok {
			t.Errorf("statement %s grants ssm:SendCommand on %v; want the patch documents and instances", s.Sid, s.Resource)
			continue
		}
		var got []string
		for _, r := range res {
			got = append(got, r.(string))
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("statement %s grants ssm:SendCommand on %v; want %v", s.Sid, got, want)
		}
	}
	if found != 1 {
		t.Errorf("ssm:SendCommand granted by %d statements, want one", found)
	}
	// A document outside the grant is refused before any call.
	c := Config{}.withDefaults()
	c.Patch.Document = "AWS-RunShellScript"
	if err := c.check(); err == nil {
		t.Error("the configuration accepts patch document AWS-RunShellScript, which the policy does not grant")
	}
}
