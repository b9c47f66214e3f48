package sim

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/patchgate/patchgate/runbooks"
)

// demoSeed is the seed DemoConfig generates the demo fleet from.
const demoSeed = 20250928

// DemoConfig is the fleet `patchgate demo` runs: DemoTenants with
// DemoFaults. Set Clock, OpDuration and StatePath as the demo needs.
func DemoConfig() Config {
	return Config{Seed: demoSeed, Tenants: DemoTenants(), Faults: DemoFaults()}
}

// DemoTenants are three credit unions, each with nonprod, staging and
// production environments on AWS, Azure and GCP.
func DemoTenants() []runbooks.Tenant {
	return []runbooks.Tenant{
		fleetTenant("acme-cu", "Acme Credit Union"),
		fleetTenant("bayview-cu", "Bayview Credit Union"),
		fleetTenant("cascade-cu", "Cascade Credit Union"),
	}
}

// DemoFaults break two of the demo tenants in ways the gates must catch:
// acme-cu's nonprod has agents that never registered and one that lost its
// connection (the inventory gate stops the cycle at preflight), and a
// bayview-cu nonprod RHEL host would get a kernel its Falcon sensor does not
// support (the sensor gate stops nonprod before anything is backed up).
// cascade-cu is healthy.
func DemoFaults() Faults {
	return Faults{
		Unmanaged: map[string]string{
			"acme-cu-nonprod-app-02": "",
			"acme-cu-nonprod-db-02":  "",
			"acme-cu-nonprod-web-03": "ConnectionLost",
		},
		KernelMismatch: []string{"bayview-cu-nonprod-db-01"},
		// Acme's staging app breaks once patched: the post-patch health
		// gate fails and the story rolls staging back.
		AppBreaks: []string{"acme-cu-staging-app-01"},
	}
}

var tenantWords = []string{
	"harbor", "summit", "prairie", "granite", "riverbend", "lakeshore", "pioneer", "evergreen",
	"meridian", "frontier", "keystone", "bluewater", "redwood", "heritage", "northstar", "valley",
}

// GenerateTenants returns n tenants named from seed (harbor-cu-001, …), each
// with nonprod, staging and production environments on all three clouds.
func GenerateTenants(n int, seed int64) []runbooks.Tenant {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x7e4a47))
	out := make([]runbooks.Tenant, n)
	for i := range out {
		w := tenantWords[rng.IntN(len(tenantWords))]
		name := fmt.Sprintf("%s-cu-%03d", w, i+1)
		out[i] = fleetTenant(name, fmt.Sprintf("%s Credit Union %03d", strings.ToUpper(w[:1])+w[1:], i+1))
	}
	return out
}

// fleetTenant lays out a tenant's three environments: in each an AWS account
// (two regions in production), an Azure subscription and a GCP project, with
// account IDs derived from the names.
func fleetTenant(name, display string) runbooks.Tenant {
	t := runbooks.Tenant{Name: name, Display: display}
	for _, env := range []struct{ name, short string }{{"nonprod", "np"}, {"staging", "stg"}, {"production", "prd"}} {
		awsRegions := []string{"us-east-1"}
		if env.name == "production" {
			awsRegions = append(awsRegions, "us-west-2")
		}
		t.Environments = append(t.Environments, runbooks.Environment{Name: env.name, Targets: []runbooks.Target{
			{Cloud: runbooks.AWS, Account: fmt.Sprintf("%012d", hashOf(name, env.name, "aws")%1_000_000_000_000), Regions: awsRegions},
			{Cloud: runbooks.Azure, Account: guid(hashOf(name, env.name, "azure"), hashOf(name, env.name, "azure", "2")),
				Regions: []string{"eastus"}, Groups: []string{"rg-" + name + "-" + env.short}},
			{Cloud: runbooks.GCP, Account: name + "-" + env.short, Regions: []string{"us-central1-a"}},
		}})
	}
	return t
}

// guid formats 128 bits as an Azure subscription ID.
func guid(a, b uint64) string {
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}
