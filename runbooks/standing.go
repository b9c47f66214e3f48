package runbooks

import (
	"context"
	"encoding/json"
	"fmt"
)

// appendStanding chains ev on an audit stream that does not end as a
// runbook does (refused starts and decisions, freezes, backup retention),
// so no archive step signs it later: with signNow the new head is signed
// and anchored at once (the event is rare and must not be droppable
// unnoticed), otherwise when a checkpoint is due. A failure to chain is
// returned; a failure to sign is logged, as the next signature covers it.
func (e *Engine) appendStanding(ctx context.Context, stream string, ev Event, signNow bool) error {
	b, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode %s event for %s: %w", ev.Type, stream, err)
	}
	en, err := e.deps.Store.Append(ctx, stream, b)
	if err != nil {
		return fmt.Errorf("append %s event to %s: %w", ev.Type, stream, err)
	}
	if e.deps.Notary != nil {
		if _, err := e.deps.Notary.Checkpoint(ctx, stream, en.Seq, en.Hash, signNow); err != nil {
			e.log.Error("checkpoint audit stream", "stream", stream, "seq", en.Seq, "err", err)
		}
	}
	return nil
}

// readEvents reads a whole audit stream, oldest first.
func (e *Engine) readEvents(ctx context.Context, stream string) ([]Event, error) {
	entries, err := e.deps.Store.Read(ctx, stream, 1, 0)
	if err != nil {
		return nil, storeErr("read "+stream, err)
	}
	return decodeEvents(stream, entries)
}
