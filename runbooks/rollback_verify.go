package runbooks

import (
	"context"
	"fmt"
	"time"
)

// agentGrace is how long after the restores a host's patch agent may take
// to report back (the machine boots from the restored disk first) before
// its absence fails the rollback.
const agentGrace = 15 * time.Minute

// verifyRollback runs the checks after the restore: each restored machine
// is back in the inventory with its patch agent online, its EDR sensor is
// online and not in reduced-functionality mode, and the environment's
// health gate passes. Databases restored beside their original (RDS) have
// no agent or sensor; the MOP confirmation stands for them.
func (e *Engine) verifyRollback(ctx context.Context, n *Rollback) (bool, error) {
	t, ok := e.tenants[n.Tenant]
	if !ok {
		n.fail(e.now(), "tenant "+n.Tenant+" is no longer configured", nil, nil)
		return true, nil
	}
	env, _ := t.Env(n.Env)
	inv, err := e.deps.Inventory.Hosts(ctx, t, env)
	if err != nil {
		return false, fmt.Errorf("inventory of %s/%s after the restore: %w", n.Tenant, n.Env, err)
	}
	byID := map[string]Host{}
	for _, h := range inv {
		if h.Source == "" {
			h.Source = SourceOf(e.deps.Inventory)
		}
		byID[h.ID] = h
	}
	var machines []Host
	var agentMissing []Finding
	for _, rh := range n.Hosts {
		if rh.Backup.Kind == BackupDBSnapshot {
			continue
		}
		h, ok := byID[rh.Host.ID]
		if !ok || !h.Managed {
			why := "not in the inventory after the restore"
			if ok {
				why = "patch agent not online after the restore"
				if h.AgentStatus != "" {
					why += " (agent: " + h.AgentStatus + ")"
				}
			}
			agentMissing = append(agentMissing, Finding{HostID: rh.Host.ID, HostName: rh.Host.Name, Reason: why, Source: h.Source})
			continue
		}
		machines = append(machines, h)
	}
	if len(agentMissing) > 0 && e.now().Sub(n.Restored) < agentGrace {
		return false, Errorf(CodePending, "%d restored host(s) not back in the inventory yet", len(agentMissing))
	}
	now := e.now()
	n.Gates = append(n.Gates, Gate{Name: "agent", At: now, Passed: len(agentMissing) == 0, Findings: agentMissing,
		Sources: addSource(hostSources(machines), SourceOf(e.deps.Inventory)),
		Summary: fmt.Sprintf("%d of %d restored machine(s) back with their patch agent online", len(machines), len(machines)+len(agentMissing))})
	failed := append([]Finding(nil), agentMissing...)
	if e.deps.Sensors != nil && len(machines) > 0 {
		sf, err := e.deps.Sensors.PostPatch(ctx, machines)
		if err != nil {
			return false, fmt.Errorf("sensor check after the restore: %w", err)
		}
		src := SourceOf(e.deps.Sensors)
		sf = sourceFindings(sf, src)
		n.Gates = append(n.Gates, Gate{Name: "sensors", At: e.now(), Passed: len(sf) == 0, Findings: sf, Sources: addSource(nil, src),
			Summary: fmt.Sprintf("%d machine(s) checked, %d sensor(s) offline or in reduced-functionality mode", len(machines), len(sf))})
		failed = append(failed, sf...)
	}
	var problems []Problem
	if e.deps.Health != nil {
		if problems, err = e.deps.Health.Problems(ctx, n.Tenant, n.Env); err != nil {
			return false, fmt.Errorf("health of %s/%s after the restore: %w", n.Tenant, n.Env, err)
		}
		n.Gates = append(n.Gates, Gate{Name: "health", At: e.now(), Passed: len(problems) == 0, Problems: problems,
			Sources: addSource(nil, SourceOf(e.deps.Health)), Summary: fmt.Sprintf("%d open problem(s)", len(problems))})
	}
	now = e.now()
	for _, g := range n.Gates[len(n.Gates)-gatesRun(e, machines):] {
		typ := EvGatePassed
		if !g.Passed {
			typ = EvGateFailed
		}
		n.emit(now, "", typ, ActorSystem, g.Name+": "+g.Summary, map[string]string{"gate": g.Name, "findings": fmt.Sprint(len(g.Findings))})
	}
	switch {
	case len(failed) > 0:
		n.fail(now, fmt.Sprintf("%d host(s) not healthy after the restore", len(failed)), failed, nil)
	case len(problems) > 0:
		n.fail(now, fmt.Sprintf("%s has %d open health problem(s) after the restore: %s", n.Env, len(problems), problems[0].Title), nil, nil)
	default:
		n.Status, n.Ended = RollbackCompleted, now
		n.emit(now, "", EvRollbackCompleted, ActorSystem, fmt.Sprintf("%d host(s) rolled back; patch pending in %s", len(n.Hosts), n.Cycle),
			map[string]string{"cycle": n.Cycle, "hosts": hostList(n.PatchPending(), 1000)})
	}
	return true, nil
}

// gatesRun is how many gates one verification appends.
func gatesRun(e *Engine, machines []Host) int {
	k := 1
	if e.deps.Sensors != nil && len(machines) > 0 {
		k++
	}
	if e.deps.Health != nil {
		k++
	}
	return k
}
