package runbooks

import (
	"context"
	"fmt"
	"time"

	"github.com/patchgate/patchgate/state"
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
	in, err := e.reportInput(ctx, asFiled(n, i, now))
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

// asFiled is the cycle as the archive holds it once the report stage i is
// done: with no stage left after it, the cycle is completed and ended now
// (ActComplete takes the last stage's end as the cycle's). The reporter
// runs before those writes, and a report must not call a finished cycle
// running.
func asFiled(n *Cycle, i int, now time.Time) *Cycle {
	f := *n
	f.Stages = append([]Stage(nil), n.Stages...)
	s := &f.Stages[i]
	s.Phase, s.Done = s.phaseAfter(s.Phase), now
	if f.Status == StatusRunning && f.Current() < 0 {
		f.Status, f.Ended = StatusCompleted, now
	}
	return &f
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
	if err := e.auditInput(ctx, n, &in); err != nil {
		return in, err
	}
	var err error
	if in.Events, err = decodeEvents(n.ID, in.AuditLog); err != nil {
		return in, err
	}
	if in.Refusals, err = e.Refusals(ctx, n.ID); err != nil {
		return in, err
	}
	if in.Rollbacks, err = e.RollbacksOf(ctx, n.ID); err != nil {
		return in, err
	}
	if in.Preventions, err = e.PreventionsOf(ctx, n.Tenant); err != nil {
		return in, err
	}
	if in.HostsBefore, err = e.Inventory(ctx, n.ID); err != nil {
		return in, err
	}
	if in.Hosts, err = e.listHosts(ctx, n.Tenant); err != nil {
		return in, err
	}
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

// auditInput reads the audit stream entry by entry, as hashed, and has its
// head signed and anchored, so the report carries a chain that verifies
// offline against the notary's public key. The cycle's lease keeps other
// writers off the stream, so the entries read are the head signed.
func (e *Engine) auditInput(ctx context.Context, n *Cycle, in *ReportInput) error {
	stream := AuditStream(n.ID)
	entries, err := e.deps.Store.Read(ctx, stream, 1, 0)
	if err != nil {
		return fmt.Errorf("read audit log of %s: %w", n.ID, err)
	}
	if len(entries) == 0 {
		return fmt.Errorf("read audit head of %s: %w", n.ID, state.ErrNotFound)
	}
	last := entries[len(entries)-1]
	in.AuditLog, in.AuditEntries, in.AuditHead = entries, last.Seq, last.Hash
	if e.deps.Notary == nil {
		return nil
	}
	if in.Checkpoint, err = e.deps.Notary.Checkpoint(ctx, stream, last.Seq, last.Hash, true); err != nil {
		return fmt.Errorf("checkpoint the audit log of %s for its report: %w", n.ID, err)
	}
	return nil
}
