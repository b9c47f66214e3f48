package gcp

import (
	"context"
	"fmt"
	"strings"

	"github.com/patchgate/patchgate/runbooks"
	osconfig "google.golang.org/api/osconfig/v1"
)

// terminal are the states a patch job ends in.
var terminal = map[string]bool{
	"SUCCEEDED": true, "COMPLETED_WITH_INACTIVE_VMS": true, "COMPLETED_WITH_ERRORS": true,
	"CANCELED": true, "TIMED_OUT": true,
}

// patched are the per-instance states that count as success.
var patched = map[string]bool{"SUCCEEDED": true, "SUCCEEDED_REBOOT_REQUIRED": true}

// PatchStatus reads each job of the handle. Progress comes from the job's
// instance summary; once a job has ended with anything but full success,
// its instance details name each instance that was not patched and why.
func (p *Provider) PatchStatus(ctx context.Context, handle string) (runbooks.OpStatus, error) {
	st := runbooks.OpStatus{Done: true}
	if handle == "" {
		return st, nil // a request without GCP hosts started nothing
	}
	for _, name := range strings.Split(handle, ",") {
		if !strings.HasPrefix(name, "projects/") || !strings.Contains(name, "/patchJobs/") {
			return runbooks.OpStatus{}, fmt.Errorf("patch handle %.60q is not an OS Config patch job name", name)
		}
		job, err := p.osconfig.Projects.PatchJobs.Get(name).Context(ctx).Do()
		if err != nil {
			return runbooks.OpStatus{}, coded("read patch job "+name, err)
		}
		ok, failed := summary(job.InstanceDetailsSummary)
		st.Succeeded += ok
		st.Failed += failed
		st.Total += total(job.InstanceDetailsSummary)
		if !terminal[job.State] {
			st.Done = false
			continue
		}
		if job.State == "SUCCEEDED" && failed == 0 {
			continue
		}
		fs, err := p.failedInstances(ctx, job)
		if err != nil {
			return runbooks.OpStatus{}, err
		}
		st.Findings = append(st.Findings, fs...)
	}
	return st, nil
}

// summary counts instances patched and instances that will not be:
// failed, timed out, without an agent, stopped (inactive) or skipped.
func summary(s *osconfig.PatchJobInstanceDetailsSummary) (ok, failed int) {
	if s == nil {
		return 0, 0
	}
	ok = int(s.SucceededInstanceCount + s.SucceededRebootRequiredInstanceCount)
	failed = int(s.FailedInstanceCount + s.TimedOutInstanceCount + s.NoAgentDetectedInstanceCount +
		s.InactiveInstanceCount + s.SkippedInstanceCount)
	return ok, failed
}

// total counts the instances in every state: each is in exactly one.
func total(s *osconfig.PatchJobInstanceDetailsSummary) int {
	if s == nil {
		return 0
	}
	return int(s.PendingInstanceCount + s.InactiveInstanceCount + s.NotifiedInstanceCount + s.StartedInstanceCount +
		s.DownloadingPatchesInstanceCount + s.ApplyingPatchesInstanceCount + s.RebootingInstanceCount +
		s.SucceededInstanceCount + s.SucceededRebootRequiredInstanceCount + s.FailedInstanceCount +
		s.AckedInstanceCount + s.TimedOutInstanceCount + s.PrePatchStepInstanceCount + s.PostPatchStepInstanceCount +
		s.NoAgentDetectedInstanceCount + s.SkippedInstanceCount)
}

// failedInstances lists the job's instance details (paged) and names every
// instance not patched, with OS Config's failure reason. A job that ended
// badly without any such instance (cancelled before it reached one) is
// itself the finding.
func (p *Provider) failedInstances(ctx context.Context, job *osconfig.PatchJob) ([]runbooks.Finding, error) {
	var fs []runbooks.Finding
	err := p.instanceDetails(ctx, job.Name, func(d *osconfig.PatchJobInstanceDetails) {
		if !patched[d.State] {
			fs = append(fs, runbooks.Finding{HostID: d.InstanceSystemId, HostName: last(d.Name), Reason: instanceReason(job, d)})
		}
	})
	if err != nil {
		return nil, err
	}
	if len(fs) == 0 && job.State != "SUCCEEDED" {
		reason := "patch job " + job.Name + " ended " + job.State
		if job.ErrorMessage != "" {
			reason += ": " + job.ErrorMessage
		}
		fs = append(fs, runbooks.Finding{HostID: job.Name, Reason: reason})
	}
	return fs, nil
}

func (p *Provider) instanceDetails(ctx context.Context, job string, each func(*osconfig.PatchJobInstanceDetails)) error {
	loop := "osconfig patchJobs.instanceDetails.list of " + job
	err := p.osconfig.Projects.PatchJobs.InstanceDetails.List(job).PageSize(100).Pages(ctx, guarded(p, loop, func(l *osconfig.ListPatchJobInstanceDetailsResponse) string { return l.NextPageToken },
		func(page *osconfig.ListPatchJobInstanceDetailsResponse) error {
			for _, d := range page.PatchJobInstanceDetails {
				each(d)
			}
			return nil
		}))
	if err != nil {
		return coded("list instance details of patch job "+job, err)
	}
	return nil
}

func instanceReason(job *osconfig.PatchJob, d *osconfig.PatchJobInstanceDetails) string {
	r := "patch job " + last(job.Name) + ": " + d.State
	if d.FailureReason != "" {
		r += ": " + d.FailureReason
	}
	return r
}
