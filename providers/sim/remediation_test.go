package sim

import (
	"context"
	"path/filepath"
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

// A re-evaluation Config is asked for after the patch records its
// COMPLIANT result anew, at the time it was asked, as Config does; the
// time survives a restart of the fleet from its state file. Without it, a
// patch that finished while patchgate was down (an upgrade) would only
// ever show a COMPLIANT older than the patch gate patchgate passed on its
// return.
func TestConfigEventSimReevaluationRecordsAnew(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	path := filepath.Join(t.TempDir(), "sim.json")
	f := demoFleet(t, func(c *Config) { c.Clock, c.OpDuration, c.StatePath = clock, 10*time.Minute, path })
	const rule = "ec2-managedinstance-patch-compliance-status-check"
	h := mustHost(t, f, "acme-cu-nonprod-web-01")
	if _, err := f.StartPatch(ctx, request(t, f, "acme-cu", "nonprod", "cycle")); err != nil {
		t.Fatal(err)
	}
	clock.Advance(10 * time.Minute)
	patched := clock.Now()
	clock.Advance(6 * time.Hour) // patchgate is down meanwhile
	asked := clock.Now()
	if err := f.StartEvaluation(ctx, h.Account, h.Region, []string{rule}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	for name, fleet := range map[string]*Fleet{"running": f, "restarted": demoFleet(t, func(c *Config) { c.Clock, c.OpDuration, c.StatePath = clock, 10*time.Minute, path })} {
		res, err := fleet.Compliance(ctx, h.Account, h.Region, []string{h.ID}, []string{rule})
		if err != nil || len(res) != 1 {
			t.Fatalf("%s: Compliance = %+v, %v", name, res, err)
		}
		if res[0].Compliance != runbooks.Compliant || !res[0].Recorded.Equal(asked) {
			t.Errorf("%s: %+v, want COMPLIANT recorded at the re-evaluation %v (patched %v)", name, res[0], asked, patched)
		}
	}
	other, err := f.Compliance(ctx, h.Account, h.Region, []string{h.ID}, []string{"another-rule"})
	if err != nil || len(other) != 1 || !other[0].Recorded.Equal(patched) {
		t.Errorf("a rule not re-evaluated: %+v, %v; want COMPLIANT recorded at the patch's end %v", other, err, patched)
	}
}
