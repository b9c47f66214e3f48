package sim

import (
	"context"
	"errors"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

func TestSameSeedSameFleet(t *testing.T) {
	a, b := demoFleet(t, nil), demoFleet(t, nil)
	other := demoFleet(t, func(c *Config) { c.Seed = 8 })
	for _, scope := range []string{"acme-cu/nonprod", "bayview-cu/production", "cascade-cu/staging"} {
		ha, _ := a.Peek(scope)
		hb, _ := b.Peek(scope)
		ho, _ := other.Peek(scope)
		if !reflect.DeepEqual(ha, hb) {
			t.Errorf("%s: same seed gave different hosts:\n%v\n%v", scope, ha, hb)
		}
		if reflect.DeepEqual(ha, ho) {
			t.Errorf("%s: seeds 7 and 8 gave the same hosts", scope)
		}
	}
}

func TestAddingATenantKeepsTheOthersHosts(t *testing.T) {
	small := demoFleet(t, func(c *Config) { c.Tenants = c.Tenants[:1] })
	full := demoFleet(t, nil)
	hs, _ := small.Peek("acme-cu/production")
	hf, _ := full.Peek("acme-cu/production")
	if !reflect.DeepEqual(hs, hf) {
		t.Error("acme-cu's hosts changed when other tenants were added")
	}
}

func TestGeneratedHosts(t *testing.T) {
	f := demoFleet(t, nil)
	idPattern := map[runbooks.Cloud]*regexp.Regexp{
		runbooks.AWS:   regexp.MustCompile(`^i-0[0-9a-f]{16}$`),
		runbooks.Azure: regexp.MustCompile(`^/subscriptions/[0-9a-f-]{36}/resourceGroups/rg-[a-z-]+/providers/Microsoft\.Compute/virtualMachines/[a-z0-9-]+$`),
		runbooks.GCP:   regexp.MustCompile(`^projects/[a-z0-9-]+/zones/us-central1-a/instances/[a-z0-9-]+$`),
	}
	name := regexp.MustCompile(`^(acme|bayview|cascade)-cu-(nonprod|staging|production)-(web|app|db)-\d\d$`)
	wantCount := map[string]int{"nonprod": 12, "staging": 12, "production": 16} // 3 targets × 4, prod AWS in 2 regions
	osSeen := map[string]bool{}
	for _, ten := range DemoTenants() {
		for _, env := range ten.Environments {
			hosts := hostsOf(t, f, ten.Name, env.Name)
			if len(hosts) != wantCount[env.Name] {
				t.Errorf("%s/%s: %d hosts, want %d", ten.Name, env.Name, len(hosts), wantCount[env.Name])
			}
			clouds := map[runbooks.Cloud]int{}
			for _, h := range hosts {
				clouds[h.Cloud]++
				osSeen[h.OS+" "+h.OSVersion] = true
				if !idPattern[h.Cloud].MatchString(h.ID) {
					t.Errorf("%s: ID %q is not %s-shaped", h.Name, h.ID, h.Cloud)
				}
				if !name.MatchString(h.Name) || !strings.HasPrefix(h.Name, ten.Name+"-"+env.Name+"-") {
					t.Errorf("bad name %q in %s/%s", h.Name, ten.Name, env.Name)
				}
				if h.Env != env.Name || !h.Managed || h.AgentStatus != "Online" || !h.HasSensor || h.SensorVersion == "" || h.PendingPatches <= 0 {
					t.Errorf("%s is not a healthy unpatched host: %+v", h.Name, h)
				}
				linux := !strings.Contains(h.OS, "Windows")
				if linux && !kernelNewer(h.PendingKernel, h.Kernel) {
					t.Errorf("%s: pending kernel %q is not newer than %q", h.Name, h.PendingKernel, h.Kernel)
				}
				if h.Cloud != runbooks.AWS && h.OS == "Amazon Linux" {
					t.Errorf("%s runs Amazon Linux in %s", h.Name, h.Cloud)
				}
			}
			if len(clouds) != 3 {
				t.Errorf("%s/%s spans clouds %v, want all three", ten.Name, env.Name, clouds)
			}
		}
	}
	for _, os := range []string{"Amazon Linux 2023", "Red Hat Enterprise Linux 8.10", "Red Hat Enterprise Linux 9.4", "Ubuntu 22.04", "Microsoft Windows Server 2022 Datacenter 10.0.20348"} {
		if !osSeen[os] {
			t.Errorf("no host runs %s; saw %v", os, osSeen)
		}
	}
}

// kernelNewer compares the numbers in two kernel strings.
func kernelNewer(a, b string) bool {
	num := regexp.MustCompile(`\d+`)
	as, bs := num.FindAllString(a, -1), num.FindAllString(b, -1)
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, _ := strconv.Atoi(as[i])
		y, _ := strconv.Atoi(bs[i])
		if x != y {
			return x > y
		}
	}
	return false
}

func TestInventoryPages(t *testing.T) {
	f := demoFleet(t, func(c *Config) { c.PageSize = 3; c.HostsPerTarget = 7 })
	hosts := hostsOf(t, f, "acme-cu", "production")
	if len(hosts) != 4*7 {
		t.Fatalf("%d hosts, want 28", len(hosts))
	}
	// 4 (target, region) lists of 7 hosts, 3 per page: 3 pages each.
	if s := f.Stats(); s.InventoryCalls != 1 || s.InventoryPages != 12 {
		t.Errorf("calls %d pages %d, want 1 and 12", s.InventoryCalls, s.InventoryPages)
	}
	_, err := f.Hosts(t.Context(), runbooks.Tenant{Name: "nobody"}, runbooks.Environment{Name: "nonprod"})
	if runbooks.ErrorCode(err) != runbooks.CodeNotFound {
		t.Errorf("unknown tenant: err %v, want not_found", err)
	}
}

func TestNewRefuses(t *testing.T) {
	tenants := DemoTenants()
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no tenants", Config{}, "no tenants"},
		{"duplicate tenant", Config{Tenants: append(tenants, tenants[0])}, "unique"},
		{"typo in a selector", Config{Tenants: tenants, Faults: Faults{PatchFail: []string{"acme-cu-nonprod-web-99"}}}, "acme-cu-nonprod-web-99"},
		{"unknown health scope", Config{Tenants: tenants, Faults: Faults{HealthProblems: map[string][]runbooks.Problem{"acme-cu/prod": {{ID: "P-1"}}}}}, "acme-cu/prod"},
		{"unknown method", Config{Tenants: tenants, Faults: Faults{ErrorEvery: map[string]int{"StartPatches": 2}}}, "StartPatches"},
		{"rate above one", Config{Tenants: tenants, Faults: Faults{ErrorRate: map[string]float64{MethodHosts: 1.5}}}, "Hosts"},
		{"lost reply of a read", Config{Tenants: tenants, Faults: Faults{LostReplyEvery: map[string]int{MethodHosts: 2}}}, "Hosts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: err %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestLatencyRespectsContext(t *testing.T) {
	f := demoFleet(t, func(c *Config) { c.Latency = time.Hour })
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := f.Problems(ctx, "acme-cu", "nonprod")
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("err %v after %s, want deadline exceeded promptly", err, time.Since(start))
	}
}
