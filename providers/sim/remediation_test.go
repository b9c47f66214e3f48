package sim

import (
	"context"
	"testing"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// A host patched in its cycle, for which patches are released afterwards,
// is NON_COMPLIANT (its patches pending again) until a later patch
// finishes; then COMPLIANT recorded at that patch's end. EC2 tags name its
// tenant and environment for the intake's triage, in its own account and
// region only.
func TestConfigEventSimReleasedPatchesAreNonCompliantUntilPatchedAgain(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	f := demoFleet(t, func(c *Config) { c.Clock, c.OpDuration = clock, 10*time.Minute })
	const rule = "ec2-managedinstance-patch-compliance-status-check"
	h := mustHost(t, f, "acme-cu-nonprod-web-01")
	verdict := func() runbooks.ComplianceResult {
		t.Helper()
		res, err := f.Compliance(ctx, h.Account, h.Region, []string{h.ID}, []string{rule})
		if err != nil || len(res) != 1 {
			t.Fatalf("Compliance = %+v, %v", res, err)
		}
		return res[0]
	}
	patch := func(tag string) time.Time {
		t.Helper()
		if _, err := f.StartPatch(ctx, request(t, f, "acme-cu", "nonprod", tag)); err != nil {
			t.Fatal(err)
		}
		clock.Advance(10 * time.Minute)
		return clock.Now()
	}
	cycle := patch("cycle")
	if v := verdict(); v.Compliance != runbooks.Compliant || !v.Recorded.Equal(cycle) {
		t.Fatalf("after the cycle: %+v, want COMPLIANT at %v", v, cycle)
	}
	clock.Advance(72 * time.Hour)
	if err := f.ReleasePatches(h.ID, 3); err != nil {
		t.Fatal(err)
	}
	if got := mustHost(t, f, h.Name); got.PendingPatches != 3 {
		t.Errorf("pending after the release = %d, want 3", got.PendingPatches)
	}
	if v := verdict(); v.Compliance != runbooks.NonCompliant {
		t.Errorf("after the release: %+v, want NON_COMPLIANT", v)
	}
	again := patch("remediation")
	if v := verdict(); v.Compliance != runbooks.Compliant || !v.Recorded.Equal(again) {
		t.Errorf("after the second patch: %+v, want COMPLIANT at %v", v, again)
	}
	tags, found, err := f.InstanceTags(ctx, h.Account, h.Region, h.ID)
	if err != nil || !found || tags["tenant"] != "acme-cu" || tags["env"] != "nonprod" || tags["Name"] != h.Name {
		t.Errorf("InstanceTags = %v, %v, %v", tags, found, err)
	}
	if _, found, _ := f.InstanceTags(ctx, "000000000000", h.Region, h.ID); found {
		t.Error("the instance was found in another account")
	}
}
