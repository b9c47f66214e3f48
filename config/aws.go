package config

import (
	"gopkg.in/yaml.v3"

	awssettings "github.com/patchgate/patchgate/providers/aws/settings"
)

// AWS is the providers.aws section. What each field means, and its default,
// belong to the provider (providers/aws/settings); this file names the keys,
// decodes and documents them, and validate_aws.go checks them.
type AWS = awssettings.Settings

func awsDefaults() AWS { return awssettings.Defaults() }

// aws decodes providers.aws.
func (d *decoder) aws(a *AWS) func(*yaml.Node, string) {
	return d.section(
		field{"region", "The bot's home region: STS, IAM and the S3 archive's default.", d.str(&a.Region)},
		field{"role_name", "Role ARN template for accounts without `role_arn`, e.g. `arn:aws:iam::{account}:role/patchgate`; lets tenants' accounts be reached without listing them.", d.str(&a.RoleName)},
		field{"external_id", "External ID sent with every AssumeRole (the tenant role's trust policy requires it).", d.str(&a.ExternalID)},
		field{"accounts", "Accounts patchgate acts in, each reached by STS AssumeRole.", d.awsAccounts(&a.Accounts)},
		field{"endpoint_url", "Base URL of every AWS service (as the SDK's `AWS_ENDPOINT_URL`): a proxy, a private endpoint gateway or an emulator; `endpoints` overrides it per service.", d.str(&a.EndpointURL)},
		field{"endpoints", "Service → base URL (ec2, ssm, rds, s3, sts, iam, sso-admin, identitystore, config-service, sqs): VPC or FIPS endpoints, or an emulator; each overrides `endpoint_url`.", d.strMap(&a.Endpoints)},
		field{"account_concurrency", "API calls in flight per account; the adaptive retryer absorbs throttling.", d.integer(&a.AccountConcurrency)},
		field{"patch", "SSM SendCommand of the patch document and the baseline check before it.", d.section(
			field{"document", "`AWS-RunPatchBaseline` or `AWS-RunPatchBaselineWithHooks`.", d.str(&a.Patch.Document)},
			field{"reboot_option", "`RebootIfNeeded` or `NoReboot`.", d.str(&a.Patch.RebootOption)},
			field{"max_concurrency", "SSM MaxConcurrency per command, e.g. `10%` or `5`.", d.str(&a.Patch.MaxConcurrency)},
			field{"max_errors", "SSM MaxErrors per command, e.g. `0` or `5%`.", d.str(&a.Patch.MaxErrors)},
			field{"scan_wait", "How long verification waits for the post-patch Scan.", d.duration(&a.Patch.ScanWait, "s")},
			field{"baseline", "The patch baseline every environment declares unless `baselines` has its own entry. The baseline SSM will apply to each instance (its `PatchGroup` tag's, else the region's default) must match it; a difference blocks the stage and is shown.", d.section(d.awsBaseline(&a.Patch.Baseline)...)},
			field{"baselines", "Environment name → its own declared baseline (same keys as `baseline`; unset keys take `baseline`'s), e.g. production on a stricter patch group.", d.awsBaselines(&a.Patch.Baselines)},
		)},
		field{"backup", "Pre-patch AMIs (CreateImage) and RDS snapshots.", d.section(
			field{"no_reboot", "CreateImage without stopping the instance (crash-consistent).", d.boolean(&a.Backup.NoReboot)},
			field{"timeout", "How long a backup may take to become available before the hosts fail the backup gate.", d.duration(&a.Backup.Timeout, "m")},
		)},
		field{"archive", "S3 evidence archive; without a bucket reports stay in the local report directory.", d.section(
			field{"bucket", "Bucket the report files go to (SSE; versioning and object lock per deploy/terraform).", d.str(&a.Archive.Bucket)},
			field{"prefix", "Key prefix under the bucket.", d.str(&a.Archive.Prefix)},
			field{"region", "The bucket's region (default `region`).", d.str(&a.Archive.Region)},
			field{"kms_key_id", "KMS key for SSE-KMS; empty sends no encryption header, so the bucket's default encryption applies.", d.str(&a.Archive.KMSKeyID)},
			field{"presign_expiry", "Lifetime of the presigned links posted in the cycle's thread.", d.duration(&a.Archive.PresignExpiry, "h")},
			field{"presign_endpoint", "S3 endpoint the presigned links name, reachable by people (e.g. the public regional endpoint) when the bot writes through a private one; empty uses the bot's.", d.str(&a.Archive.PresignEndpoint)},
		)},
		field{"identity_center", "IAM Identity Center, read for the access report (SOC 2 CC6.1).", d.section(
			field{"instance_arn", "The Identity Center instance (sso-admin ListInstances shows it).", d.str(&a.IdentityCenter.InstanceARN)},
			field{"identity_store_id", "Its identity store, to name users and groups.", d.str(&a.IdentityCenter.IdentityStoreID)},
			field{"region", "Region Identity Center lives in.", d.str(&a.IdentityCenter.Region)},
		)},
	)
}

// awsBaseline is the keys of one declared baseline.
func (d *decoder) awsBaseline(b *awssettings.Baseline) []field {
	return []field{
		{"operating_system", "e.g. `AMAZON_LINUX_2023`, `UBUNTU`, `REDHAT_ENTERPRISE_LINUX`, `WINDOWS`.", d.str(&b.OperatingSystem)},
		{"severities", "Approved severities (default Critical, High).", d.strs(&b.Severities)},
		{"classifications", "Approved classifications (e.g. Security, Bugfix).", d.strs(&b.Classifications)},
		{"approve_after_days", "Days after release a patch is auto-approved (default 7).", d.integer(&b.ApproveAfterDays)},
		{"patch_group", "The patch group (`PatchGroup` tag) the environment's instances must be in; empty accepts any, each checked against its own group's baseline.", d.str(&b.PatchGroup)},
	}
}

// awsBaselines decodes environment → declared baseline.
func (d *decoder) awsBaselines(dst *map[string]awssettings.Baseline) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		if isNull(v) {
			return
		}
		out := map[string]awssettings.Baseline{}
		d.entries(v, path, func(env string, _, v *yaml.Node, p string) {
			var b awssettings.Baseline
			d.fields(v, p, d.awsBaseline(&b)...)
			out[env] = b
		})
		*dst = out
	}
}

// awsAccounts decodes the account list; every item becomes an account so
// accounts[i] is always the file's item i.
func (d *decoder) awsAccounts(dst *[]awssettings.Account) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		if isNull(v) {
			return
		}
		out := []awssettings.Account{}
		d.items(v, path, func(v *yaml.Node, p string) {
			var a awssettings.Account
			d.fields(v, p,
				field{"id", "12-digit account ID.", d.str(&a.ID)},
				field{"regions", "Regions walked for targets that name none.", d.strs(&a.Regions)},
				field{"role_arn", "The role to assume in this account (overrides `role_name`).", d.str(&a.RoleARN)},
				field{"external_id", "Overrides `external_id` for this account.", d.str(&a.ExternalID)},
			)
			out = append(out, a)
		})
		*dst = out
	}
}
