package runbooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/patchgate/patchgate/state"
)

// IntakeStream is the hash-chained stream of compliance events the intake
// could not hand to a remediation: instances no tenant owns.
const IntakeStream = "audit/intake"

// EvUnknownInstance is the audit type of a compliance event for an instance
// triage could not place in any tenant's environment.
const EvUnknownInstance = "intake.unknown_instance"

// unknownKey holds one unplaced event by its EventBridge id; its Create is
// the claim that makes a redelivered event (or one several replicas read)
// recorded and reported once.
func unknownKey(eventID string) string { return "intake/unknown/" + eventID }

// IntakeChat shows people what the intake could not hand to a
// remediation: an event no tenant owns, a message it refused. A Chat that
// implements it gets the notices; the records and audit lines do not
// depend on it.
type IntakeChat interface {
	UnknownInstance(ctx context.Context, ev ComplianceEvent, reason string) error
	IntakeRefused(ctx context.Context, r IntakeRefusal) error
}

// RecordUnknownInstance keeps a compliance event triage could not place:
// it stores the event under its id, chains it on IntakeStream and tells
// the chat. It is idempotent on ev.ID: a second call finds the record and
// does nothing. It returns nil only once the event is stored and audited,
// so the intake deletes its message only then.
func (e *Engine) RecordUnknownInstance(ctx context.Context, ev ComplianceEvent, reason string) error {
	if ev.ID == "" {
		return Errorf(CodeInvalid, "compliance event without an id")
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode compliance event %s: %w", ev.ID, err)
	}
	rec, err := e.deps.Store.Create(ctx, unknownKey(ev.ID), b)
	if errors.Is(err, state.ErrConflict) {
		return nil
	}
	if err != nil {
		return storeErr("record unknown instance event "+ev.ID, err)
	}
	if err := e.auditUnknown(ctx, ev, reason); err != nil {
		// Without its audit line the record would hide the event from the
		// next delivery; drop it so the redelivered message tries again.
		if derr := e.deps.Store.Delete(ctx, unknownKey(ev.ID), rec.Version); derr != nil {
			e.log.Error("undo unknown instance record", "event", ev.ID, "err", derr)
		}
		return err
	}
	if ic, ok := e.deps.Chat.(IntakeChat); ok {
		if err := ic.UnknownInstance(ctx, ev, reason); err != nil {
			// The event is stored and audited; the notice is best effort.
			e.log.Error("post unknown instance notice", "event", ev.ID, "instance", ev.InstanceID, "err", err)
		}
	}
	return nil
}

func (e *Engine) auditUnknown(ctx context.Context, ev ComplianceEvent, reason string) error {
	data := map[string]string{
		"event": ev.ID, "account": ev.Account, "region": ev.Region, "instance": ev.InstanceID,
		"rule": ev.Rule, "compliance": ev.Compliance, "source": ev.Source,
		"since": ev.At.UTC().Format("2006-01-02T15:04:05Z"),
	}
	a := Event{At: e.now(), Type: EvUnknownInstance, Actor: ActorSystem, Detail: reason, Data: data}
	b, _ := json.Marshal(a)
	en, err := e.deps.Store.Append(ctx, IntakeStream, b)
	if err != nil {
		return storeErr("audit unknown instance event "+ev.ID, err)
	}
	if e.deps.Notary != nil {
		if _, err := e.deps.Notary.Checkpoint(ctx, IntakeStream, en.Seq, en.Hash, true); err != nil {
			e.log.Error("checkpoint intake stream", "seq", en.Seq, "err", err)
		}
	}
	return nil
}

// UnknownInstanceEvents reads IntakeStream, oldest first.
func (e *Engine) UnknownInstanceEvents(ctx context.Context) ([]Event, error) {
	entries, err := e.deps.Store.Read(ctx, IntakeStream, 1, 0)
	if err != nil {
		return nil, storeErr("read intake events", err)
	}
	out := make([]Event, 0, len(entries))
	for _, en := range entries {
		var ev Event
		if err := json.Unmarshal(en.Data, &ev); err != nil {
			return nil, fmt.Errorf("decode intake event %d: %w", en.Seq, err)
		}
		out = append(out, ev)
	}
	return out, nil
}

// EvIntakeRefused is the audit type of a message the intake refused
// (malformed, or a rule it does not follow).
const EvIntakeRefused = "intake.refused"

// IntakeRefusal is a message the intake could not record. It names the
// message and why, never its body, which could hold anything.
type IntakeRefusal struct {
	Source    string // "sqs:<queue>" | "http"
	MessageID string // the SQS message id, or the HTTP request's event id when it had one
	Reason    string
}

// refusalTTL keeps the claim on a refused message longer than a queue
// retries it (maxReceiveCount × visibility timeout), so it is audited and
// shown once while SQS redelivers it on its way to the dead-letter queue.
const refusalTTL = 14 * 24 * time.Hour

// RecordIntakeRefusal audits a refused message on IntakeStream and tells
// the chat, once per message id.
func (e *Engine) RecordIntakeRefusal(ctx context.Context, r IntakeRefusal) error {
	if r.MessageID != "" {
		first, err := e.deps.Store.Claim(ctx, "intake/refused/"+r.Source+"/"+r.MessageID, refusalTTL)
		if err != nil {
			return storeErr("claim intake refusal "+r.MessageID, err)
		}
		if !first {
			return nil
		}
	}
	a := Event{At: e.now(), Type: EvIntakeRefused, Actor: ActorSystem, Detail: r.Reason,
		Data: map[string]string{"source": r.Source, "message": r.MessageID}}
	b, _ := json.Marshal(a)
	if _, err := e.deps.Store.Append(ctx, IntakeStream, b); err != nil {
		return storeErr("audit intake refusal "+r.MessageID, err)
	}
	if ic, ok := e.deps.Chat.(IntakeChat); ok {
		if err := ic.IntakeRefused(ctx, r); err != nil {
			e.log.Error("post intake refusal notice", "message", r.MessageID, "err", err)
		}
	}
	return nil
}
