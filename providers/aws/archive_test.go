package aws

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/patchgate/patchgate/providers/aws/awstest"
	"github.com/patchgate/patchgate/reports"
)

// TestArchiveMoto: a report goes to bucket/prefix, putting the
// same name twice keeps one object, and the presigned URL serves it.
func TestArchiveMoto(t *testing.T) {
	moto := awstest.Moto(t)
	ctx := context.Background()
	s3c := s3.NewFromConfig(aws.Config{Region: region, Credentials: staticCreds}, func(o *s3.Options) {
		o.BaseEndpoint, o.UsePathStyle = aws.String(moto), true
	})
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("evidence")}); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(moto, "")
	cfg.Archive = Archive{Bucket: "evidence", Prefix: "patchgate/acme", PresignExpiry: 15 * time.Minute}
	p := newProvider(t, cfg)

	data := []byte("%PDF-1.7 cycle report v1")
	if _, err := p.Put(ctx, "acme-20261122.pdf", []byte("first draft"), "application/pdf"); err != nil {
		t.Fatal(err)
	}
	f, err := p.Put(ctx, "acme-20261122.pdf", data, "application/pdf")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if f.Location != "s3://evidence/patchgate/acme/acme-20261122.pdf" || f.SHA256 != hex.EncodeToString(sum[:]) || f.Size != int64(len(data)) {
		t.Errorf("archived = %+v", f)
	}
	list, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("evidence")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Contents) != 1 {
		t.Fatalf("bucket holds %d objects after two puts of one name, want 1", len(list.Contents))
	}
	if !strings.Contains(f.URL, "X-Amz-Expires=900") {
		t.Errorf("presigned URL %s does not carry the 15-minute expiry", f.URL)
	}
	resp, err := http.Get(f.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(body) != string(data) {
		t.Fatalf("GET presigned URL = %d %q, want 200 and the second upload", resp.StatusCode, body)
	}
}

// TestArchiveKMSMoto: with a KMS key configured the object is stored with
// SSE-KMS under that key.
func TestArchiveKMSMoto(t *testing.T) {
	moto := awstest.Moto(t)
	ctx := context.Background()
	s3c := s3.NewFromConfig(aws.Config{Region: region, Credentials: staticCreds}, func(o *s3.Options) {
		o.BaseEndpoint, o.UsePathStyle = aws.String(moto), true
	})
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("evidence-kms")}); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(moto, "")
	cfg.Archive = Archive{Bucket: "evidence-kms", KMSKeyID: "alias/patchgate-evidence"}
	f, err := newProvider(t, cfg).Put(ctx, "report.json", []byte(`{"cycle":"c"}`), "application/json")
	if err != nil {
		t.Fatal(err)
	}
	head, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("evidence-kms"), Key: aws.String("report.json")})
	if err != nil {
		t.Fatal(err)
	}
	if head.ServerSideEncryption != s3types.ServerSideEncryptionAwsKms || aws.ToString(head.SSEKMSKeyId) == "" ||
		f.Location != "s3://evidence-kms/report.json" || !strings.Contains(f.URL, "X-Amz-Expires=604800") {
		t.Errorf("head = %s %s, archived %+v", head.ServerSideEncryption, aws.ToString(head.SSEKMSKeyId), f)
	}
}

// The report hands its large files to the S3 archive as streams
// (reports.StreamArchive): spooled to disk while hashed, then uploaded
// whole, with the same key, hash, size and presigned URL as Put gives.
var _ reports.StreamArchive = (*Provider)(nil)

func TestArchiveStreamMoto(t *testing.T) {
	moto := awstest.Moto(t)
	ctx := context.Background()
	s3c := s3.NewFromConfig(aws.Config{Region: region, Credentials: staticCreds}, func(o *s3.Options) {
		o.BaseEndpoint, o.UsePathStyle = aws.String(moto), true
	})
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("evidence")}); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(moto, "")
	cfg.Archive = Archive{Bucket: "evidence", Prefix: "patchgate/acme", PresignExpiry: 15 * time.Minute}
	p := newProvider(t, cfg)

	var want bytes.Buffer
	f, err := p.PutStream(ctx, "c-1/evidence.json", "application/json", func(w io.Writer) error {
		for i := range 20000 { // ~0.5 MB in small writes, as the evidence encoder makes them
			line := fmt.Sprintf(`{"id":"i-%08d","name":"host-%d"},`, i, i)
			want.WriteString(line)
			if _, err := io.WriteString(w, line); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(want.Bytes())
	if f.Location != "s3://evidence/patchgate/acme/c-1/evidence.json" || f.SHA256 != hex.EncodeToString(sum[:]) || f.Size != int64(want.Len()) {
		t.Errorf("archived = %+v", f)
	}
	obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("evidence"), Key: aws.String("patchgate/acme/c-1/evidence.json")})
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Body.Close()
	got, _ := io.ReadAll(obj.Body)
	if !bytes.Equal(got, want.Bytes()) || obj.Metadata["sha256"] != f.SHA256 {
		t.Fatalf("stored %d bytes with sha256 %q, want the %d written and %s", len(got), obj.Metadata["sha256"], want.Len(), f.SHA256)
	}
	if _, err := p.PutStream(ctx, "c-1/broken.json", "application/json", func(io.Writer) error { return io.ErrUnexpectedEOF }); err == nil {
		t.Fatal("a write that failed was archived")
	}
}
