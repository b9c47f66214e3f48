package runbooks

import (
	"context"
	"fmt"
	"time"
)

// incident pages for a failed stage, acknowledges the page when a person
// took the stage in hand, and resolves it once the stage succeeds. Each call
// is idempotent per dedup key, so a replay after a crash re-uses the incident.
func (e *Engine) incident(ctx context.Context, n *Cycle, a Action, now time.Time) (bool, error) {
	s := &n.Stages[a.Stage]
	inc := &s.Incident
	if inc.Key == "" {
		inc.Key = IncidentKey(n.ID, s.Name)
	}
	pager := e.deps.Pager
	switch a.Kind {
	case ActPage:
		detail := "paged"
		if pager == nil {
			detail = "no pager configured; not paged"
		} else if err := pager.Trigger(ctx, Page{
			DedupKey: inc.Key,
			Summary:  fmt.Sprintf("patchgate: %s %s halted: %s", n.Tenant, s.Name, s.Failure.Reason),
			Severity: severity(s),
			Details: map[string]string{"cycle": n.ID, "tenant": n.Tenant, "stage": s.Name,
				"phase": string(s.Failure.Phase), "hosts": hostList(s.Failure.Findings, 50)},
		}); err != nil {
			return false, fmt.Errorf("page %s: %w", inc.Key, err)
		}
		inc.Triggered = true
		data := map[string]string{"dedup_key": inc.Key}
		if src := SourceOf(pager); src != "" {
			data["source"] = src
		}
		n.emit(now, s.Name, EvIncidentOpened, ActorSystem, detail, data)
	case ActAck:
		if pager != nil {
			if err := pager.Acknowledge(ctx, inc.Key); err != nil {
				return false, fmt.Errorf("acknowledge %s: %w", inc.Key, err)
			}
		}
		inc.Acknowledged = true
		n.emit(now, s.Name, EvIncidentAcked, ActorSystem, "", map[string]string{"dedup_key": inc.Key})
	case ActResolve:
		if pager != nil {
			if err := pager.Resolve(ctx, inc.Key); err != nil {
				return false, fmt.Errorf("resolve %s: %w", inc.Key, err)
			}
		}
		inc.Resolved = true
		n.emit(now, s.Name, EvIncidentResolved, ActorSystem, "stage succeeded", map[string]string{"dedup_key": inc.Key})
	}
	inc.LastError = ""
	return true, nil
}

// severity pages production failures as critical.
func severity(s *Stage) string {
	switch {
	case s.Production:
		return SeverityCritical
	case s.Kind == KindPreflight || s.Staging:
		return SeverityError
	}
	return SeverityWarning
}
