package runbooks

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ScheduledPreflight runs every tenant's preflight ahead of the patch
// cycle firing at cycleAt (the scheduler fires it once across replicas),
// posts each report to the chat, and pages once per tenant and firing for
// the hosts that need a person, so they are fixed before the window.
func (e *Engine) ScheduledPreflight(ctx context.Context, cycleAt time.Time) error {
	var errs []error
	for _, name := range e.order {
		r, err := e.preflight(ctx, name, ActorSystem, cycleAt)
		if err != nil {
			errs = append(errs, fmt.Errorf("preflight of %s: %w", name, err))
			continue
		}
		if pc, ok := e.deps.Chat.(PreflightChat); ok {
			if err := pc.PreflightPosted(ctx, r); err != nil {
				errs = append(errs, fmt.Errorf("post preflight of %s: %w", name, err))
			}
		}
		if err := e.pagePreflight(ctx, r); err != nil {
			errs = append(errs, err)
		}
		e.log.Info("scheduled preflight", "tenant", name, "ready", r.Ready(), "need_person", len(r.NeedPerson), "cycle_at", cycleAt)
	}
	return errors.Join(errs...)
}

// pagePreflight opens one incident for the hosts a person must fix before
// the cycle; the dedup key names the tenant and the firing, so a retried
// run adds to the same incident.
func (e *Engine) pagePreflight(ctx context.Context, r PreflightReport) error {
	if len(r.NeedPerson) == 0 || e.deps.Pager == nil {
		return nil
	}
	p := Page{
		DedupKey: "patchgate/preflight/" + r.Tenant + "/" + r.Scheduled.UTC().Format(time.RFC3339),
		Severity: SeverityWarning,
		Summary: fmt.Sprintf("patchgate preflight: %d host(s) of %s need a person before the cycle at %s",
			len(r.NeedPerson), r.Tenant, r.Scheduled.UTC().Format("2006-01-02 15:04 UTC")),
		Details: map[string]string{"tenant": r.Tenant, "hosts": hostList(r.NeedPerson, 100), "summary": r.Summary()},
	}
	sctx, cancel := e.stepCtx(ctx)
	defer cancel()
	if err := e.deps.Pager.Trigger(sctx, p); err != nil {
		return fmt.Errorf("page preflight of %s: %w", r.Tenant, err)
	}
	return nil
}
