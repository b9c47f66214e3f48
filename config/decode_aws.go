package config

import "gopkg.in/yaml.v3"

// aws decodes providers.aws.
func (d *decoder) aws(a *AWS) func(*yaml.Node, string) {
	return d.section(
		field{"region", d.str(&a.Region)},
		field{"role_name", d.str(&a.RoleName)},
		field{"external_id", d.str(&a.ExternalID)},
		field{"accounts", d.awsAccounts(&a.Accounts)},
		field{"endpoints", d.strMap(&a.Endpoints)},
		field{"account_concurrency", d.integer(&a.AccountConcurrency)},
		field{"patch", d.section(
			field{"document", d.str(&a.Patch.Document)},
			field{"reboot_option", d.str(&a.Patch.RebootOption)},
			field{"max_concurrency", d.str(&a.Patch.MaxConcurrency)},
			field{"max_errors", d.str(&a.Patch.MaxErrors)},
			field{"scan_wait", d.duration(&a.Patch.ScanWait, "s")},
			field{"baseline", d.section(
				field{"operating_system", d.str(&a.Patch.Baseline.OperatingSystem)},
				field{"severities", d.strs(&a.Patch.Baseline.Severities)},
				field{"classifications", d.strs(&a.Patch.Baseline.Classifications)},
				field{"approve_after_days", d.integer(&a.Patch.Baseline.ApproveAfterDays)},
				field{"patch_group", d.str(&a.Patch.Baseline.PatchGroup)},
			)},
		)},
		field{"backup", d.section(
			field{"no_reboot", d.boolean(&a.Backup.NoReboot)},
			field{"timeout", d.duration(&a.Backup.Timeout, "m")},
		)},
		field{"archive", d.section(
			field{"bucket", d.str(&a.Archive.Bucket)},
			field{"prefix", d.str(&a.Archive.Prefix)},
			field{"region", d.str(&a.Archive.Region)},
			field{"kms_key_id", d.str(&a.Archive.KMSKeyID)},
			field{"presign_expiry", d.duration(&a.Archive.PresignExpiry, "h")},
		)},
		field{"identity_center", d.section(
			field{"instance_arn", d.str(&a.IdentityCenter.InstanceARN)},
			field{"identity_store_id", d.str(&a.IdentityCenter.IdentityStoreID)},
			field{"region", d.str(&a.IdentityCenter.Region)},
		)},
	)
}

// awsAccounts decodes the account list; every item becomes an account so
// accounts[i] is always the file's item i.
func (d *decoder) awsAccounts(dst *[]AWSAccount) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		if isNull(v) {
			return
		}
		out := []AWSAccount{}
		d.items(v, path, func(v *yaml.Node, p string) {
			var a AWSAccount
			d.fields(v, p,
				field{"id", d.str(&a.ID)},
				field{"regions", d.strs(&a.Regions)},
				field{"role_arn", d.str(&a.RoleARN)},
				field{"external_id", d.str(&a.ExternalID)},
			)
			out = append(out, a)
		})
		*dst = out
	}
}
