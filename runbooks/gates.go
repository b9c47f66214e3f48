package runbooks

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// inventory runs the preflight gate: every environment's hosts are listed and
// any host the cloud runs but the patch agent does not manage fails the gate,
// so an AMI refresh that dropped agents is caught before anything is patched.
func (e *Engine) inventory(ctx context.Context, n *Cycle, i int, now time.Time) (bool, error) {
	t, ok := e.tenants[n.Tenant]
	if !ok {
		n.fail(i, now, "tenant "+n.Tenant+" is no longer configured", nil)
		return true, nil
	}
	hosts, err := e.listHosts(ctx, t.Name)
	if err != nil {
		return false, err
	}
	hosts, missing := emergencyScope(n, hosts)
	if len(missing) > 0 {
		n.fail(i, e.now(), fmt.Sprintf("the emergency change names %d host(s) the inventory does not list: %s", len(missing), strings.Join(missing, ", ")), nil)
		return true, nil
	}
	if err := e.putInventory(ctx, n.ID, hosts); err != nil {
		return false, err
	}
	now = e.now() // the gate's result is stamped when it is known
	scope := Scope{Hosts: len(hosts), ByCloud: map[Cloud]int{}, ByEnv: map[string]int{}}
	var unmanaged []Finding
	noSensor, unmeasured := 0, 0
	for _, h := range hosts {
		scope.ByCloud[h.Cloud]++
		scope.ByEnv[h.Env]++
		if !h.Managed {
			reason := "running in " + string(h.Cloud) + " but not managed by its patch agent"
			if h.AgentStatus != "" {
				reason += " (agent: " + h.AgentStatus + ")"
			}
			unmanaged = append(unmanaged, Finding{HostID: h.ID, HostName: h.Name, Reason: reason, Source: h.Source})
		}
		switch {
		case h.SensorSource == "":
			unmeasured++
		case !h.HasSensor:
			noSensor++
		}
	}
	scope.Unmanaged = len(unmanaged)
	n.Scope = scope
	summary := fmt.Sprintf("%d hosts, %d unmanaged, %d without EDR sensor", len(hosts), len(unmanaged), noSensor)
	if unmeasured > 0 {
		// The patch agents' inventories carry no EDR data: say so rather
		// than count those hosts as without a sensor, or with one.
		summary += fmt.Sprintf(", EDR sensor not measured on %d", unmeasured)
	}
	n.gate(i, now, Gate{Name: "inventory", Passed: len(unmanaged) == 0, Summary: summary, Findings: unmanaged, Sources: hostSources(hosts)})
	if len(unmanaged) > 0 {
		n.fail(i, now, fmt.Sprintf("%d host(s) are running but not managed by the patch agent", len(unmanaged)), unmanaged)
		return true, nil
	}
	n.skipEmpty(scope.ByEnv, now)
	n.advance(i, now)
	return true, nil
}

// listHosts takes the inventory of every environment of a tenant in
// pipeline order.
func (e *Engine) listHosts(ctx context.Context, tenant string) ([]Host, error) {
	t, ok := e.tenants[tenant]
	if !ok {
		return nil, Errorf(CodeNotFound, "tenant %s is no longer configured", tenant)
	}
	var hosts []Host
	src := SourceOf(e.deps.Inventory)
	for _, spec := range e.pipeline {
		env, ok := t.Env(spec.Env)
		if !ok {
			continue
		}
		hs, err := e.deps.Inventory.Hosts(ctx, t, env)
		if err != nil {
			return nil, fmt.Errorf("inventory of %s/%s: %w", t.Name, env.Name, err)
		}
		hosts = slices.Grow(hosts, len(hs))
		for _, h := range hs {
			h.Env = env.Name
			if h.Source == "" {
				h.Source = src
			}
			hosts = append(hosts, h)
		}
	}
	return hosts, nil
}

// health runs the health gate: open problems in the environment block it.
func (e *Engine) health(ctx context.Context, n *Cycle, i int) (bool, error) {
	s := &n.Stages[i]
	problems, err := e.deps.Health.Problems(ctx, n.Tenant, s.Env)
	if err != nil {
		return false, fmt.Errorf("health of %s/%s: %w", n.Tenant, s.Env, err)
	}
	now := e.now() // when the provider answered
	g := Gate{Name: "health", Passed: len(problems) == 0, Problems: problems,
		Sources: addSource(nil, SourceOf(e.deps.Health)), Summary: fmt.Sprintf("%d open problem(s)", len(problems))}
	n.gate(i, now, g)
	if !g.Passed {
		n.fail(i, now, fmt.Sprintf("%s has %d open health problem(s): %s", s.Env, len(problems), problems[0].Title), nil)
		return true, nil
	}
	n.advance(i, now)
	return true, nil
}

// sensors runs the sensor/kernel gate before anything is installed.
func (e *Engine) sensors(ctx context.Context, n *Cycle, i int) (bool, error) {
	hosts, err := e.stageHosts(ctx, n, i)
	if err != nil {
		return false, err
	}
	findings, err := e.deps.Sensors.PrePatch(ctx, hosts)
	if err != nil {
		return false, fmt.Errorf("sensor check of %d hosts: %w", len(hosts), err)
	}
	now := e.now() // when the provider answered
	src := SourceOf(e.deps.Sensors)
	findings = sourceFindings(findings, src)
	sources := addSource(nil, src)
	s := &n.Stages[i]
	if len(findings) > 0 && s.SensorExclude {
		// Configured to go on without them: the hosts keep their old
		// kernel (and a working sensor), and the exclusion is evidence.
		n.gate(i, now, Gate{Name: "sensors", Passed: true, Findings: findings, Sources: sources,
			Summary: fmt.Sprintf("%d host(s) checked, %d excluded: their EDR sensor does not support the new kernel", len(hosts), len(findings))})
		s.Exclusions = append(s.Exclusions, findings...)
		n.Scope.Excluded += len(findings)
		n.emit(now, s.Name, EvExclusions, ActorSystem, fmt.Sprintf("sensor gate excluded %d host(s): %s", len(findings), hostList(findings, 20)),
			map[string]string{"hosts": hostList(findings, 1000), "reason": "sensor does not support the target kernel"})
		n.advance(i, now)
		return true, nil
	}
	n.gate(i, now, Gate{Name: "sensors", Passed: len(findings) == 0, Findings: findings, Sources: sources,
		Summary: fmt.Sprintf("%d host(s) checked, %d would lose their EDR sensor", len(hosts), len(findings))})
	if len(findings) > 0 {
		n.fail(i, now, fmt.Sprintf("%d host(s) would get a kernel their EDR sensor does not support", len(findings)), findings)
		return true, nil
	}
	n.advance(i, now)
	return true, nil
}

// verify checks after patching that nothing is missing or failed and that
// every sensor came back fully functional.
func (e *Engine) verify(ctx context.Context, n *Cycle, i int) (bool, error) {
	req, err := e.opRequest(ctx, n, i, "verify")
	if err != nil {
		return false, err
	}
	findings, err := e.deps.Patcher.VerifyPatch(ctx, req)
	if err != nil {
		return false, fmt.Errorf("verify patches on %d hosts: %w", len(req.Hosts), err)
	}
	findings = sourceFindingsByHost(findings, req.Hosts)
	sources := hostSources(req.Hosts)
	if n.Stages[i].SensorGate {
		sf, err := e.deps.Sensors.PostPatch(ctx, req.Hosts)
		if err != nil {
			return false, fmt.Errorf("post-patch sensor check: %w", err)
		}
		src := SourceOf(e.deps.Sensors)
		findings = append(findings, sourceFindings(sf, src)...)
		sources = addSource(sources, src)
	}
	var problems []Problem
	if n.Stages[i].HealthGate {
		// The environment must still be healthy after patching: a problem
		// open now was opened by (or during) the change.
		if problems, err = e.deps.Health.Problems(ctx, n.Tenant, n.Stages[i].Env); err != nil {
			return false, fmt.Errorf("post-patch health of %s/%s: %w", n.Tenant, n.Stages[i].Env, err)
		}
		sources = addSource(sources, SourceOf(e.deps.Health))
	}
	now := e.now() // when the provider answered
	summary := fmt.Sprintf("%d host(s) verified, %d problem(s)", len(req.Hosts), len(findings))
	if n.Stages[i].HealthGate {
		summary += fmt.Sprintf(", %d open health problem(s)", len(problems))
	}
	n.gate(i, now, Gate{Name: "verify", Passed: len(findings) == 0 && len(problems) == 0, Findings: findings, Problems: problems, Sources: sources, Summary: summary})
	switch {
	case len(findings) > 0:
		n.fail(i, now, fmt.Sprintf("verification found %d problem(s) after patching", len(findings)), findings)
		return true, nil
	case len(problems) > 0:
		n.fail(i, now, fmt.Sprintf("%s has %d open health problem(s) after patching: %s", n.Stages[i].Env, len(problems), problems[0].Title), nil)
		return true, nil
	}
	n.advance(i, now)
	return true, nil
}

// stageHosts are the managed hosts of stage i's environment that no stage
// excluded.
func (e *Engine) stageHosts(ctx context.Context, c *Cycle, i int) ([]Host, error) {
	env := c.Stages[i].Env
	return e.inventoryWhere(ctx, c.ID, func(h *Host) bool {
		return h.Env == env && h.Managed && !c.excluded(h.ID)
	})
}

// excluded reports whether any stage excluded the host.
func (c *Cycle) excluded(hostID string) bool {
	for i := range c.Stages {
		if c.Stages[i].Excluded(hostID) {
			return true
		}
	}
	return false
}
