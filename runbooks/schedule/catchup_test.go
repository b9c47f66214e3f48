package schedule

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
)

// A replica considers the job at 01:00, goes down, and a new process (same
// store) starts at resume. Within the 1 h grace the 02:00 firing runs once;
// beyond it the firing is skipped with a log line.
func TestCatchUpAfterRestart(t *testing.T) {
	tests := []struct {
		resume  string
		want    string
		skipLog bool
	}{
		{"2026-11-22T01:59:00Z", "[]", false},
		{"2026-11-22T02:30:00Z", "[patch@2026-11-22T02:00:00Z]", false},
		{"2026-11-22T03:00:00Z", "[patch@2026-11-22T02:00:00Z]", false}, // exactly at grace: still runs
		{"2026-11-22T03:30:00Z", "[]", true},
		{"2026-12-27T02:20:00Z", "[patch@2026-12-27T02:00:00Z]", true}, // November skipped, December caught up
	}
	for _, bk := range backends {
		for _, tt := range tests {
			t.Run(bk.name+"/"+tt.resume, func(t *testing.T) {
				clk := newClock(mustTime(t, "2026-11-22T01:00:00Z"))
				store := bk.open(t, clk)
				rec := newRecorder()
				job := Job{Name: "patch", Schedule: MustParse("0 2 * * SUN#4", time.UTC), Run: rec.job("patch")}
				before := newReplica(t, store, clk, "r0", nil, job)
				tick(t, before)
				if err := before.Release(t.Context()); err != nil {
					t.Fatal(err)
				}
				clk.Set(mustTime(t, tt.resume))
				var logs testkit.SyncBuffer
				after := newReplica(t, store, clk, "r0", &logs, job)
				tick(t, after)
				tick(t, after)                                     // a second tick finds nothing new
				tick(t, newReplica(t, store, clk, "r0", nil, job)) // nor does another restart
				if got := fmt.Sprint(rec.keys(t)); got != tt.want {
					t.Fatalf("fired %s, want %s", got, tt.want)
				}
				if got := strings.Contains(logs.String(), "skipping firings missed"); got != tt.skipLog {
					t.Fatalf("skip logged = %v, want %v; logs:\n%s", got, tt.skipLog, logs.String())
				}
			})
		}
	}
}
