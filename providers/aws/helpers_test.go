package aws

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/patchgate/patchgate/providers/aws/awstest"
	"github.com/patchgate/patchgate/runbooks"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

const (
	acctA  = "111111111111"
	acctB  = "222222222222"
	region = "us-east-1"
)

// staticCreds are the bot's own credentials in tests; moto accepts any.
var staticCreds = credentials.NewStaticCredentialsProvider("AKFAKEBOT", "secret", "")

// testConfig points every service at base, with ssm (if set) elsewhere.
func testConfig(base, ssmURL string) Config {
	if ssmURL == "" {
		ssmURL = base
	}
	return Config{
		Region: region, RoleName: "arn:aws:iam::{account}:role/patchgate", ExternalID: "patchgate-test",
		Accounts: []Account{{ID: acctA, Regions: []string{region}}},
		Endpoints: map[string]string{"ec2": base, "sts": base, "rds": base, "iam": base, "s3": base,
			"sso-admin": base, "identitystore": base, "ssm": ssmURL},
		Credentials: staticCreds, MaxAttempts: 3, MaxBackoff: 50 * time.Millisecond,
		PollInterval: 50 * time.Millisecond, Log: slog.New(slog.DiscardHandler),
	}
}

func newProvider(t *testing.T, cfg Config) *Provider {
	t.Helper()
	p, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// motoConfig is an SDK configuration acting as account in moto (moto keeps
// each assumed role's account apart).
func motoConfig(url, account string) aws.Config {
	base := aws.Config{Region: region, Credentials: staticCreds}
	stsc := sts.NewFromConfig(base, func(o *sts.Options) { o.BaseEndpoint = aws.String(url) })
	return aws.Config{Region: region, Credentials: aws.NewCredentialsCache(
		stscreds.NewAssumeRoleProvider(stsc, "arn:aws:iam::"+account+":role/setup"))}
}

// runInstances starts n instances in moto with the given tags and returns
// their IDs.
func runInstances(t *testing.T, url, account string, n int, tags map[string]string) []string {
	t.Helper()
	c := ec2.NewFromConfig(motoConfig(url, account), func(o *ec2.Options) { o.BaseEndpoint = aws.String(url) })
	var ts []ec2types.Tag
	for k, v := range tags {
		ts = append(ts, ec2types.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	out, err := c.RunInstances(context.Background(), &ec2.RunInstancesInput{
		ImageId: aws.String("ami-12c6146b"), MinCount: aws.Int32(int32(n)), MaxCount: aws.Int32(int32(n)),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance, Tags: ts}},
	})
	if err != nil {
		t.Fatalf("moto RunInstances: %v", err)
	}
	ids := make([]string, len(out.Instances))
	for i, in := range out.Instances {
		ids[i] = aws.ToString(in.InstanceId)
	}
	return ids
}

// awsEnv is an environment with one AWS target (and an Azure one the
// provider must ignore).
func awsEnv(name string, selector map[string]string, dbs ...string) runbooks.Environment {
	return runbooks.Environment{Name: name, Targets: []runbooks.Target{
		{Cloud: runbooks.AWS, Account: acctA, Regions: []string{region}, Selector: selector, Databases: dbs},
		{Cloud: runbooks.Azure, Account: "sub-1", Groups: []string{"rg"}},
	}}
}

func hostsOf(ids []string, names ...string) []runbooks.Host {
	hs := make([]runbooks.Host, len(ids))
	for i, id := range ids {
		hs[i] = runbooks.Host{ID: id, Name: id, Cloud: runbooks.AWS, Account: acctA, Region: region, Managed: true}
	}
	return hs
}

func opRequest(tag string, hosts []runbooks.Host) runbooks.OpRequest {
	return runbooks.OpRequest{Tag: tag, Cycle: "acme-20261122-0200-abc", Tenant: "acme", Stage: "nonprod", Env: "nonprod",
		Hosts: append(hosts, runbooks.Host{ID: "vm-azure-1", Cloud: runbooks.Azure, Account: "sub-1"})}
}
