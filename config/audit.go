package config

import (
	"path/filepath"
	"time"

	"gopkg.in/yaml.v3"
)

// Audit signs the heads of the audit chains with a key the store never
// holds and anchors them outside the store (see state/checkpoint).
type Audit struct {
	Signing AuditSigning
	Anchor  AuditAnchor
}

// AuditSigning is the checkpoint key: an Ed25519 private key by reference,
// or an AWS KMS asymmetric key (ECC_NIST_P256, SIGN_VERIFY) whose private
// half never leaves KMS. Neither set: chains are not signed.
type AuditSigning struct {
	Key       Secret // Ed25519 private key, PEM PKCS #8 or base64 seed
	KMSKey    string // KMS key ID, ARN or alias
	KMSRegion string
	// KeyID labels the key in checkpoints (default: its fingerprint, or
	// the KMS key as written).
	KeyID string
	// PublicKeys are earlier keys by key ID (absolute paths to PEM public
	// keys), so checkpoints signed before a rotation still verify.
	PublicKeys map[string]string
	// Every and Interval bound how much of a running cycle's chain can go
	// unanchored; a finished cycle is always anchored.
	Every    int
	Interval time.Duration
}

// AuditAnchor is where signed checkpoints are kept: an append-only
// directory (single replica) or an S3 bucket with Object Lock.
type AuditAnchor struct {
	Dir string
	S3  AuditS3
}

// AuditS3 is an S3 anchor. The bucket must have Object Lock enabled.
type AuditS3 struct {
	Bucket        string
	Prefix        string
	Region        string
	RetentionDays int    // default 400 (PCI DSS 10.5.1: 12 months, with margin)
	Mode          string // COMPLIANCE (default) or GOVERNANCE
}

// Enabled reports whether a signing key is configured.
func (s AuditSigning) Enabled() bool { return s.Key != "" || s.KMSKey != "" }

func (d *decoder) audit(a *Audit) func(*yaml.Node, string) {
	return d.section(
		field{"signing", "The checkpoint key, which the store never holds: `key` (Ed25519) or `kms_key` (AWS KMS). Neither: chains are hash-chained only.", d.section(
			field{"key", "Ed25519 private key reference (`file:/abs/path` or `env:NAME`): PEM PKCS #8 (`openssl genpkey -algorithm ed25519`) or the base64 of the 32-byte seed.", text(d, &a.Signing.Key)},
			field{"kms_key", "AWS KMS asymmetric key (ECC_NIST_P256, SIGN_VERIFY) by ID, ARN or alias; needs `kms:Sign` and `kms:GetPublicKey`.", d.str(&a.Signing.KMSKey)},
			field{"kms_region", "The KMS key's region; empty: the SDK's default.", d.str(&a.Signing.KMSRegion)},
			field{"key_id", "Label of the key in checkpoints; default: its fingerprint (Ed25519) or `kms_key`.", d.str(&a.Signing.KeyID)},
			field{"public_keys", "Earlier keys by key ID: absolute paths to PEM public keys, so checkpoints signed before a rotation still verify.", d.strMap(&a.Signing.PublicKeys)},
			field{"every", "Checkpoint a running cycle's chain at least every this many entries.", d.integer(&a.Signing.Every)},
			field{"interval", "…and at least this often while it has new entries. A finished cycle is always checkpointed before it is archived.", d.duration(&a.Signing.Interval, "m")},
		)},
		field{"anchor", "Where signed checkpoints are kept, outside the store: `dir` or `s3`.", d.section(
			field{"dir", "Append-only directory (absolute path) for single-replica installs; files are created once and never rewritten.", d.str(&a.Anchor.Dir)},
			field{"s3", "An S3 bucket with Object Lock enabled; every checkpoint is written once with a retention date.", d.section(
				field{"bucket", "Bucket name.", d.str(&a.Anchor.S3.Bucket)},
				field{"prefix", "Key prefix inside the bucket.", d.str(&a.Anchor.S3.Prefix)},
				field{"region", "The bucket's region; empty: the SDK's default.", d.str(&a.Anchor.S3.Region)},
				field{"retention_days", "Object Lock retention of each checkpoint (PCI DSS 10.5.1 asks for 12 months).", d.integer(&a.Anchor.S3.RetentionDays)},
				field{"mode", "`COMPLIANCE` (nobody, root included, can shorten it) or `GOVERNANCE`.", d.str(&a.Anchor.S3.Mode)},
			)},
		)},
	)
}

// checkAudit validates the audit section.
func (d *decoder) checkAudit(a *Audit) {
	s := a.Signing
	d.checkSecret("audit.signing.key", s.Key)
	if s.Key != "" && s.KMSKey != "" {
		d.at("audit.signing", "set key or kms_key, not both")
	}
	for id, p := range s.PublicKeys {
		if !filepath.IsAbs(p) {
			d.at("audit.signing.public_keys."+id, "%q: the path must be absolute, so it does not depend on the working directory", p)
		}
	}
	d.atLeast("audit.signing.every", s.Every, 1)
	d.positive("audit.signing.interval", s.Interval)
	an := a.Anchor
	if an.Dir != "" && !filepath.IsAbs(an.Dir) {
		d.at("audit.anchor.dir", "%q: the path must be absolute", an.Dir)
	}
	if an.Dir != "" && an.S3.Bucket != "" {
		d.at("audit.anchor", "set dir or s3, not both")
	}
	if s.Enabled() && an.Dir == "" && an.S3.Bucket == "" {
		d.at("audit.anchor", "a signing key needs an anchor (dir or s3) to keep its checkpoints outside the store")
	}
	d.atLeast("audit.anchor.s3.retention_days", an.S3.RetentionDays, 1)
	if m := an.S3.Mode; m != "COMPLIANCE" && m != "GOVERNANCE" {
		d.at("audit.anchor.s3.mode", "%q%s", m, want(m, "COMPLIANCE", "GOVERNANCE"))
	}
}
