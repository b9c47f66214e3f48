package runbooks

import (
	"context"

	"github.com/patchgate/patchgate/state"
)

// kindSteps is what one runbook kind brings to stepKind: where its records
// live, its pure Next, how it acts and records a failed action, and how it
// delivers and archives.
type kindSteps[T any, P kindRecord[T]] struct {
	store kindStore[T, P]
	// next is the kind's pure Next (given what it reads besides the
	// record, e.g. the freezes).
	next  func(ctx context.Context, p P) (Action, error)
	clone func(P) P
	// act runs a; failed records its error on n and says whether the
	// record still moved (a page that failed moves nothing).
	act    func(ctx context.Context, n P, a Action) (moved bool, err error)
	failed func(n P, a Action, err error) (moved bool)
	// changed reports a change to save besides new events (an operation's
	// handle, an error count); nil saves after every action.
	changed func(before, after P) bool
	deliver func(ctx context.Context, p P) (delivered, error)
	archive func(ctx context.Context, p P) error
	// holds says a kind keeps its lease between actions while an
	// operation runs.
	holds bool
}

// stepKind reads record id, runs its next action under lease and writes
// the outcome fenced: provider calls under StepTimeout, the write under
// RecordTimeout, delivery after the write. It reports whether the record
// moved (more to do now) and whether it still needs this replica.
func stepKind[T any, P kindRecord[T]](ctx context.Context, e *Engine, lease *state.Lease, id string, k kindSteps[T, P]) (bool, bool, error) {
	p, err := k.store.getActive(ctx, id)
	if err != nil {
		if ErrorCode(err) == CodeNotFound {
			return false, false, nil // archived meanwhile
		}
		return false, false, err
	}
	a, err := k.next(ctx, p)
	if err != nil || !a.NeedsIO() {
		return false, false, err
	}
	n := k.clone(p)
	wctx, cancel := context.WithTimeout(ctx, e.cfg.RecordTimeout)
	defer cancel()
	switch a.Kind {
	case ActArchive:
		return true, false, k.archive(wctx, p)
	case ActFlush:
		d, err := k.deliver(wctx, n)
		if err != nil {
			return false, false, err
		}
		nj, pj := n.journal(), p.journal()
		nj.trim(d)
		if len(nj.Outbox) == len(pj.Outbox) && nj.Notified == pj.Notified {
			return false, false, nil // chat is down; next tick
		}
		return true, false, k.store.save(wctx, lease, n)
	}
	cctx, ccancel := context.WithTimeout(ctx, e.cfg.StepTimeout)
	moved, err := k.act(cctx, n, a)
	err = e.overBudget(cctx, a, err)
	ccancel()
	wctx2, cancel2 := context.WithTimeout(ctx, e.cfg.RecordTimeout)
	defer cancel2()
	if err != nil {
		moved = k.failed(n, a, err)
	}
	if k.changed != nil && !moved && n.journal().Revision == p.journal().Revision && !k.changed(p, n) {
		return false, k.holds, nil
	}
	if err := k.store.save(wctx2, lease, n); err != nil {
		return false, false, err
	}
	if d, derr := k.deliver(wctx2, n); derr != nil {
		e.log.Warn("deliver runbook events", k.store.kind, n.recordID(), "err", derr)
	} else {
		n.journal().trim(d)
	}
	return moved, k.holds, nil
}
