package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/patchgate/patchgate/runbooks"
)

// sensorsDeployWord is the word after `sensors` that requests a deployment.
const sensorsDeployWord = "deploy"

// SensorDeployer is the part of the engine /patch sensors deploy calls; the
// CLI's `patchgate sensors deploy` calls the same.
type SensorDeployer interface {
	RequestSensorDeploy(ctx context.Context, req runbooks.SensorDeployRequest) (*runbooks.SensorDeploy, error)
}

var _ SensorDeployer = (*runbooks.Engine)(nil)

// maxDeployHosts bounds the hosts one command names.
const maxDeployHosts = 50

// parseSensorDeploy reads `sensors deploy <tenant> <env> [host…]`.
func parseSensorDeploy(usage string, args []string) (Command, error) {
	if len(args) < 2 {
		return Command{}, cmdErr(usage, "sensors deploy needs a tenant and an environment (the hosts are optional: every host without a current sensor).")
	}
	t, err := parseTenant(usage, args[0])
	if err != nil {
		return Command{}, err
	}
	env, err := parseTenant(usage, args[1])
	if err != nil {
		return Command{}, cmdErr(usage, "%s is not an environment name.", quote(args[1]))
	}
	if len(args)-2 > maxDeployHosts {
		return Command{}, cmdErr(usage, "sensors deploy names at most %d hosts (got %d); leave them out to deploy to every host without a current sensor.", maxDeployHosts, len(args)-2)
	}
	hosts := make([]string, 0, len(args)-2)
	for _, h := range args[2:] {
		hosts = append(hosts, unwrap(h))
	}
	return Command{Name: CmdSensors, Args: sensorsDeployWord, Tenant: t, Env: env, Hosts: strings.Join(hosts, " ")}, nil
}

// sensorDeploy requests a deployment for the person who typed the command;
// the deployment's own message, with Approve and Reject, follows in the
// channel.
func (h *Handler) sensorDeploy(ctx context.Context, cmd Command, user string) string {
	sd, ok := h.engine.(SensorDeployer)
	if !ok {
		return "Sensor deployment is not available in this deployment."
	}
	d, err := sd.RequestSensorDeploy(ctx, runbooks.SensorDeployRequest{Tenant: cmd.Tenant, Env: cmd.Env,
		Hosts: strings.Fields(cmd.Hosts), Requester: user, Reason: "requested with /patch sensors deploy"})
	if err != nil {
		return h.refusal(err, "request a sensor deployment", "user", user, "tenant", cmd.Tenant, "env", cmd.Env)
	}
	return SensorDeployRequestedText(d)
}

// SensorDeployRequestedText says what was requested: each host, why, and
// who must approve.
func SensorDeployRequestedText(d *runbooks.SensorDeploy) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Requested sensor deployment `%s` to %d host(s) of %s/%s in %d batch(es), %d at a time. It needs %d approval(s) from %s approvers",
		d.ID, len(d.Hosts), d.Tenant, d.Env, len(d.Batches), d.Concurrency, d.MinApprovals, d.Env)
	if d.FourEyes {
		b.WriteString(" other than you (four eyes)")
	}
	b.WriteString("; nothing is installed before that.\n")
	for i, h := range d.Hosts {
		if i == 20 {
			fmt.Fprintf(&b, "• … and %d more\n", len(d.Hosts)-i)
			break
		}
		fmt.Fprintf(&b, "• %s (%s): %s — %s\n", h.Host.Name, h.Host.Cloud, h.Action, h.Why)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
