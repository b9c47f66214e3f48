package gcp

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/patchgate/patchgate/runbooks"
	osconfig "google.golang.org/api/osconfig/v1"
)

// StartPatch executes one OS Config patch job per project over exactly the
// request's instances. The handle is the job name
// (projects/{p}/patchJobs/{id}); with several projects, their names joined
// by commas.
func (p *Provider) StartPatch(ctx context.Context, req runbooks.OpRequest) (string, error) {
	byProject, projects := gcpHosts(req.Hosts)
	p.mu.Lock()
	known := p.partial[req.Tag]
	delete(p.partial, req.Tag)
	p.mu.Unlock()
	var names []string
	for _, project := range projects {
		if name, ok := known[project]; ok {
			names = append(names, name) // sent before a restart; FindPatch saw it
			continue
		}
		job, err := p.osconfig.Projects.PatchJobs.Execute("projects/"+project, p.patchRequest(req, byProject[project])).Context(ctx).Do()
		if err != nil {
			return strings.Join(names, ","), coded(fmt.Sprintf("execute a patch job on %d instances of project %s", len(byProject[project]), project), err)
		}
		p.cfg.Log.Info("gcp patch job started", "cycle", req.Cycle, "stage", req.Stage, "job", job.Name, "instances", len(byProject[project]))
		names = append(names, job.Name)
	}
	return strings.Join(names, ","), nil
}

// description marks a job with its tag so FindPatch and VerifyPatch can
// find it again; OS Config can only filter jobs by patch deployment, so
// the match is made on this text.
func description(req runbooks.OpRequest) string {
	d := fmt.Sprintf("patchgate tag=%s cycle=%s stage=%s tenant=%s env=%s", req.Tag, req.Cycle, req.Stage, req.Tenant, req.Env)
	if len(d) > 1024 {
		d = d[:1024]
	}
	return d
}

// field reads key=value out of a job description.
func field(desc, key string) string {
	for _, f := range strings.Fields(desc) {
		if v, ok := strings.CutPrefix(f, key+"="); ok {
			return v
		}
	}
	return ""
}

func (p *Provider) patchRequest(req runbooks.OpRequest, hosts []runbooks.Host) *osconfig.ExecutePatchJobRequest {
	s := p.cfg.Patch
	filter := &osconfig.PatchInstanceFilter{}
	for _, h := range hosts {
		filter.Instances = append(filter.Instances, fmt.Sprintf("projects/%s/zones/%s/instances/%s", h.Account, h.Region, h.Name))
	}
	name := "patchgate " + req.Cycle + " " + req.Stage
	if len(name) > 64 {
		name = name[:64]
	}
	return &osconfig.ExecutePatchJobRequest{
		DisplayName:    name,
		Description:    description(req),
		InstanceFilter: filter,
		Duration:       fmt.Sprintf("%ds", int64(s.Duration.Seconds())),
		PatchConfig: &osconfig.PatchConfig{
			RebootConfig: s.RebootConfig,
			PreStep:      step(s.PreStepLinux, s.PreStepWindows),
			PostStep:     step(s.PostStepLinux, s.PostStepWindows),
		},
		Rollout: &osconfig.PatchRollout{
			Mode:             s.RolloutMode,
			DisruptionBudget: &osconfig.FixedOrPercent{Percent: int64(s.DisruptionBudgetPercent)},
		},
	}
}

// step runs scripts already on the VMs; nil when none is configured.
func step(linux, windows string) *osconfig.ExecStep {
	if linux == "" && windows == "" {
		return nil
	}
	st := &osconfig.ExecStep{}
	if linux != "" {
		st.LinuxExecStepConfig = &osconfig.ExecStepConfig{LocalPath: linux, Interpreter: "SHELL"}
	}
	if windows != "" {
		st.WindowsExecStepConfig = &osconfig.ExecStepConfig{LocalPath: windows, Interpreter: "POWERSHELL"}
	}
	return st
}

// FindPatch looks for the jobs an earlier, interrupted step executed for
// this tag. Found only when every project has its job; jobs found in some
// projects are remembered so the StartPatch that follows does not send
// them again.
func (p *Provider) FindPatch(ctx context.Context, req runbooks.OpRequest) (string, bool, error) {
	_, projects := gcpHosts(req.Hosts)
	found := map[string]string{}
	var names []string
	for _, project := range projects {
		job, err := p.findJob(ctx, project, func(j *osconfig.PatchJob) bool { return field(j.Description, "tag") == req.Tag })
		if err != nil {
			return "", false, err
		}
		if job != nil {
			found[project] = job.Name
			names = append(names, job.Name)
		}
	}
	if len(names) == len(projects) && len(names) > 0 {
		return strings.Join(names, ","), true, nil
	}
	if len(found) > 0 {
		p.mu.Lock()
		p.partial[req.Tag] = found
		p.mu.Unlock()
	}
	return "", false, nil
}

// findJob pages through the project's patch jobs and returns the newest
// one that matches.
func (p *Provider) findJob(ctx context.Context, project string, match func(*osconfig.PatchJob) bool) (*osconfig.PatchJob, error) {
	var best *osconfig.PatchJob
	loop := "osconfig patchJobs.list of projects/" + project
	err := p.osconfig.Projects.PatchJobs.List("projects/"+project).PageSize(100).Pages(ctx, guarded(p, loop, func(l *osconfig.ListPatchJobsResponse) string { return l.NextPageToken },
		func(page *osconfig.ListPatchJobsResponse) error {
			for _, j := range page.PatchJobs {
				if match(j) && (best == nil || ts(j.CreateTime).After(ts(best.CreateTime))) {
					best = j
				}
			}
			return nil
		}))
	if err != nil {
		return nil, coded(fmt.Sprintf("list patch jobs of project %s", project), err)
	}
	return best, nil
}

// ts parses an API timestamp; a malformed one counts as the zero time.
func ts(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}
