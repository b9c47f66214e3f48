package sla

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
)

// paging triggers one incident per overdue critical or KEV host-patch the
// tenant has not been paged for, as the scan meets them, then records
// those the pager accepted in one write and one audit entry, so a failed
// trigger is tried again by the next scan and a large first scan costs one
// write, not one per page.
type paging struct {
	s      *Service
	tenant string
	now    time.Time
	done   map[string]time.Time
	paged  []PagedBreach
	errs   []error
}

func (s *Service) newPaging(ctx context.Context, tenant string, now time.Time) (*paging, error) {
	p := &paging{s: s, tenant: tenant, now: now}
	if s.Pager == nil {
		return p, nil
	}
	done, _, err := readJSON[map[string]time.Time](ctx, s.Store, pagedPrefix+tenant)
	if err != nil {
		return nil, err
	}
	if done != nil {
		p.done = *done
	}
	return p, nil
}

func (p *paging) consider(ctx context.Context, it *Item) {
	if p.s.Pager == nil || !it.Pages() || !p.done[it.HostID+"|"+it.PatchID].IsZero() {
		return
	}
	why := "critical patch"
	if it.KEV != "" {
		why = "known exploited " + it.KEV
	}
	pg := runbooks.Page{DedupKey: "patchgate/sla/" + p.tenant + "/" + it.HostID + "/" + it.PatchID,
		Summary:  fmt.Sprintf("%s: %s %s on %s is past its SLA deadline %s", p.tenant, why, it.PatchID, hostLabel(it), it.Deadline.Format(time.DateOnly)),
		Severity: runbooks.SeverityCritical,
		Details: map[string]string{"tenant": p.tenant, "host": it.HostID, "patch": it.PatchID, "severity": it.Severity,
			"kev": it.KEV, "deadline": it.Deadline.Format(time.RFC3339), "clock_start": it.StartSource, "source": it.Source}}
	if err := p.s.Pager.Trigger(ctx, pg); err != nil {
		p.errs = append(p.errs, fmt.Errorf("page %s: %w", pg.DedupKey, err))
		return
	}
	p.paged = append(p.paged, PagedBreach{Host: it.HostID, Patch: it.PatchID, KEV: it.KEV, Deadline: it.Deadline, Source: it.Source})
}

// record stores and audits the breaches paged; it returns how many.
func (p *paging) record(ctx context.Context) (int, error) {
	p.done = nil
	if len(p.paged) == 0 {
		return 0, errors.Join(p.errs...)
	}
	errs := p.errs
	_, err := state.ModifyJSON(ctx, p.s.Store, pagedPrefix+p.tenant, func(cur *map[string]time.Time) (*map[string]time.Time, error) {
		next := map[string]time.Time{}
		if cur != nil {
			next = *cur
		}
		for _, b := range p.paged {
			next[b.Host+"|"+b.Patch] = p.now
		}
		return &next, nil
	})
	if err != nil {
		return 0, errors.Join(append(errs, err)...)
	}
	if err := appendAudit(ctx, p.s.Store, auditEvent{Type: EventBreachPaged, Tenant: p.tenant, Paged: p.paged, At: p.now}); err != nil {
		errs = append(errs, err)
	}
	return len(p.paged), errors.Join(errs...)
}
