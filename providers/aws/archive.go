package aws

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"path"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/patchgate/patchgate/runbooks"
)

// Put stores one report file under the configured prefix and returns a
// presigned GET URL. With a configured KMS key the object is written with
// SSE-KMS under that key; without one no encryption header is sent, so the
// bucket's default encryption (often SSE-KMS with the bank's key) applies. The key is the name, so putting a name twice keeps one
// object (a versioned bucket keeps the history).
func (p *Provider) Put(ctx context.Context, name string, data []byte, contentType string) (runbooks.ArchivedFile, error) {
	a := p.cfg.Archive
	if a.Bucket == "" {
		return runbooks.ArchivedFile{}, fmt.Errorf("aws archive: no bucket configured")
	}
	key := path.Join(a.Prefix, name)
	sum := sha256.Sum256(data)
	md := md5.Sum(data)
	in := &s3.PutObjectInput{
		Bucket: aws.String(a.Bucket), Key: aws.String(key), Body: bytes.NewReader(data),
		ContentType: aws.String(contentType), ContentLength: aws.Int64(int64(len(data))),
		ContentMD5: aws.String(base64.StdEncoding.EncodeToString(md[:])),
		Metadata:   map[string]string{"sha256": hex.EncodeToString(sum[:])},
	}
	if a.KMSKeyID != "" {
		in.ServerSideEncryption, in.SSEKMSKeyId = s3types.ServerSideEncryptionAwsKms, aws.String(a.KMSKeyID)
	}
	c := p.s3Client()
	if _, err := c.PutObject(ctx, in); err != nil {
		return runbooks.ArchivedFile{}, fmt.Errorf("s3 PutObject s3://%s/%s: %w", a.Bucket, key, err)
	}
	req, err := s3.NewPresignClient(p.presignS3Client(), s3.WithPresignExpires(a.PresignExpiry)).PresignGetObject(ctx,
		&s3.GetObjectInput{Bucket: aws.String(a.Bucket), Key: aws.String(key)})
	if err != nil {
		return runbooks.ArchivedFile{}, fmt.Errorf("presign s3://%s/%s: %w", a.Bucket, key, err)
	}
	return runbooks.ArchivedFile{Name: name, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)),
		Location: "s3://" + a.Bucket + "/" + key, URL: req.URL}, nil
}
