package aws

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/patchgate/patchgate/providers/aws/awstest"
	"github.com/patchgate/patchgate/runbooks"
)

// TestArchiveBucketDefaultKMSMoto: without kms_key_id the bot sends no
// encryption header, so a bucket whose default is SSE-KMS keeps its key on
// the evidence (it is not overridden with SSE-S3).
func TestArchiveBucketDefaultKMSMoto(t *testing.T) {
	moto := awstest.Moto(t)
	ctx := context.Background()
	s3c := motoS3(moto)
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("evidence-default")}); err != nil {
		t.Fatal(err)
	}
	const key = "arn:aws:kms:us-east-1:111111111111:key/bank-evidence"
	if _, err := s3c.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: aws.String("evidence-default"),
		ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{Rules: []s3types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{
				SSEAlgorithm: s3types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String(key)}}}}}); err != nil {
		t.Fatal(err)
	}
	var sseHeaders atomic.Int32
	spy := spyProxy(t, moto, func(r *http.Request) {
		if r.Method == http.MethodPut && r.Header.Get("X-Amz-Server-Side-Encryption") != "" {
			sseHeaders.Add(1)
		}
	})
	cfg := testConfig(moto, "")
	cfg.Endpoints["s3"] = spy
	cfg.Archive = Archive{Bucket: "evidence-default"}
	if _, err := newProvider(t, cfg).Put(ctx, "report.pdf", []byte("%PDF-1.7"), "application/pdf"); err != nil {
		t.Fatal(err)
	}
	if n := sseHeaders.Load(); n != 0 {
		t.Errorf("PutObject carried an encryption header %d time(s) without kms_key_id", n)
	}
	head, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("evidence-default"), Key: aws.String("report.pdf")})
	if err != nil {
		t.Fatal(err)
	}
	if head.ServerSideEncryption != s3types.ServerSideEncryptionAwsKms || aws.ToString(head.SSEKMSKeyId) != key {
		t.Errorf("object encryption = %s key %q, want the bucket's default aws:kms with %s", head.ServerSideEncryption, aws.ToString(head.SSEKMSKeyId), key)
	}
}

// TestArchivePresignEndpointMoto: the bot writes through its (private)
// S3 endpoint, while the link people get names the public one.
func TestArchivePresignEndpointMoto(t *testing.T) {
	moto := awstest.Moto(t)
	ctx := context.Background()
	if _, err := motoS3(moto).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("evidence")}); err != nil {
		t.Fatal(err)
	}
	var privatePuts atomic.Int32
	private := spyProxy(t, moto, func(r *http.Request) {
		if r.Method == http.MethodPut {
			privatePuts.Add(1)
		}
	})
	cfg := testConfig(moto, "")
	cfg.Endpoints["s3"] = private
	cfg.Archive = Archive{Bucket: "evidence", PresignEndpoint: moto}
	f, err := newProvider(t, cfg).Put(ctx, "r.pdf", []byte("%PDF"), "application/pdf")
	if err != nil {
		t.Fatal(err)
	}
	if privatePuts.Load() != 1 {
		t.Errorf("PutObject went through the private endpoint %d time(s), want 1", privatePuts.Load())
	}
	if !strings.HasPrefix(f.URL, moto+"/evidence/r.pdf?") {
		t.Fatalf("presigned URL %s does not name the public endpoint %s", f.URL, moto)
	}
	resp, err := http.Get(f.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET presigned URL at the public endpoint = %d, want 200 (the signature covers its host)", resp.StatusCode)
	}
}

// TestEndpointURLMoto: one endpoint_url reaches every service (here EC2,
// SSM and STS through moto plus the SSM fake), and a per-service entry
// overrides it.
func TestEndpointURLMoto(t *testing.T) {
	moto := awstest.Moto(t)
	fake := awstest.NewServer(t)
	fake.Upstream = moto
	runInstances(t, moto, acctA, 2, map[string]string{"tier": "web"})
	var viaCommon atomic.Int32
	common := spyProxy(t, moto, func(*http.Request) { viaCommon.Add(1) })
	cfg := testConfig(moto, "")
	cfg.EndpointURL = common
	cfg.Endpoints = map[string]string{"ssm": fake.URL}
	p := newProvider(t, cfg)
	hosts, err := p.Hosts(context.Background(), runbooks.Tenant{Name: "acme"}, awsEnv("nonprod", map[string]string{"tier": "web"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(hosts) != 2 {
		t.Errorf("hosts = %d, want the 2 moto instances", len(hosts))
	}
	if viaCommon.Load() == 0 {
		t.Error("no call went to endpoint_url")
	}
	if fake.Calls("ssm.DescribeInstanceInformation") == 0 {
		t.Error("the ssm override was not used")
	}
}

func motoS3(moto string) *s3.Client {
	return s3.NewFromConfig(aws.Config{Region: region, Credentials: staticCreds}, func(o *s3.Options) {
		o.BaseEndpoint, o.UsePathStyle = aws.String(moto), true
	})
}

// spyProxy forwards to target and shows each request to see first.
func spyProxy(t *testing.T, target string, see func(*http.Request)) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		see(r)
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
