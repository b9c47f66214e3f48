package main

import (
	"context"
	"fmt"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// The prevention rollout's Falcon IDs in the demo's simulated console, and
// nonprod's monitoring window, shortened from 14 days so the story sees its
// gate.
const (
	demoGroupNonprod   = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
	demoGroupStaging   = "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"
	demoPolicyPrevent  = "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3"
	demoPolicyDetect   = "d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4"
	demoPreventionWait = 20 * time.Second
)

// prevention plays the Detection → Prevention rollout of cascade-cu's
// nonprod tier: rita requests it, sam approves it on its message, the
// required exclusions are found, the host group moves to the prevention
// policy, and the shortened monitoring window's detection gate passes, so
// staging may be requested next.
func (p *slackPeople) prevention(ctx context.Context) error {
	if err := p.command(ctx, demoRequester, "/patch prevention cascade-cu nonprod"); err != nil {
		return err
	}
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		rollouts, err := p.a.engine.PreventionsOf(ctx, "cascade-cu")
		if err != nil {
			return err
		}
		for _, r := range rollouts {
			switch {
			case r.Status == runbooks.PreventionAwaitingApproval && !p.seen[r.ID]:
				view := &runbooks.Cycle{ID: r.ID, Tenant: r.Tenant, Revision: r.Revision}
				ok, err := p.click(ctx, view, demoSRE, "prevention", runbooks.Approve)
				if err != nil {
					return err
				}
				p.seen[r.ID] = ok
			case r.Status == runbooks.PreventionPassed && p.threadSays("cascade-cu", "PV-", "✅"):
				p.say("rollout %s of cascade-cu nonprod: %s", r.ID, r.Status)
				return p.command(ctx, demoRequester, "/patch prevention cascade-cu staging")
			case r.Status.Terminal() && r.Status != runbooks.PreventionPassed:
				return fmt.Errorf("demo story: the prevention rollout %s ended %s", r.ID, r.Status)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("demo story: the prevention rollout did not pass its window in 5 minutes")
}

// demoPreventionYAML is the rollout's configuration: nonprod and staging of
// every tenant, nonprod watched for the shortened window.
func demoPreventionYAML() string {
	return fmt.Sprintf(`  prevention:
    check_every: 5s
    tiers:
      - {env: nonprod, host_group: %s, prevention_policy: %s, detection_policy: %s, window: %s}
      - {env: staging, host_group: %s, prevention_policy: %s, detection_policy: %s}
`, demoGroupNonprod, demoPolicyPrevent, demoPolicyDetect, demoPreventionWait, demoGroupStaging, demoPolicyPrevent, demoPolicyDetect)
}
