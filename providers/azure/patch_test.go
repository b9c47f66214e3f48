package azure

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/providers/azure/azuretest"
	"github.com/patchgate/patchgate/runbooks"
)

func TestPatchRunsToCompletion(t *testing.T) {
	f := newFleet(t)
	p := f.provider(t, func(c *Config) {
		c.Patch.RebootSetting = "Never"
		c.Patch.Classifications = []string{"Critical", "Security", "UpdateRollUp"}
	})
	ctx := context.Background()
	h, err := p.StartPatch(ctx, f.request(t, p, "c-2026-11/production/patch/1", "vm-web-1", "vm-web-2", "arc-db-1"))
	if err != nil {
		t.Fatal(err)
	}
	st := until(t, func() (runbooks.OpStatus, error) { return p.PatchStatus(ctx, h) })
	if st.Total != 3 || st.Succeeded != 3 || st.Failed != 0 || len(st.Findings) != 0 {
		t.Fatalf("status = %+v, want 3 of 3 succeeded", st)
	}
	// What each machine was asked: the configured duration, reboot
	// setting, and the classifications its OS family knows.
	linux := f.srv.Installs(f.web1)
	windows := f.srv.Installs(f.web2)
	arc := f.srv.Installs(f.arc1)
	if len(linux) != 1 || len(windows) != 1 || len(arc) != 1 {
		t.Fatalf("installs: %d, %d, %d; want one each", len(linux), len(windows), len(arc))
	}
	if got := js(linux[0]); got != `{"linuxParameters":{"classificationsToInclude":["Critical","Security"]},"maximumDuration":"PT2H","rebootSetting":"Never"}` {
		t.Errorf("linux VM install body = %s", got)
	}
	if got := js(windows[0]); got != `{"maximumDuration":"PT2H","rebootSetting":"Never","windowsParameters":{"classificationsToInclude":["Critical","Security","UpdateRollUp"]}}` {
		t.Errorf("windows VM install body = %s", got)
	}
	if got := js(arc[0]); !strings.Contains(got, `"linuxParameters":{"classificationsToInclude":["Critical","Security"]}`) {
		t.Errorf("arc install body = %s", got)
	}
}

func TestPatchFailureNamesTheMachine(t *testing.T) {
	f := newFleet(t)
	f.srv.SetInstall(f.web2, azuretest.Outcome{Status: "Failed", Installed: 3, Failed: 2})
	f.srv.SetInstall(f.arc1, azuretest.Outcome{OpError: "the Connected Machine agent did not answer"})
	p := f.provider(t)
	ctx := context.Background()
	h, err := p.StartPatch(ctx, f.request(t, p, "tag-fail", "vm-web-1", "vm-web-2", "arc-db-1"))
	if err != nil {
		t.Fatal(err)
	}
	st := until(t, func() (runbooks.OpStatus, error) { return p.PatchStatus(ctx, h) })
	if st.Total != 3 || st.Succeeded != 1 || st.Failed != 2 || len(st.Findings) != 2 {
		t.Fatalf("status = %+v, want 1 succeeded and 2 failed", st)
	}
	w2, ok := findingFor(st.Findings, "vm-web-2")
	if !ok || w2.HostID != f.web2 || !strings.Contains(w2.Reason, "status Failed") || !strings.Contains(w2.Reason, "2 patch(es) failed") {
		t.Errorf("vm-web-2 finding = %+v", w2)
	}
	a1, ok := findingFor(st.Findings, "arc-db-1")
	if !ok || !strings.Contains(a1.Reason, "did not answer") {
		t.Errorf("arc-db-1 finding = %+v", a1)
	}
}

// The key property: an engine that restarts in the middle of an install
// polls the operations it started, from the handle's resume tokens, and
// never sends a second installPatches.
func TestRestartResumesTheSameInstall(t *testing.T) {
	f := newFleet(t)
	for _, id := range []string{f.web1, f.web2, f.arc1} {
		f.srv.SetInstall(id, azuretest.Outcome{Polls: 5, Installed: 4})
	}
	ctx := context.Background()
	names := []string{"vm-web-1", "vm-web-2", "arc-db-1"}
	ids := []string{f.web1, f.web2, f.arc1}

	p1 := f.provider(t)
	h, err := p1.StartPatch(ctx, f.request(t, p1, "c-2026-11/production/patch/1", names...))
	if err != nil {
		t.Fatal(err)
	}
	st, err := p1.PatchStatus(ctx, h)
	if err != nil || st.Done {
		t.Fatalf("first poll: %+v, %v; want running", st, err)
	}
	// The process dies here; only the stored handle survives.
	p1 = nil

	p2 := f.provider(t)
	st = until(t, func() (runbooks.OpStatus, error) { return p2.PatchStatus(ctx, h) })
	if st.Succeeded != 3 || st.Failed != 0 {
		t.Fatalf("status after restart = %+v", st)
	}
	for i, id := range ids {
		t.Logf("%s: %d installPatches POST", names[i], f.srv.Count("POST", id+"/installPatches"))
		if n := f.srv.Count("POST", id+"/installPatches"); n != 1 {
			t.Errorf("%s: %d installPatches POSTs, want exactly 1; requests: %v", names[i], n, f.srv.Requests())
		}
	}
	if n := f.srv.CountSuffix("POST", "/installPatches"); n != 3 {
		t.Errorf("%d installPatches POSTs in all, want 3", n)
	}
	// The restarted provider polled the operations the first one started:
	// each needs 5 polls (Compute's on /operations/, Arc's on
	// /operationResults/; which machine got which ID depends on scheduling).
	for _, op := range []string{"op-0001", "op-0002", "op-0003"} {
		t.Logf("%s: %d polls", op, f.srv.CountSuffix("GET", "/"+op))
		if n := f.srv.CountSuffix("GET", "/"+op); n < 5 {
			t.Errorf("operation %s polled %d times, want at least 5", op, n)
		}
	}
	if vm, _ := f.srv.VMState(f.web1); vm.CriticalAndSecurity != 0 || vm.LastPatched.IsZero() {
		t.Errorf("vm-web-1 after install: %+v", vm)
	}
}

// PatchStatus polls a running machine at most every PollInterval and a
// finished one never again, so a large install stays inside ARM's budget.
func TestPatchStatusPacesItsPolls(t *testing.T) {
	f := newFleet(t)
	f.srv.SetInstall(f.web1, azuretest.Outcome{Polls: 3})
	now := time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)
	p := f.provider(t, func(c *Config) { c.PollInterval = time.Minute; c.Now = func() time.Time { return now } })
	ctx := context.Background()
	h, err := p.StartPatch(ctx, f.request(t, p, "tag-pace", "vm-web-1"))
	if err != nil {
		t.Fatal(err)
	}
	polls := func() int { return f.srv.CountSuffix("GET", "/op-0001") }
	status := func() runbooks.OpStatus {
		t.Helper()
		st, err := p.PatchStatus(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	status()
	status() // same instant: not due
	if n := polls(); n != 1 {
		t.Fatalf("%d polls within one interval, want 1", n)
	}
	var st runbooks.OpStatus
	for range 2 {
		now = now.Add(time.Minute)
		st = status()
	}
	// Three status polls, the last of which saw it end, and one read of
	// the result from its Location.
	if n := polls(); n != 4 || !st.Done || st.Succeeded != 1 {
		t.Fatalf("after two intervals: %d requests, status %+v; want 4 and done", n, st)
	}
	now = now.Add(time.Hour)
	if st := status(); !st.Done || st.Succeeded != 1 || polls() != 4 {
		t.Errorf("a finished install was polled again (%d requests) or forgotten (%+v)", polls(), st)
	}
}

func TestVerifyPatchReportsWhatIsStillMissing(t *testing.T) {
	f := newFleet(t)
	f.srv.SetInstall(f.web2, azuretest.Outcome{Remaining: 2})
	p := f.provider(t)
	ctx := context.Background()
	req := f.request(t, p, "tag-verify", "vm-web-1", "vm-web-2", "arc-db-1")
	h, err := p.StartPatch(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	until(t, func() (runbooks.OpStatus, error) { return p.PatchStatus(ctx, h) })
	fs, calls := verify(t, p, req)
	if calls < 2 {
		t.Errorf("verification answered in %d call(s); the fake's assessments take polls, so the first call must be pending", calls)
	}
	if len(fs) != 1 || fs[0].HostName != "vm-web-2" || !strings.Contains(fs[0].Reason, "2 critical/security patch(es) still missing") {
		t.Fatalf("findings = %+v, want vm-web-2 missing 2", fs)
	}
	for _, id := range []string{f.web1, f.web2, f.arc1} {
		if n := f.srv.Count("POST", id+"/assessPatches"); n != 1 {
			t.Errorf("%s assessed %d times over %d calls, want once: later calls poll the running assessment", id, n, calls)
		}
	}
}

func TestVerifyPatchReportsAFailedAssessment(t *testing.T) {
	f := newFleet(t)
	p := f.provider(t)
	fs, _ := verify(t, p, f.request(t, p, "tag-verify-lost", "vm-web-1", "arc-db-2"))
	// vm-web-1 was never patched here, so its 3 critical/security
	// patches are still missing; arc-db-2's agent is gone.
	w1, ok1 := findingFor(fs, "vm-web-1")
	a2, ok2 := findingFor(fs, "arc-db-2")
	if len(fs) != 2 || !ok1 || !ok2 || !strings.Contains(w1.Reason, "3 critical/security patch(es) still missing") ||
		!strings.Contains(a2.Reason, "assessPatches failed") || !strings.Contains(a2.Reason, "Disconnected") {
		t.Fatalf("findings = %+v, want vm-web-1 missing 3 and arc-db-2's failed assessment", fs)
	}
}

func TestStartPatchRecordsARefusedMachine(t *testing.T) {
	f := newFleet(t)
	p := f.provider(t)
	ctx := context.Background()
	req := f.request(t, p, "tag-refused", "vm-web-1")
	gone := req.Hosts[0]
	gone.ID, gone.Name = strings.Replace(gone.ID, "vm-web-1", "vm-deleted", 1), "vm-deleted"
	req.Hosts = append(req.Hosts, gone)
	h, err := p.StartPatch(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	st := until(t, func() (runbooks.OpStatus, error) { return p.PatchStatus(ctx, h) })
	fd, ok := findingFor(st.Findings, "vm-deleted")
	if st.Succeeded != 1 || st.Failed != 1 || !ok || !strings.Contains(fd.Reason, "ResourceNotFound") {
		t.Errorf("status = %+v, want vm-deleted refused with ResourceNotFound", st)
	}
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestVerifyPatchGivesUpAfterAssessTimeout: an assessment still running
// past AssessTimeout fails the machine instead of keeping the stage
// pending for ever (the stepping clock moves an hour a reading).
func TestVerifyPatchGivesUpAfterAssessTimeout(t *testing.T) {
	f := newFleet(t)
	p := f.provider(t, func(c *Config) { c.AssessTimeout = 30 * time.Minute })
	fs, _ := verify(t, p, f.request(t, p, "tag-verify-slow", "vm-web-1"))
	if len(fs) != 1 || !strings.Contains(fs[0].Reason, "did not finish within 30m0s") {
		t.Fatalf("findings = %+v, want vm-web-1 failed for an assessment that outlived the timeout", fs)
	}
}
