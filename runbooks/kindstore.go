package runbooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/patchgate/patchgate/state"
)

// Journal is what every runbook record beside the cycle carries for the
// engine: its events wait in Outbox until the audit stream and chat have
// them, Revision numbers them, Interactions de-duplicates decisions, and
// Version is the store's compare-and-swap version. Kinds embed it, so the
// JSON stays flat.
type Journal struct {
	Revision     int64    `json:"revision"`
	Outbox       []Event  `json:"outbox,omitempty"`
	Notified     int64    `json:"notified"`
	Interactions []string `json:"interactions,omitempty"`
	Version      int64    `json:"-"`
}

// journal lets a record embedding Journal satisfy kindRecord.
func (j *Journal) journal() *Journal { return j }

// emit numbers ev with the next revision and queues it for delivery.
func (j *Journal) emit(ev Event) {
	j.Revision++
	ev.Seq = j.Revision
	ev.At = ev.At.UTC()
	j.Outbox = append(j.Outbox, ev)
}

// pendingDelivery reports whether events wait for the audit stream or chat.
func (j *Journal) pendingDelivery() bool { return len(j.Outbox) > 0 || j.Notified < j.Revision }

// trim drops delivered events from the outbox.
func (j *Journal) trim(d delivered) { j.Outbox = trimOutbox(j.Outbox, &j.Notified, d) }

// seen reports whether a decision's interaction was applied already.
func (j *Journal) seen(interaction string) bool {
	return interaction != "" && slices.Contains(j.Interactions, interaction)
}

// clone copies the slices the engine edits in place.
func (j Journal) clone() Journal {
	j.Outbox = slices.Clone(j.Outbox)
	j.Interactions = slices.Clone(j.Interactions)
	return j
}

// kindRecord is a pointer to a runbook kind's record.
type kindRecord[T any] interface {
	*T
	journal() *Journal
	recordID() string
}

// kindStore keeps one kind's records: active and finished apart (a tick
// lists only what may still need work), each audited on its own stream.
type kindStore[T any, P kindRecord[T]] struct {
	e    *Engine
	kind string // as in keys, lease keys and messages
}

func (s kindStore[T, P]) activeKey(id string) string { return "runbooks/" + s.kind + "/active/" + id }
func (s kindStore[T, P]) doneKey(id string) string   { return "runbooks/" + s.kind + "/done/" + id }

// stream is the audit stream of record id.
func (s kindStore[T, P]) stream(id string) string { return "audit/" + s.kind + "/" + id }

func (s kindStore[T, P]) decode(r state.Record) (P, error) {
	p := P(new(T))
	if err := json.Unmarshal(r.Value, p); err != nil {
		return nil, fmt.Errorf("decode %s record %s: %w", s.kind, r.Key, err)
	}
	p.journal().Version = r.Version
	return p, nil
}

// get returns a record, active or finished.
func (s kindStore[T, P]) get(ctx context.Context, id string) (P, error) {
	for _, key := range []string{s.activeKey(id), s.doneKey(id)} {
		r, err := s.e.deps.Store.Get(ctx, key)
		if errors.Is(err, state.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, storeErr("read "+s.kind+" "+id, err)
		}
		return s.decodeWhole(ctx, r)
	}
	return nil, Errorf(CodeNotFound, "no %s %q", s.kind, id)
}

// getActive returns a record not yet archived.
func (s kindStore[T, P]) getActive(ctx context.Context, id string) (P, error) {
	r, err := s.e.deps.Store.Get(ctx, s.activeKey(id))
	if errors.Is(err, state.ErrNotFound) {
		return nil, Errorf(CodeNotFound, "no open %s %q", s.kind, id)
	}
	if err != nil {
		return nil, storeErr("read "+s.kind+" "+id, err)
	}
	return s.decodeWhole(ctx, r)
}

// list returns the open records, or the finished ones, in ID order.
func (s kindStore[T, P]) list(ctx context.Context, finished bool) ([]P, error) {
	prefix := s.activeKey("")
	if finished {
		prefix = s.doneKey("")
	}
	recs, err := s.e.deps.Store.List(ctx, prefix)
	if err != nil {
		return nil, storeErr("list "+s.kind+"s", err)
	}
	out := make([]P, 0, len(recs))
	for _, r := range recs {
		p, err := s.decode(r)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// blobKeeper is a record that keeps large parts in blobs of its own: they
// are read when one record is read (get, getActive; not list), stored
// returns the value to encode after writing the blobs it needs, and saved
// is told when a write took (to delete blobs it replaced).
type blobKeeper interface {
	loadResults(ctx context.Context, e *Engine) error
	stored(ctx context.Context, e *Engine) (any, error)
	saved(ctx context.Context, e *Engine)
}

// decodeWhole decodes one record with the parts it keeps in blobs read.
func (s kindStore[T, P]) decodeWhole(ctx context.Context, r state.Record) (P, error) {
	p, err := s.decode(r)
	if err != nil {
		return nil, err
	}
	if bk, ok := any(p).(blobKeeper); ok {
		if err := bk.loadResults(ctx, s.e); err != nil {
			return nil, storeErr("read "+s.kind+" "+p.recordID(), err)
		}
	}
	return p, nil
}

func (s kindStore[T, P]) encode(ctx context.Context, p P) ([]byte, error) {
	var v any = p
	if bk, ok := any(p).(blobKeeper); ok {
		var err error
		if v, err = bk.stored(ctx, s.e); err != nil {
			return nil, err
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s %s: %w", s.kind, p.recordID(), err)
	}
	return b, nil
}

// create writes a new record; state.ErrConflict when its ID exists.
func (s kindStore[T, P]) create(ctx context.Context, p P) error {
	b, err := s.encode(ctx, p)
	if err != nil {
		return err
	}
	r, err := s.e.deps.Store.Create(ctx, s.activeKey(p.recordID()), b)
	if err != nil {
		return err
	}
	p.journal().Version = r.Version
	return nil
}

// save writes p over the version it was read at, fenced by lease when one
// is given; p's version moves on success.
func (s kindStore[T, P]) save(ctx context.Context, lease *state.Lease, p P) error {
	b, err := s.encode(ctx, p)
	if err != nil {
		return err
	}
	j := p.journal()
	var r state.Record
	if lease != nil {
		r, err = s.e.deps.Store.UpdateFenced(ctx, *lease, s.activeKey(p.recordID()), b, j.Version)
	} else {
		r, err = s.e.deps.Store.Update(ctx, s.activeKey(p.recordID()), b, j.Version)
	}
	if err != nil {
		return err
	}
	j.Version = r.Version
	if bk, ok := any(p).(blobKeeper); ok {
		bk.saved(ctx, s.e)
	}
	return nil
}

// deliver appends p's outbox to its audit stream, then hands the new events
// to chat when chat is given (audit first: chat never shows what the audit
// log lacks). A chat failure is logged and offered again on the next write.
func (s kindStore[T, P]) deliver(ctx context.Context, p P, chat func(context.Context, []Event) error) (delivered, error) {
	j := p.journal()
	d, err := s.e.appendOutbox(ctx, s.stream(p.recordID()), p.recordID(), j.Outbox, j.Revision, j.Notified)
	if err != nil {
		return d, err
	}
	if chat == nil {
		d.notified = d.appended
		return d, nil
	}
	fresh := freshEvents(j.Outbox, j.Notified)
	if len(fresh) == 0 {
		return d, nil
	}
	if err := chat(ctx, fresh); err != nil {
		s.e.log.Warn("chat update failed", s.kind, p.recordID(), "err", err)
		return d, nil
	}
	d.notified = d.appended
	return d, nil
}

// events reads record id's audit trail.
func (s kindStore[T, P]) events(ctx context.Context, id string) ([]Event, error) {
	entries, err := s.e.deps.Store.Read(ctx, s.stream(id), 1, 0)
	if err != nil {
		return nil, storeErr("read audit of "+id, err)
	}
	return decodeEvents(id, entries)
}

// archive signs the final heads of p's audit and refusal streams and moves
// p to the finished set; each part is idempotent, so a crash in between is
// finished by the next tick.
func (s kindStore[T, P]) archive(ctx context.Context, p P) error {
	id := p.recordID()
	st := s.e.deps.Store
	for _, stream := range []string{s.stream(id), RefusalStream(id)} {
		head, err := st.Head(ctx, stream)
		if errors.Is(err, state.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("read head of %s: %w", stream, err)
		}
		if s.e.deps.Notary != nil {
			if _, err := s.e.deps.Notary.Checkpoint(ctx, stream, head.Seq, head.Hash, true); err != nil {
				return fmt.Errorf("final checkpoint of %s: %w", stream, err)
			}
		}
	}
	b, err := s.encode(ctx, p)
	if err != nil {
		return err
	}
	if _, err := st.Create(ctx, s.doneKey(id), b); err != nil && !errors.Is(err, state.ErrConflict) {
		return fmt.Errorf("archive %s %s: %w", s.kind, id, err)
	}
	if err := st.Delete(ctx, s.activeKey(id), p.journal().Version); err != nil && !errors.Is(err, state.ErrNotFound) {
		return err
	}
	return nil
}
