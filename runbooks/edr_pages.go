package runbooks

import (
	"context"
	"fmt"
	"time"
)

// sensorDeployIncident pages a failed deployment once and resolves the
// page when the deployment ends (retried to success, or rejected).
func (e *Engine) sensorDeployIncident(ctx context.Context, n *SensorDeploy, a Action) (bool, error) {
	page := Page{Summary: fmt.Sprintf("patchgate: sensor deployment %s to %s %s failed: %s", n.ID, n.Tenant, n.Env, failureReason(n.Failure)),
		Details: map[string]string{"deploy": n.ID, "tenant": n.Tenant, "env": n.Env, "hosts": failureHosts(n.Failure)}}
	return e.runbookIncident(ctx, n.ID, &n.Incident, n.Production, a, e.now(), page, "sensor deployment "+string(n.Status),
		func(now time.Time, typ, detail string, data map[string]string) {
			n.note(now, "", typ, ActorSystem, detail, data)
		})
}

// preventionIncident pages a failed rollout once and resolves the page
// when the rollout ends (retried to its gate, or rejected).
func (e *Engine) preventionIncident(ctx context.Context, n *Prevention, a Action) (bool, error) {
	page := Page{Summary: fmt.Sprintf("patchgate: prevention rollout %s of %s %s failed in %s: %s", n.ID, n.Tenant, n.Plan.Env, n.FailedIn, n.LastError),
		Details: map[string]string{"prevention": n.ID, "tenant": n.Tenant, "tier": n.Plan.Env, "host_group": n.Plan.HostGroup}}
	return e.runbookIncident(ctx, n.ID, &n.Incident, n.Production, a, e.now(), page, "prevention rollout "+string(n.Status),
		func(now time.Time, typ, detail string, data map[string]string) { n.note(now, typ, detail, data) })
}
