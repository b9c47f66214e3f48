package config

import "time"

// AWS configures the AWS provider (providers/aws): the accounts it may act
// in, how it reaches them, and how it patches, backs up and archives.
type AWS struct {
	Region string // the bot's home region: STS, IAM, S3 default
	// RoleName is the role ARN template for accounts without role_arn,
	// e.g. "arn:aws:iam::{account}:role/patchgate".
	RoleName   string
	ExternalID string
	Accounts   []AWSAccount
	// Endpoints maps a service (ec2, ssm, rds, s3, sts, iam, sso-admin,
	// identitystore) to a base URL: VPC or FIPS endpoints, or an emulator.
	Endpoints          map[string]string
	AccountConcurrency int // concurrent API calls per account
	Patch              AWSPatch
	Backup             AWSBackup
	Archive            AWSArchive
	IdentityCenter     AWSIdentityCenter
}

// AWSAccount is one account and its default regions.
type AWSAccount struct {
	ID         string
	Regions    []string
	RoleARN    string // overrides role_name for this account
	ExternalID string // overrides external_id for this account
}

// AWSPatch configures AWS-RunPatchBaseline runs and the baseline check.
type AWSPatch struct {
	Document       string // AWS-RunPatchBaseline or AWS-RunPatchBaselineWithHooks
	RebootOption   string // RebootIfNeeded or NoReboot
	MaxConcurrency string // e.g. "10%" or "5"
	MaxErrors      string // e.g. "0" or "5%"
	ScanWait       time.Duration
	Baseline       AWSBaseline
}

// AWSBaseline is the patch baseline the registered one must match.
type AWSBaseline struct {
	OperatingSystem  string
	Severities       []string
	Classifications  []string
	ApproveAfterDays int
	PatchGroup       string
}

// AWSBackup configures pre-patch images and snapshots.
type AWSBackup struct {
	NoReboot bool
	Timeout  time.Duration
}

// AWSArchive configures the S3 evidence archive; an empty bucket keeps
// reports on local disk only.
type AWSArchive struct {
	Bucket        string
	Prefix        string
	Region        string
	KMSKeyID      string
	PresignExpiry time.Duration
}

// AWSIdentityCenter locates IAM Identity Center for the access report.
type AWSIdentityCenter struct {
	InstanceARN     string
	IdentityStoreID string
	Region          string
}

// Enabled reports whether the AWS provider is configured.
func (a AWS) Enabled() bool { return len(a.Accounts) > 0 || a.RoleName != "" }

// awsDefaults mirror providers/aws's own defaults, so the file shows (and
// validation checks) what will run.
func awsDefaults() AWS {
	return AWS{
		Region: "us-east-1", AccountConcurrency: 8,
		Patch: AWSPatch{Document: "AWS-RunPatchBaseline", RebootOption: "RebootIfNeeded", MaxConcurrency: "10%", MaxErrors: "0",
			ScanWait: 20 * time.Second,
			Baseline: AWSBaseline{OperatingSystem: "AMAZON_LINUX_2023", Severities: []string{"Critical", "High"},
				Classifications: []string{"Security"}, ApproveAfterDays: 7}},
		Backup:  AWSBackup{Timeout: 2 * time.Hour},
		Archive: AWSArchive{PresignExpiry: 7 * 24 * time.Hour},
	}
}
