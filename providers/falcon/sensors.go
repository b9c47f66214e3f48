package falcon

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/crowdstrike/gofalcon/falcon/client/sensor_update_policies"
	"github.com/crowdstrike/gofalcon/falcon/models"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/runbooks/edr"
)

// maxPolicyIDs is how many policy IDs one GET of policy entities carries.
const maxPolicyIDs = 100

var _ edr.Fleet = (*Client)(nil)

// SensorsOf reads the Falcon device of each host (matched as Devices
// matches) with its host groups, assigned policies, and the sensor version
// its sensor-update policy targets (GET /policy/entities/sensor-update/v2,
// settings.sensor_version; "" when the policy names none).
func (c *Client) SensorsOf(ctx context.Context, hs []runbooks.Host) (map[string]edr.Sensor, error) {
	devs, err := c.Devices(ctx, hs)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, d := range devs {
		if id := d.SensorUpdate.ID; id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	targets, err := c.updateTargets(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]edr.Sensor, len(devs))
	for hostID, d := range devs {
		out[hostID] = edr.Sensor{HostID: hostID, DeviceID: d.DeviceID, MatchedBy: d.MatchedBy, Version: d.AgentVersion,
			RFM: d.RFM(), HostGroups: d.Groups, PreventionPolicy: d.Prevention.ID, SensorUpdatePolicy: d.SensorUpdate.ID,
			TargetVersion: targets[d.SensorUpdate.ID]}
	}
	return out, nil
}

// updateTargets maps sensor-update policy IDs to the sensor version each
// targets; a disabled policy targets nothing.
func (c *Client) updateTargets(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	for batch := range chunks(ids, maxPolicyIDs) {
		res, err := c.api.SensorUpdatePolicies.GetSensorUpdatePoliciesV2(&sensor_update_policies.GetSensorUpdatePoliciesV2Params{
			Context: ctx, Ids: batch,
		})
		var p *models.SensorUpdateRespV2
		var notFound *sensor_update_policies.GetSensorUpdatePoliciesV2NotFound
		switch {
		case errors.As(err, &notFound) && notFound.Payload != nil:
			// A deleted policy still named on a device: the rest answer.
			p = notFound.Payload
		case err != nil:
			return nil, fmt.Errorf("read %d falcon sensor-update policies: %w", len(batch), c.redact(err))
		default:
			p = res.GetPayload()
			if err := apiErrors(p.Errors); err != nil {
				return nil, fmt.Errorf("read %d falcon sensor-update policies: %w", len(batch), err)
			}
		}
		for _, r := range p.Resources {
			if r == nil || r.ID == nil || (r.Enabled != nil && !*r.Enabled) || r.Settings == nil {
				continue
			}
			out[*r.ID] = deref(r.Settings.SensorVersion)
		}
	}
	return out, nil
}
