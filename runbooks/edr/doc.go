// Package edr is the EDR (Falcon sensor) lifecycle between patch cycles:
// coverage (hosts in the inventory without a registered sensor, with an
// outdated sensor, or in reduced-functionality mode, per tenant and
// environment) and validation of each host's registration against what
// configuration expects (host group, prevention and sensor-update policies,
// minimum version).
//
// Evaluation is pure (Evaluate, Validate: hosts, sensors and expectations
// in, gaps out); the Service reads the inventory and the Fleet port and is
// called the same way by `/patch sensors`, `patchgate sensors` and the
// daily digest.
package edr
