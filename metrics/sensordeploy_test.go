package metrics

import (
	"context"
	"testing"

	"github.com/patchgate/patchgate/runbooks"
)

type deployChat struct{ got []string }

func (r *deployChat) CycleChanged(context.Context, *runbooks.Cycle, []runbooks.Event) error {
	return nil
}
func (r *deployChat) SensorDeployChanged(_ context.Context, d *runbooks.SensorDeploy, _ []runbooks.Event) error {
	r.got = append(r.got, d.ID)
	return nil
}

// TestSensorDeployChatPassesThrough: the chat decorator hands sensor
// deployments to the chat it wraps (the bot's notifier), so their messages
// are posted.
func TestSensorDeployChatPassesThrough(t *testing.T) {
	inner := &deployChat{}
	c := New().Chat(inner)
	sc, ok := c.(runbooks.SensorDeployChat)
	if !ok {
		t.Fatal("the chat decorator hides SensorDeployChanged")
	}
	if err := sc.SensorDeployChanged(context.Background(), &runbooks.SensorDeploy{ID: "SD-1"}, nil); err != nil || len(inner.got) != 1 {
		t.Fatalf("forwarded %v, %v", inner.got, err)
	}
}
