package metrics

import (
	"context"
	"testing"

	"github.com/patchgate/patchgate/runbooks"
)

type intakeChat struct{ got []string }

func (r *intakeChat) CycleChanged(context.Context, *runbooks.Cycle, []runbooks.Event) error {
	return nil
}
func (r *intakeChat) UnknownInstance(_ context.Context, ev runbooks.ComplianceEvent, _ string) error {
	r.got = append(r.got, ev.ID)
	return nil
}
func (r *intakeChat) IntakeRefused(_ context.Context, ref runbooks.IntakeRefusal) error {
	r.got = append(r.got, ref.MessageID)
	return nil
}

// TestIntakeChatPassesThrough: the chat decorator hands the intake's
// notices (unknown instance, refused message) to the chat it wraps, so they
// are posted.
func TestIntakeChatPassesThrough(t *testing.T) {
	inner := &intakeChat{}
	c := New().Chat(inner)
	ic, ok := c.(runbooks.IntakeChat)
	if !ok {
		t.Fatal("the chat decorator hides the intake notices")
	}
	ctx := context.Background()
	if err := ic.UnknownInstance(ctx, runbooks.ComplianceEvent{ID: "evt-1"}, "no tenant"); err != nil {
		t.Fatal(err)
	}
	if err := ic.IntakeRefused(ctx, runbooks.IntakeRefusal{MessageID: "msg-1"}); err != nil {
		t.Fatal(err)
	}
	if len(inner.got) != 2 || inner.got[0] != "evt-1" || inner.got[1] != "msg-1" {
		t.Fatalf("forwarded %v", inner.got)
	}
}
