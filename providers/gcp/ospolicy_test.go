package gcp

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/providers/gcp/gcptest"
	"github.com/patchgate/patchgate/runbooks"
)

const (
	linuxScript   = "gs://patchgate-installers/falcon/install.sh#1733500000"
	windowsScript = "gs://patchgate-installers/falcon/install.ps1#1733500042"
)

// policyFleet is the test fleet plus a Windows Server VM (win-1), a SLES VM (suse-1, zypper updates pending)
// and a Windows VM whose install script fails (win-2).
func policyFleet(t *testing.T, srv *gcptest.Server, clk *testkit.Clock) (*Provider, map[string]runbooks.Host) {
	t.Helper()
	fleet(srv)
	prod := func() map[string]string { return map[string]string{"env": "prod", "team": "payments"} }
	srv.AddInstance(gcptest.Instance{Project: "dr-proj", Zone: "us-central1-a", Name: "win-1", ID: 301, Labels: prod(),
		OS: &gcptest.OSInfo{ShortName: "windows", Version: "10.0.20348", KernelRelease: "10.0.20348.2700"}})
	srv.AddInstance(gcptest.Instance{Project: "dr-proj", Zone: "us-central1-b", Name: "suse-1", ID: 302, Labels: prod(),
		OS:        &gcptest.OSInfo{ShortName: "sles", Version: "15.6", KernelRelease: "6.4.0-150600.23.25-default"},
		Available: []gcptest.Package{{Manager: "zypper", Name: "openssl-3", Version: "3.1.4-150600.5.15.1", Arch: "x86_64"}}})
	srv.AddInstance(gcptest.Instance{Project: "dr-proj", Zone: "us-central1-a", Name: "win-2", ID: 303, Labels: prod(),
		OS:            &gcptest.OSInfo{ShortName: "windows", Version: "10.0.17763", KernelRelease: "10.0.17763.6414"},
		PolicyFailure: "enforce: exit code 1603: CSFalconService did not start (installer log C:\\Windows\\Temp\\csinstall.log)"})
	p := newProvider(t, srv, clk, func(c *Config) { c.Sensor = SensorInstall{Script: linuxScript, WindowsScript: windowsScript} })
	hs, err := p.Hosts(context.Background(), tenant, prodDR)
	if err != nil {
		t.Fatal(err)
	}
	return p, byName(hs)
}

func sensorReq(tag string, hosts ...runbooks.Host) runbooks.SensorInstallRequest {
	return runbooks.SensorInstallRequest{Tag: tag, Deploy: "SD-acme-20261207-0100-xyz", Tenant: "acme-cu", Env: "production", Hosts: hosts}
}

// pollDone polls until the installer says done, at most ten times.
func pollDone(t *testing.T, p *Provider, req runbooks.SensorInstallRequest, handle string) map[string]runbooks.SensorHostResult {
	t.Helper()
	for range 10 {
		st, err := p.PollInstall(context.Background(), req, handle)
		if err != nil {
			t.Fatal(err)
		}
		if st.Done {
			out := map[string]runbooks.SensorHostResult{}
			for _, r := range st.Hosts {
				out[r.HostID] = r
			}
			return out
		}
	}
	t.Fatalf("%s never finished", handle)
	return nil
}

// assignmentBody is what the fake got for the create.
type assignmentBody struct {
	Description    string `json:"description"`
	InstanceFilter struct {
		InclusionLabels []struct {
			Labels map[string]string `json:"labels"`
		} `json:"inclusionLabels"`
	} `json:"instanceFilter"`
	OsPolicies []struct {
		ID             string `json:"id"`
		Mode           string `json:"mode"`
		ResourceGroups []struct {
			InventoryFilters []struct {
				OsShortName string `json:"osShortName"`
			} `json:"inventoryFilters"`
			Resources []struct {
				ID   string `json:"id"`
				File *struct {
					Path string `json:"path"`
					File struct {
						Gcs struct{ Bucket, Object, Generation string } `json:"gcs"`
					} `json:"file"`
				} `json:"file"`
				Exec *struct {
					Validate, Enforce struct{ Interpreter, Script string }
				} `json:"exec"`
			} `json:"resources"`
		} `json:"resourceGroups"`
	} `json:"osPolicies"`
}

func decodeAssignment(t *testing.T, raw json.RawMessage) assignmentBody {
	t.Helper()
	var b assignmentBody
	if err := json.Unmarshal(raw, &b); err != nil || len(b.OsPolicies) != 1 {
		t.Fatalf("assignment %s: %v", raw, err)
	}
	return b
}

// TestSensorDeployGCPWindowsOSPolicyAssignment: a batch of Windows VMs
// gets one OS policy assignment in their zone, not a patch job: the VMs
// are labelled with the batch's marker (their other labels kept) and the
// assignment selects exactly that label; its one resource group matches
// the OS short name the agents report and copies the PowerShell script
// from Cloud Storage (with its generation) before an exec resource runs
// it with PowerShell validate and enforce steps. Nothing secret travels.
// Each VM runs it once; the one whose installer fails is reported with
// the agent's message; the assignment is deleted once both have an
// outcome.
func TestSensorDeployGCPWindowsOSPolicyAssignment(t *testing.T) {
	clk := testkit.NewClock(t0)
	srv := fake(t, clk)
	p, hs := policyFleet(t, srv, clk)
	ctx := context.Background()
	req := sensorReq("SD-acme-20261207-0100-xyz/b0/a0", hs["win-1"], hs["win-2"])
	st, err := p.StartInstall(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(srv.Executed()) != 0 || len(srv.Assignments()) != 1 || !strings.Contains(st.Handle, "/locations/us-central1-a/osPolicyAssignments/") {
		t.Fatalf("%d patch jobs, %d assignments, handle %q: want one assignment in us-central1-a", len(srv.Executed()), len(srv.Assignments()), st.Handle)
	}
	raw := srv.Assignments()[0]
	b := decodeAssignment(t, raw)
	mark := marker(req.Tag)
	win, _ := srv.Instance("dr-proj", "us-central1-a", "win-1")
	if win.Labels[sensorLabel] != mark || win.Labels["team"] != "payments" || win.Labels["env"] != "prod" {
		t.Errorf("win-1 labels %v: want the marker added and the others kept", win.Labels)
	}
	if web, _ := srv.Instance("dr-proj", "us-central1-a", "web-1"); web.Labels[sensorLabel] != "" {
		t.Errorf("web-1, outside the batch, was labelled %v", web.Labels)
	}
	pol := b.OsPolicies[0]
	if len(b.InstanceFilter.InclusionLabels) != 1 || b.InstanceFilter.InclusionLabels[0].Labels[sensorLabel] != mark ||
		!strings.Contains(b.Description, "tag="+req.Tag) || pol.Mode != "ENFORCEMENT" || len(pol.ResourceGroups) != 1 {
		t.Fatalf("assignment %s", raw)
	}
	g := pol.ResourceGroups[0]
	if len(g.InventoryFilters) != 1 || g.InventoryFilters[0].OsShortName != "windows" || len(g.Resources) != 2 {
		t.Fatalf("resource group %+v", g)
	}
	file, exec := g.Resources[0].File, g.Resources[1].Exec
	if file == nil || file.File.Gcs.Bucket != "patchgate-installers" || file.File.Gcs.Object != "falcon/install.ps1" ||
		file.File.Gcs.Generation != "1733500042" || file.Path != windowsScriptPath {
		t.Errorf("file resource %+v", file)
	}
	if exec == nil || exec.Validate.Interpreter != "POWERSHELL" || exec.Enforce.Interpreter != "POWERSHELL" ||
		!strings.Contains(exec.Validate.Script, mark) || !strings.Contains(exec.Enforce.Script, windowsScriptPath) ||
		!strings.Contains(exec.Enforce.Script, "exit 100") {
		t.Errorf("exec resource %+v", exec)
	}
	if s := strings.ToLower(string(raw)); strings.Contains(s, "cid") || strings.Contains(s, "token") {
		t.Errorf("the assignment carries a secret's name or value: %s", raw)
	}
	got := pollDone(t, p, req, st.Handle)
	if r := got[hs["win-1"].ID]; !r.OK {
		t.Errorf("win-1 = %+v, want installed", r)
	}
	if r := got[hs["win-2"].ID]; r.OK || !strings.Contains(r.Detail, "1603") || !strings.Contains(r.Detail, "install-sensor") {
		t.Errorf("win-2 = %+v, want failed with the agent's enforce message", r)
	}
	if srv.LiveAssignments() != 0 {
		t.Error("the finished assignment was not deleted")
	}
	for _, n := range []string{"win-1", "win-2"} {
		if in, _ := srv.Instance("dr-proj", "us-central1-a", n); in.Installs != 1 {
			t.Errorf("%s ran the install %d times, want once", n, in.Installs)
		}
	}
}

// TestSensorDeployGCPSUSEBesideDebian: a batch mixing a SLES VM and a
// Debian VM goes out as a patch job narrowed to the Debian VM and an OS
// policy assignment for the SLES VM (shell scripts, the SLES short name
// the agent reports), under one handle; the SLES VM's zypper updates stay
// pending, and both VMs end installed.
func TestSensorDeployGCPSUSEBesideDebian(t *testing.T) {
	clk := testkit.NewClock(t0)
	srv := fake(t, clk)
	p, hs := policyFleet(t, srv, clk)
	ctx := context.Background()
	req := sensorReq("SD-acme-20261207-0100-xyz/b1/a0", hs["suse-1"], hs["web-2"])
	st, err := p.StartInstall(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(srv.Executed()) != 1 || len(srv.Assignments()) != 1 || len(strings.Split(st.Handle, ",")) != 2 {
		t.Fatalf("%d patch jobs, %d assignments, handle %q: want one of each", len(srv.Executed()), len(srv.Assignments()), st.Handle)
	}
	var job struct {
		InstanceFilter struct{ Instances []string } `json:"instanceFilter"`
	}
	json.Unmarshal(srv.Executed()[0], &job)
	if len(job.InstanceFilter.Instances) != 1 || !strings.HasSuffix(job.InstanceFilter.Instances[0], "/web-2") {
		t.Errorf("patch job targets %v, want web-2 only", job.InstanceFilter.Instances)
	}
	g := decodeAssignment(t, srv.Assignments()[0]).OsPolicies[0].ResourceGroups
	if len(g) != 1 || g[0].InventoryFilters[0].OsShortName != "sles" || g[0].Resources[1].Exec.Enforce.Interpreter != "SHELL" ||
		g[0].Resources[0].File.Path != linuxScriptPath || g[0].Resources[0].File.File.Gcs.Object != "falcon/install.sh" {
		t.Fatalf("SUSE resource groups %+v", g)
	}
	got := pollDone(t, p, req, st.Handle)
	if len(got) != 2 || !got[hs["suse-1"].ID].OK || !got[hs["web-2"].ID].OK {
		t.Errorf("outcomes %+v, want both installed", got)
	}
	if in, _ := srv.Instance("dr-proj", "us-central1-b", "suse-1"); len(in.Available) != 1 || in.Installs != 1 {
		t.Errorf("suse-1: %d installs, pending %+v; want one install and the zypper update still pending", in.Installs, in.Available)
	}
}

// TestSensorDeployGCPOSPolicyResumeAfterRestart: a create refused
// (503, nothing created) leaves the batch unsent, and the next step
// creates it once; a create whose answer never reached a crashed replica
// is found again by the next one through the batch's deterministic
// assignment name, not created again; and three replicas starting the
// same batch at once create one assignment between them (the others meet
// ALREADY_EXISTS) and return the same handle.
func TestSensorDeployGCPOSPolicyResumeAfterRestart(t *testing.T) {
	ctx := context.Background()
	t.Run("create refused", func(t *testing.T) {
		clk := testkit.NewClock(t0)
		srv := fake(t, clk)
		p, hs := policyFleet(t, srv, clk)
		req := sensorReq("SD-r/b0/a0", hs["win-1"])
		srv.Fail("osconfig.osPolicyAssignments.create", 503)
		if st, err := p.StartInstall(ctx, req); err == nil || st.Handle != "" {
			t.Fatalf("StartInstall = %+v, %v; want an error and no handle", st, err)
		}
		if _, found, err := p.FindInstall(ctx, req); found || err != nil {
			t.Fatalf("FindInstall after a refused create = %v, %v", found, err)
		}
		if _, err := p.StartInstall(ctx, req); err != nil || len(srv.Assignments()) != 1 {
			t.Fatalf("retry: %d assignments, %v", len(srv.Assignments()), err)
		}
	})
	t.Run("answer lost in a crash", func(t *testing.T) {
		clk := testkit.NewClock(t0)
		srv := fake(t, clk)
		p, hs := policyFleet(t, srv, clk)
		req := sensorReq("SD-r/b0/a0", hs["win-1"], hs["win-2"])
		cctx, crash := context.WithCancel(ctx)
		srv.OnRequest = func(method string) {
			if method == "osconfig.osPolicyAssignments.create" {
				crash() // the replica dies while Google creates the assignment
			}
		}
		if _, err := p.StartInstall(cctx, req); err == nil {
			t.Fatal("the crashed StartInstall returned no error")
		}
		srv.OnRequest = nil
		again := newProvider(t, srv, clk, func(c *Config) { c.Sensor = SensorInstall{WindowsScript: windowsScript} })
		st, found, err := again.FindInstall(ctx, req)
		if err != nil || !found || !strings.HasSuffix(st.Handle, assignmentID(req.Tag)) {
			t.Fatalf("FindInstall after the crash = %+v, %v, %v", st, found, err)
		}
		if len(srv.Assignments()) != 1 {
			t.Fatalf("%d assignments created", len(srv.Assignments()))
		}
		got := pollDone(t, again, req, st.Handle)
		if len(got) != 2 || !got[hs["win-1"].ID].OK {
			t.Errorf("outcomes after the restart %+v", got)
		}
	})
	t.Run("three replicas", func(t *testing.T) {
		clk := testkit.NewClock(t0)
		srv := fake(t, clk)
		_, hs := policyFleet(t, srv, clk)
		req := sensorReq("SD-r/b0/a0", hs["win-1"], hs["win-2"])
		var wg sync.WaitGroup
		handles := make([]string, 3)
		errs := make([]error, 3)
		for i := range 3 {
			rp := newProvider(t, srv, clk, func(c *Config) { c.Sensor = SensorInstall{WindowsScript: windowsScript} })
			wg.Add(1)
			go func() {
				defer wg.Done()
				st, err := rp.StartInstall(ctx, req)
				handles[i], errs[i] = st.Handle, err
			}()
		}
		wg.Wait()
		for i := range 3 {
			if errs[i] != nil || handles[i] != handles[0] || handles[0] == "" {
				t.Errorf("replica %d: handle %q, %v", i, handles[i], errs[i])
			}
		}
		if n := len(srv.Assignments()); n != 1 {
			t.Errorf("%d assignments created by three replicas, want one", n)
		}
	})
}

// TestSensorDeployGCPOSPolicyRefusals: a Windows batch without a
// PowerShell script configured is refused before any VM is labelled; a
// VM the agent cannot reach (stopped) fails with the agent's reason and
// does not hold the batch open.
func TestSensorDeployGCPOSPolicyRefusals(t *testing.T) {
	ctx := context.Background()
	clk := testkit.NewClock(t0)
	srv := fake(t, clk)
	_, hs := policyFleet(t, srv, clk)
	linuxOnly := newProvider(t, srv, clk, func(c *Config) { c.Sensor = SensorInstall{Script: linuxScript} })
	if _, err := linuxOnly.StartInstall(ctx, sensorReq("SD-x/b0/a0", hs["win-1"])); runbooks.ErrorCode(err) != runbooks.CodeBlocked ||
		!strings.Contains(err.Error(), "windows_script") {
		t.Fatalf("Windows without windows_script: %v", err)
	}
	if srv.Count("compute.instances.setLabels") != 0 {
		t.Error("a refused batch labelled VMs")
	}
	stopped := hs["win-1"]
	srv.SetStatus("dr-proj", "us-central1-a", "win-1", "TERMINATED")
	p := newProvider(t, srv, clk, func(c *Config) { c.Sensor = SensorInstall{WindowsScript: windowsScript} })
	req := sensorReq("SD-x/b1/a0", stopped)
	st, err := p.StartInstall(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if r := pollDone(t, p, req, st.Handle)[stopped.ID]; r.OK || !strings.Contains(r.Detail, "vm-not-running") {
		t.Errorf("stopped VM = %+v", r)
	}
}
