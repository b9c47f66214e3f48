package aws

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"os"
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
	sum, md := sha256.Sum256(data), md5.Sum(data)
	return p.putObject(ctx, name, contentType, bytes.NewReader(data), int64(len(data)), sum[:], md[:])
}

// PutStream is Put for a file being written: it is spooled to a temporary
// file while its SHA-256 and MD5 are computed (S3 wants both before the
// body), then uploaded from there, so a 20,000-host evidence JSON is never
// held whole in memory. Where no temporary file can be made (a read-only
// file system) the file is kept in memory and Put as before.
func (p *Provider) PutStream(ctx context.Context, name, contentType string, write func(io.Writer) error) (runbooks.ArchivedFile, error) {
	f, err := os.CreateTemp("", "patchgate-report-*")
	if err != nil {
		var buf bytes.Buffer
		if err := write(&buf); err != nil {
			return runbooks.ArchivedFile{}, err
		}
		return p.Put(ctx, name, buf.Bytes(), contentType)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	sum, md := sha256.New(), md5.New()
	w := bufio.NewWriterSize(io.MultiWriter(f, sum, md), 64<<10)
	if err := write(w); err != nil {
		return runbooks.ArchivedFile{}, err
	}
	if err := w.Flush(); err != nil {
		return runbooks.ArchivedFile{}, fmt.Errorf("spool %s: %w", name, err)
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		return runbooks.ArchivedFile{}, fmt.Errorf("spool %s: %w", name, err)
	}
	return p.putObject(ctx, name, contentType, f, size, sum.Sum(nil), md.Sum(nil))
}

func (p *Provider) putObject(ctx context.Context, name, contentType string, body io.ReadSeeker, size int64, sum, md []byte) (runbooks.ArchivedFile, error) {
	a := p.cfg.Archive
	if a.Bucket == "" {
		return runbooks.ArchivedFile{}, fmt.Errorf("aws archive: no bucket configured")
	}
	key := path.Join(a.Prefix, name)
	in := &s3.PutObjectInput{
		Bucket: aws.String(a.Bucket), Key: aws.String(key), Body: body,
		ContentType: aws.String(contentType), ContentLength: aws.Int64(size),
		ContentMD5: aws.String(base64.StdEncoding.EncodeToString(md)),
		Metadata:   map[string]string{"sha256": hex.EncodeToString(sum)},
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
	return runbooks.ArchivedFile{Name: name, SHA256: hex.EncodeToString(sum), Size: size,
		Location: "s3://" + a.Bucket + "/" + key, URL: req.URL}, nil
}
