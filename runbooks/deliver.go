package runbooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/patchgate/patchgate/state"
)

// delivered is how far a cycle's events have reached: the audit stream and
// chat. The next write of the record drops what is delivered from the outbox.
type delivered struct {
	appended int64
	notified int64
	last     state.Entry // the last entry this delivery appended (Seq 0: none)
}

// deliver appends the outbox to the cycle's audit stream, each event at its
// own sequence (so a replay appends nothing twice), then hands new events to
// chat. Audit comes first: chat never shows what the audit log lacks.
func (e *Engine) deliver(ctx context.Context, c *Cycle) (delivered, error) {
	d, err := e.appendOutbox(ctx, AuditStream(c.ID), c.ID, c.Outbox, c.Revision, c.Notified)
	if err != nil {
		return d, err
	}
	if e.deps.Chat == nil {
		d.notified = d.appended
		return d, nil
	}
	fresh := freshEvents(c.Outbox, c.Notified)
	if len(fresh) == 0 {
		return d, nil
	}
	if err := e.deps.Chat.CycleChanged(ctx, c, fresh); err != nil {
		// Chat is not the system of record: the cycle goes on and the
		// events are offered again on the next write.
		e.log.Warn("chat update failed", "cycle", c.ID, "err", err)
		return d, nil
	}
	d.notified = d.appended
	return d, nil
}

// appendOutbox appends a runbook record's outbox to its audit stream, each
// event at its own sequence, and says how far the stream and chat have got.
// Every runbook kind delivers through it.
func (e *Engine) appendOutbox(ctx context.Context, stream, id string, outbox []Event, revision, notified int64) (delivered, error) {
	d := delivered{appended: revision - int64(len(outbox)), notified: notified}
	// One read of the head skips what an earlier delivery appended, so an
	// outbox that waits for its trim costs no failed appends.
	if len(outbox) > 0 {
		head, err := e.deps.Store.Head(ctx, stream)
		switch {
		case err == nil:
			d.appended = max(d.appended, min(head.Seq, revision))
		case !errors.Is(err, state.ErrNotFound):
			return d, fmt.Errorf("read head of %s: %w", stream, err)
		}
	}
	for _, ev := range outbox {
		if ev.Seq <= d.appended {
			continue
		}
		b, err := json.Marshal(ev)
		if err != nil {
			return d, fmt.Errorf("encode event %d of %s: %w", ev.Seq, id, err)
		}
		en, err := e.deps.Store.AppendAt(ctx, stream, ev.Seq, b)
		if err == nil {
			d.last = en
		}
		if errors.Is(err, state.ErrConflict) {
			// Another replica appended it between our head read and now,
			// unless the stream lags behind (which would be a lost event).
			head, herr := e.deps.Store.Head(ctx, stream)
			if herr != nil || head.Seq < ev.Seq {
				return d, fmt.Errorf("audit stream %s is at %d, cannot append event %d: %v", stream, head.Seq, ev.Seq, herr)
			}
			err = nil
		}
		if err != nil {
			return d, fmt.Errorf("append event %d to %s: %w", ev.Seq, stream, err)
		}
		d.appended = ev.Seq
	}
	return d, nil
}

// freshEvents are the outbox's events chat has not been given yet.
func freshEvents(outbox []Event, notified int64) []Event {
	var fresh []Event
	for _, ev := range outbox {
		if ev.Seq > notified {
			fresh = append(fresh, ev)
		}
	}
	return fresh
}

// trimOutbox drops events that reached both the audit stream and chat from
// an outbox before the record's next write, and moves notified on.
func trimOutbox(outbox []Event, notified *int64, d delivered) []Event {
	done := min(d.appended, d.notified)
	keep := outbox[:0:0]
	for _, ev := range outbox {
		if ev.Seq > done {
			keep = append(keep, ev)
		}
	}
	if d.notified > *notified {
		*notified = d.notified
	}
	return keep
}

// trim drops delivered events from the cycle's outbox.
func (c *Cycle) trim(d delivered) { c.Outbox = trimOutbox(c.Outbox, &c.Notified, d) }

// Events reads a cycle's whole audit trail from its stream.
func (e *Engine) Events(ctx context.Context, id string) ([]Event, error) {
	entries, err := e.deps.Store.Read(ctx, AuditStream(id), 1, 0)
	if err != nil {
		return nil, storeErr("read audit of "+id, err)
	}
	return decodeEvents(id, entries)
}

// decodeEvents decodes the entries of a cycle's audit stream.
func decodeEvents(id string, entries []state.Entry) ([]Event, error) {
	out := make([]Event, 0, len(entries))
	for _, en := range entries {
		var ev Event
		if err := json.Unmarshal(en.Data, &ev); err != nil {
			return nil, fmt.Errorf("decode audit entry %d of %s: %w", en.Seq, id, err)
		}
		ev.Seq = en.Seq
		out = append(out, ev)
	}
	return out, nil
}
