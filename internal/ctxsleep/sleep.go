// Package ctxsleep waits for a duration unless a context ends first: the
// one wait every retry loop, poller and paced sender in patchgate uses.
package ctxsleep

import (
	"context"
	"time"
)

// Sleep waits for d, or returns ctx's error as soon as ctx is done.
// A zero or negative d costs no timer (the simulated fleet calls it on
// every call with no latency) but still reports a context already done.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
