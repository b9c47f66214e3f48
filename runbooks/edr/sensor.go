package edr

import (
	"context"

	"github.com/patchgate/patchgate/runbooks"
)

// Sensor is one host's EDR sensor as the EDR console reports it.
type Sensor struct {
	HostID   string `json:"host"`
	DeviceID string `json:"device_id,omitempty"`
	// MatchedBy says how the host was matched to the device: instance_id
	// (the cloud instance ID) or hostname.
	MatchedBy string `json:"matched_by,omitempty"`
	Version   string `json:"version,omitempty"`
	RFM       bool   `json:"rfm,omitempty"`
	// HostGroups are the IDs of the host groups the device is in.
	HostGroups []string `json:"host_groups,omitempty"`
	// PreventionPolicy and SensorUpdatePolicy are the assigned policies' IDs.
	PreventionPolicy   string `json:"prevention_policy,omitempty"`
	SensorUpdatePolicy string `json:"sensor_update_policy,omitempty"`
	// TargetVersion is the sensor version the sensor-update policy moves
	// hosts to ("" when the policy names none, or is off).
	TargetVersion string `json:"target_version,omitempty"`
}

// Fleet reads the EDR sensors of hosts, keyed by host ID; a host the EDR
// console does not know is absent. Implementations name their evidence
// source (runbooks.Sourced).
type Fleet interface {
	SensorsOf(ctx context.Context, hosts []runbooks.Host) (map[string]Sensor, error)
}
