package config

import (
	"gopkg.in/yaml.v3"

	"github.com/patchgate/patchgate/runbooks"
)

// This file is the schema: which keys each section has and how each value
// decodes. Rules that need more than one value live in validate*.go.

const sectionList = "store, engine, pipeline, tenants, schedules, providers, slack, log, observability, http, saml, drift, audit, sla, change_records, edr, freezes"

func (d *decoder) root(n *yaml.Node, c *Config) {
	d.fields(n, "",
		field{"store", "Where cycles, leases and the hash-chained audit log live.", d.store(&c.Store)},
		field{"engine", "The reconciling loop. `step_timeout` must stay below `lease_ttl`, so a step always ends while its replica still holds the cycle's lease.", d.engine(&c.Engine)},
		field{"pipeline", "Environment tiers in the order every cycle walks them, and who may open each. Required: the default tiers name no approvers. A tier's role, never its name, decides what it is: the last tier is production unless a tier declares `production: true`, and the tier before production (when it is not the first tier) is staging unless a tier declares `staging: true`. The production tier starts from production's defaults (2 approvals, four eyes, health gate) and needs `min_approvals` ≥ 2 and `four_eyes: true` unless waived; the staging tier starts with a 24h soak; any other tier starts from the defaults shown here.", d.pipeline(&c.Tiers)},
		field{"tenants", "The organisations (credit unions) whose fleets are patched; each gets its own cycle.", d.tenants(&c.TenantList)},
		field{"schedules", "When recurring work runs.", d.section(
			field{"timezone", "IANA zone the schedule is read in (e.g. `Europe/Berlin`); daylight-saving changes are followed.", d.str(&c.Schedules.Timezone)},
			field{"patch_cycle", "Five-field cron (minute hour day-of-month month day-of-week); `SUN#4` is the fourth Sunday. A trailing `+Nd` (1-27) shifts every firing by N days at the same local time: `0 2 * * TUE#2 +12d` is 02:00 twelve days after Patch Tuesday. `serve` starts every tenant's cycle then, as the requester `patchgate`; fired once per slot across replicas.", d.str(&c.Schedules.PatchCycle)},
			field{"preflight_before", "Run every tenant's preflight (a dry run: inventory and every gate judgeable without change; no cycle opened) this long before each `patch_cycle` firing, post it to the cycles channel and page for hosts that need a person; fired once per slot across replicas. 0 leaves it off.", d.duration(&c.Schedules.PreflightBefore, "h")},
			field{"saml_check", "Cron for the SAML certificate check; empty runs it only on demand (`/patch saml`).", d.str(&c.Schedules.SAMLCheck)},
			field{"drift_report", "Cron for the morning Terraform drift report; empty runs it only on demand (`/patch drift`).", d.str(&c.Schedules.DriftReport)},
			field{"status_digest", "Cron for the active-cycle status digest; empty: on demand (`/patch digest`).", d.str(&c.Schedules.StatusDigest)},
			field{"posture_digest", "Cron for the compliance posture digest across tenants; empty: on demand.", d.str(&c.Schedules.PostureDigest)},
			field{"posture_scan", "Cron for the daily SLA posture scan (missing patches against `sla` deadlines, KEV breaches paged); empty: on demand (`/patch posture`).", d.str(&c.Schedules.PostureScan)},
			field{"grace", "How late a missed firing still runs (a replica that was down catches up within it).", d.duration(&c.Schedules.Grace, "m")},
		)},
		field{"providers", "The outside systems patchgate drives.", d.section(
			field{"kind", "The clouds' provider. `sim`: each cloud with its own section (`aws`, `azure`, `gcp`) is served for real and the simulated fleet answers the rest (clouds without a section, and sensors, health, paging and access unless `falcon`, `dynatrace`, `pagerduty` and `aws` are set). `cloud`: nothing is simulated; every gate the pipeline uses needs its real service.", d.str(&c.Providers.Kind)},
			field{"sim", "The simulated multi-cloud fleet (demo, tests).", d.section(
				field{"seed", "Same seed, same fleet.", d.int64(&c.Providers.Sim.Seed)},
				field{"hosts_per_target", "Hosts generated per target.", d.integer(&c.Providers.Sim.HostsPerTarget)},
				field{"op_duration", "How long a simulated backup or patch takes.", d.duration(&c.Providers.Sim.OpDuration, "s")},
				field{"latency", "Added to every simulated provider call.", d.duration(&c.Providers.Sim.Latency, "ms")},
				field{"state_path", "Keep the simulated world in this file across restarts; empty keeps it in memory.", d.str(&c.Providers.Sim.StatePath)},
				field{"groups", "User-group ID → member IDs, standing in for Slack's usergroups.users.list.", d.strsMap(&c.Providers.Sim.Groups)},
			)},
			field{"simulate", "What the simulation may still answer for the hosts of a real cloud section under kind `sim`: `sensors`, `health`, `pager`, `access`. Without it `config validate` refuses such a file, because a simulated answer about a real host is not audit evidence; with it, reports that use a simulated answer say \"SIMULATED — not audit evidence\" on every page and in the JSON bundle.", d.strs(&c.Providers.Simulate)},
			field{"aws", "AWS (EC2, SSM, RDS, IAM, IAM Identity Center, S3). Present, the tenants' aws targets are served by AWS instead of the simulation.", d.aws(&c.Providers.AWS)},
			field{"falcon", "CrowdStrike Falcon: sensor/kernel gate and post-patch sensor health. Set `client_id` to enable it.", d.section(
				field{"client_id", "API client ID (scopes: Hosts read, Sensor update policies read; with `edr.prevention` tiers also ML exclusions read, IOA exclusions read, Prevention policies read and write, Host group read, Alerts read — exactly the calls in docs/FALCON_SCOPES.md, which a test checks against the code).", text(d, &c.Providers.Falcon.ClientID)},
				field{"client_secret", "API client secret.", text(d, &c.Providers.Falcon.ClientSecret)},
				field{"cloud", "`us-1`, `us-2`, `eu-1` or `us-gov-1`.", d.str(&c.Providers.Falcon.Cloud)},
				field{"base_url", "Replaces the cloud's API URL (`https://api.crowdstrike.com` for us-1): a proxy, a private link, or a test server on localhost (`http` only there). Scheme and host only: the token comes from its `/oauth2/token`.", d.str(&c.Providers.Falcon.BaseURL)},
				field{"last_seen_within", "A sensor silent longer than this after patching fails verification.", d.duration(&c.Providers.Falcon.LastSeenWithin, "m")},
				field{"overrides", "Pinned sensor/kernel support where Falcon's own list lags; the first matching row wins over the API.", d.kernelOverrides(&c.Providers.Falcon.Overrides)},
			)},
			field{"pagerduty", "PagerDuty Events API v2: one page per failed stage (dedup key `patchgate/<cycle>/<stage>`). Set `routing_key` to enable it.", d.section(
				field{"routing_key", "The service integration's routing key.", text(d, &c.Providers.PagerDuty.RoutingKey)},
				field{"events_url", "Events API endpoint; empty means PagerDuty's public one.", d.str(&c.Providers.PagerDuty.EventsURL)},
			)},
			field{"azure", "Azure (Resource Manager: VMs and Arc-enabled servers). Present, the tenants' azure targets are served by Azure instead of the simulation.", d.azure(&c.Providers.Azure)},
			field{"dynatrace", "Dynatrace Problems API v2 for the health gate. Set `url` and `token` to enable it.", d.section(
				field{"url", "The environment, e.g. `https://abc123.live.dynatrace.com`.", d.str(&c.Providers.Dynatrace.URL)},
				field{"token", "API token with `problems.read`.", text(d, &c.Providers.Dynatrace.Token)},
				field{"selectors", "`tenant/env` or `env` → entity selector of that environment's monitored entities; the more specific key wins.", d.strMap(&c.Providers.Dynatrace.Selectors)},
			)},
			field{"gcp", "Google Cloud (Compute Engine, OS Config). Present, the tenants' gcp targets are served by Google Cloud instead of the simulation; `gcp: {}` is enough on a pod with workload identity.", d.gcp(&c.Providers.GCP)},
		)},
		field{"slack", "The Slack front end. Absent: the engine runs without Slack and decisions come from `patchgate cycle decide`. See docs/OPERATIONS.md for creating the app from deploy/slack/manifest.yaml.", d.section(
			field{"transport", "`socket` (Socket Mode: outbound only, no public endpoint) or `http` (Slack calls `/slack/commands`, `/slack/interactions`, `/slack/events` on `listen`).", d.str(&c.Slack.Transport)},
			field{"bot_token", "Bot token (`xoxb-…`). Required when the section is set.", text(d, &c.Slack.BotToken)},
			field{"app_token", "App-level token (`xapp-…`, scope `connections:write`). Required for `socket`.", text(d, &c.Slack.AppToken)},
			field{"signing_secret", "The app's signing secret; every HTTP request's signature and timestamp are checked against it. Required for `http`.", text(d, &c.Slack.SigningSecret)},
			field{"channel", "The cycles channel's ID (`C…`/`G…`, from the channel's details; names change). Required when the section is set; invite the bot there.", d.str(&c.Slack.Channel)},
			field{"listen", "Address the `http` transport listens on.", d.str(&c.Slack.Listen)},
			field{"api_url", "Overrides `https://slack.com/api/` (an egress proxy; the local sandbox in the demo). Must end with `/`.", d.str(&c.Slack.APIURL)},
			field{"update_interval", "Least time between two edits of one message (Slack rate limits chat.update).", d.duration(&c.Slack.UpdateInterval, "s")},
		)},
		field{"log", "The process's log.", d.section(
			field{"format", "`json` (one object per line, with cycle, tenant and stage fields) or `text`.", d.str(&c.Log.Format)},
			field{"level", "`debug`, `info`, `warn` or `error`.", d.str(&c.Log.Level)},
		)},
		field{"observability", "The Prometheus and health endpoint.", d.section(field{"listen", "Address of `/metrics`, `/healthz` and `/readyz`; empty turns the endpoint off. The Helm chart's probes expect `:9090`.", d.str(&c.Observability.Listen)})},
		field{"http", "Limits of every HTTP server patchgate runs (the Slack `http` transport and the observability endpoint), per client connection.", d.section(
			field{"read_header_timeout", "Time to read a request's line and headers.", d.duration(&c.HTTP.ReadHeaderTimeout, "s")},
			field{"read_timeout", "Time to read a whole request, body included; a client that trickles its body is disconnected after it.", d.duration(&c.HTTP.ReadTimeout, "s")},
			field{"write_timeout", "Time from the end of a request's headers to the end of its response (longer than a readiness check's 2 s).", d.duration(&c.HTTP.WriteTimeout, "s")},
			field{"idle_timeout", "How long a kept-alive connection may wait for its next request.", d.duration(&c.HTTP.IdleTimeout, "s")},
			field{"max_header_bytes", "Largest request line plus headers accepted (at least 4096).", d.integer(&c.HTTP.MaxHeaderBytes)},
		)},
		field{"saml", "The daily SAML certificate check: where identity-provider metadata is read and how early to warn and page.", d.saml(&c.SAML)},
		field{"drift", "The morning Terraform drift report.", d.drift(&c.Drift)},
		field{"freezes", "Change freezes (blackouts: month-end processing, holidays) per tenant or for all: no cycle starts, no environment stage opens or starts an operation, running operations finish. Approvers add freezes with `/patch freeze`. Overlapping freezes of one tenant (or of all) are refused.", d.freezes(&c.Freezes)},
		field{"audit", "Signing and anchoring of the audit chains, so `audit verify` detects truncation, deleted streams and consistent rewrites, and a report verifies offline.", d.audit(&c.Audit)},
		field{"rollback", "Rollbacks to the pre-patch backups: how long those backups are kept and when the retention job deletes older ones.", d.rollbackSection(&c.Rollback)},
		field{"sla", "Continuous compliance between cycles: deadlines from each patch's release date, CISA KEV deadlines, per-tenant overrides and who may accept a risk.", d.slaSection(&c.SLA)},
		field{"change_records", "A change record per cycle in the organisation's change management platform (PCI DSS 6.5.1, SOC 2 CC8.1).", d.changeRecords(&c.ChangeRecords)},
		field{"remediation", "Event-driven remediation of AWS Config non-compliance: the SQS queue EventBridge feeds, the signed HTTP intake, and the remediation runbook's debounce and compliance timeout.", d.remediationSection(&c.Remediation)},
		field{"edr", "The EDR (CrowdStrike Falcon sensor) lifecycle: what each environment's sensors must be, checked by sensor coverage and validation.", d.edrSection(&c.EDR)},
	)
}

// section decodes a nested mapping with the given keys.
func (d *decoder) section(fs ...field) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) { d.fields(v, path, fs...) }
}

func (d *decoder) store(s *Store) func(*yaml.Node, string) {
	return d.section(
		field{"backend", "`bolt`: an embedded bbolt file, one replica only. `redis`: a shared Redis, several replicas.", d.str(&s.Backend)},
		field{"bolt", "The embedded store (backend `bolt`).", d.section(field{"path", "The bbolt file. Put it on a persistent volume (the Helm chart mounts one at /var/lib/patchgate). One process at a time holds it.", d.str(&s.Bolt.Path)})},
		field{"redis", "The shared store (backend `redis`).", d.section(
			field{"network", "`tcp` or `unix`.", d.str(&s.Redis.Network)},
			field{"addr", "`host:port`, or the socket path for `unix`. Required with backend `redis`.", d.str(&s.Redis.Addr)},
			field{"password", "The Redis password (AUTH).", text(d, &s.Redis.Password)},
			field{"db", "The Redis logical database.", d.integer(&s.Redis.DB)},
			field{"prefix", "Key prefix, so several deployments can share one server.", d.str(&s.Redis.Prefix)},
			field{"tls", "TLS to Redis (and to the Sentinels).", d.section(
				field{"enabled", "Speak TLS to Redis. The other tls keys need it.", d.boolean(&s.Redis.TLS.Enabled)},
				field{"ca_file", "PEM bundle to verify the server with; empty uses the system roots.", d.str(&s.Redis.TLS.CAFile)},
				field{"cert_file", "Client certificate (PEM) for mutual TLS; goes with `key_file`.", d.str(&s.Redis.TLS.CertFile)},
				field{"key_file", "The client certificate's key (PEM).", d.str(&s.Redis.TLS.KeyFile)},
				field{"server_name", "Name to verify in the server's certificate, when it differs from the address.", d.str(&s.Redis.TLS.ServerName)},
				field{"insecure_skip_verify", "Do not verify the server's certificate. For tests only.", d.boolean(&s.Redis.TLS.InsecureSkipVerify)},
			)},
			field{"sentinel", "Reach the master through Redis Sentinel (failover); replaces `addr`.", d.section(
				field{"master_name", "The name the Sentinels monitor (Bitnami's default: `mymaster`).", d.str(&s.Redis.Sentinel.MasterName)},
				field{"addrs", "Sentinel `host:port`s (usually port 26379); at least one.", d.strs(&s.Redis.Sentinel.Addrs)},
				field{"password", "The Sentinels' own password, if they require one.", text(d, &s.Redis.Sentinel.Password)},
			)},
		)},
	)
}

func (d *decoder) engine(e *Engine) func(*yaml.Node, string) {
	return d.section(
		field{"tick", "How often active cycles are reconciled.", d.duration(&e.Tick, "s")},
		field{"lease_ttl", "How long a cycle stays claimed by one replica without renewal; a crashed replica's cycles are taken over after this.", d.duration(&e.LeaseTTL, "s")},
		field{"workers", "Cycles reconciled at once by one replica.", d.integer(&e.Workers)},
		field{"max_steps", "Steps one cycle may take in a row before yielding to the others.", d.integer(&e.MaxSteps)},
		field{"max_errors", "Consecutive provider errors before a stage fails (and the cycle halts).", d.integer(&e.MaxErrors)},
		field{"step_timeout", "Bound on one provider call, retries included: each SDK's attempts, per-attempt timeout and backoff are derived from it, so it must give every attempt of the most patient SDK (AWS, 10 attempts) at least 1s.", d.duration(&e.StepTimeout, "s")},
		field{"record_timeout", "Bound on the store write that records a step's outcome; it starts when the call ends, so a call that used its whole step is still counted. Shorter than `step_timeout`, and the two together shorter than `lease_ttl`.", d.duration(&e.RecordTimeout, "s")},
		field{"requesters", "Slack member IDs who may start a cycle by hand; with `requester_groups` both empty, anyone in the channel may (approvals still gate every stage).", d.strs(&e.Requesters)},
		field{"requester_groups", "Slack user-group IDs whose members may start a cycle by hand.", d.strs(&e.RequesterGroups)},
		field{"record_format", "Cycle record format written. Format 3 keeps large operation handles, inventories and per-host result lists in chunked blobs of the cycle; format 2 keeps handles and inventories in shared blobs; format 1 keeps them all in the records. A remediation opened under format 3 keeps its instances in a blob too (under 2 or 1, inline). This release reads all three. During a rolling update, set the newest format every older replica still running reads (1 or 2), then 3.", d.integer(&e.WriteFormat)},
	)
}

// pipeline replaces the default tiers with the file's. Every item becomes a
// tier, even a broken one, so c.Tiers[i] is always pipeline[i].
func (d *decoder) pipeline(dst *[]Tier) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		if isNull(v) {
			return
		}
		tiers := []Tier{}
		roles := tierRoles(v)
		d.items(v, path, func(v *yaml.Node, p string) {
			var role tierRole
			if i := len(tiers); i < len(roles) {
				role = roles[i]
			}
			t := tierDefaults(role)
			d.fields(v, p,
				field{"env", "The tier's name, used by tenants' environments. Required; unique.", d.str(&t.Env)},
				field{"approvers", "Slack member IDs (`U…`/`W…`) who may approve this tier.", d.strs(&t.Approvers)},
				field{"groups", "Slack user-group IDs (`S…`); any member counts as an approver (read with usergroups:read).", d.strs(&t.Groups)},
				field{"min_approvals", "Distinct approvals needed to open the tier.", d.integer(&t.MinApprovals)},
				field{"four_eyes", "Whoever started the cycle may not approve this tier.", d.boolean(&t.FourEyes)},
				field{"soak", "How long the tier must run patched before the next tier may start.", d.duration(&t.Soak, "h")},
				field{"health_gate", "Before and after patching, the environment must have no open Dynatrace problems.", d.boolean(&t.HealthGate)},
				field{"sensor_gate", "Check each host's EDR (Falcon) sensor supports the kernel the patch installs.", d.boolean(&t.SensorGate)},
				field{"sensor_policy", "What the sensor gate does with an unsupported host: `block` fails the stage; `exclude` leaves the host out, with the reason.", d.str(&t.SensorPolicy)},
				field{"waive_min_approvals", "Let a production tier run with fewer than two approvals: a visible, reviewable line rather than a silent default.", d.boolean(&t.WaiveMinApprovals)},
				field{"waive_four_eyes", "Let a production tier run without four eyes (same reasoning).", d.boolean(&t.WaiveFourEyes)},
				field{"production", "This tier serves customers: its failures page as critical, its patch window sends a change event, reports hold it to production's controls. Default: the last tier, when no tier declares it.", d.boolean(&t.Production)},
				field{"require_change_approval", "Hold this tier's stage, before it opens, until the cycle's change record is approved in the change platform (`change_records`), besides the Slack approvals.", d.boolean(&t.RequireChangeApproval)},
				field{"auto_remediate", "Approve remediations of this tier's non-compliant instances (AWS Config events) without a person; the auto-approval is audited. Refused on a production tier.", d.boolean(&t.AutoRemediate)},
				field{"window", "Change window: an approved stage waits for it to open. `SUN 02:00-06:00 America/Chicago` (every Sunday, local wall-clock times) or `SUN#4 02:00 4h` (the 4th Sunday, 4 hours; `SUN#L` is the last); no zone means UTC. Across DST an end time is wall-clock time and a length is elapsed time. Empty: no window. A tenant may override it (`tenants[].windows`).", d.str(&t.Window)},
				field{"approval_ttl", "How long the tier's approval request stays open. At half of it the thread mentions the approvers and groups once; at its end the cycle closes as expired (audited; nothing more is patched) and the posture digest counts it.", d.duration(&t.ApprovalTTL, "h")},
				field{"min_remaining", "No new operation (backup, patch) starts when less than this is left in the window; it waits for the next opening. An operation already running finishes and is reported as a window overrun. Needs `window`.", d.duration(&t.MinRemaining, "m")},
				field{"emergency_approvers", "Slack user (`U…`/`W…`) and user-group (`S…`) IDs who approve this tier's stage of an emergency change (`/patch emergency`); they also may waive its soak or window with a recorded justification. Production still needs two of them and four eyes. Empty: emergency changes that pass this tier are refused.", d.strs(&t.EmergencyApprovers)},
				field{"staging", "Production waits for this tier to complete and its soak to end; its failures page as errors. Default: the tier before production, unless that is the first tier, when no tier declares it.", d.boolean(&t.Staging)},
			)
			t.Production, t.Staging = t.Production || role.production, t.Staging || role.staging
			tiers = append(tiers, t)
		})
		*dst = tiers
	}
}

// tenants decodes the tenant list; as with the pipeline, every item becomes
// a tenant so c.TenantList[i] is always tenants[i].
func (d *decoder) tenants(dst *[]runbooks.Tenant) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		if isNull(v) {
			return
		}
		out := []runbooks.Tenant{}
		d.items(v, path, func(v *yaml.Node, p string) {
			var t runbooks.Tenant
			d.fields(v, p,
				field{"name", "Short ID used in commands (`/patch start acme-cu`), store keys and tags. Required; unique.", d.str(&t.Name)},
				field{"display", "Name shown in Slack and reports.", d.str(&t.Display)},
				field{"environments", "The tenant's environments by pipeline tier name; a tenant may skip a tier.", d.environments(&t.Environments)},
				field{"windows", "Tier name → change window for this tenant, replacing the tier's `window` (same spelling, e.g. `SUN 02:00-06:00 America/Chicago`).", d.strMap(&t.Windows)},
			)
			out = append(out, t)
		})
		*dst = out
	}
}

// environments decodes a mapping of environment name to its targets.
func (d *decoder) environments(dst *[]runbooks.Environment) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		d.entries(v, path, func(name string, _, v *yaml.Node, p string) {
			e := runbooks.Environment{Name: name}
			d.fields(v, p, field{"targets", "Slices of one cloud each that make up the environment.", d.targets(&e.Targets)})
			*dst = append(*dst, e)
		})
	}
}

func (d *decoder) targets(dst *[]runbooks.Target) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		d.items(v, path, func(v *yaml.Node, p string) {
			var t runbooks.Target
			d.fields(v, p,
				field{"cloud", "`aws`, `azure` or `gcp`. Required.", text(d, &t.Cloud)},
				field{"account", "AWS: the 12-digit account ID (quote it to keep leading zeros). Azure: the subscription GUID. GCP: the project ID.", d.str(&t.Account)},
				field{"regions", "AWS regions, or GCP zones/regions, to cover.", d.strs(&t.Regions)},
				field{"groups", "Azure resource groups to cover.", d.strs(&t.Groups)},
				field{"selector", "Instance tags (AWS, Azure) or labels (GCP) that pick the environment's hosts.", d.strMap(&t.Selector)},
				field{"databases", "RDS instances (or `cluster:<id>` for Aurora clusters) snapshotted before the target's hosts are patched; aws targets only.", d.strs(&t.Databases)},
			)
			*dst = append(*dst, t)
		})
	}
}

// text decodes a string into a named string type (a Cloud, a Secret).
func text[T ~string](d *decoder, dst *T) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		d.schema.named(path, *dst)
		s := string(*dst)
		d.str(&s)(v, path)
		*dst = T(s)
	}
}

// kernelOverrides decodes the pinned sensor/kernel support matrix.
func (d *decoder) kernelOverrides(dst *[]KernelOverride) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		if isNull(v) {
			return
		}
		out := []KernelOverride{}
		d.items(v, path, func(v *yaml.Node, p string) {
			var o KernelOverride
			d.fields(v, p,
				field{"os", "OS alias (`rhel7`, `ubuntu22`, …) or a regular expression on `<OS> <version>`.", d.str(&o.OS)},
				field{"kernel", "Kernel constraint, e.g. `>3.10.0-1160` or `5.14.0-427*`.", d.str(&o.Kernel)},
				field{"sensor", "Sensor version constraint, e.g. `6.x`.", d.str(&o.Sensor)},
				field{"supported", "Whether that combination is supported.", d.boolean(&o.Supported)},
				field{"reason", "Why, shown in the gate's result and the report.", d.str(&o.Reason)},
			)
			out = append(out, o)
		})
		*dst = out
	}
}
