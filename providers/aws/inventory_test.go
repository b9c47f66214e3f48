package aws

import (
	"context"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/providers/aws/awstest"
	"github.com/patchgate/patchgate/runbooks"
)

// TestUnmanagedDetection: instances exist in EC2 (moto RunInstances) but
// SSM (the fake) knows one as Online, one as ConnectionLost and one not at
// all; only the first is managed and none is skipped.
func TestUnmanagedDetection(t *testing.T) {
	moto := awstest.Moto(t)
	fake := awstest.NewServer(t)
	fake.Upstream = moto
	ids := runInstances(t, moto, acctA, 3, map[string]string{"env": "prod", "Name": "web"})
	other := runInstances(t, moto, acctA, 1, map[string]string{"env": "dev"})
	fake.Add(
		awstest.Instance{ID: ids[0], Account: acctA, SSM: &awstest.Agent{PingStatus: "Online", AgentVersion: "3.3.1", PlatformName: "Amazon Linux", PlatformVersion: "2023"},
			Patches: &awstest.PatchState{Missing: 4, Operation: "Scan",
				MissingTitles: []string{"openssl-libs.x86_64:1:3.0.8-1.amzn2023", "kernel.x86_64:0:6.1.115-126.197.amzn2023"}}},
		awstest.Instance{ID: ids[1], Account: acctA, SSM: &awstest.Agent{PingStatus: "ConnectionLost", AgentVersion: "3.1.0", PlatformName: "Amazon Linux"}},
		awstest.Instance{ID: other[0], Account: acctA, SSM: &awstest.Agent{PingStatus: "Online"}},
	)
	p := newProvider(t, testConfig(moto, fake.URL))
	hosts, err := p.Hosts(context.Background(), runbooks.Tenant{Name: "acme"}, awsEnv("production", map[string]string{"env": "prod"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(hosts) != 3 {
		t.Fatalf("got %d hosts, want the 3 tagged env=prod: %+v", len(hosts), hosts)
	}
	byID := map[string]runbooks.Host{}
	for _, h := range hosts {
		byID[h.ID] = h
		if h.Cloud != runbooks.AWS || h.Account != acctA || h.Region != region || h.Env != "production" || h.Name != "web" {
			t.Errorf("host fields: %+v", h)
		}
	}
	online, lost, absent := byID[ids[0]], byID[ids[1]], byID[ids[2]]
	if !online.Managed || online.OS != "Amazon Linux" || online.OSVersion != "2023" || online.PendingPatches != 4 ||
		online.PendingKernel != "6.1.115-126.197.amzn2023.x86_64" ||
		!strings.Contains(online.AgentStatus, "Online") {
		t.Errorf("online host = %+v", online)
	}
	if lost.Managed || !strings.Contains(lost.AgentStatus, "ConnectionLost") {
		t.Errorf("ConnectionLost host = %+v, want unmanaged", lost)
	}
	if absent.Managed || absent.AgentStatus != "not registered in SSM" {
		t.Errorf("host absent from SSM = %+v, want unmanaged", absent)
	}
}

// TestUnmanagedWhenSSMRejectsUnknownIDs: if SSM refuses an InstanceIds
// filter naming an unmanaged instance, the batch is split until the
// refused instance stands alone; every other host is still joined.
func TestUnmanagedWhenSSMRejectsUnknownIDs(t *testing.T) {
	fake := awstest.NewServer(t)
	fake.RejectUnknownIDs = true
	env, cfg := fleet(fake, 1, 120) // every tenth host is unknown to SSM
	p := newProvider(t, cfg)
	hosts, err := p.Hosts(context.Background(), runbooks.Tenant{Name: "acme"}, env)
	if err != nil {
		t.Fatal(err)
	}
	managed := 0
	for _, h := range hosts {
		if h.Managed {
			managed++
		}
	}
	if len(hosts) != 120 || managed != 108 {
		t.Fatalf("%d hosts, %d managed; want 120 and 108", len(hosts), managed)
	}
	if n := fake.Calls("ssm.DescribeInstanceInformation"); n <= 3 {
		t.Errorf("only %d DescribeInstanceInformation calls: the refusal was never hit", n)
	}
}
