package test

import (
	"context"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
)

// TestSensorGateExcludes: with the exclude policy, a host whose sensor would
// break is left out with the reason (as evidence) and the stage goes on:
// no failure, no page, and the host keeps its old kernel.
func TestSensorGateExcludes(t *testing.T) {
	ctx := context.Background()
	tn := gateTenant().Name
	rhel := hostName(tn, "nonprod", "web-01")
	exclude := func(_ *runbooks.Deps, p *runbooks.Pipeline) {
		for i := range *p {
			(*p)[i].SensorExclude = true
		}
	}
	h := newGateHarness(t, backends()[0], sim.Faults{KernelMismatch: []string{rhel}}, exclude)
	before, _ := h.fleet.Host(rhel)
	c := h.start(ctx, tn)
	c = h.finish(ctx, c.ID)

	np, _ := c.Stage("nonprod")
	if len(np.Exclusions) != 1 || np.Exclusions[0].HostName != rhel || !strings.Contains(np.Exclusions[0].Reason, before.PendingKernel) {
		t.Fatalf("nonprod exclusions %+v, want %s with the kernel in the reason", np.Exclusions, rhel)
	}
	if g := np.Gates[0]; g.Name != "sensors" || !g.Passed || len(g.Findings) != 1 {
		t.Errorf("sensor gate %+v, want passed with the excluded host as its finding", g)
	}
	if c.Scope.Excluded != 1 {
		t.Errorf("scope excluded %d, want 1", c.Scope.Excluded)
	}
	if st := h.fleet.Stats(); st.PageTriggers != 0 {
		t.Errorf("%d pages for an excluded host, want none", st.PageTriggers)
	}
	after, _ := h.fleet.Host(rhel)
	if after.Kernel != before.Kernel || after.PendingPatches == 0 {
		t.Errorf("%s was patched (kernel %s → %s) although excluded", rhel, before.Kernel, after.Kernel)
	}
	if len(h.events(ctx, c.ID, runbooks.EvExclusions)) != 1 {
		t.Errorf("want one exclusions event in the audit trail")
	}
}

// TestSensorKernelGate: a RHEL host offered a kernel its Falcon sensor does
// not support stops nonprod before anything is backed up or patched; after
// the sensor is upgraded a retry passes and the host ends on the new kernel
// with a fully functional sensor.
func TestSensorKernelGate(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			tn := gateTenant().Name
			rhel := hostName(tn, "nonprod", "web-01")
			h := newGateHarness(t, b, sim.Faults{KernelMismatch: []string{rhel}})
			before, _ := h.fleet.Host(rhel)
			if !strings.HasPrefix(before.OS, "Red Hat") || before.PendingKernel == "" {
				t.Fatalf("%s is %s with pending kernel %q; want RHEL with a new kernel", rhel, before.OS, before.PendingKernel)
			}
			c := h.start(ctx, tn)
			c = h.runUntil(ctx, c.ID, "nonprod awaits approval", awaiting("nonprod"))
			h.mustDecide(ctx, c.ID, "nonprod", runbooks.Approve, alice)
			c = h.runUntil(ctx, c.ID, "nonprod fails", halted)

			np := failedStage(t, c, "nonprod", runbooks.PhaseSensors)
			if len(np.Failure.Findings) != 1 || np.Failure.Findings[0].HostName != rhel {
				t.Fatalf("sensor findings %+v, want only %s", np.Failure.Findings, rhel)
			}
			reason := np.Failure.Findings[0].Reason
			if !strings.Contains(reason, "does not support kernel "+before.PendingKernel) || !strings.Contains(reason, before.SensorVersion) {
				t.Errorf("finding reason %q does not name sensor %s and kernel %s", reason, before.SensorVersion, before.PendingKernel)
			}
			if g := np.Gates[len(np.Gates)-1]; g.Name != "sensors" || g.Passed {
				t.Errorf("last gate %+v, want sensors failed", g)
			}
			scope := tn + "/nonprod"
			st := h.fleet.Stats()
			if st.Backups.ByScope[scope] != 0 || st.Patches.ByScope[scope] != 0 || st.Calls[sim.MethodStartBackup] != 0 || st.Calls[sim.MethodStartPatch] != 0 {
				t.Fatalf("after the sensor gate failed: backups %v, patches %v, calls %v; want nothing started",
					st.Backups.ByScope, st.Patches.ByScope, st.Calls)
			}
			key := runbooks.IncidentKey(c.ID, "nonprod")
			h.ticks(ctx, 5)
			checkIncident(t, h.fleet.Stats(), key, sim.IncidentTriggered, 1, 0, 0)
			if sev := h.fleet.Stats().Incidents[key].Severity; sev != runbooks.SeverityWarning {
				t.Errorf("nonprod page severity %s, want warning", sev)
			}

			if err := h.fleet.FixHost(rhel); err != nil {
				t.Fatal(err)
			}
			h.mustDecide(ctx, c.ID, "nonprod", runbooks.Retry, alice)
			h.tickAll(ctx)
			c = h.cycle(ctx, c.ID)
			np, _ = c.Stage("nonprod")
			if g := np.Gates; len(g) < 2 || g[1].Name != "sensors" || !g[1].Passed {
				t.Fatalf("nonprod gates after retry %+v, want sensors passed", g)
			}
			checkIncident(t, h.fleet.Stats(), key, sim.IncidentResolved, 1, 1, 1)

			h.finish(ctx, c.ID)
			st = h.fleet.Stats()
			if st.Backups.ByScope[scope] != 1 || st.Patches.ByScope[scope] != 1 {
				t.Errorf("nonprod backed up %d and patched %d times, want 1 and 1", st.Backups.ByScope[scope], st.Patches.ByScope[scope])
			}
			after, _ := h.fleet.Host(rhel)
			if after.Kernel != before.PendingKernel || after.SensorRFM || after.PendingPatches != 0 {
				t.Errorf("%s after the cycle: kernel %s (want %s), RFM %v, %d pending", rhel, after.Kernel, before.PendingKernel, after.SensorRFM, after.PendingPatches)
			}
		})
	}
}
