package config

import (
	"regexp"
	"slices"
	"strings"
	"time"

	awssettings "github.com/patchgate/patchgate/providers/aws/settings"
	"github.com/patchgate/patchgate/runbooks"
)

// awsServices are the endpoint keys providers/aws reads.
var awsServices = []string{"ec2", "ssm", "rds", "s3", "sts", "iam", "sso-admin", "identitystore", "config-service", "sqs"}

// awsOperatingSystems are SSM's patch baseline operating systems.
var awsOperatingSystems = []string{"WINDOWS", "AMAZON_LINUX", "AMAZON_LINUX_2", "AMAZON_LINUX_2022", "AMAZON_LINUX_2023",
	"UBUNTU", "REDHAT_ENTERPRISE_LINUX", "SUSE", "CENTOS", "ORACLE_LINUX", "DEBIAN", "MACOS", "RASPBIAN", "ROCKY_LINUX",
	"ALMA_LINUX"}

var (
	awsAccountID = regexp.MustCompile(`^[0-9]{12}$`)
	ssmRate      = regexp.MustCompile(`^[0-9]+%?$`) // SSM MaxConcurrency / MaxErrors
)

// checkAWS validates providers.aws, and that every AWS target of a tenant
// can be reached (listed, or covered by role_name) when AWS is enabled.
func (d *decoder) checkAWS(c *Config) {
	a := c.Providers.AWS
	const f = "providers.aws"
	seen := map[string]bool{}
	for i, acct := range a.Accounts {
		p := index(f+".accounts", i)
		switch {
		case !awsAccountID.MatchString(acct.ID):
			d.at(p+".id", "%q is not a 12-digit AWS account ID", acct.ID)
		case seen[acct.ID]:
			d.at(p+".id", "account %s is listed twice", acct.ID)
		}
		seen[acct.ID] = true
		if acct.RoleARN != "" && !strings.HasPrefix(acct.RoleARN, "arn:aws") {
			d.at(p+".role_arn", "%q is not an IAM role ARN", acct.RoleARN)
		}
	}
	if a.RoleName != "" && !strings.Contains(a.RoleName, "{account}") {
		d.at(f+".role_name", "%q has no {account} placeholder (e.g. arn:aws:iam::{account}:role/patchgate)", a.RoleName)
	}
	if a.Enabled() && a.Region == "" {
		d.at(f+".region", "must not be empty; omit it for us-east-1")
	}
	if a.EndpointURL != "" {
		d.checkURL(f+".endpoint_url", a.EndpointURL)
	}
	for svc, u := range a.Endpoints {
		if !slices.Contains(awsServices, svc) {
			d.at(f+".endpoints."+svc, "unknown service %q%s", svc, want(svc, awsServices...))
			continue
		}
		d.checkURL(f+".endpoints."+svc, u)
	}
	d.atLeast(f+".account_concurrency", a.AccountConcurrency, 1)
	d.checkAWSPatch(a.Patch)
	d.checkAWSBaselines(a.Patch.Baselines, c.Tiers)
	d.positive(f+".backup.timeout", a.Backup.Timeout)
	d.checkAWSArchive(a.Archive)
	if arn := a.IdentityCenter.InstanceARN; arn != "" && !strings.HasPrefix(arn, "arn:aws:sso:::instance/") {
		d.at(f+".identity_center.instance_arn", "%q is not an IAM Identity Center instance ARN (arn:aws:sso:::instance/ssoins-…)", arn)
	}
	d.checkAWSTargets(c.TenantList, a, seen)
}

func (d *decoder) checkAWSPatch(p awssettings.Patch) {
	const f = "providers.aws.patch"
	docs := []string{"AWS-RunPatchBaseline", "AWS-RunPatchBaselineWithHooks"}
	if !slices.Contains(docs, p.Document) {
		d.at(f+".document", "unknown document %q%s", p.Document, want(p.Document, docs...))
	}
	if opts := []string{"RebootIfNeeded", "NoReboot"}; !slices.Contains(opts, p.RebootOption) {
		d.at(f+".reboot_option", "unknown reboot option %q%s", p.RebootOption, want(p.RebootOption, opts...))
	}
	if !ssmRate.MatchString(p.MaxConcurrency) {
		d.at(f+".max_concurrency", "%q is not a count or a percentage (e.g. 10%% or 5)", p.MaxConcurrency)
	}
	if !ssmRate.MatchString(p.MaxErrors) {
		d.at(f+".max_errors", "%q is not a count or a percentage (e.g. 0 or 5%%)", p.MaxErrors)
	}
	d.notNegative(f+".scan_wait", p.ScanWait)
	d.checkAWSBaseline(f+".baseline", p.Baseline)
}

func (d *decoder) checkAWSBaseline(f string, b awssettings.Baseline) {
	if !slices.Contains(awsOperatingSystems, b.OperatingSystem) {
		d.at(f+".operating_system", "unknown operating system %q%s", b.OperatingSystem, want(b.OperatingSystem, awsOperatingSystems...))
	}
	if len(b.Severities) == 0 {
		d.at(f+".severities", "must name at least one severity (e.g. [Critical, High])")
	}
	if b.ApproveAfterDays < 0 || b.ApproveAfterDays > 360 {
		d.at(f+".approve_after_days", "must be between 0 and 360, got %d", b.ApproveAfterDays)
	}
}

// checkAWSBaselines: each entry names a pipeline environment; its unset
// keys are checked as the provider-wide baseline's.
func (d *decoder) checkAWSBaselines(bs map[string]awssettings.Baseline, tiers []Tier) {
	const f = "providers.aws.patch.baselines"
	envs := make([]string, len(tiers))
	for i, t := range tiers {
		envs[i] = t.Env
	}
	for env, b := range bs {
		if !slices.Contains(envs, env) {
			d.at(f+"."+env, "%q is not an environment of the pipeline%s", env, want(env, envs...))
			continue
		}
		if b.OperatingSystem != "" && !slices.Contains(awsOperatingSystems, b.OperatingSystem) {
			d.at(f+"."+env+".operating_system", "unknown operating system %q%s", b.OperatingSystem, want(b.OperatingSystem, awsOperatingSystems...))
		}
		if b.ApproveAfterDays < 0 || b.ApproveAfterDays > 360 {
			d.at(f+"."+env+".approve_after_days", "must be between 0 and 360, got %d", b.ApproveAfterDays)
		}
	}
}

func (d *decoder) checkAWSArchive(a awssettings.Archive) {
	const f = "providers.aws.archive"
	if a.Bucket == "" {
		return
	}
	d.positive(f+".presign_expiry", a.PresignExpiry)
	if a.PresignExpiry > 7*24*time.Hour {
		d.at(f+".presign_expiry", "%v is longer than the 168h a presigned S3 URL can live", a.PresignExpiry)
	}
	if strings.HasPrefix(a.Prefix, "/") {
		d.at(f+".prefix", "%q must not start with /", a.Prefix)
	}
	if a.PresignEndpoint != "" {
		d.checkURL(f+".presign_endpoint", a.PresignEndpoint)
	}
}

// checkAWSTargets: databases only on AWS targets; with AWS enabled, every
// AWS target's account is listed or reachable through role_name.
func (d *decoder) checkAWSTargets(tenants []runbooks.Tenant, a AWS, listed map[string]bool) {
	for ti, t := range tenants {
		for _, e := range t.Environments {
			for i, tg := range e.Targets {
				p := index(index("tenants", ti)+".environments."+e.Name+".targets", i)
				if len(tg.Databases) > 0 && tg.Cloud != runbooks.AWS {
					d.at(p+".databases", "databases are backed up through RDS: only aws targets may list them")
				}
				if a.Enabled() && tg.Cloud == runbooks.AWS && a.RoleName == "" && !listed[tg.Account] {
					d.at("providers.aws.accounts", "account %s of %s/%s is not listed and no role_name is set to reach it", tg.Account, t.Name, e.Name)
				}
			}
		}
	}
}
