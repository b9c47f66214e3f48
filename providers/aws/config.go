package aws

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/patchgate/patchgate/providers/aws/settings"
	"github.com/patchgate/patchgate/runbooks"
)

// The file's settings (providers.aws) are declared in package settings,
// which config decodes into; they are aliased here so the provider's own
// API reads awsprovider.Patch and so on.
type (
	Account        = settings.Account
	Patch          = settings.Patch
	Baseline       = settings.Baseline
	Backup         = settings.Backup
	Archive        = settings.Archive
	IdentityCenter = settings.IdentityCenter
)

// Config configures a Provider.
type Config struct {
	// Region is the bot's home region (STS, IAM, S3 default).
	Region   string
	Accounts []Account
	// RoleName is the role ARN template for accounts without RoleARN, e.g.
	// "arn:aws:iam::{account}:role/patchgate".
	RoleName   string
	ExternalID string // default external ID for AssumeRole
	// EndpointURL is the base URL of every service (as AWS_ENDPOINT_URL);
	// Endpoints overrides it per service (ec2, ssm, rds, s3, sts, iam,
	// sso-admin, identitystore): VPC or FIPS endpoints, or emulators.
	EndpointURL string
	Endpoints   map[string]string
	// Credentials replaces the default credential chain (tests).
	Credentials aws.CredentialsProvider

	Patch          Patch
	Backup         Backup
	Archive        Archive
	IdentityCenter IdentityCenter
	// Sensor is the Falcon sensor install through SSM (edr.deploy.aws).
	Sensor SensorInstall

	// Tenants lets backups find the databases listed in a tenant's targets.
	Tenants []runbooks.Tenant

	// AccountConcurrency bounds concurrent API calls per account (default 8).
	AccountConcurrency int
	// StepTimeout is the engine's step budget (engine.step_timeout); the
	// retryer's attempts, their timeout and backoff are derived from it.
	StepTimeout time.Duration
	// MaxAttempts (default 10, so throttling is absorbed) and MaxBackoff
	// tune the adaptive retryer; each attempt's timeout and the backoff
	// are derived from StepTimeout (runbooks.StepBudget), and a longer
	// MaxBackoff than the budget allows is shortened to fit.
	MaxAttempts int
	MaxBackoff  time.Duration
	// PollInterval is the wait between two polls inside one call (the scan
	// wait of VerifyPatch); default 2s.
	PollInterval time.Duration

	Clock runbooks.Clock
	Log   *slog.Logger
}

// Defaults for fields left zero that the file does not set.
const (
	DefaultMaxAttempts  = 10
	DefaultMaxBackoff   = 20 * time.Second
	DefaultPollInterval = 2 * time.Second
)

// withDefaults fills the fields left zero with settings.Defaults, the same
// values an absent key in the file takes.
func (c Config) withDefaults() Config {
	def := settings.Defaults()
	orStr := func(v *string, d string) {
		if *v == "" {
			*v = d
		}
	}
	orStr(&c.Region, def.Region)
	orStr(&c.Patch.Document, def.Patch.Document)
	orStr(&c.Patch.RebootOption, def.Patch.RebootOption)
	orStr(&c.Patch.MaxConcurrency, def.Patch.MaxConcurrency)
	orStr(&c.Patch.MaxErrors, def.Patch.MaxErrors)
	if c.Patch.ScanWait == 0 {
		c.Patch.ScanWait = def.Patch.ScanWait
	}
	b, db := &c.Patch.Baseline, def.Patch.Baseline
	orStr(&b.OperatingSystem, db.OperatingSystem)
	if b.Severities == nil {
		b.Severities = db.Severities
	}
	if b.Classifications == nil {
		b.Classifications = db.Classifications
	}
	if b.ApproveAfterDays == 0 {
		b.ApproveAfterDays = db.ApproveAfterDays
	}
	// An environment's declaration states what differs; the rest is the
	// provider-wide baseline.
	envs := make(map[string]Baseline, len(c.Patch.Baselines))
	for env, e := range c.Patch.Baselines {
		orStr(&e.OperatingSystem, b.OperatingSystem)
		if e.Severities == nil {
			e.Severities = b.Severities
		}
		if e.Classifications == nil {
			e.Classifications = b.Classifications
		}
		if e.ApproveAfterDays == 0 {
			e.ApproveAfterDays = b.ApproveAfterDays
		}
		envs[env] = e
	}
	c.Patch.Baselines = envs
	if c.Backup.Timeout == 0 {
		c.Backup.Timeout = def.Backup.Timeout
	}
	if c.Archive.Region == "" {
		c.Archive.Region = c.Region
	}
	if c.Archive.PresignExpiry == 0 {
		c.Archive.PresignExpiry = def.Archive.PresignExpiry
	}
	if c.IdentityCenter.Region == "" {
		c.IdentityCenter.Region = c.Region
	}
	if c.AccountConcurrency <= 0 {
		c.AccountConcurrency = def.AccountConcurrency
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.Clock == nil {
		c.Clock = runbooks.SystemClock
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return c
}

// budget is one call's share of the step budget.
func (c Config) budget() runbooks.Budget {
	return runbooks.StepBudget(c.StepTimeout, c.MaxAttempts).WithMaxBackoff(c.MaxBackoff)
}

// patchDocuments are the documents a patch may be sent with: the tenant
// role's PatchCommand statement (deploy/terraform/policy-tenant.json)
// grants ssm:SendCommand on these and no other.
var patchDocuments = []string{settings.DocumentRunPatchBaseline, settings.DocumentWithHooks}

func (c Config) check() error {
	if !slices.Contains(patchDocuments, c.Patch.Document) {
		return fmt.Errorf("patch document %q: want %s", c.Patch.Document, strings.Join(patchDocuments, " or "))
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
