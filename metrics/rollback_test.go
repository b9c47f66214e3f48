package metrics

import (
	"context"
	"testing"

	"github.com/patchgate/patchgate/runbooks"
)

type rollbackChat struct{ got []string }

func (r *rollbackChat) CycleChanged(context.Context, *runbooks.Cycle, []runbooks.Event) error {
	return nil
}
func (r *rollbackChat) RollbackChanged(_ context.Context, rb *runbooks.Rollback, _ []runbooks.Event) error {
	r.got = append(r.got, rb.ID)
	return nil
}

// TestRollbackChatPassesThrough: the chat decorator hands rollbacks to the
// chat it wraps (the bot's notifier), so their messages are posted.
func TestRollbackChatPassesThrough(t *testing.T) {
	inner := &rollbackChat{}
	c := New().Chat(inner)
	rc, ok := c.(runbooks.RollbackChat)
	if !ok {
		t.Fatal("the chat decorator hides RollbackChanged")
	}
	if err := rc.RollbackChanged(context.Background(), &runbooks.Rollback{ID: "RB-1"}, nil); err != nil || len(inner.got) != 1 {
		t.Fatalf("forwarded %v, %v", inner.got, err)
	}
}
