package runbooks

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/patchgate/patchgate/state"
)

// CycleAudit is what a cycle record (or another runbook's record) says
// its audit stream must hold.
type CycleAudit struct {
	ID       string
	Kind     string // "" for a cycle, else the runbook kind (rollback, …)
	Status   Status
	Revision int64 // events the record has emitted
	Pending  int64 // of those, events still in the record's outbox (maybe not yet appended)
}

// Stream is the record's audit stream.
func (c CycleAudit) Stream() string {
	if c.Kind != "" {
		return KindAuditStream(c.Kind, c.ID)
	}
	return AuditStream(c.ID)
}

// KindAuditStream is the audit stream of a runbook of another kind than
// the cycle: audit/<kind>/<id>.
func KindAuditStream(kind, id string) string { return "audit/" + kind + "/" + id }

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
	kinds, err := auditedRunbooks(ctx, st)
	if err != nil {
		return nil, err
	}
	return append(out, kinds...), nil
}

// auditedRunbooks lists the records of every other runbook kind, stored
// as runbooks/<kind>/active/<id> and runbooks/<kind>/done/<id> with the
// journal's revision and outbox, so a stream of any kind deleted together
// with its head is found.
func auditedRunbooks(ctx context.Context, st state.Store) ([]CycleAudit, error) {
	recs, err := st.List(ctx, "runbooks/")
	if err != nil {
		return nil, fmt.Errorf("list runbook records: %w", err)
	}
	var out []CycleAudit
	for _, r := range recs {
		parts := strings.Split(r.Key, "/")
		if len(parts) != 4 || (parts[2] != "active" && parts[2] != "done") {
			continue // indexes and locks
		}
		var j struct {
			Status   Status            `json:"status"`
			Revision int64             `json:"revision"`
			Outbox   []json.RawMessage `json:"outbox"`
		}
		if err := json.Unmarshal(r.Value, &j); err != nil {
			return nil, fmt.Errorf("decode runbook record %s: %w", r.Key, err)
		}
		out = append(out, CycleAudit{ID: parts[3], Kind: parts[1], Status: j.Status, Revision: j.Revision, Pending: int64(len(j.Outbox))})
	}
	return out, nil
}

// RollbackIDsOf lists the rollbacks requested of a cycle, from the index
// written before each rollback's record (an entry whose record never came
// is listed too: its streams are simply empty).
func RollbackIDsOf(ctx context.Context, st state.Store, cycle string) ([]string, error) {
	recs, err := st.List(ctx, rollbackIndexPrefix(cycle))
	if err != nil {
		return nil, fmt.Errorf("list rollbacks of %s: %w", cycle, err)
	}
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = string(r.Value)
	}
	return ids, nil
}
