package gcp

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/providers/gcp/gcptest"
	"github.com/patchgate/patchgate/runbooks"
)

func TestHostsJoinsComputeWithOSConfig(t *testing.T) {
	clk := testkit.NewClock(t0)
	srv := fake(t, clk)
	fleet(srv)
	p := newProvider(t, srv, clk)

	hosts, err := p.Hosts(context.Background(), tenant, prodDR)
	if err != nil {
		t.Fatal(err)
	}
	got := byName(hosts)
	// Running, labelled env=prod, in us-central1: not old-1 (stopped),
	// eu-1 (other region), dev-1 (other label).
	if len(hosts) != 4 {
		t.Fatalf("got %d hosts %v, want web-1, web-2, db-1, batch-1", len(hosts), got)
	}
	web1 := got["web-1"]
	want := runbooks.Host{ID: "101", Name: "web-1", Cloud: runbooks.GCP, Account: "dr-proj", Region: "us-central1-a", Env: "production",
		OS: "debian", OSVersion: "12", Kernel: "6.1.0-25-amd64", Managed: true, AgentStatus: "reporting",
		PendingPatches: 3, PendingKernel: "6.1.0-28-amd64", Source: runbooks.SourceGCPOSConfig}
	if web1 != want {
		t.Errorf("web-1 =\n%+v\nwant\n%+v", web1, want)
	}
	if db := got["db-1"]; !db.Managed || db.PendingKernel != "5.14.0-503.11.1.el9_5.x86_64" || db.OS != "rhel" {
		t.Errorf("db-1 = %+v, want managed rhel with pending kernel 5.14.0-503.11.1.el9_5.x86_64", db)
	}
	b := got["batch-1"]
	if b.Managed || !strings.Contains(b.AgentStatus, "no OS Config inventory") || b.ID != "104" {
		t.Errorf("batch-1 = %+v, want unmanaged for lack of an OS Config inventory report", b)
	}

	// Paging: 6 prod-labelled instances at 2 a page are 3 aggregatedList
	// pages. Inventories are listed per zone in scope: us-central1-a has 4
	// reports (web-1, web-2, old-1, dev-1) → 2 pages, us-central1-b has 1.
	if n := srv.Count("compute.instances.aggregatedList"); n != 3 {
		t.Errorf("aggregatedList requests = %d, want 3 (paged)", n)
	}
	if n := srv.Count("osconfig.inventories.list"); n != 3 {
		t.Errorf("inventories.list requests = %d, want 3 (two pages in us-central1-a, one in us-central1-b)", n)
	}
}

func TestHostsZonesAndStaleReports(t *testing.T) {
	clk := testkit.NewClock(t0)
	srv := fake(t, clk)
	srv.AddInstance(gcptest.Instance{Project: "p", Zone: "us-east1-b", Name: "fresh", OS: &gcptest.OSInfo{ShortName: "ubuntu", Version: "22.04"}})
	srv.AddInstance(gcptest.Instance{Project: "p", Zone: "us-east1-b", Name: "stale", Reported: t0.Add(-72 * time.Hour), OS: &gcptest.OSInfo{ShortName: "ubuntu"}})
	srv.AddInstance(gcptest.Instance{Project: "p", Zone: "us-east1-c", Name: "other-zone", OS: &gcptest.OSInfo{ShortName: "ubuntu"}})
	p := newProvider(t, srv, clk)

	env := runbooks.Environment{Name: "staging", Targets: []runbooks.Target{{Cloud: runbooks.GCP, Account: "p", Regions: []string{"us-east1-b"}}}}
	hosts, err := p.Hosts(context.Background(), tenant, env)
	if err != nil {
		t.Fatal(err)
	}
	got := byName(hosts)
	if len(hosts) != 2 || !got["fresh"].Managed {
		t.Fatalf("hosts = %+v, want fresh (managed) and stale, not other-zone", hosts)
	}
	if s := got["stale"]; s.Managed || !strings.Contains(s.AgentStatus, "last reported") {
		t.Errorf("stale = %+v, want unmanaged: its agent has not reported for 72h", s)
	}
}

func TestOverlappingTargetsListAVMOnce(t *testing.T) {
	clk := testkit.NewClock(t0)
	srv := fake(t, clk)
	fleet(srv)
	p := newProvider(t, srv, clk)
	env := runbooks.Environment{Name: "production", Targets: []runbooks.Target{
		{Cloud: runbooks.GCP, Account: "dr-proj", Regions: []string{"us-central1-a"}},
		{Cloud: runbooks.GCP, Account: "dr-proj", Regions: []string{"us-central1"}, Selector: map[string]string{"env": "prod"}},
	}}
	hosts, err := p.Hosts(context.Background(), tenant, env)
	if err != nil {
		t.Fatal(err)
	}
	// us-central1-a: web-1, web-2, dev-1; the region adds db-1, batch-1.
	if len(hosts) != 5 || len(byName(hosts)) != 5 {
		t.Errorf("hosts = %d (%d distinct), want 5 distinct", len(hosts), len(byName(hosts)))
	}
}

func TestHostsQuotaErrorIsUnavailable(t *testing.T) {
	clk := testkit.NewClock(t0)
	srv := fake(t, clk)
	fleet(srv)
	p := newProvider(t, srv, clk)
	srv.Fail("osconfig.inventories.list", 429, 429, 429, 429) // more than the retries
	_, err := p.Hosts(context.Background(), tenant, prodDR)
	if runbooks.ErrorCode(err) != runbooks.CodeUnavailable {
		t.Fatalf("err = %v (code %s), want unavailable on a 429", err, runbooks.ErrorCode(err))
	}
}

func TestNewer(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"6.1.0-28-amd64", "6.1.0-9-amd64", true},
		{"5.15.0-100", "5.15.0-99", true},
		{"5.15.0-99", "5.15.0-100", false},
		{"1.0", "", true},
		{"", "1.0", false},
	} {
		if got := newer(c.a, c.b); got != c.want {
			t.Errorf("newer(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}
