package gcp

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/providers/gcp/gcptest"
	"github.com/patchgate/patchgate/providers/gcp/settings"
	"github.com/patchgate/patchgate/runbooks"
)

// prodHosts starts a provider on the standard fleet and returns the
// managed hosts of production.
func prodHosts(t *testing.T, srv *gcptest.Server, p *Provider) []runbooks.Host {
	t.Helper()
	hosts, err := p.Hosts(context.Background(), tenant, prodDR)
	if err != nil {
		t.Fatal(err)
	}
	return managed(hosts)
}

func pollPatch(t *testing.T, p *Provider, handle string) runbooks.OpStatus {
	t.Helper()
	for i := 0; i < 20; i++ {
		st, err := p.PatchStatus(context.Background(), handle)
		if err != nil {
			t.Fatal(err)
		}
		if st.Done {
			return st
		}
	}
	t.Fatal("patch job not done after 20 polls")
	return runbooks.OpStatus{}
}

func TestPatchRunsToCompletion(t *testing.T) {
	clk := testkit.NewClock(t0)
	srv := fake(t, clk)
	fleet(srv)
	p := newProvider(t, srv, clk, func(c *Config) {
		c.Patch.PreStepLinux = "/opt/patchgate/drain.sh"
		c.Patch.RebootConfig = settings.RebootAlways
	})
	ctx := context.Background()
	r := req("c-2026-11/production/patch/0", prodHosts(t, srv, p))

	if _, found, err := p.FindPatch(ctx, r); err != nil || found {
		t.Fatalf("FindPatch before start = %v, %v", found, err)
	}
	handle, err := p.StartPatch(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(handle, "projects/"+gcptest.ProjectNumber("dr-proj")+"/patchJobs/") {
		t.Fatalf("handle %q is not the patch job name", handle)
	}
	var sent struct {
		Description    string
		Duration       string
		InstanceFilter struct{ Instances []string }
		PatchConfig    struct {
			RebootConfig string
			PreStep      struct {
				LinuxExecStepConfig struct{ LocalPath, Interpreter string }
			}
		}
		Rollout struct {
			Mode             string
			DisruptionBudget struct{ Percent int }
		}
	}
	if err := json.Unmarshal(srv.Executed()[0], &sent); err != nil {
		t.Fatal(err)
	}
	if len(sent.InstanceFilter.Instances) != 3 || sent.InstanceFilter.Instances[0] != "projects/dr-proj/zones/us-central1-a/instances/web-1" {
		t.Errorf("instanceFilter.instances = %v, want the 3 managed hosts by URI", sent.InstanceFilter.Instances)
	}
	if sent.Rollout.Mode != "ZONE_BY_ZONE" || sent.Rollout.DisruptionBudget.Percent != 25 || sent.PatchConfig.RebootConfig != "ALWAYS" ||
		sent.Duration != "7200s" || sent.PatchConfig.PreStep.LinuxExecStepConfig.LocalPath != "/opt/patchgate/drain.sh" ||
		!strings.Contains(sent.Description, "tag="+r.Tag+" ") {
		t.Errorf("execute request = %+v", sent)
	}

	st, err := p.PatchStatus(ctx, handle)
	if err != nil || st.Done {
		t.Fatalf("first poll = %+v, %v; want running", st, err)
	}
	st = pollPatch(t, p, handle)
	if st.Total != 3 || st.Succeeded != 3 || st.Failed != 0 || len(st.Findings) != 0 {
		t.Fatalf("final status = %+v, want 3/3 succeeded", st)
	}
	if n := srv.Count("osconfig.patchJobs.instanceDetails.list"); n != 0 {
		t.Errorf("instance details read %d times for a clean job, want 0", n)
	}
	fs, err := p.VerifyPatch(ctx, req("c-2026-11/production/verify/0", r.Hosts))
	if err != nil || len(fs) != 0 {
		t.Fatalf("VerifyPatch = %v, %v; want no findings", fs, err)
	}
	if n := srv.Count("osconfig.patchJobs.execute"); n != 1 {
		t.Errorf("execute requests = %d, want 1", n)
	}
	if in, _ := srv.Instance("dr-proj", "us-central1-a", "web-1"); in.OS.KernelRelease != "6.1.0-28-amd64" {
		t.Errorf("web-1 kernel after patching = %s", in.OS.KernelRelease)
	}
}

func TestPatchFailureNamesTheHost(t *testing.T) {
	clk := testkit.NewClock(t0)
	srv := fake(t, clk)
	fleet(srv)
	srv.AddInstance(gcptest.Instance{Project: "dr-proj", Zone: "us-central1-b", Name: "db-2", ID: 110, Labels: map[string]string{"env": "prod"},
		OS: &gcptest.OSInfo{ShortName: "rhel", Version: "9.4"}, PatchFailure: "yum: Error: Transaction test error: file /usr/lib64/libssl.so conflicts"})
	p := newProvider(t, srv, clk)
	ctx := context.Background()
	r := req("c-2026-11/production/patch/0", prodHosts(t, srv, p))
	handle, err := p.StartPatch(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	st := pollPatch(t, p, handle)
	if st.Total != 4 || st.Succeeded != 3 || st.Failed != 1 || len(st.Findings) != 1 {
		t.Fatalf("status = %+v, want 3 succeeded, 1 failed with one finding", st)
	}
	f := st.Findings[0]
	if f.HostID != "110" || f.HostName != "db-2" || !strings.Contains(f.Reason, "FAILED") || !strings.Contains(f.Reason, "libssl.so conflicts") {
		t.Errorf("finding = %+v, want db-2 with its failure reason", f)
	}
	fs, err := p.VerifyPatch(ctx, req("c-2026-11/production/verify/0", r.Hosts))
	if err != nil || len(fs) != 1 || fs[0].HostName != "db-2" {
		t.Fatalf("VerifyPatch = %+v, %v; want db-2 only", fs, err)
	}
}

// A process that started a patch job dies; the next one, given the stored
// handle, polls the same job to the end and never executes another.
func TestPatchRestartResumesTheSameJob(t *testing.T) {
	clk := testkit.NewClock(t0)
	srv := fake(t, clk)
	srv.JobPolls = 5
	fleet(srv)
	ctx := context.Background()
	// Process A executes the job, polls once and dies; only the stored
	// handle survives it.
	r := req("c-2026-11/production/patch/0", nil)
	handle := func() string {
		a := newProvider(t, srv, clk)
		r.Hosts = prodHosts(t, srv, a)
		handle, err := a.StartPatch(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		if st, err := a.PatchStatus(ctx, handle); err != nil || st.Done {
			t.Fatalf("A's poll = %+v, %v; want running", st, err)
		}
		return handle
	}()

	b := newProvider(t, srv, clk)
	if _, found, err := b.FindPatch(ctx, r); err != nil || !found {
		// (The engine polls the stored handle and does not call FindPatch;
		// this only proves both routes lead to the same job.)
		t.Fatalf("FindPatch = %v, %v", found, err)
	}
	st := pollPatch(t, b, handle)
	if st.Succeeded != 3 {
		t.Fatalf("B's final status = %+v", st)
	}
	if n := srv.Count("osconfig.patchJobs.execute"); n != 1 {
		t.Fatalf("execute requests = %d, want exactly 1", n)
	}
	if n := srv.Count("osconfig.patchJobs.get"); n != 5 {
		t.Errorf("patchJobs.get requests = %d, want 5 (1 by A, 4 by B until it ended)", n)
	}
}

func TestFindPatchByTag(t *testing.T) {
	clk := testkit.NewClock(t0)
	srv := fake(t, clk)
	fleet(srv)
	ctx := context.Background()
	a := newProvider(t, srv, clk)
	hosts := prodHosts(t, srv, a)
	// Earlier jobs of other stages and attempts, so the list pages.
	var handles []string
	for _, tag := range []string{"c-2026-11/nonprod/patch/0", "c-2026-11/staging/patch/0", "c-2026-11/production/patch/0", "c-2026-11/production/patch/1x"} {
		h, err := a.StartPatch(ctx, req(tag, hosts))
		if err != nil {
			t.Fatal(err)
		}
		handles = append(handles, h)
	}
	b := newProvider(t, srv, clk)
	lists := srv.Count("osconfig.patchJobs.list")
	handle, found, err := b.FindPatch(ctx, req("c-2026-11/production/patch/0", hosts))
	if err != nil || !found {
		t.Fatalf("FindPatch = %q, %v, %v", handle, found, err)
	}
	if handle != handles[2] {
		t.Errorf("FindPatch = %q, want the third job %q", handle, handles[2])
	}
	if n := srv.Count("osconfig.patchJobs.list") - lists; n != 2 {
		t.Errorf("patchJobs.list requests = %d, want 2 pages", n)
	}
	if _, found, _ := b.FindPatch(ctx, req("c-2026-11/production/patch/1", hosts)); found {
		t.Error("attempt 1 matched a job of tag .../patch/1x")
	}
	if n := srv.Count("osconfig.patchJobs.execute"); n != 4 {
		t.Errorf("execute requests = %d, want 4: FindPatch executes nothing", n)
	}
}

// A restart between the projects of one request: the job already sent to
// the first project is reused, only the second is executed.
func TestStartPatchAfterPartialFindSkipsSentProjects(t *testing.T) {
	clk := testkit.NewClock(t0)
	srv := fake(t, clk)
	srv.AddInstance(gcptest.Instance{Project: "p1", Zone: "us-east1-b", Name: "a", OS: &gcptest.OSInfo{ShortName: "debian"}})
	srv.AddInstance(gcptest.Instance{Project: "p2", Zone: "us-east1-b", Name: "b", OS: &gcptest.OSInfo{ShortName: "debian"}})
	ctx := context.Background()
	a := newProvider(t, srv, clk)
	env := runbooks.Environment{Name: "production", Targets: []runbooks.Target{{Cloud: runbooks.GCP, Account: "p1"}, {Cloud: runbooks.GCP, Account: "p2"}}}
	hosts, err := a.Hosts(ctx, tenant, env)
	if err != nil || len(hosts) != 2 {
		t.Fatalf("hosts = %v, %v", hosts, err)
	}
	r := req("c/production/patch/0", hosts)
	first, err := a.StartPatch(ctx, req(r.Tag, hosts[:1])) // died before p2
	if err != nil {
		t.Fatal(err)
	}
	b := newProvider(t, srv, clk)
	if _, found, err := b.FindPatch(ctx, r); err != nil || found {
		t.Fatalf("FindPatch = %v, %v; want not found (p2 has no job)", found, err)
	}
	handle, err := b.StartPatch(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(handle, first+",") || srv.Count("osconfig.patchJobs.execute") != 2 {
		t.Fatalf("handle %q (executes %d), want %q plus p2's job, 2 executes in all", handle, srv.Count("osconfig.patchJobs.execute"), first)
	}
	if st := pollPatch(t, b, handle); st.Succeeded != 2 || st.Total != 2 {
		t.Fatalf("status = %+v", st)
	}
}

func TestVerifyFindsUpdatesStillAvailable(t *testing.T) {
	clk := testkit.NewClock(t0)
	srv := fake(t, clk)
	fleet(srv)
	p := newProvider(t, srv, clk)
	ctx := context.Background()
	hosts := prodHosts(t, srv, p)
	handle, err := p.StartPatch(ctx, req("c-2026-11/production/patch/0", hosts))
	if err != nil {
		t.Fatal(err)
	}
	pollPatch(t, p, handle)
	clk.Advance(10 * time.Minute)
	srv.SetAvailable("dr-proj", "us-central1-a", "web-2", []gcptest.Package{{Manager: "apt", Name: "curl", Version: "7.88.1-11", Arch: "amd64"}})
	fs, err := p.VerifyPatch(ctx, req("c-2026-11/production/verify/0", hosts))
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 || fs[0].HostName != "web-2" || !strings.Contains(fs[0].Reason, "1 package update(s) still available") {
		t.Fatalf("findings = %+v, want web-2 with 1 update left", fs)
	}
}

// Requests carrying no GCP host (another cloud's share) start nothing and
// read as done.
func TestNoGCPHostsStartsNothing(t *testing.T) {
	clk := testkit.NewClock(t0)
	srv := fake(t, clk)
	p := newProvider(t, srv, clk)
	ctx := context.Background()
	r := req("c/production/patch/0", []runbooks.Host{{ID: "i-0abc", Cloud: runbooks.AWS, Account: "111111111111"}})
	handle, err := p.StartPatch(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	st, err := p.PatchStatus(ctx, handle)
	if err != nil || !st.Done || st.Total != 0 {
		t.Fatalf("PatchStatus(%q) = %+v, %v", handle, st, err)
	}
	bh, err := p.StartBackup(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := p.BackupStatus(ctx, bh); err != nil || !st.Done || st.Total != 0 {
		t.Fatalf("BackupStatus = %+v, %v", st, err)
	}
	if len(srv.Counts()) != 0 {
		t.Errorf("requests sent: %v", srv.Counts())
	}
}
