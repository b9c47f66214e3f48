package aws

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state/checkpoint"
)

// anchorS3 is the part of the S3 client the anchor calls.
type anchorS3 interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	ListObjectVersions(ctx context.Context, in *s3.ListObjectVersionsInput, opts ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error)
}

// S3Anchor keeps signed checkpoints in a bucket with Object Lock: each is
// written once (If-None-Match: *, so a second write of a name is refused)
// with a retention date in compliance mode, so nobody, the bucket's owner
// included, can delete or overwrite it before the date.
//
// What the lock protects is the first version of each name: a delete
// without a version ID only adds a delete marker, which hides the name from
// ListObjectsV2, and a plain PutObject adds a newer current version. So the
// anchor lists versions and reads each name's first version, never the
// current object.
type S3Anchor struct {
	Bucket    string
	Prefix    string
	Retention time.Duration // default 400 days
	Mode      s3types.ObjectLockMode
	Now       func() time.Time
	client    anchorS3
}

var _ checkpoint.Anchor = (*S3Anchor)(nil)

// NewS3Anchor builds an anchor on cfg; endpoint (empty: AWS's) points it at
// an emulator in tests.
func NewS3Anchor(cfg aws.Config, endpoint, bucket, prefix string, retentionDays int, mode string) *S3Anchor {
	c := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint, o.UsePathStyle = aws.String(endpoint), true
		}
	})
	a := &S3Anchor{Bucket: bucket, Prefix: prefix, Mode: s3types.ObjectLockMode(mode), client: c}
	if retentionDays > 0 {
		a.Retention = time.Duration(retentionDays) * 24 * time.Hour
	}
	return a
}

func (a *S3Anchor) String() string { return "s3://" + path.Join(a.Bucket, a.Prefix) }

func (a *S3Anchor) key(name string) string { return path.Join(a.Prefix, name) }

// Put writes name once, locked until now + Retention.
func (a *S3Anchor) Put(ctx context.Context, name string, data []byte) error {
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	retention, mode := a.Retention, a.Mode
	if retention <= 0 {
		retention = 400 * 24 * time.Hour
	}
	if mode == "" {
		mode = s3types.ObjectLockModeCompliance
	}
	sum := sha256.Sum256(data)
	_, err := a.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(a.Bucket), Key: aws.String(a.key(name)), Body: bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))), ContentType: aws.String("application/json"),
		IfNoneMatch: aws.String("*"),
		// S3 refuses an object with a retention date unless the request
		// names its checksum algorithm (x-amz-sdk-checksum-algorithm) or
		// carries Content-MD5; the value alone is not enough.
		ChecksumAlgorithm:         s3types.ChecksumAlgorithmSha256,
		ChecksumSHA256:            aws.String(base64.StdEncoding.EncodeToString(sum[:])),
		ObjectLockMode:            mode,
		ObjectLockRetainUntilDate: aws.Time(now().Add(retention).UTC()),
	})
	var ae smithy.APIError
	if errors.As(err, &ae) && (ae.ErrorCode() == "PreconditionFailed" || ae.ErrorCode() == "ConditionalRequestConflict") {
		return fmt.Errorf("s3 PutObject s3://%s/%s: %w", a.Bucket, a.key(name), checkpoint.ErrExists)
	}
	if err != nil {
		return fmt.Errorf("s3 PutObject s3://%s/%s: %w", a.Bucket, a.key(name), err)
	}
	return nil
}

// Get reads the first version written under name, the one Object Lock keeps.
func (a *S3Anchor) Get(ctx context.Context, name string) ([]byte, error) {
	key := a.key(name)
	first, err := a.firstVersion(ctx, key)
	if err != nil {
		return nil, err
	}
	out, err := a.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(a.Bucket), Key: aws.String(key), VersionId: first})
	if err != nil {
		return nil, fmt.Errorf("s3 GetObject s3://%s/%s version %s: %w", a.Bucket, key, aws.ToString(first), err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, fmt.Errorf("read s3://%s/%s: %w", a.Bucket, key, err)
	}
	return b, nil
}

// firstVersion is the ID of key's oldest version; S3 lists a key's
// versions newest first.
func (a *S3Anchor) firstVersion(ctx context.Context, key string) (*string, error) {
	var first *string
	err := a.versions(ctx, key, func(v s3types.ObjectVersion) {
		if aws.ToString(v.Key) == key {
			first = v.VersionId
		}
	})
	if err != nil {
		return nil, err
	}
	if first == nil {
		return nil, fmt.Errorf("s3 s3://%s/%s: %w", a.Bucket, key, checkpoint.ErrAbsent)
	}
	return first, nil
}

// versions pages through every object version under prefix (delete
// markers left out).
func (a *S3Anchor) versions(ctx context.Context, prefix string, fn func(s3types.ObjectVersion)) error {
	p := s3.NewListObjectVersionsPaginator(a.client, &s3.ListObjectVersionsInput{Bucket: aws.String(a.Bucket), Prefix: aws.String(prefix)})
	guard := runbooks.PageGuard{Loop: fmt.Sprintf("s3 ListObjectVersions s3://%s/%s", a.Bucket, prefix)}
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("s3 ListObjectVersions s3://%s/%s: %w", a.Bucket, prefix, err)
		}
		next := ""
		if aws.ToBool(page.IsTruncated) {
			next = aws.ToString(page.NextKeyMarker) + "\x00" + aws.ToString(page.NextVersionIdMarker)
		}
		if err := guard.Next(next); err != nil {
			return err
		}
		for _, v := range page.Versions {
			fn(v)
		}
	}
	return nil
}

// List returns the names under prefix that have any version, sorted.
func (a *S3Anchor) List(ctx context.Context, prefix string) ([]string, error) {
	full := a.key(prefix)
	if strings.HasSuffix(prefix, "/") {
		full += "/"
	}
	strip := ""
	if a.Prefix != "" {
		strip = strings.TrimSuffix(a.Prefix, "/") + "/"
	}
	seen := map[string]bool{}
	var out []string
	err := a.versions(ctx, full, func(v s3types.ObjectVersion) {
		if name := strings.TrimPrefix(aws.ToString(v.Key), strip); !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(out)
	return out, nil
}
