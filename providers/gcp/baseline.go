package gcp

import (
	"context"
	"fmt"

	"github.com/patchgate/patchgate/runbooks"
)

var _ runbooks.BaselineChecker = (*Provider)(nil)

// CheckBaseline answers the preflight's baseline check: OS Config keeps no
// registered baseline that could differ from the declared one; each patch
// job carries providers.gcp.patch, which it reports.
func (p *Provider) CheckBaseline(_ context.Context, _ runbooks.Tenant, env runbooks.Environment) (string, error) {
	pt := p.cfg.Patch
	return fmt.Sprintf("no registered baseline: every patch job of %s carries rollout %s (%d%% of a zone at once), reboot %s, at most %v (providers.gcp.patch)",
		env.Name, pt.RolloutMode, pt.DisruptionBudgetPercent, pt.RebootConfig, pt.Duration), nil
}
