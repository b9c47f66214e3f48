package terraform

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/patchgate/patchgate/runbooks/drift"
)

// maxPlanJSON bounds a recorded plan read from disk.
const maxPlanJSON = 64 << 20

// DriftChecker is the Checker as the drift runbook's port. A workspace with
// PlanJSON is read from that recorded plan (a CI artifact of `terraform show
// -json`) instead of running terraform; all others run through Check, with
// its concurrency bound.
type DriftChecker struct{ *Checker }

var _ drift.Checker = DriftChecker{}

// Check implements drift.Checker.
func (d DriftChecker) Check(ctx context.Context, ws []drift.Workspace) []drift.Result {
	out := make([]drift.Result, len(ws))
	var run []Workspace
	var at []int
	for i, w := range ws {
		if w.PlanJSON != "" {
			out[i] = d.recorded(w)
			continue
		}
		run = append(run, Workspace{Name: w.Name, Tenant: w.Tenant, Account: w.Account, Dir: w.Dir,
			Vars: w.Vars, BackendConfig: w.BackendConfig})
		at = append(at, i)
	}
	for j, res := range d.Checker.Check(ctx, run) {
		out[at[j]] = toDrift(ws[at[j]], res)
	}
	return out
}

// recorded reads one recorded plan. A plan that cannot be read or parsed
// is a failed workspace, not a clean one.
func (d DriftChecker) recorded(w drift.Workspace) drift.Result {
	res := Result{Workspace: Workspace{Name: w.Name, Tenant: w.Tenant, Account: w.Account}}
	b, err := readCapped(w.PlanJSON)
	if err == nil {
		res.Drift, res.Changes, err = ParsePlanJSONWith(b, ParseOptions{})
	}
	switch {
	case err != nil:
		res.Status, res.Error = StatusFailed, fmt.Sprintf("recorded plan %s: %v", w.PlanJSON, err)
	case len(res.Drift) > 0 || d.opts.IncludeChanges && len(res.Changes) > 0:
		res.Status = StatusDrift
	default:
		res.Status = StatusClean
	}
	if !d.opts.IncludeChanges {
		res.Changes = nil
	}
	return toDrift(w, res)
}

func readCapped(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPlanJSON+1))
	if err == nil && len(b) > maxPlanJSON {
		err = fmt.Errorf("larger than %d bytes", maxPlanJSON)
	}
	return b, err
}

func toDrift(w drift.Workspace, r Result) drift.Result {
	return drift.Result{Workspace: w, Status: drift.Status(r.Status), Error: r.Error,
		Drift: toChanges(r.Drift), Changes: toChanges(r.Changes), Outputs: r.Outputs}
}

func toChanges(cs []Change) []drift.Change {
	var out []drift.Change
	for _, c := range cs {
		out = append(out, drift.Change{Address: c.Address, Type: c.Type, Action: string(c.Action), Paths: c.Paths})
	}
	return out
}
