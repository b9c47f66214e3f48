package drift

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/state/boltstore"
)

// scripted is a Checker that returns what the test sets.
type scripted struct{ results map[string]Result }

func (s *scripted) Check(_ context.Context, ws []Workspace) []Result {
	out := make([]Result, len(ws))
	for i, w := range ws {
		r := s.results[w.Name]
		r.Workspace = w
		out[i] = r
	}
	return out
}

// TestFailedWorkspaceKeepsItemsOpen: a workspace that fails after drifting
// shows its known items as still open, and nothing is resolved; when it
// checks clean again they are resolved.
func TestFailedWorkspaceKeepsItemsOpen(t *testing.T) {
	ctx := context.Background()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	chk := &scripted{results: map[string]Result{"net": {Status: StatusDrift, Drift: []Change{{Address: "aws_vpc.main", Action: "update", Paths: []string{"tags.Owner"}}}}}}
	rep := &Report{Store: st, Checker: chk, Clock: testkit.NewClock(time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC)),
		Workspaces: []Workspace{{Name: "net", Tenant: "acme-cu"}}, Approvers: []string{"U1"}}
	if d, _ := rep.Build(ctx); len(d.Groups) != 1 || len(d.Groups[0].Workspaces[0].Items) != 1 {
		t.Fatalf("digest = %+v", d)
	}
	chk.results["net"] = Result{Status: StatusFailed, Error: "init: backend unreachable"}
	d, _ := rep.Build(ctx)
	w := d.Groups[0].Workspaces[0]
	if w.Status != StatusFailed || len(w.Items) != 1 || len(d.Resolved) != 0 {
		t.Errorf("failed workspace: %+v resolved %d", w, len(d.Resolved))
	}
	if _, _, err := rep.Decide(ctx, w.Items[0].ID, Remediate, "U1"); err != nil {
		t.Fatal(err)
	}
	chk.results["net"] = Result{Status: StatusClean}
	d, _ = rep.Build(ctx)
	if len(d.Resolved) != 1 || d.Resolved[0].Decision.Kind != Remediate || len(d.Groups[0].Workspaces[0].Items) != 0 {
		t.Errorf("after clean: %+v", d)
	}
	if _, _, err := rep.Decide(ctx, "nope", "approve", "U1"); err == nil {
		t.Error("an unknown decision was accepted")
	}
}
