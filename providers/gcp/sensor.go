package gcp

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	osconfig "google.golang.org/api/osconfig/v1"

	"github.com/patchgate/patchgate/runbooks"
)

var _ runbooks.SensorInstaller = (*Provider)(nil)

// SensorInstall configures the Falcon sensor install (edr.deploy.gcp).
// On apt and yum VMs it is an OS Config patch job: the install script runs
// as the job's pre-step and the patch step updates only the sensor
// package. On Windows and SUSE VMs it is an OS policy assignment
// (ospolicy.go). Neither carries parameters, protected or not, so nothing
// secret travels: the script reads the CID and installer token from
// Secret Manager on the VM (its service account needs
// secretmanager.versions.access on them), and patchgate never reads them.
type SensorInstall struct {
	// Script is the shell install script (Linux): a Cloud Storage object
	// "gs://bucket/object#generation" (OS Config needs the generation) or
	// an absolute path already on the VMs' image.
	Script string
	// WindowsScript is the PowerShell install script for Windows VMs, in
	// the same forms (an absolute path being C:\...).
	WindowsScript string
	// Package is the one package the job's patch step may update
	// (default falcon-sensor).
	Package string
	// Duration bounds the job, and how long an OS policy assignment waits
	// for its VMs' reports (default 1h).
	Duration time.Duration
}

// Enabled reports whether an install script is configured.
func (s SensorInstall) Enabled() bool { return s.Script != "" || s.WindowsScript != "" }

func (s SensorInstall) duration() time.Duration {
	if s.Duration <= 0 {
		return time.Hour
	}
	return s.Duration
}

var gcsObjectRE = regexp.MustCompile(`^gs://([^/]+)/(.+)#([0-9]+)$`)

// execStep is the pre-step running the install script.
func (s SensorInstall) execStep() (*osconfig.ExecStep, error) {
	cfg := &osconfig.ExecStepConfig{Interpreter: "SHELL", AllowedSuccessCodes: []int64{0}}
	if m := gcsObjectRE.FindStringSubmatch(s.Script); m != nil {
		gen, _ := strconv.ParseInt(m[3], 10, 64)
		cfg.GcsObject = &osconfig.GcsObject{Bucket: m[1], Object: m[2], GenerationNumber: gen}
	} else if strings.HasPrefix(s.Script, "/") {
		cfg.LocalPath = s.Script
	} else {
		return nil, runbooks.Errorf(runbooks.CodeBlocked, "edr.deploy.gcp.script %q: want gs://bucket/object#generation or an absolute path on the VMs", s.Script)
	}
	return &osconfig.ExecStep{LinuxExecStepConfig: cfg}, nil
}

// sensorDescription marks a sensor job with its batch's tag so FindInstall
// finds it again after a crash (see description).
func sensorDescription(req runbooks.SensorInstallRequest) string {
	d := fmt.Sprintf("patchgate sensor tag=%s deploy=%s tenant=%s env=%s", req.Tag, req.Deploy, req.Tenant, req.Env)
	if len(d) > 1024 {
		d = d[:1024]
	}
	return d
}

// sensorPlan splits a batch: apt and yum VMs by project (a patch job
// each), Windows and SUSE VMs by project and zone (an OS policy
// assignment each).
type sensorPlan struct {
	jobs     map[string][]runbooks.Host
	projects []string
	policy   map[zoneKey][]runbooks.Host
	zones    []zoneKey
}

func planSensor(req runbooks.SensorInstallRequest) sensorPlan {
	var linux []runbooks.Host
	for _, h := range req.Hosts {
		if familyOf(h) == familyPatchJob {
			linux = append(linux, h)
		}
	}
	pl := sensorPlan{}
	pl.jobs, pl.projects = gcpHosts(linux)
	pl.policy, pl.zones = policyZones(req.Hosts)
	return pl
}

// handle lists the jobs and assignments, in plan order.
func (pl sensorPlan) handle(jobs map[string]string, assignments map[zoneKey]string) string {
	names := []string{}
	if n := jobNames(jobs, pl.projects); n != "" {
		names = append(names, n)
	}
	for _, z := range pl.zones {
		names = append(names, assignments[z])
	}
	return strings.Join(names, ",")
}

// FindInstall looks for the jobs and assignments an earlier step created
// for req.Tag; found when every project and zone of the batch has one.
func (p *Provider) FindInstall(ctx context.Context, req runbooks.SensorInstallRequest) (runbooks.SensorInstallStatus, bool, error) {
	pl := planSensor(req)
	if len(pl.projects)+len(pl.zones) == 0 {
		return runbooks.SensorInstallStatus{}, false, nil
	}
	have, err := p.sensorJobs(ctx, req.Tag, pl.projects)
	if err != nil || len(have) < len(pl.projects) {
		return runbooks.SensorInstallStatus{}, false, err
	}
	assigned, err := p.findAssignments(ctx, req.Tag, pl.zones)
	if err != nil || len(assigned) < len(pl.zones) {
		return runbooks.SensorInstallStatus{}, false, err
	}
	return runbooks.SensorInstallStatus{Handle: pl.handle(have, assigned), Source: runbooks.SourceGCPOSConfig}, true, nil
}

// sensorJobs are the jobs executed for tag, by project.
func (p *Provider) sensorJobs(ctx context.Context, tag string, projects []string) (map[string]string, error) {
	found := map[string]string{}
	for _, project := range projects {
		job, err := p.findJob(ctx, project, func(j *osconfig.PatchJob) bool {
			return strings.HasPrefix(j.Description, "patchgate sensor ") && field(j.Description, "tag") == tag
		})
		if err != nil {
			return nil, err
		}
		if job != nil {
			found[project] = job.Name
		}
	}
	return found, nil
}

func jobNames(by map[string]string, projects []string) string {
	var names []string
	for _, p := range projects {
		names = append(names, by[p])
	}
	return strings.Join(names, ",")
}

// StartInstall executes one patch job per project over exactly the
// batch's apt and yum instances (the install script as pre-step, the
// sensor package the only update, no reboot), and creates one OS policy
// assignment per zone of its Windows and SUSE instances; what an earlier
// step already created for the tag is kept.
func (p *Provider) StartInstall(ctx context.Context, req runbooks.SensorInstallRequest) (runbooks.SensorInstallStatus, error) {
	s := p.cfg.Sensor
	if !s.Enabled() {
		return runbooks.SensorInstallStatus{}, runbooks.Errorf(runbooks.CodeBlocked, "no sensor install script is configured (edr.deploy.gcp)")
	}
	pl := planSensor(req)
	for _, z := range pl.zones { // refuse a batch missing a script before changing anything
		if _, err := sensorAssignment(req, s, pl.policy[z]); err != nil {
			return runbooks.SensorInstallStatus{}, err
		}
	}
	have, err := p.startJobs(ctx, req, pl)
	if err != nil {
		return runbooks.SensorInstallStatus{}, err
	}
	assigned, err := p.findAssignments(ctx, req.Tag, pl.zones)
	if err != nil {
		return runbooks.SensorInstallStatus{}, err
	}
	if err := p.startAssignments(ctx, req, pl.policy, pl.zones, assigned); err != nil {
		return runbooks.SensorInstallStatus{}, err
	}
	return runbooks.SensorInstallStatus{Handle: pl.handle(have, assigned), Source: runbooks.SourceGCPOSConfig}, nil
}

// startJobs executes the patch job of each project that has none for the
// tag yet.
func (p *Provider) startJobs(ctx context.Context, req runbooks.SensorInstallRequest, pl sensorPlan) (map[string]string, error) {
	s := p.cfg.Sensor
	byProject, projects := pl.jobs, pl.projects
	if len(projects) == 0 {
		return map[string]string{}, nil
	}
	pre, err := s.execStep()
	if err != nil {
		return nil, err
	}
	have, err := p.sensorJobs(ctx, req.Tag, projects)
	if err != nil {
		return nil, err
	}
	for _, project := range projects {
		if _, ok := have[project]; ok {
			continue // executed before a restart
		}
		job, err := p.osconfig.Projects.PatchJobs.Execute("projects/"+project, sensorJob(req, s, pre, byProject[project])).Context(ctx).Do()
		if err != nil {
			return nil, coded(fmt.Sprintf("execute the sensor install job on %d instances of project %s", len(byProject[project]), project), err)
		}
		p.cfg.Log.Info("gcp sensor install job started", "tag", req.Tag, "job", job.Name, "instances", len(byProject[project]))
		have[project] = job.Name
	}
	return have, nil
}

func sensorJob(req runbooks.SensorInstallRequest, s SensorInstall, pre *osconfig.ExecStep, hosts []runbooks.Host) *osconfig.ExecutePatchJobRequest {
	filter := &osconfig.PatchInstanceFilter{}
	for _, h := range hosts {
		filter.Instances = append(filter.Instances, fmt.Sprintf("projects/%s/zones/%s/instances/%s", h.Account, h.Region, h.Name))
	}
	pkg := s.Package
	if pkg == "" {
		pkg = "falcon-sensor"
	}
	d := s.duration()
	name := "patchgate sensor " + req.Deploy
	if len(name) > 64 {
		name = name[:64]
	}
	return &osconfig.ExecutePatchJobRequest{
		DisplayName: name, Description: sensorDescription(req), InstanceFilter: filter,
		Duration: fmt.Sprintf("%ds", int64(d.Seconds())),
		PatchConfig: &osconfig.PatchConfig{
			RebootConfig: "NEVER",
			PreStep:      pre,
			Apt:          &osconfig.AptSettings{ExclusivePackages: []string{pkg}},
			Yum:          &osconfig.YumSettings{ExclusivePackages: []string{pkg}},
		},
	}
}

// PollInstall reads the jobs (PatchStatus) and assignments of the handle:
// each patch-job host's outcome once its jobs ended, with OS Config's
// failure reason (a failed pre-step included), and each assignment host's
// outcome as its report arrives.
func (p *Provider) PollInstall(ctx context.Context, req runbooks.SensorInstallRequest, handle string) (runbooks.SensorInstallStatus, error) {
	var jobs, assignments []string
	pl := planSensor(req)
	out := runbooks.SensorInstallStatus{Handle: handle, Done: true, Source: runbooks.SourceGCPOSConfig}
	for _, name := range strings.Split(handle, ",") {
		z, ok := parseAssignment(name)
		if !ok {
			jobs = append(jobs, name)
			continue
		}
		done, rs, err := p.pollAssignment(ctx, name, pl.policy[z])
		if err != nil {
			return runbooks.SensorInstallStatus{}, err
		}
		out.Done = out.Done && done
		out.Hosts = append(out.Hosts, rs...)
		assignments = append(assignments, name)
	}
	if len(jobs) > 0 {
		st, err := p.PatchStatus(ctx, strings.Join(jobs, ","))
		if err != nil {
			return runbooks.SensorInstallStatus{}, err
		}
		if !st.Done {
			out.Done = false
		} else {
			failed := map[string]string{}
			for _, f := range st.Findings {
				failed[f.HostID] = f.Reason
			}
			for _, hs := range pl.jobs {
				for _, h := range hs {
					r, bad := failed[h.ID]
					out.Hosts = append(out.Hosts, runbooks.SensorHostResult{HostID: h.ID, OK: !bad, Detail: r})
				}
			}
		}
	}
	if out.Done {
		if err := p.deleteAssignments(ctx, assignments); err != nil {
			return runbooks.SensorInstallStatus{}, err
		}
	}
	sort.Slice(out.Hosts, func(i, j int) bool { return out.Hosts[i].HostID < out.Hosts[j].HostID })
	return out, nil
}
