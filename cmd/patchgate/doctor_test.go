package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/patchgate/patchgate/bot/sandbox"
	slackmanifest "github.com/patchgate/patchgate/deploy/slack"
	"github.com/patchgate/patchgate/providers/aws/awstest"
	"github.com/patchgate/patchgate/providers/azure/azuretest"
	"github.com/patchgate/patchgate/providers/dynatrace/dynatracetest"
	"github.com/patchgate/patchgate/providers/falcon/falcontest"
	"github.com/patchgate/patchgate/providers/gcp/gcptest"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

const (
	doctorAccount      = "111111111111"
	doctorSubscription = "8f2c1a9e-3b4d-4e5f-9a6b-7c8d9e0f1a2b"
	doctorProject      = "acme-cu-prod"
	doctorFalconSecret = "falcon-doctor-client-secret"
)

// doctorRig is a healthy estate of real peers and documented fakes: moto
// (EC2, S3) behind the SSM/STS fake, the sandbox Slack, Azure Resource
// Manager with an App Service managed identity endpoint, GCP (token, Compute,
// OS Config), Falcon, Dynatrace, a bbolt file and a terraform workspace. Each field a test changes breaks
// one integration.
type doctorRig struct {
	dir      string
	moto     string
	fake     *awstest.Server
	dt       *dynatracetest.Server
	azure    *azuretest.Server
	gcp      *gcptest.Server
	gcpKey   string
	falcon   *falcontest.Server
	slack    sandbox.Options
	bucket   string
	extID    string
	pdKey    string
	tfDir    string
	boltPath string
}

func newDoctorRig(t *testing.T) *doctorRig {
	t.Helper()
	r := &doctorRig{dir: t.TempDir(), bucket: "evidence-locked", extID: "acme-patchgate", pdKey: "R0123456789abcdef0123456789ABCDE"}
	r.boltPath = filepath.Join(r.dir, "state.db")
	r.moto = awstest.Moto(t)
	r.fake = awstest.NewServer(t)
	r.fake.Upstream = r.moto
	r.fake.Trust(doctorAccount, "acme-patchgate")
	r.fake.Add(awstest.Instance{ID: "i-0aaa", Account: doctorAccount, Name: "web-1", SSM: &awstest.Agent{PingStatus: "Online", PlatformName: "Amazon Linux"}})
	r.fake.AddBaseline(awstest.Baseline{ID: "pb-0default00000000", OperatingSystem: "AMAZON_LINUX_2023",
		Severities: []string{"Critical", "High"}, Classifications: []string{"Security"}, ApproveAfterDays: 7}, "")
	r.dt = dynatracetest.New(t, "dt0c01.doctor.secret")
	r.azure = azuretest.New(t)
	for k, v := range r.azure.IdentityEnv() {
		t.Setenv(k, v)
	}
	r.gcp = gcptest.New(t)
	r.gcpKey = r.gcp.ServiceAccountFile(t)
	r.falcon = falcontest.New(t, "falcon-doctor-id", doctorFalconSecret)
	t.Setenv("DOCTOR_FALCON_ID", "falcon-doctor-id")
	t.Setenv("DOCTOR_FALCON_SECRET", doctorFalconSecret)
	r.slack = sandbox.DefaultOptions()
	scopes, err := slackmanifest.BotScopes()
	if err != nil {
		t.Fatal(err)
	}
	r.slack.Scopes = scopes // granted exactly what the manifest asks for
	r.slack.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	r.tfDir = filepath.Join(r.dir, "tf-core")
	if err := os.MkdirAll(r.tfDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r.tfDir, "main.tf"), []byte("resource \"terraform_data\" \"marker\" {\n  input = \"core\"\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cli := filepath.Join(r.dir, "terraformrc")
	if err := os.WriteFile(cli, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TF_CLI_CONFIG_FILE", cli)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIADOCTORBOT")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	t.Setenv("DOCTOR_BOT", r.slack.BotToken)
	t.Setenv("DOCTOR_APP", r.slack.AppToken)
	t.Setenv("DOCTOR_DT", "dt0c01.doctor.secret")
	r.motoSetup(t)
	return r
}

// motoSetup starts two web instances and the evidence buckets: one locked
// and encrypted as deploy/terraform makes it, one plain.
func (r *doctorRig) motoSetup(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIASETUP", "x", "")}
	e := ec2.NewFromConfig(cfg, func(o *ec2.Options) { o.BaseEndpoint = aws.String(r.moto) })
	if _, err := e.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-12c6146b"), MinCount: aws.Int32(2), MaxCount: aws.Int32(2),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance,
			Tags: []ec2types.Tag{{Key: aws.String("tier"), Value: aws.String("web")}}}}}); err != nil {
		t.Fatal(err)
	}
	s := s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint, o.UsePathStyle = aws.String(r.moto), true })
	if _, err := s.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("evidence-locked"), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: aws.String("evidence-locked"),
		ObjectLockConfiguration: &s3types.ObjectLockConfiguration{ObjectLockEnabled: s3types.ObjectLockEnabledEnabled,
			Rule: &s3types.ObjectLockRule{DefaultRetention: &s3types.DefaultRetention{Mode: s3types.ObjectLockRetentionModeCompliance, Days: aws.Int32(365)}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: aws.String("evidence-locked"),
		ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{Rules: []s3types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAwsKms,
				KMSMasterKeyID: aws.String("alias/patchgate-evidence")}}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("evidence-plain")}); err != nil {
		t.Fatal(err)
	}
}

// run writes the rig's configuration, starts its Slack and runs the real
// CLI entry: `patchgate doctor --config FILE`.
func (r *doctorRig) run(t *testing.T) (int, string) {
	t.Helper()
	sb := sandbox.New(r.slack)
	if _, err := sb.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	t.Setenv("DOCTOR_PD", r.pdKey)
	yaml := fmt.Sprintf(`store: {backend: bolt, bolt: {path: %q}}
pipeline:
  - {env: nonprod, approvers: [U0SRE00001], groups: [S0SRE]}
  - {env: production, approvers: [U0CAB00001, U0CAB00002], groups: [S0CHANGEADV], min_approvals: 2}
tenants:
  - name: acme-cu
    environments:
      nonprod:
        targets:
          - {cloud: aws, account: "%s", regions: [us-east-1], selector: {tier: web}}
      production:
        targets:
          - {cloud: aws, account: "%s", regions: [us-east-1], selector: {tier: db}}
          - {cloud: azure, account: %q, regions: [westeurope]}
          - {cloud: gcp, account: %q, regions: [europe-west1-b]}
providers:
  kind: sim
  azure: {credential: default, endpoint: %q}
  gcp: {credentials_file: %q, compute_endpoint: %q, osconfig_endpoint: %q}
  falcon: {client_id: env:DOCTOR_FALCON_ID, client_secret: env:DOCTOR_FALCON_SECRET, base_url: %q}
  aws:
    role_name: "arn:aws:iam::{account}:role/patchgate"
    external_id: %q
    accounts: [{id: "%s", regions: [us-east-1]}]
    endpoints: {ec2: %q, s3: %q, sts: %q, ssm: %q}
    archive: {bucket: %q}
  pagerduty: {routing_key: env:DOCTOR_PD}
  dynatrace:
    url: %q
    token: env:DOCTOR_DT
    selectors: {nonprod: 'type("HOST"),tag("nonprod")', production: 'type("HOST"),tag("production")'}
slack:
  transport: socket
  bot_token: env:DOCTOR_BOT
  app_token: env:DOCTOR_APP
  channel: C0CYCLES01
  api_url: %q
drift:
  workspaces:
    - {name: core, tenant: acme-cu, account: "%s", dir: %q}
`, r.boltPath, doctorAccount, doctorAccount, doctorSubscription, doctorProject,
		r.azure.URL, r.gcpKey, r.gcp.ComputeEndpoint(), r.gcp.OSConfigEndpoint(), r.falcon.URL, r.extID, doctorAccount, r.moto, r.moto, r.fake.URL, r.fake.URL, r.bucket,
		r.dt.URL, sb.APIURL(), doctorAccount, r.tfDir)
	path := filepath.Join(r.dir, "patchgate.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	code := run(context.Background(), []string{"doctor", "--config", path}, &out, &out)
	return code, out.String()
}

// row is the output line of the check whose name starts with name.
func row(out, name string) string {
	for _, l := range strings.Split(out, "\n") {
		f := strings.TrimSpace(l)
		if rest, ok := strings.CutPrefix(f, "ok"); ok && strings.HasPrefix(strings.TrimSpace(rest), name) {
			return f
		}
		if rest, ok := strings.CutPrefix(f, "FAIL"); ok && strings.HasPrefix(strings.TrimSpace(rest), name) {
			return f
		}
	}
	return ""
}

// TestDoctorAllGreen: every configured integration answers as it should,
// so every row is ok and doctor exits 0; the rows name what was found.
func TestDoctorAllGreen(t *testing.T) {
	r := newDoctorRig(t)
	code, out := r.run(t)
	if code != 0 {
		t.Fatalf("doctor exit %d, want 0:\n%s", code, out)
	}
	for name, want := range map[string]string{
		"store bolt":                                   "write, read and delete",
		"slack: auth.test":                             "as @patchgate",
		"slack: granted scopes":                        "manifest scopes granted",
		"slack: bot in C0CYCLES01":                     "member of #patch-cycles",
		"slack: user group S0CHANGEADV":                "2 member(s)",
		"aws 111111111111: assume role":                "assumed-role/patchgate",
		"aws 111111111111 us-east-1: ssm":              "1 managed instance",
		"aws baseline acme-cu/nonprod":                 "pb-0default00000000 for 2 instances without a PatchGroup tag",
		"aws evidence bucket evidence-locked: default": "aws:kms key alias/patchgate-evidence",
		"aws evidence bucket evidence-locked: object":  "COMPLIANCE 365 days",
		"dynatrace " + r.dt.URL + ": token scopes":     "problems.read",
		"pagerduty: routing key":                       "integration-key shape",
		"terraform: binary":                            "terraform 1.",
		"terraform: init core":                         "init ok",
		"azure: token":                                 "token for",
		"azure subscription " + doctorSubscription:     "virtual machine(s) on the first page",
		"gcp: token":                                   "token valid until",
		"gcp project " + doctorProject:                 "inventory read in europe-west1-b",
		"falcon: OAuth2 token":                         "token issued",
		"falcon: API scope Hosts: read":                "devices-scroll query answered",
		"falcon: API scope Sensor update policies":     "supported-kernels query answered",
	} {
		got := row(out, name)
		if !strings.HasPrefix(got, "ok") || !strings.Contains(got, want) {
			t.Errorf("row %q = %q, want ok with %q", name, got, want)
		}
	}
	for _, secret := range []string{r.pdKey, "dt0c01.doctor.secret", r.slack.BotToken, doctorFalconSecret, azuretest.Token, gcptest.Token} {
		if strings.Contains(out, secret) {
			t.Errorf("a secret reached the checklist:\n%s", out)
		}
	}
	if r.azure.Count("GET", "/subscriptions/"+doctorSubscription+"/providers/Microsoft.Compute/virtualMachines") == 0 ||
		r.gcp.Count("osconfig.inventories.list") != 1 || r.gcp.Count("oauth2.token") == 0 || r.falcon.Count("/oauth2/token") == 0 {
		t.Errorf("a cloud was not reached: azure %v, gcp %v", r.azure.Requests(), r.gcp.Counts())
	}
	if r.fake.ExternalID(doctorAccount) != "acme-patchgate" {
		t.Errorf("AssumeRole external ID = %q", r.fake.ExternalID(doctorAccount))
	}
}

// TestDoctorNamesEachBrokenIntegration breaks one integration at a time:
// doctor exits 1 and the failed row names it, with a fix.
func TestDoctorNamesEachBrokenIntegration(t *testing.T) {
	for _, tc := range []struct {
		name   string
		break_ func(*doctorRig)
		row    string
		want   string
	}{
		{"wrong external ID", func(r *doctorRig) { r.extID = "someone-else" }, "aws 111111111111: assume role", "AccessDenied"},
		{"missing scope", func(r *doctorRig) {
			r.slack.Scopes = []string{"chat:write", "commands", "files:write", "channels:read", "groups:read"}
		},
			"slack: granted scopes", "lacks usergroups:read"},
		{"bot not in channel", func(r *doctorRig) {
			r.slack.Channels = []sandbox.Channel{{ID: "C0CYCLES01", Name: "patch-cycles", BotAbsent: true}}
		}, "slack: bot in C0CYCLES01", "/invite"},
		{"bucket without encryption", func(r *doctorRig) { r.bucket = "evidence-plain" }, "aws evidence bucket evidence-plain: default encryption", "no default encryption"},
		{"bucket without object lock", func(r *doctorRig) { r.bucket = "evidence-plain" }, "aws evidence bucket evidence-plain: object lock", "no Object Lock"},
		{"baseline differs", func(r *doctorRig) {
			r.fake.AddBaseline(awstest.Baseline{ID: "pb-0default00000000", OperatingSystem: "AMAZON_LINUX_2023",
				Severities: []string{"Critical"}, Classifications: []string{"Security"}, ApproveAfterDays: 14}, "")
		}, "aws baseline acme-cu/nonprod", "approve after 14 days, declared 7"},
		{"azure 403 on the subscription", func(r *doctorRig) { r.azure.Forbid(doctorSubscription) },
			"azure subscription " + doctorSubscription, "AuthorizationFailed"},
		{"gcp project without os config", func(r *doctorRig) { r.gcp.DisableOSConfig(doctorProject) },
			"gcp project " + doctorProject, "OS Config API is not enabled"},
		{"falcon token lacking a scope", func(r *doctorRig) { r.falcon.SetScopes(falcontest.ScopeHostsRead) },
			"falcon: API scope Sensor update policies: read", "Sensor update policies: read"},
		{"dynatrace scope", func(r *doctorRig) { r.dt.Scopes = []string{"entities.read"} }, "dynatrace", "lacks problems.read"},
		{"pagerduty key", func(r *doctorRig) { r.pdKey = "not-a-key" }, "pagerduty: routing key", "an Events API v2 integration key has 32"},
		{"terraform workspace", func(r *doctorRig) { r.tfDir = filepath.Join(r.dir, "gone") }, "terraform: init core", "missing"},
		{"store", func(r *doctorRig) { r.boltPath = filepath.Join(r.dir, "no", "such", "dir", "state.db") }, "store bolt", "store.bolt.path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newDoctorRig(t)
			tc.break_(r)
			code, out := r.run(t)
			if code != 1 {
				t.Fatalf("doctor exit %d, want 1:\n%s", code, out)
			}
			got := row(out, tc.row)
			if !strings.HasPrefix(got, "FAIL") || !strings.Contains(got, tc.want) {
				t.Fatalf("row %q = %q, want FAIL with %q:\n%s", tc.row, got, tc.want, out)
			}
			// A break stays where it is: an unrelated integration's row is
			// still ok.
			other := "pagerduty: routing key"
			if strings.HasPrefix(tc.row, "pagerduty") {
				other = "store bolt"
			}
			if got := row(out, other); !strings.HasPrefix(got, "ok") {
				t.Errorf("unrelated row %q = %q, want ok", other, got)
			}
		})
	}
}
