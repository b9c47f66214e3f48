package bot

import (
	"context"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/runbooks"
)

// EmergencyCommand echoes the words it was given.
func (f *fakeEngine) EmergencyCommand(_ context.Context, args []string, requester string) (string, error) {
	return "EMERGENCY " + requester + ": " + strings.Join(args, " "), nil
}

var _ Emergencies = (*fakeEngine)(nil)

// TestEmergencyChangeCommands: /patch emergency hands the tenant, reason
// and --hosts to the engine's one function; /patch waive becomes a Waive
// decision carrying what is waived and the justification.
func TestEmergencyChangeCommands(t *testing.T) {
	r := newRig(t, HandlerOptions{})
	if got := r.command(t, "U-REQ", "emergency acme-cu CVE-2026-1234 exploited --hosts web-01,db-01"); got != "EMERGENCY U-REQ: acme-cu CVE-2026-1234 exploited --hosts web-01,db-01" {
		t.Errorf("emergency reply %q", got)
	}
	if got := r.command(t, "U-REQ", "emergency nowhere-cu CVE"); !strings.Contains(got, `Unknown tenant "nowhere-cu"`) {
		t.Errorf("unknown tenant reply %q", got)
	}
	if got := r.command(t, "U-REQ", "waive acme-cu-1 production nap because"); !strings.Contains(got, `"nap" is not soak or window`) {
		t.Errorf("bad waiver reply %q", got)
	}
	r.command(t, "U-CAROL", "waive acme-cu-1 production window the exploit is public")
	_, decides := r.eng.calls()
	if len(decides) != 1 || decides[0].Action != runbooks.Waive || decides[0].Waive != runbooks.WaiveWindow || decides[0].Stage != "production" ||
		decides[0].Reason != "the exploit is public" || decides[0].Actor != "U-CAROL" {
		t.Fatalf("decisions %+v", decides)
	}
}
