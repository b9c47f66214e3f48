package gcp

import (
	"context"
	"fmt"

	"github.com/patchgate/patchgate/runbooks"
	osconfig "google.golang.org/api/osconfig/v1"
)

// VerifyPatch checks each GCP host after its stage's patch job: the job
// must have patched it, and an OS Config inventory reported after the job
// ended must show no update still available. An inventory older than the
// job's end cannot tell either way and is not held against the host (the
// agent reports on its own schedule); a missing one is.
func (p *Provider) VerifyPatch(ctx context.Context, req runbooks.OpRequest) ([]runbooks.Finding, error) {
	byProject, projects := gcpHosts(req.Hosts)
	var fs []runbooks.Finding
	for _, project := range projects {
		hosts := byProject[project]
		job, err := p.findJob(ctx, project, func(j *osconfig.PatchJob) bool {
			return field(j.Description, "cycle") == req.Cycle && field(j.Description, "stage") == req.Stage
		})
		if err != nil {
			return nil, err
		}
		if job == nil {
			for _, h := range hosts {
				fs = append(fs, finding(h, fmt.Sprintf("no patch job of cycle %s stage %s in project %s", req.Cycle, req.Stage, project)))
			}
			continue
		}
		states := map[string]*osconfig.PatchJobInstanceDetails{}
		if err := p.instanceDetails(ctx, job.Name, func(d *osconfig.PatchJobInstanceDetails) { states[d.InstanceSystemId] = d }); err != nil {
			return nil, err
		}
		reps := map[string]map[string]report{}
		for _, h := range hosts {
			d, ok := states[h.ID]
			switch {
			case !ok:
				fs = append(fs, finding(h, "not in patch job "+last(job.Name)))
				continue
			case !patched[d.State]:
				fs = append(fs, finding(h, instanceReason(job, d)))
				continue
			}
			if reps[h.Region] == nil {
				if reps[h.Region], err = p.reports(ctx, project, h.Region); err != nil {
					return nil, err
				}
			}
			r, ok := reps[h.Region][h.ID]
			switch {
			case !ok:
				fs = append(fs, finding(h, "no OS Config inventory report after patching"))
			case r.Updated.After(ts(job.UpdateTime)) && r.Available > 0:
				fs = append(fs, finding(h, fmt.Sprintf("%d package update(s) still available after patch job %s (inventory of %s)",
					r.Available, last(job.Name), r.Updated.UTC().Format("2006-01-02 15:04Z"))))
			}
		}
	}
	return fs, nil
}

func finding(h runbooks.Host, reason string) runbooks.Finding {
	return runbooks.Finding{HostID: h.ID, HostName: h.Name, Reason: reason}
}
