package terraform

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/runbooks/drift"
	"github.com/patchgate/patchgate/state/boltstore"
)

type groupDir map[string][]string

func (g groupDir) GroupMembers(_ context.Context, group string) ([]string, error) {
	return g[group], nil
}

func (g groupDir) Person(_ context.Context, id string) (runbooks.Person, error) {
	return runbooks.Person{ID: id}, nil
}

// TestDriftReportRealTerraformAndRecordedPlans runs the drift runbook over
// real terraform workspaces (clean, output moved, broken HCL) and a recorded
// provider plan: the digest groups by tenant/account, a failing workspace is
// failed (never clean), decisions are kept until the drift is gone and every
// step is on the audit chain.
func TestDriftReportRealTerraformAndRecordedPlans(t *testing.T) {
	bin := realTerraform(t)
	env := offlineEnv(t)
	ctx := context.Background()
	clean := writeConfig(t, dataConfig)
	applyWith(t, bin, clean, env, "release=v1")
	moved := writeConfig(t, dataConfig)
	applyWith(t, bin, moved, env, "release=v1")
	broken := writeConfig(t, `resource "terraform_data" "x" { input = `)
	plan := filepath.Join(t.TempDir(), "plan.json")
	if err := os.WriteFile(plan, readFixture(t, "aws_drift.json"), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	clock := testkit.NewClock(time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC))
	rep := &drift.Report{
		Store: st, Clock: clock, Groups: []string{"S0CAB"}, Directory: groupDir{"S0CAB": {"U0CAB00001"}},
		Checker: DriftChecker{New(Options{TerraformPath: bin, Env: env, Concurrency: 2})},
		Workspaces: []drift.Workspace{
			{Name: "acme-dns", Tenant: "acme-cu", Account: "111111111111", Dir: clean, Vars: map[string]string{"release": "v1"}},
			{Name: "acme-app", Tenant: "acme-cu", Account: "111111111111", Dir: moved, Vars: map[string]string{"release": "v2"}},
			{Name: "acme-net", Tenant: "acme-cu", Account: "222222222222", PlanJSON: plan},
			{Name: "bayview-edge", Tenant: "bayview-cu", Dir: broken},
			{Name: "bayview-gone", Tenant: "bayview-cu", PlanJSON: filepath.Join(t.TempDir(), "missing.json")},
		},
	}
	d, err := rep.Build(ctx)
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]drift.WorkspaceReport{}
	var titles []string
	for _, g := range d.Groups {
		titles = append(titles, drift.GroupTitle(g))
		for _, w := range g.Workspaces {
			status[w.Name] = w
		}
	}
	if strings.Join(titles, "|") != "acme-cu · 111111111111|acme-cu · 222222222222|bayview-cu" {
		t.Errorf("groups = %v", titles)
	}
	if status["acme-dns"].Status != drift.StatusClean || status["acme-app"].Status != drift.StatusDrift ||
		strings.Join(status["acme-app"].Outputs, ",") != "requested" {
		t.Errorf("real terraform: dns %+v app %+v", status["acme-dns"], status["acme-app"])
	}
	for _, name := range []string{"bayview-edge", "bayview-gone"} {
		if w := status[name]; w.Status != drift.StatusFailed || w.Error == "" {
			t.Errorf("%s = %+v, want failed with its error", name, w)
		}
	}
	net := status["acme-net"]
	if net.Status != drift.StatusDrift || len(net.Items) != 4 {
		t.Fatalf("recorded plan: %+v", net)
	}
	sg := net.Items[0]
	if sg.Address != "aws_security_group.web" || strings.Join(sg.Paths, ",") != "ingress[0].cidr_blocks[1],tags.Owner,tags.Temp" {
		t.Errorf("first item = %+v", sg)
	}
	text := drift.FormatText(d)
	if strings.Contains(text, "hunter2") || !strings.Contains(text, "bayview-edge: failed") || !strings.Contains(text, "2 failed") {
		t.Errorf("text digest:\n%s", text)
	}

	// Decisions: an outsider is refused, a CAB member ratifies.
	if _, _, err := rep.Decide(ctx, sg.ID, drift.Ratify, "U0OUTSIDE1"); runbooks.ErrorCode(err) != runbooks.CodeForbidden {
		t.Errorf("outsider ratify: %v", err)
	}
	clock.Advance(time.Hour)
	if _, dup, err := rep.Decide(ctx, sg.ID, drift.Ratify, "U0CAB00001"); err != nil || dup {
		t.Fatalf("ratify: dup %v err %v", dup, err)
	}
	if _, dup, _ := rep.Decide(ctx, sg.ID, drift.Ratify, "U0CAB00001"); !dup {
		t.Errorf("the same decision twice is not reported as a duplicate")
	}
	clock.Advance(23 * time.Hour)
	d, _ = rep.Build(ctx)
	if !strings.Contains(drift.FormatText(d), "aws_security_group.web update: ingress[0].cidr_blocks[1], tags.Owner, tags.Temp — decision: ratify by <@U0CAB00001> at 2026-11-23 08:00:00 UTC, pending until resolved") {
		t.Errorf("the next digest does not show the decision:\n%s", drift.FormatText(d))
	}

	// The security group is fixed: the recorded plan no longer lists it.
	var p map[string]any
	_ = json.Unmarshal(readFixture(t, "aws_drift.json"), &p)
	p["resource_drift"] = p["resource_drift"].([]any)[1:]
	b, _ := json.Marshal(p)
	if err := os.WriteFile(plan, b, 0o600); err != nil {
		t.Fatal(err)
	}
	d, _ = rep.Build(ctx)
	if len(d.Resolved) != 1 || d.Resolved[0].ID != sg.ID || d.Resolved[0].Decision == nil {
		t.Fatalf("resolved = %+v, want the security group with its decision", d.Resolved)
	}
	if _, _, err := rep.Decide(ctx, sg.ID, drift.Remediate, "U0CAB00001"); runbooks.ErrorCode(err) != runbooks.CodeConflict {
		t.Errorf("deciding a resolved item: %v", err)
	}
	es, _ := st.Read(ctx, drift.AuditStream, 1, 0)
	var types []string
	for _, e := range es {
		var ev struct{ Type string }
		_ = json.Unmarshal(e.Data, &ev)
		types = append(types, ev.Type)
	}
	if got := strings.Join(types, ","); got != "drift.detected,drift.detected,drift.detected,drift.detected,drift.decision,drift.resolved" {
		t.Errorf("audit = %s", got)
	}
	if v, err := st.Verify(ctx, drift.AuditStream); err != nil || !v.OK() {
		t.Errorf("audit chain: %+v %v", v, err)
	}
}
