package aws

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/patchgate/patchgate/providers/aws/awstest"
	"github.com/patchgate/patchgate/state/checkpoint"
)

// TestAnchorS3ObjectLockMoto: in a bucket with Object Lock enabled the
// notary's checkpoints land locked in compliance mode until the clock's now
// plus the configured days, read back as a verified chain, and neither a
// second write of a name (through the anchor) nor a delete of the locked
// version is accepted; the object stays as written.
func TestAnchorS3ObjectLockMoto(t *testing.T) {
	moto := awstest.Moto(t)
	ctx := context.Background()
	cfg := aws.Config{Region: region, Credentials: staticCreds}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint, o.UsePathStyle, o.RetryMaxAttempts = aws.String(moto), true, 1
	})
	const bucket = "patchgate-anchor"
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}

	now := time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC)
	anchor := NewS3Anchor(cfg, moto, bucket, "acme/checkpoints", 30, "")
	anchor.Now = func() time.Time { return now }
	signer := &checkpoint.Ed25519Signer{ID: "ops-2026", Key: ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, ed25519.SeedSize))}
	n := &checkpoint.Notary{Signer: signer, Anchor: anchor, Every: 1, Now: func() time.Time { return now }}
	const stream = "audit/acme-cu-20261206-0200-abcdef"
	for seq, head := range []string{"aa11", "bb22", "cc33"} {
		if _, err := n.Checkpoint(ctx, stream, int64(seq+1), head, seq == 2); err != nil {
			t.Fatalf("checkpoint seq %d: %v", seq+1, err)
		}
	}

	keys := &checkpoint.Keyring{}
	if err := keys.Add(signer.KeyID(), signer.Public()); err != nil {
		t.Fatal(err)
	}
	chains, findings, err := checkpoint.VerifyAnchor(ctx, anchor, keys)
	if err != nil || len(findings) > 0 || chains[stream] == nil || chains[stream].Count != 3 || chains[stream].Latest.Seq != 3 {
		t.Fatalf("the anchored chain: %+v, findings %v, err %v", chains[stream], findings, err)
	}

	name := checkpoint.Name(stream, 3)
	key := "acme/checkpoints/" + name
	want := now.Add(30 * 24 * time.Hour)
	// HeadObject carries the lock (moto answers GetObjectRetention with a
	// VersionId with HTTP 500; HeadObject's headers are AWS's documented shape).
	head, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	if head.ObjectLockMode != s3types.ObjectLockModeCompliance || head.ObjectLockRetainUntilDate == nil || !head.ObjectLockRetainUntilDate.Equal(want) {
		t.Fatalf("%s: lock mode %q until %v, want COMPLIANCE until %v", key, head.ObjectLockMode, head.ObjectLockRetainUntilDate, want)
	}
	written, err := anchor.Get(ctx, name)
	if err != nil {
		t.Fatal(err)
	}

	if err := anchor.Put(ctx, name, []byte(`{"forged":true}`)); !errors.Is(err, checkpoint.ErrExists) {
		t.Errorf("a second Put of %s: %v, want ErrExists", name, err)
	}
	if _, err := s3c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: head.VersionId}); err == nil {
		t.Errorf("deleting the locked version %s of %s succeeded", aws.ToString(head.VersionId), key)
	}
	// moto accepts a shorter compliance retention (AWS refuses it), so
	// that refusal is not checked here.
	after, err := anchor.Get(ctx, name)
	if err != nil || !bytes.Equal(after, written) {
		t.Errorf("%s after the refused writes: %q (%v), want it as written", name, after, err)
	}

	// What S3 does allow: a delete marker over the latest checkpoint and a
	// newer version of an earlier one. Neither changes what the anchor reads.
	if _, err := s3c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err != nil {
		t.Fatalf("add a delete marker: %v", err)
	}
	second := "acme/checkpoints/" + checkpoint.Name(stream, 2)
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(second),
		Body: bytes.NewReader([]byte(`{"forged":true}`)), ChecksumAlgorithm: s3types.ChecksumAlgorithmSha256}); err != nil {
		t.Fatalf("put a newer version: %v", err)
	}
	chains, findings, err = checkpoint.VerifyAnchor(ctx, anchor, keys)
	if err != nil || len(findings) > 0 || chains[stream] == nil || chains[stream].Count != 3 || chains[stream].Latest.Seq != 3 {
		t.Fatalf("the anchored chain after a delete marker and a newer version: %+v, findings %v, err %v", chains[stream], findings, err)
	}
}
