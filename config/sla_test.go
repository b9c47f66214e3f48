package config

import (
	"fmt"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/runbooks/sla"
)

const slaTenants = `
tenants:
  - name: acme
    environments: {production: {targets: [{cloud: gcp, account: acme-prod}]}}
  - name: beta
    environments: {production: {targets: [{cloud: gcp, account: beta-prod}]}}
`

// TestSLASectionDecodesWithOverrides: the sla section's deadlines, a
// tenant's partial override (the rest inherited) and the posture scan's
// schedule decode; an empty file gets the defaults.
func TestSLASectionDecodesWithOverrides(t *testing.T) {
	c, err := Parse("s.yaml", []byte(minimal+slaTenants+`
schedules: {posture_scan: "0 5 * * *"}
sla:
  deadlines: {critical: 15, kev: 10}
  tenants:
    - {tenant: beta, deadlines: {critical: 7}}
  kev_catalogue: /etc/patchgate/kev.json
  risk_approvers: [U0RISK001, U0RISK002]
  risk_groups: [S0RISK]
  min_approvals: 2
`))
	if err != nil {
		t.Fatal(err)
	}
	p := c.SLA.Policy()
	if got := p.For("acme"); got != (sla.Deadlines{Critical: 15, High: 30, Medium: 90, Low: 180, Unrated: 180, KEV: 10}) {
		t.Errorf("acme deadlines %+v", got)
	}
	if got := p.For("beta"); got != (sla.Deadlines{Critical: 7, High: 30, Medium: 90, Low: 180, Unrated: 180, KEV: 10}) {
		t.Errorf("beta deadlines %+v (unset keys inherit sla.deadlines)", got)
	}
	if c.Schedules.PostureScan != "0 5 * * *" || c.SLA.KEVCatalogue != "/etc/patchgate/kev.json" || c.SLA.MinApprovals != 2 || len(c.SLA.RiskApprovers) != 2 {
		t.Errorf("sla %+v schedules %+v", c.SLA, c.Schedules)
	}
	def, err := Parse("d.yaml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if def.SLA.Deadlines != sla.DefaultDeadlines() || def.SLA.MinApprovals != 1 || def.Schedules.PostureScan != "" {
		t.Errorf("defaults: %+v", def.SLA)
	}
}

// TestSLASectionErrorsNameFieldAndLine: bad deadlines, an unknown tenant
// and a relative catalogue path are refused at their lines.
func TestSLASectionErrorsNameFieldAndLine(t *testing.T) {
	doc := minimal + slaTenants + `
sla:
  deadlines: {critical: 0}
  tenants:
    - {tenant: gamma}
  kev_catalogue: kev.json
`
	_, err := Parse("s.yaml", []byte(doc))
	if err == nil {
		t.Fatal("accepted")
	}
	line := func(s string) int { return strings.Count(doc[:strings.Index(doc, s)], "\n") + 1 }
	for _, want := range []string{
		fmt.Sprintf("s.yaml:%d: sla.deadlines.critical: must be at least 1, got 0", line("critical: 0")),
		fmt.Sprintf(`s.yaml:%d: sla.tenants[0].tenant: "gamma" is not a tenant`, line("tenant: gamma")),
		fmt.Sprintf(`s.yaml:%d: sla.kev_catalogue: "kev.json" is relative`, line("kev_catalogue")),
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
