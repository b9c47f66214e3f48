package config

// The remediation section: the intake of AWS Config compliance changes
// (the SQS queue EventBridge feeds, the signed HTTP intake) and the
// remediation runbook's timings; checkRemediation validates it.

import (
	"net"
	"net/url"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/patchgate/patchgate/runbooks"
)

// DefaultRemediationRule is the managed Config rule of the AWS lab: an
// instance whose SSM patch compliance is NON_COMPLIANT.
const DefaultRemediationRule = "ec2-managedinstance-patch-compliance-status-check"

// Remediation configures event-driven remediation. Without queue_url and
// http_listen no intake runs.
type Remediation struct {
	// QueueURL is the SQS queue the EventBridge rule feeds; the bot
	// long-polls it. DLQURL is its dead-letter queue (the queue's redrive
	// policy moves poison messages there); the bot only reports its depth.
	QueueURL string
	DLQURL   string
	// Rules are the Config rules whose compliance changes are taken.
	Rules []string
	// Debounce is how long a tenant's remediation collects events before
	// its card asks for approval: one card per tenant per window.
	Debounce time.Duration
	// ComplianceTimeout is how long after patching the runbook waits for
	// Config to report the instances COMPLIANT.
	ComplianceTimeout time.Duration
	// CompliancePoll is how often Config is read meanwhile.
	CompliancePoll time.Duration
	// HTTPListen is where the signed HTTP intake (POST /events/config)
	// listens; empty: no HTTP intake. HTTPSecret is its HMAC key.
	HTTPListen string
	HTTPSecret Secret
	// Workers bounds the queue messages handled at once per replica.
	Workers int
	// ClaimTTL is how long each event's claim is kept (redeliveries within
	// it are recognised); longer than SQS's 14-day maximum retention.
	ClaimTTL time.Duration
}

// sqsMaxRetention is the longest an SQS queue keeps a message.
const sqsMaxRetention = 14 * 24 * time.Hour

// Enabled reports whether an intake is configured.
func (r Remediation) Enabled() bool { return r.QueueURL != "" || r.HTTPListen != "" }

func remediationDefaults() Remediation {
	return Remediation{Rules: []string{DefaultRemediationRule}, Debounce: runbooks.DefaultRemediationDebounce,
		ComplianceTimeout: runbooks.DefaultComplianceTimeout, CompliancePoll: runbooks.DefaultCompliancePoll, Workers: 8,
		ClaimTTL: runbooks.DefaultClaimTTL}
}

func (d *decoder) remediationSection(r *Remediation) func(*yaml.Node, string) {
	return d.section(
		field{"queue_url", "The SQS queue the EventBridge rule on Config compliance changes feeds (deploy/terraform: `remediation_queue_url`). Every replica long-polls it; a message is deleted only once its event is recorded.", d.str(&r.QueueURL)},
		field{"dlq_url", "The queue's dead-letter queue: messages the intake refuses (malformed, another rule) land there through the queue's redrive policy.", d.str(&r.DLQURL)},
		field{"rules", "Config rules whose compliance changes start remediations; events of other rules are refused.", d.strs(&r.Rules)},
		field{"debounce", "How long a tenant's remediation collects events before its card asks for approval: one card per tenant per window.", d.duration(&r.Debounce, "m")},
		field{"compliance_timeout", "How long after patching to wait for Config to report the instances COMPLIANT before the card says they are not.", d.duration(&r.ComplianceTimeout, "m")},
		field{"compliance_poll", "How often Config's verdicts are read while waiting for COMPLIANT (GetComplianceDetailsByConfigRule, paged through the rule's results).", d.duration(&r.CompliancePoll, "s")},
		field{"http_listen", "Address of the signed HTTP intake `POST /events/config` (for estates that forward the event otherwise); empty: none.", d.str(&r.HTTPListen)},
		field{"http_secret", "HMAC-SHA256 key of the HTTP intake (header `X-Patchgate-Signature: sha256=<hex of HMAC(timestamp.body)>` with `X-Patchgate-Timestamp`). Required with `http_listen`.", text(d, &r.HTTPSecret)},
		field{"workers", "Queue messages handled at once per replica.", d.integer(&r.Workers)},
		field{"claim_ttl", "How long each compliance event's claim is kept, so a redelivered event is recognised and recorded once; then the store deletes it. Longer than SQS's maximum retention (14 days). Default 15 days (360h).", d.duration(&r.ClaimTTL, "h")},
	)
}

// checkRemediation validates the remediation section.
func (d *decoder) checkRemediation(c *Config) {
	r := &c.Remediation
	d.checkSecret("remediation.http_secret", r.HTTPSecret)
	checkQueue := func(key, u string) {
		if u == "" {
			return
		}
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" || len(p.Path) < 2 {
			d.at(key, "%q is not a queue URL (https://sqs.<region>.amazonaws.com/<account>/<queue>)", u)
		}
	}
	checkQueue("remediation.queue_url", r.QueueURL)
	checkQueue("remediation.dlq_url", r.DLQURL)
	if r.DLQURL != "" && r.DLQURL == r.QueueURL {
		d.at("remediation.dlq_url", "is the intake queue itself; name its dead-letter queue")
	}
	if r.DLQURL != "" && r.QueueURL == "" {
		d.at("remediation.dlq_url", "is set without remediation.queue_url")
	}
	if len(r.Rules) == 0 {
		d.at("remediation.rules", "lists no Config rule; leave it out for %s", DefaultRemediationRule)
	}
	seen := map[string]bool{}
	for i, rule := range r.Rules {
		switch {
		case rule == "":
			d.at(index("remediation.rules", i), "is empty")
		case seen[rule]:
			d.at(index("remediation.rules", i), "%q is listed twice", rule)
		}
		seen[rule] = true
	}
	if r.Debounce < time.Minute || r.Debounce > 24*time.Hour {
		d.at("remediation.debounce", "must be between 1m and 24h, got %s", r.Debounce)
	}
	if r.ComplianceTimeout < 5*time.Minute {
		d.at("remediation.compliance_timeout", "must be at least 5m (Config evaluates in minutes), got %s", r.ComplianceTimeout)
	}
	if r.CompliancePoll < 10*time.Second || r.CompliancePoll > r.ComplianceTimeout {
		d.at("remediation.compliance_poll", "must be between 10s and compliance_timeout (%s), got %s", r.ComplianceTimeout, r.CompliancePoll)
	}
	if r.HTTPListen != "" {
		if _, _, err := net.SplitHostPort(r.HTTPListen); err != nil {
			d.at("remediation.http_listen", "%q is not host:port", r.HTTPListen)
		}
		if r.HTTPSecret.IsZero() {
			d.at("remediation.http_secret", "is required with remediation.http_listen: unsigned events are refused")
		}
	}
	d.atLeast("remediation.workers", r.Workers, 1)
	if r.ClaimTTL <= sqsMaxRetention {
		d.at("remediation.claim_ttl", "must be longer than SQS's maximum retention of 14 days (336h), so a redelivered event is still recognised; got %s", r.ClaimTTL)
	}
}
