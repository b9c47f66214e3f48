package sim

import (
	"context"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/runbooks/edr"
)

// MethodSensorsOf is the coverage and validation read of sensors.
const MethodSensorsOf = "SensorsOf"

var _ edr.Fleet = (*Fleet)(nil)

// SensorsOf answers the simulated Falcon console: each host with a sensor
// is registered under its instance ID, in its environment's host group
// (sim-hg-<env>) with that environment's prevention and sensor-update
// policies (sim-prevention-<env>, sim-update-<env>).
func (f *Fleet) SensorsOf(ctx context.Context, hosts []runbooks.Host) (map[string]edr.Sensor, error) {
	out := make(map[string]edr.Sensor, len(hosts))
	err := f.call(ctx, MethodSensorsOf, func(int) error {
		now := f.now()
		for _, given := range hosts {
			h := f.live(given, now)
			if !h.HasSensor {
				continue
			}
			out[h.ID] = edr.Sensor{HostID: h.ID, DeviceID: "sim-" + h.ID, MatchedBy: "instance_id", Version: h.SensorVersion,
				RFM: h.SensorRFM, HostGroups: []string{"sim-hg-" + h.Env},
				PreventionPolicy: "sim-prevention-" + h.Env, SensorUpdatePolicy: "sim-update-" + h.Env}
		}
		return nil
	})
	return out, err
}
