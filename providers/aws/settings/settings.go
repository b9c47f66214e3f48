// Package settings is what the AWS provider reads from the configuration
// file, with the provider's defaults. It holds plain data and imports
// nothing outside the standard library, so config can decode straight into
// it and show these defaults without linking the AWS SDK; providers/aws
// aliases the types and adds what only a running provider has (credentials,
// clock, tenants).
package settings

import "time"

// Settings is the providers.aws section.
type Settings struct {
	Region string // the bot's home region: STS, IAM, S3 default
	// RoleName is the role ARN template for accounts without RoleARN, e.g.
	// "arn:aws:iam::{account}:role/patchgate".
	RoleName   string
	ExternalID string // default external ID for AssumeRole
	Accounts   []Account
	// EndpointURL is the base URL of every service (as the SDK's
	// AWS_ENDPOINT_URL); Endpoints overrides it per service (ec2, ssm, rds,
	// s3, sts, iam, sso-admin, identitystore): VPC or FIPS endpoints, or
	// emulators.
	EndpointURL string
	Endpoints   map[string]string
	// AccountConcurrency bounds concurrent API calls per account.
	AccountConcurrency int
	Patch              Patch
	Backup             Backup
	Archive            Archive
	IdentityCenter     IdentityCenter
}

// Enabled reports whether the section configures AWS at all.
func (s Settings) Enabled() bool { return len(s.Accounts) > 0 || s.RoleName != "" }

// Account is one AWS account the provider may act in.
type Account struct {
	ID      string
	Regions []string // default regions when a target names none
	// RoleARN is assumed in this account; empty takes RoleName with
	// {account} replaced. With both empty the bot's own identity is used
	// (the bot's home account).
	RoleARN    string
	ExternalID string
}

// Patch configures AWS-RunPatchBaseline runs.
type Patch struct {
	Document       string // AWS-RunPatchBaseline or AWS-RunPatchBaselineWithHooks
	RebootOption   string // RebootIfNeeded or NoReboot
	MaxConcurrency string // SSM rate control, e.g. "10%" or "5"
	MaxErrors      string // SSM error threshold, e.g. "0" or "5%"
	// ScanWait bounds how long VerifyPatch waits for its Scan before it
	// reads the patch states (which the Install run already refreshed).
	ScanWait time.Duration
	// Baseline is declared for every environment without its own entry in
	// Baselines (keyed by environment name); an entry states what differs.
	Baseline  Baseline
	Baselines map[string]Baseline
}

// Baseline is the patch baseline the configuration declares; the one
// registered in AWS must match it before patching may start.
type Baseline struct {
	OperatingSystem  string   // e.g. AMAZON_LINUX_2023
	Severities       []string // SEVERITY filter values
	Classifications  []string // CLASSIFICATION filter values; empty means no such filter
	ApproveAfterDays int
	// PatchGroup, when set, is the patch group (PatchGroup tag) every
	// instance of the environment must be in. Each instance's own tag
	// decides which baseline SSM applies to it: GetPatchBaselineForPatchGroup,
	// or the region's default baseline for OperatingSystem when untagged.
	PatchGroup string
}

// Backup configures pre-patch images and snapshots.
type Backup struct {
	NoReboot bool          // CreateImage without stopping the instance
	Timeout  time.Duration // after this a backup still not available fails
}

// Archive configures the S3 evidence archive; an empty bucket keeps
// reports on local disk only.
type Archive struct {
	Bucket        string
	Prefix        string
	Region        string        // default Settings.Region
	KMSKeyID      string        // SSE-KMS with this key; empty sends no encryption header (the bucket's default applies)
	PresignExpiry time.Duration // lifetime of the returned GET URL
	// PresignEndpoint is the S3 endpoint presigned links name, for people
	// outside the network the bot writes through; empty uses the bot's.
	PresignEndpoint string
}

// IdentityCenter locates the IAM Identity Center instance of the access
// report; InstanceARN and IdentityStoreID empty take the first instance
// ListInstances returns.
type IdentityCenter struct {
	InstanceARN     string
	IdentityStoreID string
	Region          string // default Settings.Region
}

// Patch documents.
const (
	DocumentRunPatchBaseline = "AWS-RunPatchBaseline"
	DocumentWithHooks        = "AWS-RunPatchBaselineWithHooks"
)

// Defaults is what an absent key means. Archive.Region and
// IdentityCenter.Region stay empty: they follow Region.
func Defaults() Settings {
	return Settings{
		Region:             "us-east-1",
		AccountConcurrency: 8,
		Patch: Patch{
			Document: DocumentRunPatchBaseline, RebootOption: "RebootIfNeeded", MaxConcurrency: "10%", MaxErrors: "0",
			ScanWait: 20 * time.Second,
			Baseline: Baseline{OperatingSystem: "AMAZON_LINUX_2023", Severities: []string{"Critical", "High"},
				Classifications: []string{"Security"}, ApproveAfterDays: 7},
		},
		Backup:  Backup{Timeout: 2 * time.Hour},
		Archive: Archive{PresignExpiry: 7 * 24 * time.Hour},
	}
}
