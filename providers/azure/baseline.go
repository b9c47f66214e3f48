package azure

import (
	"context"
	"fmt"
	"strings"

	"github.com/patchgate/patchgate/runbooks"
)

var _ runbooks.BaselineChecker = (*Provider)(nil)

// CheckBaseline answers the preflight's baseline check: Azure Update
// Manager keeps no registered baseline that could differ from the declared
// one; each installPatches carries providers.azure.patch, which it reports.
func (p *Provider) CheckBaseline(_ context.Context, _ runbooks.Tenant, env runbooks.Environment) (string, error) {
	pt := p.cfg.Patch
	return fmt.Sprintf("no registered baseline: every installPatches of %s carries classifications %s, reboot %s, at most %v (providers.azure.patch)",
		env.Name, strings.Join(pt.Classifications, "+"), pt.RebootSetting, pt.MaximumDuration), nil
}
