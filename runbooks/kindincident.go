package runbooks

import (
	"context"
	"fmt"
	"time"
)

// runbookIncident opens (ActPage) or resolves (ActResolve) the one
// incident of a runbook record beside a cycle, keyed by its ID: page is
// what to open (its DedupKey is set here), emit records the event on the
// record, and wentOn is the resolve event's detail. Critical in
// production, an error elsewhere; without a pager the event says so.
func (e *Engine) runbookIncident(ctx context.Context, id string, inc *Incident, production bool, a Action, now time.Time,
	page Page, wentOn string, emit func(now time.Time, typ, detail string, data map[string]string)) (bool, error) {
	if inc.Key == "" {
		inc.Key = "patchgate/" + id
	}
	pager := e.deps.Pager
	switch a.Kind {
	case ActPage:
		page.DedupKey, page.Severity = inc.Key, SeverityError
		if production {
			page.Severity = SeverityCritical
		}
		detail := "paged"
		if pager == nil {
			detail = "no pager configured; not paged"
		} else if err := pager.Trigger(ctx, page); err != nil {
			return false, fmt.Errorf("page %s: %w", inc.Key, err)
		}
		inc.Triggered = true
		emit(now, EvIncidentOpened, detail, map[string]string{"dedup_key": inc.Key})
	case ActResolve:
		if pager != nil {
			if err := pager.Resolve(ctx, inc.Key); err != nil {
				return false, fmt.Errorf("resolve %s: %w", inc.Key, err)
			}
		}
		inc.Resolved = true
		emit(now, EvIncidentResolved, wentOn, map[string]string{"dedup_key": inc.Key})
	}
	inc.LastError = ""
	return true, nil
}

// incidentNext is the page a runbook record needs before its own work:
// one page when it failed and has not paged, and its resolution once the
// record ended (a retry that went on to success, or a rejection). A record
// that fails again before it ends keeps its one open page.
func incidentNext(inc Incident, failed, ended bool) (Action, bool) {
	switch {
	case failed && !inc.Triggered && !ended:
		return Action{Kind: ActPage, Stage: -1}, true
	case inc.Triggered && !inc.Resolved && ended:
		return Action{Kind: ActResolve, Stage: -1}, true
	}
	return Action{}, false
}

// failureHosts lists the hosts of a failure for a page's details.
func failureHosts(f *Failure) string {
	if f == nil {
		return ""
	}
	return hostList(f.Findings, 50)
}
