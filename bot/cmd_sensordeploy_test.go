package bot

import (
	"context"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/runbooks"
)

// RequestSensorDeploy answers with the hosts asked for (or two picked by
// coverage), or refuses an outsider as the engine would.
func (f *fakeEngine) RequestSensorDeploy(_ context.Context, req runbooks.SensorDeployRequest) (*runbooks.SensorDeploy, error) {
	if req.Requester == "U-EVE" {
		return nil, runbooks.Errorf(runbooks.CodeForbidden, "You may not request sensor deployments: you are neither an approver nor a configured requester.")
	}
	d := &runbooks.SensorDeploy{ID: "SD-acme-cu-1", Tenant: req.Tenant, Env: req.Env, Requester: req.Requester, MinApprovals: 2, FourEyes: true, Concurrency: 2}
	hosts := req.Hosts
	why := "named by the requester"
	if len(hosts) == 0 {
		hosts, why = []string{"web-01", "db-01"}, "no Falcon sensor registered for this host (source: falcon)"
	}
	for _, h := range hosts {
		d.Hosts = append(d.Hosts, runbooks.DeployHost{Host: runbooks.Host{ID: "i-" + h, Name: h, Cloud: runbooks.AWS}, Action: runbooks.SensorInstall, Why: why})
	}
	d.Batches = []runbooks.DeployBatch{{Cloud: runbooks.AWS}}
	return d, nil
}

var _ SensorDeployer = (*fakeEngine)(nil)

// TestSensorDeployCommandRequestsThroughTheEngine: `/patch sensors deploy`
// reaches RequestSensorDeploy with the tenant, environment and hosts, and
// the reply lists each host, why and who must approve; a refusal is shown.
func TestSensorDeployCommandRequestsThroughTheEngine(t *testing.T) {
	r := newRig(t, HandlerOptions{})
	got := r.command(t, "U-REQ", "sensors deploy acme-cu production")
	for _, w := range []string{
		"Requested sensor deployment `SD-acme-cu-1` to 2 host(s) of acme-cu/production",
		"2 approval(s) from production approvers other than you (four eyes)",
		"• web-01 (aws): install — no Falcon sensor registered for this host (source: falcon)",
	} {
		if !strings.Contains(got, w) {
			t.Errorf("reply:\n%s\nwant it to contain %q", got, w)
		}
	}
	if got := r.command(t, "U-REQ", "sensors deploy acme-cu nonprod `app-07`"); !strings.Contains(got, "• app-07 (aws): install — named by the requester") {
		t.Errorf("named host reply %q", got)
	}
	if got := r.command(t, "U-EVE", "sensors deploy acme-cu nonprod"); !strings.Contains(got, "You may not request sensor deployments") {
		t.Errorf("refusal reply %q", got)
	}
	if _, err := ParseCommand("sensors deploy acme-cu"); err == nil || !strings.Contains(err.Error(), "needs a tenant and an environment") {
		t.Errorf("missing env: %v", err)
	}
}
