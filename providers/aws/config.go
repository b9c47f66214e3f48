package aws

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/patchgate/patchgate/runbooks"
)

// Account is one AWS account the provider may act in.
type Account struct {
	ID      string
	Regions []string // default regions when a target names none
	// RoleARN is assumed in this account; empty takes Config.RoleName with
	// {account} replaced. With both empty the bot's own identity is used
	// (the bot's home account).
	RoleARN    string
	ExternalID string
}

// Patch configures AWS-RunPatchBaseline runs.
type Patch struct {
	Document       string // AWS-RunPatchBaseline (default) or AWS-RunPatchBaselineWithHooks
	RebootOption   string // RebootIfNeeded (default) or NoReboot
	MaxConcurrency string // SSM rate control, e.g. "10%" (default) or "5"
	MaxErrors      string // SSM error threshold, e.g. "0" (default)
	// ScanWait bounds how long VerifyPatch waits for its Scan before it
	// reads the patch states (which the Install run already refreshed).
	ScanWait time.Duration
	Baseline Baseline
}

// Baseline is the patch baseline the configuration declares; the one
// registered in AWS must match it before patching may start.
type Baseline struct {
	OperatingSystem  string   // e.g. AMAZON_LINUX_2023
	Severities       []string // SEVERITY filter values
	Classifications  []string // CLASSIFICATION filter values; empty means no such filter
	ApproveAfterDays int32
	// PatchGroup selects the baseline through GetPatchBaselineForPatchGroup;
	// empty checks the region's default baseline for OperatingSystem.
	PatchGroup string
}

// Backup configures pre-patch images and snapshots.
type Backup struct {
	NoReboot bool          // CreateImage without stopping the instance
	Timeout  time.Duration // after this a backup still not available fails
}

// Archive configures the S3 evidence archive.
type Archive struct {
	Bucket        string
	Prefix        string
	Region        string        // default Config.Region
	KMSKeyID      string        // SSE-KMS with this key; empty uses SSE-S3 (AES256)
	PresignExpiry time.Duration // lifetime of the returned GET URL
}

// IdentityCenter locates the IAM Identity Center instance of the access
// report; InstanceARN and IdentityStoreID empty take the first instance
// ListInstances returns.
type IdentityCenter struct {
	InstanceARN     string
	IdentityStoreID string
	Region          string
}

// Config configures a Provider.
type Config struct {
	// Region is the bot's home region (STS, IAM, S3 default).
	Region   string
	Accounts []Account
	// RoleName is the role ARN template for accounts without RoleARN, e.g.
	// "arn:aws:iam::{account}:role/patchgate".
	RoleName   string
	ExternalID string // default external ID for AssumeRole
	// Endpoints maps a service (ec2, ssm, rds, s3, sts, iam, sso-admin,
	// identitystore) to a base URL: VPC or FIPS endpoints, or emulators.
	Endpoints map[string]string
	// Credentials replaces the default credential chain (tests).
	Credentials aws.CredentialsProvider

	Patch          Patch
	Backup         Backup
	Archive        Archive
	IdentityCenter IdentityCenter

	// Tenants lets backups find the databases listed in a tenant's targets.
	Tenants []runbooks.Tenant

	// AccountConcurrency bounds concurrent API calls per account (default 8).
	AccountConcurrency int
	// MaxAttempts and MaxBackoff tune the adaptive retryer (defaults 10 and 20s).
	MaxAttempts int
	MaxBackoff  time.Duration
	// PollInterval is the wait between two polls inside one call (the scan
	// wait of VerifyPatch); default 2s.
	PollInterval time.Duration

	Clock runbooks.Clock
	Log   *slog.Logger
}

// Defaults for fields left zero.
const (
	DefaultDocument           = "AWS-RunPatchBaseline"
	DocumentWithHooks         = "AWS-RunPatchBaselineWithHooks"
	DefaultRebootOption       = "RebootIfNeeded"
	DefaultMaxConcurrency     = "10%"
	DefaultMaxErrors          = "0"
	DefaultAccountConcurrency = 8
	DefaultMaxAttempts        = 10
	DefaultBackupTimeout      = 2 * time.Hour
	DefaultPresignExpiry      = 7 * 24 * time.Hour
	DefaultOperatingSystem    = "AMAZON_LINUX_2023"
	DefaultApproveAfterDays   = 7
)

// DefaultSeverities are the seed's baseline: Critical and High.
func DefaultSeverities() []string { return []string{"Critical", "High"} }

// DefaultClassifications are the seed's classification filter.
func DefaultClassifications() []string { return []string{"Security"} }

func (c Config) withDefaults() Config {
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.Patch.Document == "" {
		c.Patch.Document = DefaultDocument
	}
	if c.Patch.RebootOption == "" {
		c.Patch.RebootOption = DefaultRebootOption
	}
	if c.Patch.MaxConcurrency == "" {
		c.Patch.MaxConcurrency = DefaultMaxConcurrency
	}
	if c.Patch.MaxErrors == "" {
		c.Patch.MaxErrors = DefaultMaxErrors
	}
	if c.Patch.ScanWait == 0 {
		c.Patch.ScanWait = 20 * time.Second
	}
	b := &c.Patch.Baseline
	if b.OperatingSystem == "" {
		b.OperatingSystem = DefaultOperatingSystem
	}
	if b.Severities == nil {
		b.Severities = DefaultSeverities()
	}
	if b.Classifications == nil {
		b.Classifications = DefaultClassifications()
	}
	if b.ApproveAfterDays == 0 {
		b.ApproveAfterDays = DefaultApproveAfterDays
	}
	if c.Backup.Timeout == 0 {
		c.Backup.Timeout = DefaultBackupTimeout
	}
	if c.Archive.Region == "" {
		c.Archive.Region = c.Region
	}
	if c.Archive.PresignExpiry == 0 {
		c.Archive.PresignExpiry = DefaultPresignExpiry
	}
	if c.IdentityCenter.Region == "" {
		c.IdentityCenter.Region = c.Region
	}
	if c.AccountConcurrency <= 0 {
		c.AccountConcurrency = DefaultAccountConcurrency
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 20 * time.Second
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 2 * time.Second
	}
	if c.Clock == nil {
		c.Clock = runbooks.SystemClock
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return c
}

func (c Config) check() error {
	switch c.Patch.Document {
	case DefaultDocument, DocumentWithHooks:
	default:
		return fmt.Errorf("patch document %q: want %s or %s", c.Patch.Document, DefaultDocument, DocumentWithHooks)
	}
	switch c.Patch.RebootOption {
	case "RebootIfNeeded", "NoReboot":
	default:
		return fmt.Errorf("patch reboot option %q: want RebootIfNeeded or NoReboot", c.Patch.RebootOption)
	}
	if c.RoleName != "" && !strings.Contains(c.RoleName, "{account}") {
		return fmt.Errorf("role name template %q has no {account}", c.RoleName)
	}
	for _, a := range c.Accounts {
		if !validAccount(a.ID) {
			return fmt.Errorf("account %q is not a 12-digit AWS account ID", a.ID)
		}
	}
	return nil
}

func validAccount(id string) bool {
	if len(id) != 12 {
		return false
	}
	for _, r := range id {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
