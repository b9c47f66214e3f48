package main

import (
	"context"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/runbooks"
)

// tickLimit bounds tickUntil for a broken build. The simulated fleet's
// operations finish in wall time, so a count of ticks is no bound: on a
// loaded machine five hundred ticks pass before a backup does.
const tickLimit = 3 * time.Minute

// tickUntil ticks the engine until done reports true, failing the test
// on a tick's error or after tickLimit.
func tickUntil(t testing.TB, e *runbooks.Engine, what string, done func() bool) {
	t.Helper()
	testkit.Eventually(t, tickLimit, what, func() bool {
		if err := e.Tick(context.Background()); err != nil {
			t.Fatal(err)
		}
		return done()
	})
}
