package aws

import (
	"context"
	"testing"
	"time"

	"github.com/patchgate/patchgate/providers/aws/awstest"
	"github.com/patchgate/patchgate/runbooks"
)

// TestInventoryUnderThrottling: 30% of SSM calls are answered
// ThrottlingException; the adaptive retryer must carry an inventory of
// 2,000 instances across 4 accounts through with no host missing and every
// SSM-registered host joined.
func TestInventoryUnderThrottling(t *testing.T) {
	fake := awstest.NewServer(t)
	fake.ThrottleRate = 0.3
	fake.SetEC2PageSize(200) // several EC2 pages per account
	env, cfg := fleet(fake, 4, 500)
	cfg.MaxBackoff = 100 * time.Millisecond
	p := newProvider(t, cfg)

	hosts, err := p.Hosts(context.Background(), runbooks.Tenant{Name: "big"}, env)
	if err != nil {
		t.Fatalf("inventory under throttling: %v", err)
	}
	if len(hosts) != 2000 {
		t.Fatalf("got %d hosts, want 2000", len(hosts))
	}
	seen := map[string]bool{}
	unmanaged := 0
	for _, h := range hosts {
		if seen[h.ID] {
			t.Fatalf("host %s listed twice", h.ID)
		}
		seen[h.ID] = true
		if !h.Managed {
			unmanaged++
		} else if h.LastPatched.IsZero() || h.OS != "Amazon Linux" {
			t.Errorf("managed host %s not joined with SSM: %+v", h.ID, h)
		}
	}
	if unmanaged != 200 {
		t.Errorf("unmanaged = %d, want 200 (every tenth host is unknown to SSM)", unmanaged)
	}
	if fake.Throttled() == 0 {
		t.Fatal("the fake throttled nothing; the test proves nothing")
	}
	t.Logf("%d SSM calls throttled of %d", fake.Throttled(),
		fake.Calls("ssm.DescribeInstanceInformation")+fake.Calls("ssm.DescribeInstancePatchStates"))
}
