package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/slack-go/slack"

	"github.com/patchgate/patchgate/bot/sandbox"
	"github.com/patchgate/patchgate/config"
	awsprovider "github.com/patchgate/patchgate/providers/aws"
	"github.com/patchgate/patchgate/providers/aws/awstest"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state/boltstore"
)

// TestSAMLSourcesAgreeOnIAMProviders: with an IAM SAML identity provider in
// moto and a saml source of kind aws-iam (no url or file), `patchgate saml
// check` and the bot's check behind /patch saml read the same certificate
// through the same source function, and the bot posts its runbook.
func TestSAMLSourcesAgreeOnIAMProviders(t *testing.T) {
	moto := awstest.Moto(t)
	ctx := context.Background()
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	const account = "123456789012" // moto's default account
	md, err := sim.SAMLMetadata(time.Now(), []sim.IdPCert{
		{EntityID: "https://sso.acme.example", CommonName: "acme-okta-iam", Serial: 77, ValidFor: 10*24*time.Hour + time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	c := iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(moto),
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")})
	if _, err := c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("acme-okta"),
		SAMLMetadataDocument: aws.String(string(md))}); err != nil {
		t.Fatalf("create the IAM SAML provider in moto: %v", err)
	}
	path := filepath.Join(t.TempDir(), "patchgate.yaml")
	yaml := `pipeline:
  - {env: nonprod, approvers: [U0ALICE001]}
  - {env: production, approvers: [U0ALICE001, U0BOB00002]}
providers:
  kind: cloud
  aws:
    region: us-east-1
    accounts: [{id: "` + account + `"}]
    endpoints: {iam: "` + moto + `", sts: "` + moto + `"}
saml:
  sources:
    - {name: iam, kind: aws-iam, accounts: ["` + account + `"]}
`
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	code := runCLI(ctx, &out, "saml", "check", "--config", path)
	if code != 1 || !strings.Contains(out.String(), "acme-okta-iam") {
		t.Fatalf("saml check exited %d (want 1: a certificate below page_days):\n%s", code, out.String())
	}

	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := awsprovider.New(ctx, awsConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	opts := sandbox.DefaultOptions()
	opts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	sb := sandbox.New(opts)
	if _, err := sb.Start(""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg.Slack.Channel = opts.Channels[0].ID
	a := &app{aws: p, slack: &slackParts{api: slack.New(opts.BotToken, slack.OptionAPIURL(sb.APIURL()))}}
	svc, err := newDailyChecks(cfg, st, a, nil, nil, runbooks.SystemClock, dailyWiring{}, opts.Log)
	if err != nil || svc == nil || svc.SAML == nil {
		t.Fatalf("daily checks %+v, %v; want a SAML check over the aws-iam source", svc, err)
	}
	res, err := svc.SAMLCheck(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Findings {
		if !strings.Contains(out.String(), f.Certificate.Subject) {
			t.Errorf("the bot found %s, which saml check did not print:\n%s", f.Certificate.Subject, out.String())
		}
	}
	if len(res.Findings) != 1 || len(res.Posted) != 1 {
		t.Fatalf("bot's check: %d findings, %d runbooks posted; want the one IAM certificate", len(res.Findings), len(res.Posted))
	}
	if got := res.Findings[0].Certificate.Kind; got != "aws-iam" {
		t.Errorf("certificate kind %q, want aws-iam (the IAM rotation procedure)", got)
	}
}
