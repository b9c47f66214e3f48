package config

import (
	"slices"
	"time"

	"github.com/patchgate/patchgate/internal/httpserve"
	"github.com/patchgate/patchgate/runbooks"
)

// DefaultBoltPath is where the embedded store lives when store.bolt.path is
// omitted: the FHS place for a daemon's state, and the volume the Helm chart
// mounts.
const DefaultBoltPath = "/var/lib/patchgate/state.db"

// defaults is the configuration an empty file means, and the base every file
// is decoded onto: a key present in the file replaces its default, a key
// absent (or null) keeps it. This is the one place defaults are set.
//
//	store:     backend bolt, bolt.path DefaultBoltPath;
//	           redis network tcp, db 0, prefix "patchgate" (redisstore's
//	           DefaultPrefix; the store adds its own ":"), addr has none
//	engine:    runbooks.DefaultConfig (tick 2s, lease_ttl 60s, workers 8,
//	           max_steps 64, max_errors 3, step_timeout 30s)
//	pipeline:  runbooks.DefaultPipeline: nonprod, staging (24h soak),
//	           production (2 approvals, four eyes, health gate); it names no
//	           approvers, so a file without a pipeline section fails validation
//	tenants:   none
//	schedules: timezone UTC, patch_cycle "0 2 * * SUN#4" (4th Sunday 02:00),
//	           grace 1h; saml_check, drift_report, status_digest off
//	saml:      warn_days 60, page_days 14, fetch_timeout 30s, no sources
//	drift:     concurrency 4, timeout 10m, no workspaces
//	sla:       deadlines critical 30, high 30, medium 90, low 180, unrated
//	           180, kev 14 days; no KEV catalogue; min_approvals 1,
//	           max_exception_days 365, reminder_days 14; posture_scan off
//	providers: kind sim, seed 1, hosts_per_target 4, no op_duration or latency;
//	           gcp (when present): credentials_type service_account,
//	           inventory_max_age 24h, patch rollout zone_by_zone with a 25%
//	           disruption budget, reboot default, duration 2h; quota 600
//	           reads and 60 writes per minute
//	           aws: its provider's settings.Defaults (no accounts: not enabled)
//	slack:     none (engine only); when set: transport socket, listen :8080,
//	           update_interval 3s
//	edr:       prevention window 14 days (336h), check_every 24h, thresholds
//	           max_detections 10, 0 at high or above; no tiers
//	log:       format json, level info
//	observability: listen :9090 (/metrics, /healthz, /readyz)
//	http:      httpserve.DefaultLimits: read_header_timeout 5s, read_timeout
//	           10s, write_timeout 30s, idle_timeout 60s, max_header_bytes 64 KiB
//	audit:     no signing key; every 100 entries, interval 15m; S3 anchor
//	           retention 400 days in COMPLIANCE mode
//
// Defaults are deliberately not applied to a value the file sets to zero or
// empty: "workers: 0" is reported, not silently turned into 8.
func defaults() *Config {
	c := &Config{
		Store: Store{
			Backend: BackendBolt,
			Bolt:    Bolt{Path: DefaultBoltPath},
			Redis:   Redis{Network: "tcp", Prefix: "patchgate"},
		},
		Engine:      runbooks.DefaultConfig(),
		Schedules:   Schedules{Timezone: "UTC", PatchCycle: "0 2 * * SUN#4", Grace: time.Hour},
		SAML:        SAML{WarnDays: 60, PageDays: 14, FetchTimeout: 30 * time.Second},
		Drift:       Drift{Concurrency: 4, Timeout: 10 * time.Minute},
		SLA:         slaDefaults(),
		Rollback:    rollbackDefaults(),
		Remediation: remediationDefaults(),
		EDR:         EDR{Prevention: defaultEDRPrevention()},
		Providers: Providers{Kind: ProviderSim, Sim: Sim{Seed: 1, HostsPerTarget: 4},
			Falcon: falconDefaults(), GCP: gcpDefaults(), Azure: azureDefaults(), AWS: awsDefaults()},
		Slack:         Slack{Transport: SlackSocket, Listen: ":8080", UpdateInterval: 3 * time.Second},
		Log:           Log{Format: LogJSON, Level: "info"},
		Observability: Observability{Listen: ":9090"},
		HTTP:          httpserve.DefaultLimits(),
		Audit: Audit{Signing: AuditSigning{Every: 100, Interval: 15 * time.Minute},
			Anchor: AuditAnchor{S3: AuditS3{RetentionDays: 400, Mode: "COMPLIANCE"}}},
		ChangeRecords: ChangeRecords{Poll: runbooks.DefaultChangePoll, ServiceNow: ServiceNowChanges{Category: "Software"},
			Jira: JiraChanges{IssueType: "Change"}},
	}
	for _, s := range runbooks.DefaultPipeline() {
		c.Tiers = append(c.Tiers, tierFrom(s))
	}
	return c
}

// tierDefaults is what a pipeline tier starts from before its keys are
// decoded, by role: the production tier starts from
// runbooks.DefaultPipeline's production tier (two approvals, four eyes, the
// health gate), so weakening it has to be written down; the staging tier
// starts with its 24 h soak; any other tier with one approval and the sensor
// gate.
func tierDefaults(r tierRole) Tier {
	for _, s := range runbooks.DefaultPipeline() {
		if s.Production == r.production && s.Staging == r.staging {
			t := tierFrom(s)
			t.Env = ""
			return t
		}
	}
	return tierFrom(runbooks.EnvSpec{MinApprovals: 1, SensorGate: true})
}

func tierFrom(s runbooks.EnvSpec) Tier {
	return Tier{
		Env: s.Env, Approvers: slices.Clone(s.Approvers), Groups: slices.Clone(s.Groups),
		MinApprovals: s.MinApprovals, FourEyes: s.FourEyes, Soak: s.Soak,
		HealthGate: s.HealthGate, SensorGate: s.SensorGate, SensorPolicy: SensorBlock,
		Production: s.Production, Staging: s.Staging, ApprovalTTL: runbooks.DefaultApprovalTTL,
	}
}
