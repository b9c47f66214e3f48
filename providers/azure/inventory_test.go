package azure

import (
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/providers/azure/azuretest"
	"github.com/patchgate/patchgate/runbooks"
)

func TestInventoryMarksMachinesWithoutAWorkingAgentUnmanaged(t *testing.T) {
	f := newFleet(t)
	hosts := f.hosts(t, f.provider(t))

	want := []string{"arc-db-1", "arc-db-2", "vm-noagent", "vm-web-1", "vm-web-2"}
	if len(hosts) != len(want) {
		t.Fatalf("got %d hosts %v, want %v (dev-tagged and other-group machines filtered out)", len(hosts), keys(hosts), want)
	}
	for _, n := range want {
		h, ok := hosts[n]
		if !ok {
			t.Fatalf("missing %s in %v", n, keys(hosts))
		}
		if h.Cloud != runbooks.Azure || h.Account != subA || h.Env != "production" || h.Region != "eastus2" {
			t.Errorf("%s: cloud/account/env/region = %s/%s/%s/%s", n, h.Cloud, h.Account, h.Env, h.Region)
		}
	}
	managed := map[string]bool{"vm-web-1": true, "vm-web-2": true, "arc-db-1": true, "vm-noagent": false, "arc-db-2": false}
	for n, m := range managed {
		if hosts[n].Managed != m {
			t.Errorf("%s: Managed = %v, want %v (agent: %s)", n, hosts[n].Managed, m, hosts[n].AgentStatus)
		}
	}
	if s := hosts["vm-noagent"].AgentStatus; !strings.Contains(s, "guest agent not reporting") {
		t.Errorf("vm-noagent AgentStatus = %q, want it to say the guest agent is not reporting", s)
	}
	if s := hosts["arc-db-2"].AgentStatus; !strings.Contains(s, "Arc agent Disconnected") || !strings.Contains(s, "2026-11-20") {
		t.Errorf("arc-db-2 AgentStatus = %q, want Disconnected since 2026-11-20", s)
	}
	w1 := hosts["vm-web-1"]
	if w1.OS != "ubuntu" || w1.OSVersion != "22.04" || w1.PendingPatches != 5 || !w1.LastPatched.Equal(time.Date(2026, 10, 25, 2, 30, 0, 0, time.UTC)) {
		t.Errorf("vm-web-1 = %+v, want ubuntu 22.04, 5 pending, last patched 2026-10-25 02:30", w1)
	}
	if !strings.Contains(w1.AgentStatus, "Ready (2.10.0.8)") {
		t.Errorf("vm-web-1 AgentStatus = %q", w1.AgentStatus)
	}
	if hosts["vm-noagent"].OS != "Linux" {
		t.Errorf("vm-noagent OS = %q, want the OS disk's Linux when no agent reports", hosts["vm-noagent"].OS)
	}
	a1 := hosts["arc-db-1"]
	if a1.OS != "Red Hat Enterprise Linux 9.4" || a1.Kernel != "5.14.0-427.13.1.el9_4.x86_64" {
		t.Errorf("arc-db-1 OS/kernel = %q/%q", a1.OS, a1.Kernel)
	}
	// Four VMs in rg-app at two per page: the list followed its nextLink.
	path := "/subscriptions/" + subA + "/resourceGroups/" + rgA + "/providers/Microsoft.Compute/virtualMachines"
	if n := f.srv.Count("GET", path); n != 2 {
		t.Errorf("VM list requests = %d, want 2 pages; requests: %v", n, f.srv.Requests())
	}
	if n := f.srv.Count("GET", f.dev+"/instanceView"); n != 0 {
		t.Errorf("the dev VM's instance view was read %d times; filtered machines need no more calls", n)
	}
}

func TestInventoryWithoutGroupsCoversTheSubscription(t *testing.T) {
	f := newFleet(t)
	f.env.Targets[0].Groups = nil
	f.tenant.Environments = []runbooks.Environment{f.env}
	hosts := f.hosts(t, f.provider(t))
	if _, ok := hosts["vm-other"]; !ok || len(hosts) != 6 {
		t.Fatalf("hosts = %v, want the five of rg-app and vm-other", keys(hosts))
	}
}

func TestInventoryKeepsTheTargetsRegions(t *testing.T) {
	f := newFleet(t)
	f.srv.AddVM(azuretest.VM{Subscription: subA, ResourceGroup: rgA, Name: "vm-weu", Location: "westeurope",
		Tags: map[string]string{"env": "prod"}, Agent: "Ready"})
	f.env.Targets[0].Regions = []string{"West Europe"}
	f.tenant.Environments = []runbooks.Environment{f.env}
	hosts := f.hosts(t, f.provider(t))
	if len(hosts) != 1 || hosts["vm-weu"].Region != "westeurope" {
		t.Fatalf("hosts = %v, want only vm-weu", keys(hosts))
	}
}

func keys[T any](m map[string]T) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
