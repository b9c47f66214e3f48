package sim

import (
	"context"
	"maps"

	"github.com/patchgate/patchgate/runbooks"
)

// Trigger opens an incident for p.DedupKey, or adds to the open one, as
// PagerDuty's Events API does: a key whose incident was resolved opens a new
// incident.
func (f *Fleet) Trigger(ctx context.Context, p runbooks.Page) error {
	if p.DedupKey == "" {
		return runbooks.Errorf(runbooks.CodeInvalid, "sim: a page needs a dedup key")
	}
	return f.page(ctx, MethodTrigger, func(s *Stats) {
		s.PageTriggers++
		inc, ok := s.Incidents[p.DedupKey]
		if !ok || inc.Status == IncidentResolved {
			inc.Status = IncidentTriggered
			inc.Opened++
			s.IncidentsOpened++
		}
		inc.Triggers++
		inc.Summary, inc.Severity, inc.Details = p.Summary, p.Severity, maps.Clone(p.Details)
		s.Incidents[p.DedupKey] = inc
	})
}

// Acknowledge acknowledges the open incident of dedupKey; an unknown,
// acknowledged or resolved key is accepted and left alone.
func (f *Fleet) Acknowledge(ctx context.Context, dedupKey string) error {
	return f.page(ctx, MethodAcknowledge, func(s *Stats) {
		s.PageAcks++
		inc, ok := s.Incidents[dedupKey]
		if !ok {
			return
		}
		inc.Acks++
		if inc.Status == IncidentTriggered {
			inc.Status = IncidentAcknowledged
		}
		s.Incidents[dedupKey] = inc
	})
}

// Resolve resolves the incident of dedupKey; an unknown or resolved key is
// accepted and left alone.
func (f *Fleet) Resolve(ctx context.Context, dedupKey string) error {
	return f.page(ctx, MethodResolve, func(s *Stats) {
		s.PageResolves++
		inc, ok := s.Incidents[dedupKey]
		if !ok {
			return
		}
		inc.Resolves++
		inc.Status = IncidentResolved
		s.Incidents[dedupKey] = inc
	})
}

func (f *Fleet) page(ctx context.Context, method string, change func(*Stats)) error {
	return f.call(ctx, method, func(n int) error {
		change(&f.st.Stats)
		if err := f.commit(); err != nil {
			return err
		}
		return f.lostReply(method, n)
	})
}
