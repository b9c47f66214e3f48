package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// TestChangeWindowThreadLines: window and freeze events each get a thread
// line saying what waits, until when, and why.
func TestChangeWindowThreadLines(t *testing.T) {
	c := fxCycleAt("production", runbooks.PhaseWindow)
	for _, tc := range []struct {
		ev   runbooks.Event
		want string
	}{
		{fxEvent(31, fxAt(3*time.Hour), "production", runbooks.EvWindowWait, runbooks.ActorSystem,
			"the stage waits for change window SUN 02:00-06:00 America/Chicago, opening Sun 2026-11-29 02:00 CST (2026-11-29 08:00 UTC)", nil),
			"🕑 *production*: the stage waits for change window SUN 02:00-06:00 America/Chicago, opening Sun 2026-11-29 02:00 CST"},
		{fxEvent(40, fxAt(9*time.Hour), "production", runbooks.EvWindowOverrun, runbooks.ActorSystem,
			"window overrun: patch finished 30m after change window SUN 02:00-06:00 America/Chicago closed at 2026-11-29 12:00 UTC", nil),
			"⚠️ *production*: window overrun: patch finished 30m after"},
		{fxEvent(41, fxAt(9*time.Hour), "production", runbooks.EvFreezeHolding, runbooks.ActorSystem,
			"frozen: all tenants frozen until 2026-11-24 02:00 UTC: INC-7 (set by U0BOB)", nil),
			"🧊 *production* held: all tenants frozen until 2026-11-24 02:00 UTC: INC-7"},
		{fxEvent(42, fxAt(84*time.Hour), "production", runbooks.EvApprovalReminder, runbooks.ActorSystem,
			"approval of production expires 2026-11-29 03:00 UTC (0/2 approvals so far)", map[string]string{"approvers": "U0ALICE U0BOB", "groups": "S0CAB"}),
			"⏰ *production*: approval of production expires 2026-11-29 03:00 UTC (0/2 approvals so far). <@U0ALICE> <@U0BOB> <!subteam^S0CAB>"},
	} {
		if !notable(c, tc.ev) {
			t.Errorf("%s is not notable", tc.ev.Type)
		}
		if got := eventLine(c, tc.ev); !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s line = %q, want it to start %q", tc.ev.Type, got, tc.want)
		}
	}
}
