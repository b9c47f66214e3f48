package main

import (
	"context"
	"fmt"

	"github.com/patchgate/patchgate/runbooks"
)

// The emergency change the story requests once the monthly cycles are done:
// a critical CVE on two of cascade-cu's hosts, one in staging and one in
// production, so nonprod is skipped.
const (
	demoEmergencyTenant = "cascade-cu"
	demoEmergencyHosts  = "cascade-cu-staging-app-01,cascade-cu-production-app-01"
	demoEmergencyReason = "CVE-2026-31337 in OpenSSL is exploited in the wild; the vendor fix is out"
	demoSoakWaiver      = "exploited in the wild; the CISO accepts skipping the soak for this fix"
)

// emergencyChange plays an out-of-cycle emergency change: rita requests it,
// sam (an emergency approver) waives staging's soak with a justification,
// and the cycle runs like any other: otto is refused, rita cannot approve
// her own production change, and cara and carl approve it.
func (p *slackPeople) emergencyChange(ctx context.Context) error {
	if err := p.command(ctx, demoRequester, fmt.Sprintf("/patch emergency %s %s --hosts %s", demoEmergencyTenant, demoEmergencyReason, demoEmergencyHosts)); err != nil {
		return err
	}
	active, err := p.a.engine.Active(ctx)
	if err != nil {
		return err
	}
	var c *runbooks.Cycle
	for _, a := range active {
		if a.Emergency != nil && a.Tenant == demoEmergencyTenant {
			c = a
		}
	}
	if c == nil {
		return fmt.Errorf("demo story: the emergency change for %s did not open", demoEmergencyTenant)
	}
	if err := p.command(ctx, demoSRE, fmt.Sprintf("/patch waive %s staging soak %s", c.ID, demoSoakWaiver)); err != nil {
		return err
	}
	return p.drive(ctx)
}
