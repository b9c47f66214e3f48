package sim

import (
	"context"
	"fmt"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// The simulated EDR console's prevention side, for the demo and tests that
// run without Falcon: the cloud agents' exclusions exist as global
// exclusions, a host group's policy is kept in the fleet's state (so a
// restarted process sees the move), and the groups report no detections.
const (
	MethodExclusions      = "Exclusions"
	MethodAssignHostGroup = "AssignHostGroup"
	MethodDetections      = "Detections"
)

var _ runbooks.PreventionConsole = (*Fleet)(nil)

// Exclusions lists an ML and an IOA exclusion for each cloud's agents.
func (f *Fleet) Exclusions(ctx context.Context) ([]runbooks.EDRExclusion, error) {
	var out []runbooks.EDRExclusion
	err := f.call(ctx, MethodExclusions, func(int) error {
		for i, r := range runbooks.DefaultRequiredExclusions(runbooks.AWS, runbooks.Azure, runbooks.GCP) {
			out = append(out, runbooks.EDRExclusion{ID: fmt.Sprintf("sim-exclusion-%d", i+1), Kind: r.Kind, Name: r.Name,
				Patterns: []string{"*" + r.Match + "*"}, Global: true})
		}
		return nil
	})
	return out, err
}

// AssignHostGroup moves group to policy to. A group never moved is taken
// to be in from (the detection policy every group starts in), so the first
// move adds and removes once and a repeated one changes nothing.
func (f *Fleet) AssignHostGroup(ctx context.Context, group, to, from string) (runbooks.PolicyMove, error) {
	move := runbooks.PolicyMove{Source: runbooks.SourceSimulation}
	err := f.call(ctx, MethodAssignHostGroup, func(int) error {
		prev := f.st.Policies[group]
		if prev == to {
			return nil
		}
		if f.st.Policies == nil {
			f.st.Policies = map[string]string{}
		}
		f.st.Policies[group] = to
		move.Added, move.Removed = true, prev == "" || prev == from
		return f.commit()
	})
	return move, err
}

// Detections reports none: the simulated hosts behave.
func (f *Fleet) Detections(ctx context.Context, group string, since time.Time) (runbooks.DetectionCounts, error) {
	var out runbooks.DetectionCounts
	err := f.call(ctx, MethodDetections, func(int) error {
		out = runbooks.DetectionCounts{Counts: runbooks.Counts{}, Since: since, At: f.now(), Source: runbooks.SourceSimulation}
		return nil
	})
	return out, err
}

// HostGroupPolicy is the policy group was last moved to ("" when never).
func (f *Fleet) HostGroupPolicy(group string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.st.Policies[group]
}
