package runbooks

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// The checks below only read: each provider call runs under the step
// budget, and a call that fails makes its check unknown, never passed.

// BaselineChecker compares, read-only, the patch baseline a tenant's
// environment would be patched with against the one declared for it (an
// optional extension of Patcher). A mismatch is a CodeBlocked error; found
// says what was checked.
type BaselineChecker interface {
	CheckBaseline(ctx context.Context, tenant Tenant, env Environment) (found string, err error)
}

func (e *Engine) stepCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, e.cfg.StepTimeout)
}

// preflightCycle: a start is refused while the tenant has an active cycle.
func (e *Engine) preflightCycle(ctx context.Context, t Tenant) PreflightCheck {
	c := PreflightCheck{Name: "cycle", Sources: []string{"patchgate state store"}}
	active, err := e.Active(ctx)
	if err != nil {
		c.Status, c.Summary = PreflightUnknown, "could not list active cycles: "+ErrorMessage(err)
		return c
	}
	for _, a := range active {
		if a.Tenant == t.Name {
			c.Status, c.Summary = PreflightFail, fmt.Sprintf("cycle %s is still %s; a new cycle would be refused until it ends", a.ID, a.Status)
			return c
		}
	}
	c.Status, c.Summary = PreflightPass, "no active cycle; a new one may start"
	return c
}

// preflightInventory lists every environment's hosts; an unmanaged host
// fails it (and needs a person), as the cycle's inventory gate would.
func (e *Engine) preflightInventory(ctx context.Context, t Tenant, r *PreflightReport) ([]Host, PreflightCheck) {
	c := PreflightCheck{Name: "inventory", Sources: []string{SourceOf(e.deps.Inventory)}}
	sctx, cancel := e.stepCtx(ctx)
	defer cancel()
	hosts, err := e.listHosts(sctx, t.Name)
	if err != nil {
		c.Status, c.Summary = PreflightUnknown, "inventory failed: "+err.Error()
		return nil, c
	}
	r.Hosts, r.ByEnv = len(hosts), map[string]int{}
	for _, h := range hosts {
		r.ByEnv[h.Env]++
		if h.Managed {
			continue
		}
		reason := "running in " + string(h.Cloud) + " but not managed by its patch agent"
		if h.AgentStatus != "" {
			reason += " (agent: " + h.AgentStatus + ")"
		}
		c.Findings = append(c.Findings, Finding{HostID: h.ID, HostName: h.Name, Reason: reason, Source: h.Source})
	}
	c.Sources = hostSources(hosts)
	c.Summary = fmt.Sprintf("%d hosts, %d unmanaged", len(hosts), len(c.Findings))
	c.Status = PreflightPass
	if len(c.Findings) > 0 {
		c.Status = PreflightFail
		r.NeedPerson = append(r.NeedPerson, c.Findings...)
	}
	return hosts, c
}

// preflightSensors asks the EDR whether each managed host's sensor supports
// the kernel a patch would install.
func (e *Engine) preflightSensors(ctx context.Context, spec EnvSpec, hosts []Host, listed bool, r *PreflightReport) PreflightCheck {
	c := PreflightCheck{Name: "sensors", Env: spec.Env, Sources: []string{SourceOf(e.deps.Sensors)}}
	if !listed {
		c.Status, c.Summary = PreflightUnknown, "not judged: the inventory failed"
		return c
	}
	sctx, cancel := e.stepCtx(ctx)
	defer cancel()
	findings, err := e.deps.Sensors.PrePatch(sctx, hosts)
	if err != nil {
		c.Status, c.Summary = PreflightUnknown, "sensor check failed: "+err.Error()
		return c
	}
	c.Findings = sourceFindings(findings, c.Sources[0])
	switch {
	case len(findings) == 0:
		c.Status, c.Summary = PreflightPass, fmt.Sprintf("%d host(s) checked; every sensor supports the new kernel", len(hosts))
	case spec.SensorExclude:
		c.Status = PreflightPass
		c.Summary = fmt.Sprintf("%d host(s) checked; %d would be excluded (their sensor does not support the new kernel)", len(hosts), len(findings))
	default:
		c.Status = PreflightFail
		c.Summary = fmt.Sprintf("%d host(s) checked; %d would lose their EDR sensor and block the stage", len(hosts), len(findings))
		r.NeedPerson = append(r.NeedPerson, c.Findings...)
	}
	return c
}

// preflightBaseline compares the patch baseline where the patcher can say
// so without patching.
func (e *Engine) preflightBaseline(ctx context.Context, t Tenant, spec EnvSpec) PreflightCheck {
	c := PreflightCheck{Name: "baseline", Env: spec.Env, Sources: []string{SourceOf(e.deps.Patcher)}}
	bc, ok := e.deps.Patcher.(BaselineChecker)
	if !ok {
		c.Status, c.Summary = PreflightUnknown, "not judged: the patch provider has no read-only baseline check; it is checked when patching starts"
		return c
	}
	env, _ := t.Env(spec.Env)
	sctx, cancel := e.stepCtx(ctx)
	defer cancel()
	found, err := bc.CheckBaseline(sctx, t, env)
	switch {
	case ErrorCode(err) == CodeBlocked:
		c.Status, c.Summary = PreflightFail, ErrorMessage(err)
	case err != nil:
		c.Status, c.Summary = PreflightUnknown, "baseline check failed: "+err.Error()
	default:
		c.Status, c.Summary = PreflightPass, orDefault(found, "the declared baseline is the one registered")
	}
	return c
}

// preflightHealth asks the monitor for open problems.
func (e *Engine) preflightHealth(ctx context.Context, tenant, env string) PreflightCheck {
	c := PreflightCheck{Name: "health", Env: env, Sources: []string{SourceOf(e.deps.Health)}}
	sctx, cancel := e.stepCtx(ctx)
	defer cancel()
	problems, err := e.deps.Health.Problems(sctx, tenant, env)
	if err != nil {
		c.Status, c.Summary = PreflightUnknown, "health check failed: "+err.Error()
		return c
	}
	c.Problems = problems
	c.Status, c.Summary = PreflightPass, "no open problems"
	if len(problems) > 0 {
		c.Status, c.Summary = PreflightFail, fmt.Sprintf("%d open problem(s); the health gate would block the stage", len(problems))
	}
	return c
}

// preflightTime judges the calendar: each tier's window (when it opens
// next) and the freezes that hold the tenant now or at that opening.
func (e *Engine) preflightTime(ctx context.Context, t Tenant, now time.Time) []PreflightCheck {
	fz, err := e.Freezes(ctx)
	freeze := PreflightCheck{Name: "freeze", Sources: []string{"patchgate freezes (config and commands)"}}
	if err != nil {
		freeze.Status, freeze.Summary = PreflightUnknown, "could not read freezes: "+ErrorMessage(err)
	}
	var out, blocked []string
	var checks []PreflightCheck
	if f, ok := holding(fz, t.Name, now); ok {
		blocked = append(blocked, "now: "+f.Describe()+" (no cycle may start)")
	}
	for _, spec := range e.pipeline {
		if _, ok := t.Env(spec.Env); !ok {
			continue
		}
		wc := PreflightCheck{Name: "window", Env: spec.Env, Sources: []string{"patchgate configuration"}}
		ws := stageWindow(t, spec)
		if ws == "" {
			continue
		}
		w, err := ParseWindow(ws, time.UTC)
		if err != nil {
			wc.Status, wc.Summary = PreflightFail, err.Error()
			checks = append(checks, wc)
			continue
		}
		at := w.NextOpen(now).Start
		if span, open := w.Open(now); open {
			at = span.Start
			wc.Summary = fmt.Sprintf("window %s is open now, closing %s", w.Spec, whenLocal(span.End, w.Loc))
		} else {
			wc.Summary = fmt.Sprintf("window %s opens %s", w.Spec, whenLocal(at, w.Loc))
		}
		wc.Status = PreflightInfo
		checks = append(checks, wc)
		if f, ok := holding(fz, t.Name, at); ok {
			blocked = append(blocked, fmt.Sprintf("%s's window opening %s: %s", wc.Env, whenLocal(at, w.Loc), f.Describe()))
		}
	}
	if freeze.Status == "" {
		switch {
		case len(blocked) > 0:
			freeze.Status, freeze.Summary = PreflightFail, "frozen at "+strings.Join(blocked, "; ")
		default:
			for _, f := range fz {
				if f.Tenant == t.Name || f.Tenant == FreezeAll {
					out = append(out, f.Describe())
				}
			}
			freeze.Status, freeze.Summary = PreflightPass, "no freeze holds the tenant now or at its windows"
			if len(out) > 0 {
				freeze.Summary += "; later: " + strings.Join(out, "; ")
			}
		}
	}
	return append(checks, freeze)
}

// preflightChange says what change record a cycle would get. Creating one
// is a change in the platform, so its reachability is judged when a cycle
// starts (and retried without losing the cycle).
func (e *Engine) preflightChange() PreflightCheck {
	c := PreflightCheck{Name: "change record", Status: PreflightInfo}
	cr := e.deps.ChangeRecords
	if cr == nil {
		c.Summary = "change records are off: no record is made"
		return c
	}
	c.Sources = []string{PlatformName(cr.Platform())}
	c.Summary = "a normal change is created in " + PlatformName(cr.Platform()) + " when the cycle starts"
	var req []string
	for _, s := range e.pipeline {
		if s.RequireChangeApproval {
			req = append(req, s.Env)
		}
	}
	if len(req) > 0 {
		c.Summary += "; " + strings.Join(req, ", ") + " wait(s) for it to be approved there"
	}
	return c
}
