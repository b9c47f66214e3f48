package runbooks

import (
	"context"
	"fmt"
)

// The remediation's gates are the cycle's, run over the remediation's
// instances instead of a stage's environment: the same ports, the same
// gate records and sources, the same tagged operations found again after
// a crash before they are ever sent twice.

// remediationStage names the remediation's operations for providers.
const remediationStage = "remediation"

// gate records a gate result and its event.
func (r *Remediation) gate(g Gate) {
	r.Gates = append(r.Gates, g)
	typ := EvGatePassed
	if !g.Passed {
		typ = EvGateFailed
	}
	r.emit(g.At, "", typ, ActorSystem, g.Name+": "+g.Summary, map[string]string{"gate": g.Name,
		"findings": fmt.Sprint(len(g.Findings)), "sources": fmt.Sprint(g.Sources)})
}

// remediationInventory checks each instance is in the environment's
// inventory with its patch agent online, and takes its details from it.
func (e *Engine) remediationInventory(ctx context.Context, n *Remediation) (bool, error) {
	t, ok := e.tenants[n.Tenant]
	env, envOK := t.Env(n.Env)
	if !ok || !envOK {
		n.fail(e.now(), fmt.Sprintf("%s %s is no longer configured", n.Tenant, n.Env), nil, nil)
		return true, nil
	}
	inv, err := e.deps.Inventory.Hosts(ctx, t, env)
	if err != nil {
		return false, fmt.Errorf("inventory of %s/%s: %w", n.Tenant, n.Env, err)
	}
	src := SourceOf(e.deps.Inventory)
	byID := map[string]Host{}
	for _, h := range inv {
		if h.Source == "" {
			h.Source = src
		}
		h.Env = n.Env
		byID[h.ID] = h
	}
	var findings []Finding
	for i := range n.Instances {
		in := &n.Instances[i]
		h, ok := byID[in.Host.ID]
		switch {
		case !ok:
			findings = append(findings, Finding{HostID: in.Host.ID, HostName: in.Host.Name, Source: src,
				Reason: fmt.Sprintf("not in the inventory of %s/%s", n.Tenant, n.Env)})
			continue
		case !h.Managed:
			why := "running but not managed by its patch agent"
			if h.AgentStatus != "" {
				why += " (agent: " + h.AgentStatus + ")"
			}
			findings = append(findings, Finding{HostID: h.ID, HostName: h.Name, Reason: why, Source: h.Source})
		}
		in.Host = h
	}
	now := e.now()
	hosts := n.Hosts()
	n.gate(Gate{Name: "inventory", At: now, Passed: len(findings) == 0, Findings: findings, Sources: addSource(hostSources(hosts), src),
		Summary: fmt.Sprintf("%d of %d instance(s) in the inventory with their patch agent online", len(hosts)-len(findings), len(hosts))})
	if len(findings) > 0 {
		n.fail(now, fmt.Sprintf("%d instance(s) cannot be patched: not managed by the patch agent", len(findings)), findings, nil)
	}
	return true, nil
}

// remediationSensors runs the sensor/kernel gate before anything is installed.
func (e *Engine) remediationSensors(ctx context.Context, n *Remediation) (bool, error) {
	hosts := n.Hosts()
	findings, err := e.deps.Sensors.PrePatch(ctx, hosts)
	if err != nil {
		return false, fmt.Errorf("sensor check of %d instances: %w", len(hosts), err)
	}
	now := e.now()
	src := SourceOf(e.deps.Sensors)
	findings = sourceFindings(findings, src)
	n.gate(Gate{Name: "sensors", At: now, Passed: len(findings) == 0, Findings: findings, Sources: addSource(nil, src),
		Summary: fmt.Sprintf("%d instance(s) checked, %d would lose their EDR sensor", len(hosts), len(findings))})
	if len(findings) > 0 {
		n.fail(now, fmt.Sprintf("%d instance(s) would get a kernel their EDR sensor does not support", len(findings)), findings, nil)
	}
	return true, nil
}

func (r *Remediation) op(k opKind) *Op {
	if k == backupOp {
		return &r.Backup
	}
	return &r.Patch
}

// opRequest names the remediation's instances for an operation; the tag
// is unique per remediation, operation and attempt.
func (r *Remediation) opRequest(k opKind) OpRequest {
	return OpRequest{Tag: fmt.Sprintf("%s/%s/%d", r.ID, k, r.Attempt), Cycle: r.ID, Tenant: r.Tenant,
		Stage: remediationStage, Env: r.Env, Hosts: r.Hosts()}
}

// startRemediationOp finds this attempt's operation if an interrupted
// step sent it, and only otherwise sends it; the handle is stored before
// anything polls it.
func (e *Engine) startRemediationOp(ctx context.Context, n *Remediation, k opKind) (bool, error) {
	req := n.opRequest(k)
	var (
		handle string
		found  bool
		err    error
	)
	if k == backupOp {
		if handle, found, err = e.deps.Backups.FindBackup(ctx, req); err == nil && !found {
			handle, err = e.deps.Backups.StartBackup(ctx, req)
		}
	} else {
		if handle, found, err = e.deps.Patcher.FindPatch(ctx, req); err == nil && !found {
			handle, err = e.deps.Patcher.StartPatch(ctx, req)
		}
	}
	if err != nil {
		return false, fmt.Errorf("start %s of %d instances (%s): %w", k, len(req.Hosts), req.Tag, err)
	}
	now := e.now()
	op := Op{Tag: req.Tag, Started: now, Total: len(req.Hosts)}
	data := map[string]string{"tag": req.Tag}
	wctx, cancel := e.recordContext(ctx)
	defer cancel()
	if err := e.keepHandle(wctx, n.ID, &op, handle, data); err != nil {
		return false, err
	}
	*n.op(k) = op
	n.Errors, n.LastError = 0, ""
	detail := fmt.Sprintf("%s started on %d instance(s)", k, len(req.Hosts))
	if found {
		detail += " (found the earlier request after a restart)"
	}
	n.emit(now, "", evStarted(k), ActorSystem, detail, data)
	if k == patchOp && !found && e.deps.Changes != nil && n.Production {
		// Best effort, as for a cycle: a change event must never hold up the patch.
		if err := e.deps.Changes.Change(ctx, ChangeEvent{
			Summary: fmt.Sprintf("patchgate: remediating %s %s (%d instances)", n.Tenant, n.Env, len(req.Hosts)),
			At:      now, Details: map[string]string{"remediation": n.ID, "tenant": n.Tenant, "tag": req.Tag},
		}); err != nil {
			e.log.Warn("change event not delivered", "remediation", n.ID, "err", err)
		}
	}
	return true, nil
}

// pollRemediationOp polls a stored operation; completion moves the
// remediation on or fails it with the instances at fault.
func (e *Engine) pollRemediationOp(ctx context.Context, n *Remediation, k opKind) (bool, error) {
	op := n.op(k)
	handle, err := e.opHandle(ctx, op)
	if err != nil {
		return false, err
	}
	var st OpStatus
	if k == backupOp {
		st, err = e.deps.Backups.BackupStatus(ctx, handle)
	} else {
		st, err = e.deps.Patcher.PatchStatus(ctx, handle)
	}
	if err != nil {
		return false, fmt.Errorf("poll %s %s: %w", k, op.label(), err)
	}
	if st.Total > 0 {
		op.Total = st.Total
	}
	op.Succeeded, op.Failed, op.Made = st.Succeeded, st.Failed, st.Made
	n.Errors, n.LastError = 0, ""
	if !st.Done {
		return false, nil
	}
	if err := e.loadInstances(ctx, n); err != nil {
		return false, err
	}
	now := e.now()
	op.Done = true
	hosts := n.Hosts()
	passed := st.Failed == 0 && len(st.Findings) == 0
	n.gate(Gate{Name: string(k), At: now, Passed: passed, Findings: sourceFindingsByHost(st.Findings, hosts),
		Sources: hostSources(hosts), Summary: opSummary(st, op.Total)})
	if !passed {
		n.fail(now, fmt.Sprintf("%s failed on %d instance(s)", k, max(st.Failed, len(st.Findings))), st.Findings, nil)
		return true, nil
	}
	n.emit(now, "", evDone(k), ActorSystem, fmt.Sprintf("%s done on %d instance(s)", k, st.Succeeded), nil)
	if k == backupOp {
		n.Status = RemPatching
	} else {
		n.Status = RemVerifying
	}
	return true, nil
}

// remediationVerify checks after patching that nothing is missing or
// failed and, where the tier asks, that every sensor came back.
func (e *Engine) remediationVerify(ctx context.Context, n *Remediation) (bool, error) {
	req := n.opRequest("verify")
	findings, err := e.deps.Patcher.VerifyPatch(ctx, req)
	if err != nil {
		return false, fmt.Errorf("verify patches on %d instances: %w", len(req.Hosts), err)
	}
	findings = sourceFindingsByHost(findings, req.Hosts)
	sources := hostSources(req.Hosts)
	if n.SensorGate && e.deps.Sensors != nil {
		sf, err := e.deps.Sensors.PostPatch(ctx, req.Hosts)
		if err != nil {
			return false, fmt.Errorf("post-patch sensor check: %w", err)
		}
		src := SourceOf(e.deps.Sensors)
		findings = append(findings, sourceFindings(sf, src)...)
		sources = addSource(sources, src)
	}
	now := e.now()
	n.gate(Gate{Name: "verify", At: now, Passed: len(findings) == 0, Findings: findings, Sources: sources,
		Summary: fmt.Sprintf("%d instance(s) verified, %d problem(s)", len(req.Hosts), len(findings))})
	if len(findings) > 0 {
		n.fail(now, fmt.Sprintf("verification found %d problem(s) after patching", len(findings)), findings, nil)
		return true, nil
	}
	n.Status = RemEvaluating
	return true, nil
}
