package azure

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/patchgate/patchgate/providers/azure/azuretest"
	"github.com/patchgate/patchgate/runbooks"
)

// benchFleet is n VMs and n/4 Arc servers in one resource group.
func benchFleet(b *testing.B, n int) (*azuretest.Server, *Provider, runbooks.Tenant) {
	s := azuretest.New(b)
	for i := range n {
		s.AddVM(azuretest.VM{Subscription: subA, ResourceGroup: rgA, Name: fmt.Sprintf("vm-%04d", i), Agent: "Ready", OSName: "ubuntu", OSVersion: "22.04"})
	}
	for i := range n / 4 {
		s.AddArc(azuretest.Arc{Subscription: subA, ResourceGroup: rgA, Name: fmt.Sprintf("arc-%04d", i), OSName: "linux"})
	}
	p, err := New(Config{Credential: azuretest.Credential{}, Endpoint: s.URL, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	env := runbooks.Environment{Name: "production", Targets: []runbooks.Target{{Cloud: runbooks.Azure, Account: subA, Groups: []string{rgA}}}}
	return s, p, runbooks.Tenant{Name: "bench", Environments: []runbooks.Environment{env}}
}

// BenchmarkHosts: one inventory of 200 VMs (each needing its instance view)
// and 50 Arc servers against the local fake ARM endpoint.
func BenchmarkHosts(b *testing.B) {
	_, p, tn := benchFleet(b, 200)
	ctx := context.Background()
	for b.Loop() {
		hs, err := p.Hosts(ctx, tn, tn.Environments[0])
		if err != nil || len(hs) != 250 {
			b.Fatalf("%d hosts, %v", len(hs), err)
		}
	}
}

// BenchmarkPatchStatus: the first poll of a 250-machine install by a
// freshly started provider, rebuilding every poller from its resume token
// (later polls of a live provider are paced by PollInterval).
func BenchmarkPatchStatus(b *testing.B) {
	s, p, tn := benchFleet(b, 200)
	ctx := context.Background()
	hs, err := p.Hosts(ctx, tn, tn.Environments[0])
	if err != nil {
		b.Fatal(err)
	}
	h, err := p.StartPatch(ctx, runbooks.OpRequest{Tag: "bench", Hosts: hs})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		fresh, err := New(Config{Credential: azuretest.Credential{}, Endpoint: s.URL, Log: p.cfg.Log})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := fresh.PatchStatus(ctx, h); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(h))/float64(len(hs)), "handle-bytes/machine")
}
