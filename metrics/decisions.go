package metrics

import (
	"context"

	"github.com/patchgate/patchgate/runbooks"
)

// Engine is what the Slack handler calls on the engine (the same method set
// as bot.Engine, so the wrapper below plugs in there).
type Engine interface {
	Start(ctx context.Context, tenant, requester string) (*runbooks.Cycle, error)
	Decide(ctx context.Context, d runbooks.Decision) (runbooks.Outcome, error)
	Get(ctx context.Context, id string) (*runbooks.Cycle, error)
	Active(ctx context.Context) ([]*runbooks.Cycle, error)
	Tenants() []runbooks.Tenant
}

// Decisions wraps e so every refused decision is counted in
// refusals_total{action,code}. Approvals are counted from the audit events
// (see Chat), so they include the CLI's.
func (m *Metrics) Decisions(e Engine) Engine { return decisions{Engine: e, m: m} }

type decisions struct {
	Engine
	m *Metrics
}

// knownActions bounds the action label: a forged button value must not
// mint new series.
var knownActions = map[runbooks.DecisionAction]bool{
	runbooks.Approve: true, runbooks.Reject: true, runbooks.HaltCycle: true,
	runbooks.Resume: true, runbooks.Retry: true, runbooks.Exclude: true,
	runbooks.Waive: true,
}

func (d decisions) Decide(ctx context.Context, dec runbooks.Decision) (runbooks.Outcome, error) {
	out, err := d.Engine.Decide(ctx, dec)
	if err != nil {
		action := string(dec.Action)
		if !knownActions[dec.Action] {
			action = "other"
		}
		d.m.refusals.WithLabelValues(action, runbooks.ErrorCode(err)).Inc()
	}
	return out, err
}

// RequestRollback forwards to the engine, so the bot's /patch rollback
// reaches it through this wrapper.
func (d decisions) RequestRollback(ctx context.Context, req runbooks.RollbackRequest) (*runbooks.Rollback, error) {
	rs, ok := d.Engine.(interface {
		RequestRollback(context.Context, runbooks.RollbackRequest) (*runbooks.Rollback, error)
	})
	if !ok {
		return nil, runbooks.Errorf(runbooks.CodeUnavailable, "rollback is not available in this deployment")
	}
	return rs.RequestRollback(ctx, req)
}
