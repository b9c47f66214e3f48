package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/patchgate/patchgate/runbooks"
)

// Sink records compliance events: runbooks.Engine. IntakeComplianceEvent
// starts or joins the tenant's remediation; RecordUnknownInstance keeps an
// event triage could not place; RecordIntakeRefusal audits a message the
// intake refused. Each is idempotent on its key, so a redelivered message,
// or one several replicas read, is recorded once.
type Sink interface {
	IntakeComplianceEvent(ctx context.Context, ev runbooks.ComplianceEvent) (string, error)
	RecordUnknownInstance(ctx context.Context, ev runbooks.ComplianceEvent, reason string) error
	RecordIntakeRefusal(ctx context.Context, r runbooks.IntakeRefusal) error
}

// Intake turns one event body into a recorded event. The SQS poller and
// the bot's HTTP intake both go through Handle.
type Intake struct {
	sink   Sink
	triage *Triage
	rules  map[string]bool
	log    *slog.Logger
}

// NewIntake records into sink the events of rules (remediation.rules;
// config holds their default), placing instances with triage.
func NewIntake(sink Sink, triage *Triage, rules []string, log *slog.Logger) *Intake {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	in := &Intake{sink: sink, triage: triage, rules: map[string]bool{}, log: log}
	for _, r := range rules {
		in.rules[r] = true
	}
	return in
}

// Outcome is what became of an event: the remediation it joined, or the
// unknown-instance record.
type Outcome struct {
	Event       runbooks.ComplianceEvent
	Remediation string
	Unknown     string // why triage could not place it; "" when placed
}

// Handle parses, places and records one event. It returns nil only when the
// event is durably recorded (the caller may then drop its copy). A
// CodeInvalid error is a body that will never be recorded (malformed, or a
// rule the intake does not follow); any other error is worth retrying.
func (in *Intake) Handle(ctx context.Context, body []byte, source string) (Outcome, error) {
	ev, err := Parse(body, source)
	if err != nil {
		return Outcome{}, err
	}
	out := Outcome{Event: ev}
	if !in.rules[ev.Rule] {
		return out, invalid("event %s: rule %q is not one of remediation.rules", ev.ID, clip(ev.Rule))
	}
	err = in.triage.Place(ctx, &ev)
	out.Event = ev
	var u *Unplaced
	switch {
	case errors.As(err, &u):
		if err := in.sink.RecordUnknownInstance(ctx, ev, u.Reason); err != nil {
			return out, fmt.Errorf("record event %s of unknown instance %s: %w", ev.ID, ev.InstanceID, err)
		}
		out.Unknown = u.Reason
		in.log.Warn("compliance event for an unknown instance", "event", ev.ID, "account", ev.Account,
			"instance", ev.InstanceID, "source", source, "reason", u.Reason)
		return out, nil
	case err != nil:
		return out, err
	}
	id, err := in.sink.IntakeComplianceEvent(ctx, ev)
	if err != nil {
		return out, fmt.Errorf("record event %s of %s/%s instance %s: %w", ev.ID, ev.Tenant, ev.Env, ev.InstanceID, err)
	}
	out.Remediation = id
	in.log.Info("compliance event recorded", "event", ev.ID, "tenant", ev.Tenant, "env", ev.Env,
		"instance", ev.InstanceID, "compliance", ev.Compliance, "remediation", id, "source", source)
	return out, nil
}

// Refused reports whether err means the body will never be recorded.
func Refused(err error) bool { return runbooks.ErrorCode(err) == runbooks.CodeInvalid }

// Record is Handle for the bot's HTTP intake: it answers what became of
// the event in a few words.
func (in *Intake) Record(ctx context.Context, body []byte, source string) (string, error) {
	out, err := in.Handle(ctx, body, source)
	switch {
	case err != nil:
		return "", err
	case out.Unknown != "":
		return "event " + out.Event.ID + ": unknown instance " + out.Event.InstanceID + " recorded and reported", nil
	default:
		return "event " + out.Event.ID + ": " + out.Remediation, nil
	}
}

var _ Sink = (*runbooks.Engine)(nil)
