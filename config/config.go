// Package config reads patchgate's one configuration file: a YAML document
// with the store, engine, pipeline, tenants, schedules, providers and slack
// sections. Load and Parse decode it from yaml.v3 nodes rather than struct
// tags so that every problem (unknown key, wrong type, broken rule) carries
// its line and dotted field path, and they report every problem at once.
//
// Top-level keys starting with "x-" are ignored, as in Compose files, so
// YAML anchors shared by several sections have somewhere to live.
//
// Secrets are never written in the file, only referenced (see Secret).
// Defaults live in defaults.go; the rules in validate*.go.
package config

import (
	"time"

	"github.com/patchgate/patchgate/internal/httpserve"
	falconsettings "github.com/patchgate/patchgate/providers/falcon/settings"
	"github.com/patchgate/patchgate/runbooks"
)

// Config is a loaded, validated configuration. Build one with Load or Parse;
// a Config that came from either has passed every rule.
type Config struct {
	Store  Store
	Engine Engine
	// Tiers is the "pipeline" section: environment tiers in order, each
	// with its approval policy. Pipeline converts it for the engine.
	Tiers []Tier
	// TenantList is the "tenants" section, each tenant's environments in
	// pipeline order. Tenants returns a copy.
	TenantList []runbooks.Tenant
	Schedules  Schedules
	Providers  Providers
	Slack      Slack
	// Log and Observability shape the running process (see runtime.go).
	Log           Log
	Observability Observability
	// HTTP bounds every HTTP server patchgate runs (the Slack endpoints
	// and observability): timeouts and header size per client.
	HTTP  httpserve.Limits
	SAML  SAML  // the SAML certificate check (daily.go)
	Drift Drift // the Terraform drift report (daily.go)
	Audit Audit // signing and anchoring of the audit chains (audit.go)
	SLA   SLA   // patch deadlines, KEV and exceptions (sla.go)
	// Rollback is the pre-patch backups' retention (rollback.go).
	Rollback Rollback
	// Freezes are the configured change freezes (freezes.go).
	Freezes []Freeze
	// ChangeRecords is the change platform of the cycles' change records
	// (changes.go).
	ChangeRecords ChangeRecords
	EDR           EDR // Falcon sensor expectations and coverage digest (edr.go)
	// Remediation is the compliance event intake and the remediation
	// runbook's timings (remediation.go).
	Remediation Remediation
}

// Store selects and configures the durable coordination store.
type Store struct {
	Backend string // BackendBolt or BackendRedis
	Bolt    Bolt
	Redis   Redis
}

// Store backends.
const (
	BackendBolt  = "bolt"  // embedded bbolt file: one replica
	BackendRedis = "redis" // shared Redis: several replicas
)

// Bolt configures the embedded store.
type Bolt struct {
	Path string
}

// Redis configures the shared store; the fields match redisstore.Options.
type Redis struct {
	Network  string // "tcp" or "unix"
	Addr     string // host:port, or a socket path for "unix"
	Password Secret
	DB       int
	Prefix   string // key prefix, so several deployments can share a server
	TLS      RedisTLS
	Sentinel RedisSentinel
}

// Engine is the engine section: the engine's own tuning, whose meaning and
// defaults runbooks.Config declares. Replica is not a file key (see
// runbooks.ReplicaID).
type Engine = runbooks.Config

// Tier is one environment of the pipeline and who may open it.
type Tier struct {
	Env          string
	Approvers    []string // Slack user IDs (U…/W…)
	Groups       []string // Slack user-group IDs (S…)
	MinApprovals int
	FourEyes     bool // the requester may not approve
	Soak         time.Duration
	HealthGate   bool
	SensorGate   bool
	// SensorPolicy is what the sensor gate does with a host whose EDR
	// sensor would not support the new kernel: SensorBlock (default) fails
	// the stage; SensorExclude leaves the host out, with the reason.
	SensorPolicy string
	// WaiveMinApprovals and WaiveFourEyes let a production tier run with
	// fewer than two approvals or without four eyes. They exist so that
	// weakening production is a visible, reviewable line in the file rather
	// than a silent default.
	WaiveMinApprovals bool
	WaiveFourEyes     bool
	// Production and Staging say what the tier is (see runbooks.EnvSpec).
	// The file may declare them; otherwise the last tier is production and
	// the tier before it, unless it is the first, is staging. Nothing else
	// reads a tier's name to learn its role.
	Production bool
	Staging    bool
	// RequireChangeApproval holds the tier's stage until the cycle's change
	// record is approved in the change platform.
	RequireChangeApproval bool
	// AutoRemediate approves this tier's remediations of non-compliant
	// instances without a person (audited as such); never on production.
	AutoRemediate bool

	// change governance: windows, freezes, expiry, emergency
	// Window is the tier's change window (runbooks.ParseWindow); empty lets
	// an approved stage start at once. Tenants may override it.
	Window string
	// MinRemaining is the least time left in the window for a new
	// operation (backup, patch) to start.
	MinRemaining time.Duration
	// ApprovalTTL is how long the tier's approval request stays open
	// before the cycle expires (default runbooks.DefaultApprovalTTL).
	ApprovalTTL time.Duration
	// EmergencyApprovers are the Slack user (U…/W…) and user-group (S…)
	// IDs that approve the tier's stage of an emergency change; empty
	// refuses emergency changes that pass the tier.
	EmergencyApprovers []string
}

// Schedules says when recurring work runs.
type Schedules struct {
	Timezone string
	// PatchCycle is a five-field cron expression (minute hour day-of-month
	// month day-of-week); day-of-week may use # for "nth weekday of the
	// month", e.g. SUN#4. Only its shape is checked here.
	PatchCycle string
	// SAMLCheck, DriftReport and StatusDigest are cron expressions like
	// PatchCycle; empty leaves the job unscheduled (it still runs on demand).
	SAMLCheck    string
	DriftReport  string
	StatusDigest string
	// PostureDigest posts the compliance posture across tenants.
	PostureDigest string
	// PostureScan runs the daily SLA posture scan (sla section).
	PostureScan string
	// PreflightBefore runs every tenant's preflight (a dry run) this long
	// before each PatchCycle firing, posts it and pages for hosts that need
	// a person; 0 leaves it off.
	PreflightBefore time.Duration
	// Grace is how late a missed firing may still run (a replica that was
	// down catches up within it); default 1h.
	Grace time.Duration
	// Location is Timezone loaded; set by Parse.
	Location *time.Location
}

// Sensor policies.
const (
	SensorBlock   = "block"
	SensorExclude = "exclude"
)

// Providers selects the outside systems patchgate drives. Kind names the
// clouds' provider; Falcon, PagerDuty and Dynatrace, when set, replace the
// simulation's sensors, pager and health checks with the real services.
type Providers struct {
	Kind string // ProviderSim or ProviderCloud
	Sim  Sim
	// Simulate lists what the simulation may still answer (Simulate*)
	// under kind sim when a real cloud is configured. Without it such a
	// configuration is refused: simulated answers are not audit evidence,
	// and reports that rest on them say so on every page.
	Simulate  []string
	AWS       AWS
	Falcon    Falcon
	PagerDuty PagerDuty
	Dynatrace Dynatrace
	GCP       GCP
	Azure     Azure
}

// Falcon configures CrowdStrike Falcon (sensor/kernel gates, EDR coverage).
type Falcon struct {
	ClientID     Secret
	ClientSecret Secret
	Cloud        string // us-1 (default), us-2, eu-1, us-gov-1
	// BaseURL replaces the cloud's API URL (a proxy, a private link, a
	// local test server); Cloud is then not used to find the API.
	BaseURL        string
	LastSeenWithin time.Duration // a sensor silent longer fails the post-patch check
	// Overrides pin sensor/kernel support where Falcon's own list lags
	// (e.g. RHEL 7 kernels above 3.10.0-1160 with sensor 6.x); the first
	// match wins over the API.
	Overrides []KernelOverride
}

// KernelOverride is one row of the pinned support matrix.
type KernelOverride struct {
	OS        string // alias (rhel7, ubuntu22, …) or a regex on "<OS> <version>"
	Kernel    string // constraint, e.g. ">3.10.0-1160" or "5.14.0-427*"
	Sensor    string // constraint, e.g. "6.x"
	Supported bool
	Reason    string
}

// Enabled reports whether Falcon is configured.
func (f Falcon) Enabled() bool { return !f.ClientID.IsZero() || !f.ClientSecret.IsZero() }

// falconDefaults is the provider's own settings.Defaults.
func falconDefaults() Falcon {
	def := falconsettings.Defaults()
	return Falcon{Cloud: def.Cloud, LastSeenWithin: def.LastSeenWithin}
}

// PagerDuty configures paging through the Events API v2.
type PagerDuty struct {
	RoutingKey Secret
	EventsURL  string // default PagerDuty's public endpoint
}

// Enabled reports whether PagerDuty is configured.
func (p PagerDuty) Enabled() bool { return !p.RoutingKey.IsZero() }

// Dynatrace configures the health gate (Problems API v2).
type Dynatrace struct {
	URL   string // the environment, e.g. https://abc123.live.dynatrace.com
	Token Secret // API token with problems.read
	// Selectors maps "tenant/env" (or "env") to the entity selector of that
	// environment's monitored entities.
	Selectors map[string]string
}

// Enabled reports whether Dynatrace is configured.
func (d Dynatrace) Enabled() bool { return d.URL != "" || !d.Token.IsZero() }

// Provider kinds.
const (
	ProviderSim = "sim" // the simulated multi-cloud fleet; configured clouds take their targets over
	// ProviderCloud runs on the configured clouds only: nothing simulated.
	ProviderCloud = "cloud"
)

// What providers.simulate may list: the parts the simulation answers
// under kind sim unless a real service is configured for them.
const (
	SimulateSensors = "sensors" // the sensor gates (providers.falcon)
	SimulateHealth  = "health"  // the health gates (providers.dynatrace)
	SimulatePager   = "pager"   // incidents for failed stages (providers.pagerduty)
	SimulateAccess  = "access"  // the access report for SOC 2 CC6.1 (providers.aws)
)

// Sim configures the simulated fleet.
type Sim struct {
	Seed           int64
	HostsPerTarget int
	OpDuration     time.Duration // how long a simulated backup or patch takes
	Latency        time.Duration // added to every simulated provider call
	// StatePath keeps the simulated world (operations, incidents, repairs)
	// in a file across restarts; empty keeps it in memory.
	StatePath string
	// Groups maps a chat user-group ID to its members, standing in for
	// Slack's usergroups.users.list in the simulation.
	Groups map[string][]string
}

// Slack configures the chat front end. An absent section runs the engine
// without Slack (decisions then come from the CLI).
type Slack struct {
	Transport     string // SlackSocket (default) or SlackHTTP
	BotToken      Secret // xoxb-…
	AppToken      Secret // xapp-…, for Socket Mode
	SigningSecret Secret // for the HTTP transport
	Channel       string // the cycles channel ID (C…/G…)
	Listen        string // HTTP transport address, e.g. :8080
	// APIURL overrides https://slack.com/api/ (an enterprise proxy, or the
	// local sandbox in tests and the demo).
	APIURL         string
	UpdateInterval time.Duration // least time between two updates of one message
}

// Enabled reports whether a Slack section was configured.
func (s Slack) Enabled() bool { return s.Channel != "" || !s.BotToken.IsZero() }

// Slack transports.
const (
	SlackSocket = "socket" // Socket Mode: outbound only, no public endpoint
	SlackHTTP   = "http"   // Events/Interactivity endpoints, signing secret
)
