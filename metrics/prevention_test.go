package metrics

import (
	"context"
	"testing"

	"github.com/patchgate/patchgate/runbooks"
)

type preventionChat struct{ got []string }

func (r *preventionChat) CycleChanged(context.Context, *runbooks.Cycle, []runbooks.Event) error {
	return nil
}
func (r *preventionChat) PreventionChanged(_ context.Context, p *runbooks.Prevention, _ []runbooks.Event) error {
	r.got = append(r.got, p.ID)
	return nil
}

// TestPreventionRolloutChatPassesThrough: the chat decorator hands
// prevention rollouts to the chat it wraps (the bot's notifier), so their
// messages are posted.
func TestPreventionRolloutChatPassesThrough(t *testing.T) {
	inner := &preventionChat{}
	c := New().Chat(inner)
	pc, ok := c.(runbooks.PreventionChat)
	if !ok {
		t.Fatal("the chat decorator hides PreventionChanged")
	}
	if err := pc.PreventionChanged(context.Background(), &runbooks.Prevention{ID: "PV-1"}, nil); err != nil || len(inner.got) != 1 {
		t.Fatalf("forwarded %v, %v", inner.got, err)
	}
}
