package gcp

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/providers/gcp/gcptest"
	"github.com/patchgate/patchgate/runbooks"
)

// TestSensorDeployGCPPatchJobPreStep: the GCP installer executes one OS
// Config patch job per project over exactly the batch's instances, with
// the install script (a Cloud Storage object with its generation) as the
// Linux pre-step, the patch step narrowed to falcon-sensor through apt and
// yum exclusivePackages, no reboot, and the batch's tag in its
// description; it finds the job again by that tag instead of executing it
// twice, reads each instance's outcome (a failed pre-step names the VM),
// carries no secret at all, leaves other pending updates alone, and
// refuses Windows VMs when no PowerShell script is configured.
func TestSensorDeployGCPPatchJobPreStep(t *testing.T) {
	clk := testkit.NewClock(t0)
	srv := fake(t, clk)
	fleet(srv)
	srv.AddInstance(gcptest.Instance{Project: "dr-proj", Zone: "us-central1-b", Name: "new-1", ID: 110, Labels: map[string]string{"env": "prod"},
		OS: &gcptest.OSInfo{ShortName: "rhel", Version: "9.4", KernelRelease: "5.14.0-427.13.1.el9_4.x86_64"}, PatchFailure: "pre-step exited 1: falcon-sensor.rpm: dependency libnl3 missing"})
	const script = "gs://patchgate-installers/falcon/install.sh#1733500000"
	p := newProvider(t, srv, clk, func(c *Config) { c.Sensor = SensorInstall{Script: script} })
	ctx := context.Background()
	hs, err := p.Hosts(ctx, tenant, prodDR)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]runbooks.Host{}
	for _, h := range hs {
		byName[h.Name] = h
	}
	req := runbooks.SensorInstallRequest{Tag: "SD-acme-20261206-2000-abc/b0/a0", Deploy: "SD-acme-20261206-2000-abc", Tenant: "acme-cu", Env: "production",
		Hosts: []runbooks.Host{byName["web-1"], byName["db-1"], byName["new-1"]}}

	if _, found, err := p.FindInstall(ctx, req); err != nil || found {
		t.Fatalf("FindInstall before sending = %v, %v", found, err)
	}
	st, err := p.StartInstall(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(srv.Executed()) != 1 || st.Source != runbooks.SourceGCPOSConfig {
		t.Fatalf("%d jobs executed for one project (source %s)", len(srv.Executed()), st.Source)
	}
	again, found, err := p.FindInstall(ctx, req)
	if err != nil || !found || again.Handle != st.Handle {
		t.Fatalf("FindInstall after sending = %+v, %v, %v", again, found, err)
	}
	if _, err := newProvider(t, srv, clk, func(c *Config) { c.Sensor = SensorInstall{Script: script} }).StartInstall(ctx, req); err != nil || len(srv.Executed()) != 1 {
		t.Fatalf("a restarted StartInstall executed again: %d jobs, %v", len(srv.Executed()), err)
	}
	var body struct {
		Description    string `json:"description"`
		InstanceFilter struct {
			Instances []string `json:"instances"`
		} `json:"instanceFilter"`
		PatchConfig struct {
			RebootConfig string `json:"rebootConfig"`
			PreStep      struct {
				Linux struct {
					GcsObject struct {
						Bucket, Object, GenerationNumber string
					} `json:"gcsObject"`
					Interpreter string `json:"interpreter"`
				} `json:"linuxExecStepConfig"`
			} `json:"preStep"`
			Apt struct {
				ExclusivePackages []string `json:"exclusivePackages"`
			} `json:"apt"`
			Yum struct {
				ExclusivePackages []string `json:"exclusivePackages"`
			} `json:"yum"`
		} `json:"patchConfig"`
	}
	raw := srv.Executed()[0]
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatal(err)
	}
	pc := body.PatchConfig
	if len(body.InstanceFilter.Instances) != 3 || !strings.Contains(body.Description, "tag="+req.Tag) || pc.RebootConfig != "NEVER" ||
		pc.PreStep.Linux.GcsObject.Bucket != "patchgate-installers" || pc.PreStep.Linux.GcsObject.Object != "falcon/install.sh" ||
		pc.PreStep.Linux.GcsObject.GenerationNumber != "1733500000" || pc.PreStep.Linux.Interpreter != "SHELL" ||
		strings.Join(pc.Apt.ExclusivePackages, ",") != "falcon-sensor" || strings.Join(pc.Yum.ExclusivePackages, ",") != "falcon-sensor" {
		t.Fatalf("patch job request %s", raw)
	}
	if strings.Contains(strings.ToLower(string(raw)), "cid") || strings.Contains(string(raw), "token") {
		t.Errorf("the request carries a secret's name or value: %s", raw)
	}
	var done runbooks.SensorInstallStatus
	for range 5 {
		if done, err = p.PollInstall(ctx, req, st.Handle); err != nil {
			t.Fatal(err)
		}
		if done.Done {
			break
		}
	}
	if !done.Done || len(done.Hosts) != 3 {
		t.Fatalf("poll = %+v, want three instances finished", done)
	}
	for _, r := range done.Hosts {
		bad := r.HostID == byName["new-1"].ID
		if r.OK == bad || (bad && !strings.Contains(r.Detail, "libnl3")) {
			t.Errorf("%s = %+v", r.HostID, r)
		}
	}
	if after, _ := p.Hosts(ctx, tenant, prodDR); len(after) > 0 {
		for _, h := range after {
			if h.Name == "web-1" && h.PendingPatches == 0 {
				t.Error("the sensor job installed web-1's other pending updates")
			}
		}
	}
	win := req
	win.Tag = "SD-acme-20261206-2000-abc/b1/a0"
	w := byName["web-2"]
	w.OS = "windows"
	win.Hosts = []runbooks.Host{w}
	if _, err := p.StartInstall(ctx, win); runbooks.ErrorCode(err) != runbooks.CodeBlocked {
		t.Errorf("Windows VM: %v, want blocked", err)
	}
}
