package runbooks

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// EnvSpec is one environment tier of the pipeline and its approval policy.
type EnvSpec struct {
	Env          string
	Approvers    []string // chat user IDs
	Groups       []string // chat user-group IDs
	MinApprovals int
	FourEyes     bool // the requester may not approve
	Soak         time.Duration
	HealthGate   bool
	SensorGate   bool
	// SensorExclude: hosts the sensor gate flags are excluded, with the
	// reason, rather than blocking the stage.
	SensorExclude bool
	// Production marks the tier that serves customers: its failures page as
	// critical, its patch window sends a change event, and reports hold it to
	// production's controls. It is what the tier is, never what it is called;
	// config sets it (the last tier unless declared).
	Production bool
	// Staging marks the tier production waits on: production starts only
	// after it completed and its soak ended, and its failures page as errors.
	Staging bool
	// RequireChangeApproval holds the tier's stage until the cycle's change
	// record is approved in the change platform, besides the chat approvals.
	RequireChangeApproval bool
	// AutoRemediate approves remediations of this tier without a person
	// (audited as such); config refuses it on a production tier.
	AutoRemediate bool

	// change governance: windows, freezes, expiry, emergency
	// Window is the tier's change window spec (ParseWindow); empty: none.
	Window string
	// MinRemaining is the least time left in the window for a new backup or
	// patch to start.
	MinRemaining time.Duration
	// ApprovalTTL is how long the tier's approval request stays open
	// before the cycle expires; 0 waits forever (config defaults it to
	// DefaultApprovalTTL).
	ApprovalTTL time.Duration
	// EmergencyApprovers and EmergencyGroups approve the tier's stage of
	// an emergency change; with neither, no emergency change may pass it.
	EmergencyApprovers []string
	EmergencyGroups    []string
}

// Pipeline is the ordered list of environment tiers every cycle walks between
// preflight and report.
type Pipeline []EnvSpec

// Spec returns the tier called env.
func (p Pipeline) Spec(env string) (EnvSpec, bool) {
	for _, s := range p {
		if s.Env == env {
			return s, true
		}
	}
	return EnvSpec{}, false
}

// DefaultPipeline is nonprod → staging (24 h soak) → production (two
// approvers, four eyes, health gate). Approvers come from configuration.
func DefaultPipeline() Pipeline {
	return Pipeline{
		{Env: "nonprod", MinApprovals: 1, SensorGate: true},
		{Env: "staging", MinApprovals: 1, SensorGate: true, Soak: 24 * time.Hour, Staging: true},
		{Env: "production", MinApprovals: 2, FourEyes: true, SensorGate: true, HealthGate: true, Production: true},
	}
}

// isApprover reports whether user may approve env, directly or through a
// group. A directory error refuses (fails closed) rather than guessing.
func (e *Engine) isApprover(ctx context.Context, env, user string) (bool, error) {
	spec, ok := e.pipeline.Spec(env)
	if !ok {
		return false, nil
	}
	return Approves(ctx, e.deps.Directory, spec.Approvers, spec.Groups, user)
}

// mayStart reports whether requester may open a cycle. A directory error
// refuses (fails closed).
func (e *Engine) mayStart(ctx context.Context, requester string) (bool, error) {
	if requester == ActorSystem || len(e.cfg.Requesters)+len(e.cfg.RequesterGroups) == 0 {
		return true, nil
	}
	if slices.Contains(e.cfg.Requesters, requester) {
		return true, nil
	}
	for _, g := range e.cfg.RequesterGroups {
		if e.deps.Directory == nil {
			break
		}
		members, err := e.deps.Directory.GroupMembers(ctx, g)
		if err != nil {
			return false, fmt.Errorf("resolve requester group %s: %w", g, err)
		}
		if slices.Contains(members, requester) {
			return true, nil
		}
	}
	return false, nil
}

// isAnyApprover reports whether user approves any tier.
func (e *Engine) isAnyApprover(ctx context.Context, user string) (bool, error) {
	for _, s := range e.pipeline {
		ok, err := e.isApprover(ctx, s.Env, user)
		if ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

// stageApprover reports whether user may act on stage s: an approver of its
// environment, or of any tier for preflight and report.
func (e *Engine) stageApprover(ctx context.Context, s *Stage, user string) (bool, error) {
	if s.Kind == KindEnvironment && s.Emergency {
		spec, ok := e.pipeline.Spec(s.Env)
		if !ok {
			return false, nil
		}
		return Approves(ctx, e.deps.Directory, spec.EmergencyApprovers, spec.EmergencyGroups, user)
	}
	if s.Kind == KindEnvironment {
		return e.isApprover(ctx, s.Env, user)
	}
	return e.isAnyApprover(ctx, user)
}
