package config

import (
	"reflect"
	"testing"
	"time"

	awssettings "github.com/patchgate/patchgate/providers/aws/settings"
)

// TestAWSSection decodes a full providers.aws section and the databases
// of a target.
func TestAWSSection(t *testing.T) {
	c, err := Parse("aws.yaml", []byte(minimal+`
tenants:
  - name: acme-cu
    environments:
      production:
        targets:
          - {cloud: aws, account: "111111111111", regions: [us-east-1], databases: [ledger, "cluster:core"]}
providers:
  kind: cloud
  aws:
    region: us-east-2
    role_name: "arn:aws:iam::{account}:role/patchgate"
    external_id: acme-patchgate
    accounts:
      - {id: "111111111111", regions: [us-east-1, us-west-2]}
    endpoints: {ssm: "https://vpce-1.ssm.us-east-1.vpce.amazonaws.com", sqs: "https://vpce-2.sqs.us-east-1.vpce.amazonaws.com"}
    account_concurrency: 4
    patch:
      document: AWS-RunPatchBaselineWithHooks
      reboot_option: NoReboot
      max_concurrency: "5"
      max_errors: 1%
      baseline: {operating_system: REDHAT_ENTERPRISE_LINUX, severities: [Critical, Important], patch_group: web}
    backup: {no_reboot: true, timeout: 90m}
    archive: {bucket: evidence, prefix: patchgate, kms_key_id: alias/evidence, presign_expiry: 24h}
    identity_center: {instance_arn: "arn:aws:sso:::instance/ssoins-1", identity_store_id: d-1, region: eu-west-1}
`))
	if err != nil {
		t.Fatal(err)
	}
	a := c.Providers.AWS
	if !a.Enabled() || a.Region != "us-east-2" || a.AccountConcurrency != 4 || a.ExternalID != "acme-patchgate" ||
		!reflect.DeepEqual(a.Accounts, []awssettings.Account{{ID: "111111111111", Regions: []string{"us-east-1", "us-west-2"}}}) {
		t.Errorf("aws = %+v", a)
	}
	// The remediation intake long-polls SQS through a VPC endpoint too.
	if a.Endpoints["sqs"] != "https://vpce-2.sqs.us-east-1.vpce.amazonaws.com" {
		t.Errorf("endpoints = %v", a.Endpoints)
	}
	p := a.Patch
	if p.Document != "AWS-RunPatchBaselineWithHooks" || p.RebootOption != "NoReboot" || p.MaxConcurrency != "5" || p.MaxErrors != "1%" ||
		p.Baseline.OperatingSystem != "REDHAT_ENTERPRISE_LINUX" || p.Baseline.PatchGroup != "web" || p.Baseline.ApproveAfterDays != 7 ||
		!reflect.DeepEqual(p.Baseline.Classifications, []string{"Security"}) {
		t.Errorf("patch = %+v", p)
	}
	if !a.Backup.NoReboot || a.Backup.Timeout != 90*time.Minute || a.Archive.PresignExpiry != 24*time.Hour ||
		a.Archive.KMSKeyID != "alias/evidence" || a.IdentityCenter.Region != "eu-west-1" {
		t.Errorf("backup %+v archive %+v identity center %+v", a.Backup, a.Archive, a.IdentityCenter)
	}
	if dbs := c.TenantList[0].Environments[0].Targets[0].Databases; !reflect.DeepEqual(dbs, []string{"ledger", "cluster:core"}) {
		t.Errorf("databases = %v", dbs)
	}
}
