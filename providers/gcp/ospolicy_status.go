package gcp

import (
	"context"
	"fmt"
	"strings"
	"time"

	osconfig "google.golang.org/api/osconfig/v1"

	"github.com/patchgate/patchgate/runbooks"
)

// waitingReasons are the UNKNOWN compliance reasons the agent's next
// cycle may still turn into an outcome; every other UNKNOWN reason is
// final for the batch.
var waitingReasons = map[string]bool{
	"os-policy-execution-pending": true, "task-timeout": true,
	"unexpected-agent-state": true, "internal-service-errors": true, "": true,
}

// reportOutcome reads one VM's report of the sensor policy: final once it
// is COMPLIANT, NON_COMPLIANT (with each failed step's message) or UNKNOWN
// for a reason no later cycle fixes (no agent, VM stopped).
func reportOutcome(r *osconfig.OSPolicyAssignmentReport) (final, ok bool, detail string) {
	for _, c := range r.OsPolicyCompliances {
		if c.OsPolicyId != sensorPolicyID {
			continue
		}
		switch c.ComplianceState {
		case "COMPLIANT":
			return true, true, ""
		case "NON_COMPLIANT":
			return true, false, "OS policy non-compliant: " + stepErrors(c)
		}
		if waitingReasons[c.ComplianceStateReason] {
			return false, false, c.ComplianceStateReason
		}
		d := "OS policy state unknown: " + c.ComplianceStateReason
		if e := stepErrors(c); e != "" {
			d += ": " + e
		}
		return true, false, d
	}
	return false, false, "no report of the sensor policy yet"
}

// stepErrors are the agent's messages of the steps that failed, by
// resource and step.
func stepErrors(c *osconfig.OSPolicyAssignmentReportOSPolicyCompliance) string {
	var out []string
	for _, rc := range c.OsPolicyResourceCompliances {
		for _, st := range rc.ConfigSteps {
			if st.ErrorMessage != "" {
				out = append(out, fmt.Sprintf("%s %s: %s", rc.OsPolicyResourceId, strings.ToLower(st.Type), st.ErrorMessage))
			}
		}
		if len(out) == 0 && rc.ComplianceState != "COMPLIANT" && rc.ComplianceStateReason != "" {
			out = append(out, rc.OsPolicyResourceId+": "+rc.ComplianceStateReason)
		}
	}
	if len(out) == 0 {
		return "the agent gave no message"
	}
	return strings.Join(out, "; ")
}

// parseAssignment is the zone and ID of an assignment name.
func parseAssignment(name string) (zoneKey, bool) {
	p := strings.Split(name, "/")
	if len(p) != 6 || p[0] != "projects" || p[2] != "locations" || p[4] != "osPolicyAssignments" {
		return zoneKey{}, false
	}
	return zoneKey{p[1], p[3]}, true
}

// reportHost is the VM a report is about: its name holds the instance ID,
// its instance field the instance name.
func reportHost(r *osconfig.OSPolicyAssignmentReport, hosts []runbooks.Host) *runbooks.Host {
	id := ""
	if p := strings.Split(r.Name, "/"); len(p) > 5 && p[4] == "instances" {
		id = p[5]
	}
	for i, h := range hosts {
		if h.ID == id || h.Name == last(r.Instance) || h.ID == last(r.Instance) {
			return &hosts[i]
		}
	}
	return nil
}

// pollAssignment reads one zone's assignment and its VMs' reports: done
// once every VM has an outcome, or the install's duration has passed
// since the assignment was created (the rest fail with their last state).
// An assignment already gone was deleted by a poll whose outcome was not
// recorded: its VMs fail, to be looked at, rather than pass unseen.
func (p *Provider) pollAssignment(ctx context.Context, name string, hosts []runbooks.Host) (bool, []runbooks.SensorHostResult, error) {
	a, err := p.osconfig.Projects.Locations.OsPolicyAssignments.Get(name).Context(ctx).Do()
	if isNotFound(err) {
		var out []runbooks.SensorHostResult
		for _, h := range hosts {
			out = append(out, runbooks.SensorHostResult{HostID: h.ID, Detail: "the sensor OS policy assignment " + name + " was deleted before its outcome was recorded; check the VM"})
		}
		return true, out, nil
	}
	if err != nil {
		return false, nil, coded("read the sensor OS policy assignment "+name, err)
	}
	results := map[string]runbooks.SensorHostResult{}
	waiting := map[string]string{}
	parent := strings.Replace(name, "/osPolicyAssignments/", "/instances/-/osPolicyAssignments/", 1)
	err = p.osconfig.Projects.Locations.Instances.OsPolicyAssignments.Reports.List(parent).Context(ctx).Pages(ctx,
		guarded(p, "OS policy assignment reports of "+name, func(r *osconfig.ListOSPolicyAssignmentReportsResponse) string { return r.NextPageToken },
			func(r *osconfig.ListOSPolicyAssignmentReportsResponse) error {
				for _, rep := range r.OsPolicyAssignmentReports {
					h := reportHost(rep, hosts)
					if h == nil {
						continue
					}
					final, ok, detail := reportOutcome(rep)
					if final {
						results[h.ID] = runbooks.SensorHostResult{HostID: h.ID, OK: ok, Detail: detail}
					} else {
						waiting[h.ID] = detail
					}
				}
				return nil
			}))
	if err != nil {
		return false, nil, coded("list the sensor OS policy reports of "+name, err)
	}
	d := p.cfg.Sensor.duration()
	created, _ := time.Parse(time.RFC3339Nano, a.RevisionCreateTime)
	late := !created.IsZero() && p.cfg.Clock.Now().Sub(created) > d
	var out []runbooks.SensorHostResult
	done := true
	for _, h := range hosts {
		r, ok := results[h.ID]
		switch {
		case ok:
			out = append(out, r)
		case late:
			out = append(out, runbooks.SensorHostResult{HostID: h.ID, Detail: fmt.Sprintf("no outcome from the VM's OS Config agent within %s (%s)", d, orNone(waiting[h.ID]))})
		default:
			done = false
		}
	}
	return done, out, nil // the finished VMs are recorded meanwhile
}

// deleteAssignments removes a finished batch's assignments: their VMs
// would otherwise run enforce again every agent cycle. They go only once
// the whole batch is done, so no poll of an unfinished batch meets an
// assignment it deleted.
func (p *Provider) deleteAssignments(ctx context.Context, names []string) error {
	for _, name := range names {
		if _, err := p.osconfig.Projects.Locations.OsPolicyAssignments.Delete(name).Context(ctx).Do(); err != nil && !isNotFound(err) {
			return coded("delete the finished sensor OS policy assignment "+name, err)
		}
		p.cfg.Log.Info("gcp sensor OS policy assignment finished and deleted", "assignment", name)
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "no report"
	}
	return s
}
