package runbooks

import (
	"context"
	"fmt"
	"time"
)

// report produces the compliance report from the cycle and its whole audit
// trail. The outbox is delivered first so the trail read back is complete.
func (e *Engine) report(ctx context.Context, n *Cycle, i int, now time.Time) (bool, error) {
	if e.deps.Reporter == nil {
		n.emit(now, n.Stages[i].Name, EvReportDone, ActorSystem, "no reporter configured; no report produced", nil)
		n.advance(i, now)
		return true, nil
	}
	if _, err := e.deliver(ctx, n); err != nil {
		return false, err
	}
	in, err := e.reportInput(ctx, n)
	if err != nil {
		return false, err
	}
	rep, err := e.deps.Reporter.Report(ctx, in)
	if err != nil {
		return false, fmt.Errorf("report of %s: %w", n.ID, err)
	}
	if rep.At.IsZero() {
		rep.At = now
	}
	n.Report = &rep
	details := map[string]string{"location": rep.Location, "sha256": rep.SHA256}
	for _, f := range rep.Files {
		// The hashes go into the chained audit log, so a file swapped in the
		// archive later no longer matches what the cycle recorded.
		details["file:"+f.Name] = f.SHA256 + " " + f.Location
	}
	n.emit(now, n.Stages[i].Name, EvReportDone, ActorSystem, "report at "+rep.Location, details)
	n.advance(i, now)
	return true, nil
}

// ReportInput gathers what the report of cycle id is made from, as the
// report stage would now (`patchgate report --cycle` regenerates with it).
func (e *Engine) ReportInput(ctx context.Context, id string) (ReportInput, error) {
	c, err := e.Get(ctx, id)
	if err != nil {
		return ReportInput{}, err
	}
	return e.reportInput(ctx, c)
}

// reportInput gathers what the report is made from, read back from the
// store so the report shows what the audit log holds, not memory.
func (e *Engine) reportInput(ctx context.Context, n *Cycle) (ReportInput, error) {
	in := ReportInput{Cycle: n}
	var err error
	if in.Events, err = e.Events(ctx, n.ID); err != nil {
		return in, err
	}
	if in.Refusals, err = e.Refusals(ctx, n.ID); err != nil {
		return in, err
	}
	if in.HostsBefore, err = e.Inventory(ctx, n.ID); err != nil {
		return in, err
	}
	if in.Hosts, err = e.listHosts(ctx, n.Tenant); err != nil {
		return in, err
	}
	head, err := e.deps.Store.Head(ctx, AuditStream(n.ID))
	if err != nil {
		return in, fmt.Errorf("read audit head of %s: %w", n.ID, err)
	}
	in.AuditEntries, in.AuditHead = head.Seq, head.Hash
	if e.deps.Access != nil {
		acc, err := e.deps.Access.AccessReport(ctx, e.tenants[n.Tenant])
		if err != nil {
			// A missing access report is an exception in the report, not a
			// reason to hold the cycle's evidence back.
			in.AccessError = err.Error()
		} else {
			in.Access = &acc
		}
	}
	return in, nil
}
