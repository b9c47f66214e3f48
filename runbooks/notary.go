package runbooks

import (
	"bytes"
	"context"
	"fmt"

	"github.com/patchgate/patchgate/state"
)

// Notary signs an audit stream's head with a key the store never holds and
// anchors the signed checkpoint outside the store (state/checkpoint).
type Notary interface {
	// Checkpoint signs entry seq (hash head) of stream when final is set or
	// a checkpoint is due, and returns the encoded checkpoint covering seq
	// (nil when none was due).
	Checkpoint(ctx context.Context, stream string, seq int64, head string, final bool) ([]byte, error)
}

// checkpointDue anchors the cycle's audit head when the notary says one is
// due (every N entries or T minutes). A failure is logged: the cycle's
// final checkpoint, which does hold the cycle back, covers what this missed.
func (e *Engine) checkpointDue(ctx context.Context, c *Cycle, last state.Entry) {
	if e.deps.Notary == nil || last.Seq == 0 {
		return
	}
	if _, err := e.deps.Notary.Checkpoint(ctx, AuditStream(c.ID), last.Seq, last.Hash, false); err != nil {
		e.log.Warn("audit checkpoint failed", "cycle", c.ID, "tenant", c.Tenant, "err", err)
	}
}

// sealAudit runs before a finished cycle is archived: it signs and anchors
// the final heads of the cycle's audit and refusal streams and exports both
// streams to the evidence archive. An error keeps the cycle from being
// archived, so the next tick tries again.
func (e *Engine) sealAudit(ctx context.Context, c *Cycle) error {
	var export bytes.Buffer
	enc := state.NewExportEncoder(&export)
	for _, stream := range []string{AuditStream(c.ID), RefusalStream(c.ID)} {
		entries, err := e.deps.Store.Read(ctx, stream, 1, 0)
		if err != nil {
			return fmt.Errorf("read %s to seal it: %w", stream, err)
		}
		if len(entries) == 0 {
			continue
		}
		last := entries[len(entries)-1]
		if e.deps.Notary != nil {
			if _, err := e.deps.Notary.Checkpoint(ctx, stream, last.Seq, last.Hash, true); err != nil {
				return fmt.Errorf("final checkpoint of %s: %w", stream, err)
			}
		}
		for _, en := range entries {
			if err := enc.Encode(state.NewExportLine(stream, en)); err != nil {
				return fmt.Errorf("export %s: %w", stream, err)
			}
		}
	}
	if e.deps.Archive == nil || export.Len() == 0 {
		return nil
	}
	if _, err := e.deps.Archive.Put(ctx, AuditExportName(c.ID), export.Bytes(), "application/x-ndjson"); err != nil {
		return fmt.Errorf("export the audit log of %s to the archive: %w", c.ID, err)
	}
	return nil
}

// AuditExportName is where a finished cycle's audit streams are kept in
// the evidence archive. It lies outside the report's folder: a bundle holds
// exactly what its manifest lists (report verify refuses anything else), and
// the export goes further than the report's checkpoint (the report's own
// delivery, the refusal stream).
func AuditExportName(cycleID string) string { return "audit-logs/" + cycleID + ".jsonl" }
