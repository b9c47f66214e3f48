package metrics

import (
	"context"
	"testing"

	"github.com/patchgate/patchgate/runbooks"
)

type remediationChat struct{ got []string }

func (r *remediationChat) CycleChanged(context.Context, *runbooks.Cycle, []runbooks.Event) error {
	return nil
}
func (r *remediationChat) RemediationChanged(_ context.Context, rm *runbooks.Remediation, _ []runbooks.Event) error {
	r.got = append(r.got, rm.ID)
	return nil
}

// TestRemediationChatPassesThrough: the chat decorator hands remediations
// to the chat it wraps (the bot's notifier), so their cards are posted.
func TestRemediationChatPassesThrough(t *testing.T) {
	inner := &remediationChat{}
	c := New().Chat(inner)
	rc, ok := c.(runbooks.RemediationChat)
	if !ok {
		t.Fatal("the chat decorator hides RemediationChanged")
	}
	if err := rc.RemediationChanged(context.Background(), &runbooks.Remediation{ID: "RM-1"}, nil); err != nil || len(inner.got) != 1 {
		t.Fatalf("forwarded %v, %v", inner.got, err)
	}
}
