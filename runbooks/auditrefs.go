package runbooks

import (
	"context"
	"fmt"

	"github.com/patchgate/patchgate/state"
)

// CycleAudit is what a cycle record says its audit stream must hold.
type CycleAudit struct {
	ID       string
	Status   Status
	Revision int64 // events the cycle has emitted
	Pending  int64 // of those, events still in the record's outbox (maybe not yet appended)
}

// Stream is the cycle's audit stream.
func (c CycleAudit) Stream() string { return AuditStream(c.ID) }

// AuditedCycles lists every cycle record, active and finished, with what its
// audit stream must hold, so `audit verify` can find a stream that was
// deleted or cut back together with its head.
func AuditedCycles(ctx context.Context, st state.Store) ([]CycleAudit, error) {
	var out []CycleAudit
	for _, prefix := range []string{activePrefix, donePrefix} {
		recs, err := st.List(ctx, prefix)
		if err != nil {
			return nil, fmt.Errorf("list cycle records under %s: %w", prefix, err)
		}
		for _, r := range recs {
			c, err := decodeCycle(r)
			if err != nil {
				return nil, err
			}
			out = append(out, CycleAudit{ID: c.ID, Status: c.Status, Revision: c.Revision, Pending: int64(len(c.Outbox))})
		}
	}
	return out, nil
}
