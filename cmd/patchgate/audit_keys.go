package main

import (
	"context"
	"fmt"
	"os"
	"sort"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/patchgate/patchgate/config"
	awsprovider "github.com/patchgate/patchgate/providers/aws"
	"github.com/patchgate/patchgate/state/checkpoint"
)

// auditSigner builds the checkpoint key the audit section names (nil when
// signing is off). The private key is read here and kept in memory only.
func auditSigner(ctx context.Context, a config.Audit, lookup config.Lookup) (checkpoint.Signer, error) {
	s := a.Signing
	switch {
	case s.Key != "":
		text, err := s.Key.Resolve(lookup)
		if err != nil {
			return nil, fmt.Errorf("audit.signing.key: %w", err)
		}
		signer, err := checkpoint.NewEd25519Signer(s.KeyID, text)
		if err != nil {
			return nil, fmt.Errorf("audit.signing.key %s: %w", s.Key, err)
		}
		return signer, nil
	case s.KMSKey != "":
		cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(s.KMSRegion))
		if err != nil {
			return nil, fmt.Errorf("audit.signing.kms_key: load AWS configuration: %w", err)
		}
		signer, err := awsprovider.NewKMSSigner(ctx, cfg, "", s.KMSKey, s.KeyID)
		if err != nil {
			return nil, fmt.Errorf("audit.signing.kms_key: %w", err)
		}
		return signer, nil
	}
	return nil, nil
}

// auditAnchor builds the anchor the audit section names (nil when none).
func auditAnchor(ctx context.Context, a config.Audit) (checkpoint.Anchor, error) {
	an := a.Anchor
	switch {
	case an.Dir != "":
		return checkpoint.Dir{Path: an.Dir}, nil
	case an.S3.Bucket != "":
		cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(an.S3.Region))
		if err != nil {
			return nil, fmt.Errorf("audit.anchor.s3: load AWS configuration: %w", err)
		}
		return awsprovider.NewS3Anchor(cfg, "", an.S3.Bucket, an.S3.Prefix, an.S3.RetentionDays, an.S3.Mode), nil
	}
	return nil, nil
}

// auditKeyring holds every public key checkpoints may be signed with: the
// configured older keys, extra PEM files, and the current signer's.
func auditKeyring(ctx context.Context, a config.Audit, extra []string, signer checkpoint.Signer) (*checkpoint.Keyring, error) {
	keys := &checkpoint.Keyring{}
	ids := make([]string, 0, len(a.Signing.PublicKeys))
	for id := range a.Signing.PublicKeys {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	add := func(id string, pemText []byte) error {
		pub, err := checkpoint.ParsePublicKey(pemText)
		if err != nil {
			return err
		}
		return keys.Add(id, pub)
	}
	for _, id := range ids {
		b, err := os.ReadFile(a.Signing.PublicKeys[id])
		if err != nil {
			return nil, fmt.Errorf("audit.signing.public_keys.%s: %w", id, err)
		}
		if err := add(id, b); err != nil {
			return nil, fmt.Errorf("audit.signing.public_keys.%s: %w", id, err)
		}
	}
	if err := readPublicKeys(extra, add); err != nil {
		return nil, err
	}
	if signer == nil && a.Signing.Enabled() && a.Signing.KMSKey != "" {
		// The KMS key's public half is public: read it rather than ask the
		// operator to keep a copy.
		var err error
		if signer, err = auditSigner(ctx, a, nil); err != nil {
			return nil, err
		}
	}
	if signer == nil && a.Signing.Key != "" {
		// An Ed25519 key in this process' reach: its public half verifies.
		if s, err := auditSigner(ctx, a, nil); err == nil {
			signer = s
		}
	}
	if signer != nil {
		if err := keys.Add(signer.KeyID(), signer.Public()); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// auditNotary builds the checkpoint signer and anchor the audit section
// configures; it is nil without audit.signing. The engine signs audit heads
// with it and the reporter seals the evidence manifest with it.
func auditNotary(ctx context.Context, cfg *config.Config, w wiring) (*checkpoint.Notary, error) {
	signer, err := auditSigner(ctx, cfg.Audit, w.lookup)
	if err != nil || signer == nil {
		return nil, err
	}
	anchor, err := auditAnchor(ctx, cfg.Audit)
	if err != nil {
		return nil, err
	}
	n := &checkpoint.Notary{Signer: signer, Anchor: anchor, Every: int64(cfg.Audit.Signing.Every),
		Interval: cfg.Audit.Signing.Interval}
	if w.clock != nil {
		n.Now = w.clock.Now
	}
	return n, nil
}
