package config

import (
	"regexp"
	"slices"
	"strings"

	"github.com/patchgate/patchgate/runbooks"
)

var (
	awsAccount   = regexp.MustCompile(`^[0-9]{12}$`)
	azureSub     = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	gcpProjectID = regexp.MustCompile(`^[a-z][a-z0-9-]{4,28}[a-z0-9]$`)
)

func (d *decoder) checkTenants(ts []runbooks.Tenant, tiers []Tier) {
	envs := make([]string, len(tiers))
	for i, t := range tiers {
		envs[i] = t.Env
	}
	first := map[string]int{}
	for i, t := range ts {
		p := index("tenants", i)
		switch j, dup := first[t.Name]; {
		case t.Name == "":
			d.at(p+".name", "is required")
		case !namePattern.MatchString(t.Name):
			d.at(p+".name", "%q must be lowercase letters, digits and hyphens, e.g. acme-cu", t.Name)
		case dup:
			d.at(p+".name", "duplicate tenant %q; tenants[%d] already uses it", t.Name, j)
		default:
			first[t.Name] = i
		}
		if len(t.Environments) == 0 {
			d.at(p+".environments", "needs at least one environment")
		}
		for _, e := range t.Environments {
			d.checkEnvironment(join(p+".environments", e.Name), e, envs)
		}
	}
}

func (d *decoder) checkEnvironment(p string, e runbooks.Environment, envs []string) {
	// With no usable pipeline (already reported) every name would be "not
	// in the pipeline"; check the targets alone.
	if len(envs) > 0 && !slices.Contains(envs, e.Name) {
		hint := ""
		if s, ok := suggest(e.Name, envs); ok {
			hint = "; did you mean " + s + "?"
		}
		d.at(p, "environment %q is not in the pipeline (%s)%s", e.Name, strings.Join(envs, ", "), hint)
		return
	}
	if len(e.Targets) == 0 {
		d.at(p+".targets", "needs at least one target")
	}
	for k, t := range e.Targets {
		d.checkTarget(index(p+".targets", k), t)
	}
}

// checkTarget checks a target's account by its cloud's format, which
// catches the usual paste of the wrong identifier (an account alias, a
// subscription name, a project number).
func (d *decoder) checkTarget(p string, t runbooks.Target) {
	clouds := []string{string(runbooks.AWS), string(runbooks.Azure), string(runbooks.GCP)}
	if t.Cloud == "" {
		d.at(p+".cloud", "is required (aws, azure or gcp)")
	} else if !slices.Contains(clouds, string(t.Cloud)) {
		d.at(p+".cloud", "unknown cloud %q%s", t.Cloud, want(string(t.Cloud), clouds...))
	}
	acct := p + ".account"
	switch {
	case t.Account == "":
		d.at(acct, "is required: the AWS account ID, Azure subscription ID or GCP project ID")
	case t.Cloud == runbooks.AWS && !awsAccount.MatchString(t.Account):
		d.at(acct, "AWS account %q must be 12 digits (quote it to keep leading zeros)", t.Account)
	case t.Cloud == runbooks.Azure && !azureSub.MatchString(t.Account):
		d.at(acct, "Azure subscription %q must be a GUID, e.g. 00000000-0000-0000-0000-000000000000", t.Account)
	case t.Cloud == runbooks.GCP && !gcpProjectID.MatchString(t.Account):
		d.at(acct, "GCP project %q must be a project ID: 6-30 lowercase letters, digits and hyphens, starting with a letter", t.Account)
	}
	if t.Cloud == runbooks.AWS && len(t.Regions) == 0 {
		d.at(p+".regions", "an AWS target needs at least one region: SSM works per region")
	}
	if t.Cloud != runbooks.Azure && t.Cloud != "" && len(t.Groups) > 0 {
		d.at(p+".groups", "resource groups apply only to azure targets")
	}
}
