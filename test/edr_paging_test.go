package test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/patchgate/patchgate/providers/falcon/falcontest"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
)

// incidentOf is the simulated pager's incident of a runbook record.
func incidentOf(f *sim.Fleet, id string) sim.IncidentState {
	return f.Stats().Incidents["patchgate/"+id]
}

// TestSensorDeployPagesOnceResolvedWhenRetriedToSuccess: a production
// deployment whose installer fails on a host pages once (critical, naming
// the deployment); a retry that fails again keeps that one page; the retry
// that succeeds resolves it, and both are audited on the deployment.
func TestSensorDeployPagesOnceResolvedWhenRetriedToSuccess(t *testing.T) {
	ctx := context.Background()
	r := newDeployRig(t, backends()[0], 1, 2, 0)
	d, err := r.engines[0].RequestSensorDeploy(ctx, runbooks.SensorDeployRequest{Tenant: r.tenant.Name, Env: "production", Requester: requester})
	if err != nil {
		t.Fatal(err)
	}
	bad := d.Hosts[0].Host.ID
	r.inst.fail[bad] = true
	decide := func(act runbooks.DecisionAction, who string) {
		cur, _ := r.engines[0].GetSensorDeploy(ctx, d.ID)
		if _, err := r.engines[0].Decide(ctx, runbooks.Decision{Cycle: d.ID, Action: act, Actor: who, SeenRevision: cur.Revision,
			InteractionID: fmt.Sprintf("%s-%s-%s-r%d", d.ID, act, who, cur.Revision)}); err != nil {
			t.Fatalf("%s by %s: %v", act, who, err)
		}
	}
	decide(runbooks.Approve, alice)
	decide(runbooks.Approve, bob)
	r.run(ctx, d.ID, runbooks.DeployFailed)
	r.tickAll(ctx)
	inc := incidentOf(r.fleet, d.ID)
	if inc.Opened != 1 || inc.Triggers != 1 || inc.Status != sim.IncidentTriggered || inc.Severity != runbooks.SeverityCritical {
		t.Fatalf("after the failure: incident %+v, want one critical page", inc)
	}
	decide(runbooks.Retry, alice)
	r.run(ctx, d.ID, runbooks.DeployFailed)
	r.tickAll(ctx)
	if inc := incidentOf(r.fleet, d.ID); inc.Triggers != 1 || inc.Status != sim.IncidentTriggered {
		t.Fatalf("a retry that failed again: incident %+v, want the one page still open", inc)
	}
	delete(r.inst.fail, bad)
	decide(runbooks.Retry, alice)
	r.run(ctx, d.ID, runbooks.DeployCompleted)
	r.tickAll(ctx)
	if inc := incidentOf(r.fleet, d.ID); inc.Triggers != 1 || inc.Resolves != 1 || inc.Status != sim.IncidentResolved {
		t.Fatalf("after the retry succeeded: incident %+v, want it resolved", inc)
	}
	types := map[string]int{}
	evs, _ := r.engines[0].SensorDeployEvents(ctx, d.ID)
	for _, ev := range evs {
		types[ev.Type]++
	}
	if types[runbooks.EvIncidentOpened] != 1 || types[runbooks.EvIncidentResolved] != 1 {
		t.Errorf("audit: %d incident opened, %d resolved; want one each", types[runbooks.EvIncidentOpened], types[runbooks.EvIncidentResolved])
	}
}

// TestPreventionRolloutPagesOnceResolvedWhenRetriedToSuccess: a rollout
// whose policy action Falcon keeps refusing (HTML 500) fails and pages
// once; retried once Falcon answers, it moves the host group, passes its
// window's gate and the page is resolved.
func TestPreventionRolloutPagesOnceResolvedWhenRetriedToSuccess(t *testing.T) {
	ctx := context.Background()
	h := newPreventionHarness(t, backends()[0])
	h.addSSMExclusions()
	const actions = "/policy/entities/prevention-actions/v1"
	h.falcon.SetFault(actions, falcontest.Fault{N: 1000, Code: 500, Body: "<html><body>Internal Server Error</body></html>",
		Headers: map[string]string{"Content-Type": "text/html"}})
	p, err := h.request(ctx, "nonprod", "", requester)
	if err != nil {
		t.Fatal(err)
	}
	h.approve(ctx, p.ID, alice)
	h.until(ctx, p.ID, time.Minute, runbooks.PreventionFailed)
	h.tickAll(ctx)
	h.tickAll(ctx)
	if inc := incidentOf(h.fleet, p.ID); inc.Opened != 1 || inc.Triggers != 1 || inc.Status != sim.IncidentTriggered {
		t.Fatalf("after the failure: incident %+v, want one page", inc)
	}
	h.falcon.SetFault(actions, falcontest.Fault{})
	cur := h.get(ctx, p.ID)
	if _, err := h.engines[0].Decide(ctx, runbooks.Decision{Cycle: p.ID, Action: runbooks.Retry, Actor: alice, SeenRevision: cur.Revision,
		InteractionID: p.ID + "-retry"}); err != nil {
		t.Fatal(err)
	}
	h.until(ctx, p.ID, time.Minute, runbooks.PreventionMonitoring)
	h.until(ctx, p.ID, 24*time.Hour, runbooks.PreventionPassed)
	h.tickAll(ctx)
	h.tickAll(ctx)
	if inc := incidentOf(h.fleet, p.ID); inc.Triggers != 1 || inc.Resolves != 1 || inc.Status != sim.IncidentResolved {
		t.Fatalf("after the retried rollout passed: incident %+v, want it resolved", inc)
	}
}
