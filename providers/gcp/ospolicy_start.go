package gcp

import (
	"context"
	"fmt"
	"net/http"

	compute "google.golang.org/api/compute/v1"

	"github.com/patchgate/patchgate/runbooks"
)

// policyZones groups the Windows and SUSE hosts of a request by project
// and zone, in first-seen order.
func policyZones(hosts []runbooks.Host) (map[zoneKey][]runbooks.Host, []zoneKey) {
	by := map[zoneKey][]runbooks.Host{}
	var zones []zoneKey
	for _, h := range hosts {
		if h.Cloud != runbooks.GCP || familyOf(h) == familyPatchJob {
			continue
		}
		z := zoneKey{h.Account, h.Region}
		if _, ok := by[z]; !ok {
			zones = append(zones, z)
		}
		by[z] = append(by[z], h)
	}
	return by, zones
}

// findAssignments are the batch's assignments that exist, by zone.
func (p *Provider) findAssignments(ctx context.Context, tag string, zones []zoneKey) (map[zoneKey]string, error) {
	found := map[zoneKey]string{}
	for _, z := range zones {
		a, err := p.osconfig.Projects.Locations.OsPolicyAssignments.Get(z.assignment(tag)).Context(ctx).Do()
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return nil, coded("read the sensor OS policy assignment in "+z.zone+" of project "+z.project, err)
		}
		if field(a.Description, "tag") != tag {
			return nil, fmt.Errorf("OS policy assignment %s belongs to %q, not to batch %s", a.Name, field(a.Description, "tag"), tag)
		}
		found[z] = z.assignment(tag)
	}
	return found, nil
}

// startAssignments labels each zone's VMs with the batch's marker and
// creates the zone's assignment where none exists yet. Labels come first:
// an assignment never selects fewer VMs than the batch, and relabelling
// after a restart changes nothing.
func (p *Provider) startAssignments(ctx context.Context, req runbooks.SensorInstallRequest, by map[zoneKey][]runbooks.Host, zones []zoneKey, have map[zoneKey]string) error {
	mark := marker(req.Tag)
	for _, z := range zones {
		if _, ok := have[z]; ok {
			continue // created before a restart
		}
		body, err := sensorAssignment(req, p.cfg.Sensor, by[z])
		if err != nil {
			return err
		}
		for _, h := range by[z] {
			if err := p.labelInstance(ctx, h, mark); err != nil {
				return err
			}
		}
		op, err := p.osconfig.Projects.Locations.OsPolicyAssignments.Create(z.parent(), body).
			OsPolicyAssignmentId(assignmentID(req.Tag)).Context(ctx).Do()
		switch {
		case isConflict(err):
			// another replica created it first: the same batch, by its ID
		case err != nil:
			return coded(fmt.Sprintf("create the sensor OS policy assignment for %d VM(s) in %s of project %s", len(by[z]), z.zone, z.project), err)
		case op.Error != nil:
			return runbooks.Errorf(runbooks.CodeBlocked, "OS Config refused the sensor OS policy assignment in %s of project %s: %s", z.zone, z.project, op.Error.Message)
		default:
			p.cfg.Log.Info("gcp sensor OS policy assignment created", "tag", req.Tag, "assignment", z.assignment(req.Tag), "instances", len(by[z]))
		}
		have[z] = z.assignment(req.Tag)
	}
	return nil
}

// labelInstance adds the marker label to one VM, keeping its other
// labels; setLabels needs the current label fingerprint, and a VM
// relabelled meanwhile (412) is read again.
func (p *Provider) labelInstance(ctx context.Context, h runbooks.Host, mark string) error {
	for range 3 {
		in, err := p.compute.Instances.Get(h.Account, h.Region, h.Name).Context(ctx).Do()
		if err != nil {
			return coded(fmt.Sprintf("read VM %s in %s to label it for the sensor install", h.Name, h.Region), err)
		}
		if in.Labels[sensorLabel] == mark {
			return nil
		}
		labels := map[string]string{sensorLabel: mark}
		for k, v := range in.Labels {
			if k != sensorLabel {
				labels[k] = v
			}
		}
		_, err = p.compute.Instances.SetLabels(h.Account, h.Region, h.Name,
			&compute.InstancesSetLabelsRequest{Labels: labels, LabelFingerprint: in.LabelFingerprint}).Context(ctx).Do()
		if httpCode(err) == http.StatusPreconditionFailed {
			continue
		}
		if err != nil {
			return coded(fmt.Sprintf("label VM %s in %s for the sensor install", h.Name, h.Region), err)
		}
		return nil
	}
	return fmt.Errorf("label VM %s in %s for the sensor install: its labels kept changing", h.Name, h.Region)
}
