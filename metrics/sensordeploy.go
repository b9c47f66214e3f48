package metrics

import (
	"context"

	"github.com/patchgate/patchgate/runbooks"
)

var _ runbooks.SensorDeployChat = (*chat)(nil)

// SensorDeployChanged forwards a sensor deployment to the chat it wraps,
// so the bot's deployment messages are posted through this decorator; a
// chat that shows no deployments is skipped.
func (c *chat) SensorDeployChanged(ctx context.Context, d *runbooks.SensorDeploy, events []runbooks.Event) error {
	if sc, ok := c.inner.(runbooks.SensorDeployChat); ok {
		return sc.SensorDeployChanged(ctx, d, events)
	}
	return nil
}

// RequestSensorDeploy forwards to the engine, so the bot's /patch sensors
// deploy reaches it through this wrapper.
func (d decisions) RequestSensorDeploy(ctx context.Context, req runbooks.SensorDeployRequest) (*runbooks.SensorDeploy, error) {
	rs, ok := d.Engine.(interface {
		RequestSensorDeploy(context.Context, runbooks.SensorDeployRequest) (*runbooks.SensorDeploy, error)
	})
	if !ok {
		return nil, runbooks.Errorf(runbooks.CodeUnavailable, "sensor deployment is not available in this deployment")
	}
	return rs.RequestSensorDeploy(ctx, req)
}
