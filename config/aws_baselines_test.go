package config

import (
	"strings"
	"testing"
)

// TestAWSEndpointsAndBaselinesPerEnvironment: endpoint_url, the public
// presign endpoint and a baseline per environment decode; a baseline for an
// environment the pipeline lacks is refused with its line.
func TestAWSEndpointsAndBaselinesPerEnvironment(t *testing.T) {
	const aws = `
providers:
  aws:
    role_name: "arn:aws:iam::{account}:role/patchgate"
    endpoint_url: https://aws-gateway.bank.internal
    endpoints: {s3: "https://bucket.vpce-1.s3.us-east-1.vpce.amazonaws.com"}
    archive: {bucket: evidence, presign_endpoint: "https://s3.us-east-1.amazonaws.com"}
    patch:
      baselines:
        %s: {patch_group: prod, severities: [Critical]}
  simulate: [sensors, health, pager] # the gates' simulated answers are not evidence; this test reads aws only
`
	c, err := Parse("aws.yaml", []byte(minimal+strings.Replace(aws, "%s", "production", 1)))
	if err != nil {
		t.Fatal(err)
	}
	a := c.Providers.AWS
	if a.EndpointURL != "https://aws-gateway.bank.internal" || a.Archive.PresignEndpoint != "https://s3.us-east-1.amazonaws.com" {
		t.Errorf("endpoint_url %q, presign_endpoint %q", a.EndpointURL, a.Archive.PresignEndpoint)
	}
	prod, ok := a.Patch.Baselines["production"]
	if !ok || prod.PatchGroup != "prod" || len(prod.Severities) != 1 || prod.Severities[0] != "Critical" {
		t.Errorf("baselines = %+v", a.Patch.Baselines)
	}
	_, err = Parse("aws.yaml", []byte(minimal+strings.Replace(aws, "%s", "prodution", 1)))
	if err == nil || !strings.Contains(err.Error(), "providers.aws.patch.baselines.prodution") || !strings.Contains(err.Error(), "aws.yaml:") {
		t.Errorf("unknown environment: err = %v, want the key with its line", err)
	}
}
