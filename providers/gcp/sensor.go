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

// SensorInstall configures the Falcon sensor install through an OS Config
// patch job (edr.deploy.gcp): the install script runs as the job's
// pre-step and the patch step updates only the sensor package. A patch
// job carries no parameters at all, protected or not, so nothing secret
// travels: the script reads the CID and installer token from Secret
// Manager on the VM (its service account needs
// secretmanager.versions.access on them), and patchgate never reads them.
type SensorInstall struct {
	// Script is the install script: a Cloud Storage object
	// "gs://bucket/object#generation" (OS Config needs the generation) or
	// an absolute path already on the VMs' image.
	Script string
	// Package is the one package the job's patch step may update
	// (default falcon-sensor).
	Package string
	// Duration bounds the job (default 1h).
	Duration time.Duration
}

// Enabled reports whether an install script is configured.
func (s SensorInstall) Enabled() bool { return s.Script != "" }

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

// sensorHosts groups the request by project; Windows and SUSE VMs are
// refused because their patch settings cannot narrow the patch step to
// the sensor package (only apt and yum take exclusivePackages).
func sensorHosts(req runbooks.SensorInstallRequest) (map[string][]runbooks.Host, []string, error) {
	for _, h := range req.Hosts {
		os := strings.ToLower(h.OS)
		if strings.Contains(os, "windows") || strings.Contains(os, "sles") || strings.Contains(os, "suse") {
			return nil, nil, runbooks.Errorf(runbooks.CodeBlocked, "%s runs %s: the GCP sensor install narrows the patch job to the sensor package through apt or yum only", h.Name, h.OS)
		}
	}
	by, projects := gcpHosts(req.Hosts)
	return by, projects, nil
}

// FindInstall looks for the jobs an earlier step executed for req.Tag;
// found when every project of the batch has one.
func (p *Provider) FindInstall(ctx context.Context, req runbooks.SensorInstallRequest) (runbooks.SensorInstallStatus, bool, error) {
	_, projects, err := sensorHosts(req)
	if err != nil {
		return runbooks.SensorInstallStatus{}, false, err
	}
	have, err := p.sensorJobs(ctx, req.Tag, projects)
	if err != nil || len(have) < len(projects) || len(projects) == 0 {
		return runbooks.SensorInstallStatus{}, false, err
	}
	return runbooks.SensorInstallStatus{Handle: jobNames(have, projects), Source: runbooks.SourceGCPOSConfig}, true, nil
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

// StartInstall executes one patch job per project that has none for the
// tag yet, over exactly the batch's instances: the install script as
// pre-step, the sensor package the only update, no reboot.
func (p *Provider) StartInstall(ctx context.Context, req runbooks.SensorInstallRequest) (runbooks.SensorInstallStatus, error) {
	s := p.cfg.Sensor
	if !s.Enabled() {
		return runbooks.SensorInstallStatus{}, runbooks.Errorf(runbooks.CodeBlocked, "no sensor install script is configured (edr.deploy.gcp)")
	}
	pre, err := s.execStep()
	if err != nil {
		return runbooks.SensorInstallStatus{}, err
	}
	byProject, projects, err := sensorHosts(req)
	if err != nil {
		return runbooks.SensorInstallStatus{}, err
	}
	have, err := p.sensorJobs(ctx, req.Tag, projects)
	if err != nil {
		return runbooks.SensorInstallStatus{}, err
	}
	for _, project := range projects {
		if _, ok := have[project]; ok {
			continue // executed before a restart
		}
		job, err := p.osconfig.Projects.PatchJobs.Execute("projects/"+project, sensorJob(req, s, pre, byProject[project])).Context(ctx).Do()
		if err != nil {
			return runbooks.SensorInstallStatus{}, coded(fmt.Sprintf("execute the sensor install job on %d instances of project %s", len(byProject[project]), project), err)
		}
		p.cfg.Log.Info("gcp sensor install job started", "tag", req.Tag, "job", job.Name, "instances", len(byProject[project]))
		have[project] = job.Name
	}
	return runbooks.SensorInstallStatus{Handle: jobNames(have, projects), Source: runbooks.SourceGCPOSConfig}, nil
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
	d := s.Duration
	if d <= 0 {
		d = time.Hour
	}
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

// PollInstall reads the jobs (PatchStatus); once all ended, each host's
// outcome with OS Config's failure reason (a failed pre-step included).
func (p *Provider) PollInstall(ctx context.Context, req runbooks.SensorInstallRequest, handle string) (runbooks.SensorInstallStatus, error) {
	st, err := p.PatchStatus(ctx, handle)
	if err != nil {
		return runbooks.SensorInstallStatus{}, err
	}
	out := runbooks.SensorInstallStatus{Handle: handle, Done: st.Done, Source: runbooks.SourceGCPOSConfig}
	if !st.Done {
		return out, nil
	}
	failed := map[string]string{}
	for _, f := range st.Findings {
		failed[f.HostID] = f.Reason
	}
	for _, h := range req.Hosts {
		r, bad := failed[h.ID]
		out.Hosts = append(out.Hosts, runbooks.SensorHostResult{HostID: h.ID, OK: !bad, Detail: r})
	}
	sort.Slice(out.Hosts, func(i, j int) bool { return out.Hosts[i].HostID < out.Hosts[j].HostID })
	return out, nil
}
