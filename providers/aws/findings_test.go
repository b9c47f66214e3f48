package aws

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/patchgate/patchgate/providers/aws/awstest"
	"github.com/patchgate/patchgate/runbooks"
)

// TestPatchFindingsFromDescribeInstancePatches: EC2 is moto; SSM's
// DescribeInstancePatches (which moto does not implement — checked below)
// is awstest speaking the documented PatchComplianceData shape. Missing,
// failed and reboot-pending patches are read and normalised; installed
// and not-applicable ones are not; an unmanaged host is not asked.
func TestPatchFindingsFromDescribeInstancePatches(t *testing.T) {
	moto := awstest.Moto(t)
	// moto answers DescribeInstancePatches with an error, which is why
	// awstest serves it.
	direct := ssm.NewFromConfig(motoConfig(moto, acctA), func(o *ssm.Options) { o.BaseEndpoint = aws.String(moto); o.RetryMaxAttempts = 1 })
	if _, err := direct.DescribeInstancePatches(context.Background(), &ssm.DescribeInstancePatchesInput{InstanceId: aws.String("i-0123456789abcdef0")}); err == nil {
		t.Log("moto now implements DescribeInstancePatches; consider testing against it directly")
	}
	fake := awstest.NewServer(t)
	fake.Upstream = moto
	ids := runInstances(t, moto, acctA, 2, map[string]string{"env": "prod"})
	fake.Add(
		awstest.Instance{ID: ids[0], Account: acctA, SSM: &awstest.Agent{PingStatus: "Online", PlatformName: "Amazon Linux"},
			Patches: &awstest.PatchState{Missing: 2, Failed: 1, Operation: "Scan", Patches: []awstest.Patch{
				{Title: "openssl-libs.x86_64:1:3.0.8-1.amzn2023", KBId: "ALAS2023-2026-101", Classification: "Security", Severity: "Critical", State: "MISSING", CVEIds: "CVE-2026-2002, cve-2026-2003"},
				{Title: "KB5034441", KBId: "KB5034441", Classification: "SecurityUpdates", Severity: "Moderate", State: "FAILED", CVEIds: "CVE-2026-0444"},
				{Title: "kernel.x86_64:0:6.1.115-126.197.amzn2023", KBId: "ALAS2023-2026-090", Classification: "Security", Severity: "Important", State: "INSTALLED_PENDING_REBOOT"},
				{Title: "curl.x86_64:0:8.5.0-1", KBId: "ALAS2023-2026-010", Classification: "Security", Severity: "Low", State: "INSTALLED"},
				{Title: "vim.x86_64:2:9.0-1", KBId: "ALAS2023-2026-011", Classification: "Bugfix", Severity: "", State: "NOT_APPLICABLE"},
			}}},
		awstest.Instance{ID: ids[1], Account: acctA, SSM: &awstest.Agent{PingStatus: "ConnectionLost"},
			Patches: &awstest.PatchState{Patches: []awstest.Patch{{KBId: "never-read", State: "MISSING"}}}},
	)
	p := newProvider(t, testConfig(moto, fake.URL))
	hosts, err := p.Hosts(context.Background(), runbooks.Tenant{Name: "acme"}, awsEnv("production", map[string]string{"env": "prod"}))
	if err != nil {
		t.Fatal(err)
	}
	fs, err := p.PatchFindings(context.Background(), hosts)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]runbooks.PatchFinding{}
	for _, f := range fs {
		byID[f.PatchID] = f
		if f.HostID != ids[0] || f.Env != "production" || !f.Released.IsZero() || f.Source != "aws-ssm DescribeInstancePatches" {
			t.Errorf("finding %+v: wrong host, env, release date or source", f)
		}
	}
	if len(fs) != 3 {
		t.Fatalf("%d findings, want 3 (missing, failed, pending reboot): %+v", len(fs), fs)
	}
	if f := byID["ALAS2023-2026-101"]; f.State != runbooks.PatchMissing || f.Severity != runbooks.PatchCritical || f.VendorSeverity != "Critical" ||
		!slices.Equal(f.CVEs, []string{"CVE-2026-2002", "CVE-2026-2003"}) || f.Title != "openssl-libs.x86_64:1:3.0.8-1.amzn2023" || f.Classification != "Security" {
		t.Errorf("missing critical = %+v", f)
	}
	if f := byID["KB5034441"]; f.State != runbooks.PatchFailed || f.Severity != runbooks.PatchMedium {
		t.Errorf("failed moderate = %+v", f)
	}
	if f := byID["ALAS2023-2026-090"]; f.State != runbooks.PatchPendingReboot || f.Severity != runbooks.PatchHigh {
		t.Errorf("pending reboot = %+v", f)
	}
	if n := fake.Calls("ssm.DescribeInstancePatches"); n != 2 { // the inventory's kernel lookup, then the findings
		t.Errorf("%d DescribeInstancePatches calls, want 2 (the unmanaged host is never asked)", n)
	}
}

// TestPatchFindingsPagesAndThrottling: 130 patches on a host come in pages
// of at most 100, and 30% of SSM calls answered ThrottlingException are
// retried within the provider's bounds, so nothing is lost.
func TestPatchFindingsPagesAndThrottling(t *testing.T) {
	fake := awstest.NewServer(t)
	env, cfg := fleet(fake, 1, 12)
	cfg.MaxAttempts = 5
	var patches []awstest.Patch
	for i := range 130 {
		patches = append(patches, awstest.Patch{KBId: fmt.Sprintf("KB%07d", i), Title: "p", Classification: "SecurityUpdates", Severity: "Important", State: "MISSING"})
	}
	var want int
	p := newProvider(t, cfg)
	hosts, err := p.Hosts(context.Background(), runbooks.Tenant{Name: "acme"}, env)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hosts {
		if h.Managed {
			fake.Add(awstest.Instance{ID: h.ID, Account: h.Account, Name: h.Name, Tags: map[string]string{"patchgate": "yes"},
				SSM: &awstest.Agent{PingStatus: "Online"}, Patches: &awstest.PatchState{Patches: patches}})
			want += len(patches)
		}
	}
	fake.ThrottleRate = 0.3
	fs, err := p.PatchFindings(context.Background(), hosts)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != want || want == 0 {
		t.Errorf("%d findings, want %d", len(fs), want)
	}
	if fake.Throttled() == 0 {
		t.Error("no call was throttled; the test proves nothing about retries")
	}
}
