package sim

import (
	"context"
	"testing"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/runbooks/sla"
)

// TestPatchFindingsGiveTheDemoDueSoonAndOverdue: the simulated fleet's
// findings, evaluated against the default SLA policy with the sim's own KEV
// catalogue, show hosts due soon on every tenant (KEV deadlines among
// them), a couple overdue, no critical or KEV breach (a demo scan pages
// no one) and no finding for an unmanaged host.
func TestPatchFindingsGiveTheDemoDueSoonAndOverdue(t *testing.T) {
	f := demoFleet(t, func(c *Config) { c.Faults.Unmanaged = map[string]string{"acme-cu-production-app-01": "ConnectionLost"} })
	kev, err := sla.ParseKEV(f.KEVCatalogue(), "sim")
	if err != nil {
		t.Fatal(err)
	}
	var total sla.Counts
	kevDue, pages := 0, 0
	for _, ten := range DemoTenants() {
		for _, env := range ten.Environments {
			hosts := hostsOf(t, f, ten.Name, env.Name)
			fs, err := f.PatchFindings(context.Background(), hosts)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range fs {
				if x.HostID == "" || x.Released.IsZero() || x.State != runbooks.PatchMissing || x.Source != runbooks.SourceSimulation {
					t.Fatalf("finding %+v", x)
				}
			}
			res := sla.Evaluate(sla.Input{Tenant: ten.Name, Now: f.now(), Deadlines: sla.DefaultDeadlines(), KEV: kev, Hosts: hosts, Findings: fs})
			total = total.Plus(res.Total)
			for _, it := range res.Items {
				if it.Status == sla.Due && it.KEV != "" {
					kevDue++
				}
				if it.Pages() {
					pages++
				}
				if it.HostName == "acme-cu-production-app-01" {
					t.Errorf("unmanaged host has a finding: %+v", it)
				}
			}
		}
	}
	if total.Due == 0 || total.Overdue == 0 || total.Overdue > total.Hosts/5 || total.Unmanaged != 1 || kevDue == 0 || pages != 0 {
		t.Errorf("fleet posture %+v with %d KEV items due soon, %d breaches to page: want due-soon hosts (KEV among them), a few overdue, none paged, one unmanaged", total, kevDue, pages)
	}
}
