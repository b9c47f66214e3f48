package gcp

import (
	"context"
	"fmt"
	"testing"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/providers/gcp/gcptest"
	"github.com/patchgate/patchgate/runbooks"
)

// BenchmarkHosts lists 500 VMs over 4 zones (100 a page) joined with their
// OS Config inventories: the provider's cost per inventory gate, fake
// server included.
func BenchmarkHosts(b *testing.B) {
	clk := testkit.NewClock(t0)
	srv := gcptest.New(b)
	srv.Now = clk.Now
	srv.PageSize = 100
	for i := range 500 {
		srv.AddInstance(gcptest.Instance{Project: "p", Zone: fmt.Sprintf("us-central1-%c", 'a'+i%4), Name: fmt.Sprintf("vm-%03d", i),
			OS:        &gcptest.OSInfo{ShortName: "debian", Version: "12", KernelRelease: "6.1.0-25-amd64"},
			Available: []gcptest.Package{{Manager: "apt", Name: "openssl", Version: "3.0.15-1"}, {Manager: "apt", Name: "linux-image-6.1.0-28-amd64"}}})
	}
	p := newProviderB(b, srv, clk, func(c *Config) { c.ReadsPerMinute, c.WritesPerMinute = 1e6, 1e6 })
	env := runbooks.Environment{Name: "production", Targets: []runbooks.Target{{Cloud: runbooks.GCP, Account: "p"}}}
	b.ResetTimer()
	for b.Loop() {
		hs, err := p.Hosts(context.Background(), tenant, env)
		if err != nil || len(hs) != 500 {
			b.Fatalf("%d hosts, %v", len(hs), err)
		}
	}
}

// BenchmarkPatchStatus polls a running patch job over 100 VMs.
func BenchmarkPatchStatus(b *testing.B) {
	clk := testkit.NewClock(t0)
	srv := gcptest.New(b)
	srv.Now = clk.Now
	srv.JobPolls = 1 << 30 // never ends
	var hosts []runbooks.Host
	for i := range 100 {
		id := srv.AddInstance(gcptest.Instance{Project: "p", Zone: "us-central1-a", Name: fmt.Sprintf("vm-%03d", i), OS: &gcptest.OSInfo{ShortName: "debian"}})
		hosts = append(hosts, runbooks.Host{ID: fmt.Sprint(id), Name: fmt.Sprintf("vm-%03d", i), Cloud: runbooks.GCP, Account: "p", Region: "us-central1-a"})
	}
	p := newProviderB(b, srv, clk, func(c *Config) { c.ReadsPerMinute, c.WritesPerMinute = 1e6, 1e6 })
	handle, err := p.StartPatch(context.Background(), req("c/production/patch/0", hosts))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := p.PatchStatus(context.Background(), handle); err != nil {
			b.Fatal(err)
		}
	}
}
