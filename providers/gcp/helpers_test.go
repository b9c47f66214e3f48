package gcp

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/providers/gcp/gcptest"
	"github.com/patchgate/patchgate/runbooks"
	"google.golang.org/api/option"
)

var t0 = time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)

// fake starts a gcptest server whose clock is clk.
func fake(t *testing.T, clk *testkit.Clock) *gcptest.Server {
	t.Helper()
	srv := gcptest.New(t)
	srv.Now = clk.Now
	return srv
}

// newProvider points a real provider at the fake.
func newProvider(t *testing.T, srv *gcptest.Server, clk *testkit.Clock, edit ...func(*Config)) *Provider {
	t.Helper()
	return newProviderB(t, srv, clk, edit...)
}

func newProviderB(t testing.TB, srv *gcptest.Server, clk *testkit.Clock, edit ...func(*Config)) *Provider {
	t.Helper()
	cfg := Config{
		ComputeEndpoint: srv.ComputeEndpoint(), OSConfigEndpoint: srv.OSConfigEndpoint(),
		Options: []option.ClientOption{option.WithoutAuthentication()},
		Clock:   clk, Sleep: clk.Sleep,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, e := range edit {
		e(&cfg)
	}
	p, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p
}

// fleet adds the standard test fleet: three managed VMs over two zones of
// us-central1 (one with a kernel update pending), one VM without an OS
// Config report, one stopped VM, one in another region and one without the
// env label.
func fleet(srv *gcptest.Server) {
	deb := func() *gcptest.OSInfo {
		return &gcptest.OSInfo{ShortName: "debian", Version: "12", KernelRelease: "6.1.0-25-amd64"}
	}
	prod := map[string]string{"env": "prod"}
	srv.AddInstance(gcptest.Instance{Project: "dr-proj", Zone: "us-central1-a", Name: "web-1", ID: 101, Labels: prod, OS: deb(),
		Available: []gcptest.Package{{Manager: "apt", Name: "openssl", Version: "3.0.15-1", Arch: "amd64"},
			{Manager: "apt", Name: "linux-image-6.1.0-9-amd64", Version: "6.1.27-1", Arch: "amd64"},
			{Manager: "apt", Name: "linux-image-6.1.0-28-amd64", Version: "6.1.119-1", Arch: "amd64"}}})
	srv.AddInstance(gcptest.Instance{Project: "dr-proj", Zone: "us-central1-a", Name: "web-2", ID: 102, Labels: prod, OS: deb(),
		Available: []gcptest.Package{{Manager: "apt", Name: "curl", Version: "7.88.1-10", Arch: "amd64"}}})
	srv.AddInstance(gcptest.Instance{Project: "dr-proj", Zone: "us-central1-b", Name: "db-1", ID: 103, Labels: prod,
		OS:        &gcptest.OSInfo{ShortName: "rhel", Version: "9.4", KernelRelease: "5.14.0-427.13.1.el9_4.x86_64"},
		Available: []gcptest.Package{{Manager: "yum", Name: "kernel-core", Version: "5.14.0-503.11.1.el9_5", Arch: "x86_64"}}})
	srv.AddInstance(gcptest.Instance{Project: "dr-proj", Zone: "us-central1-b", Name: "batch-1", ID: 104, Labels: prod})
	srv.AddInstance(gcptest.Instance{Project: "dr-proj", Zone: "us-central1-a", Name: "old-1", ID: 105, Labels: prod, Status: "TERMINATED", OS: deb()})
	srv.AddInstance(gcptest.Instance{Project: "dr-proj", Zone: "europe-west1-b", Name: "eu-1", ID: 106, Labels: prod, OS: deb()})
	srv.AddInstance(gcptest.Instance{Project: "dr-proj", Zone: "us-central1-a", Name: "dev-1", ID: 107, Labels: map[string]string{"env": "dev"}, OS: deb()})
}

var (
	tenant = runbooks.Tenant{Name: "acme-cu"}
	prodDR = runbooks.Environment{Name: "production", Targets: []runbooks.Target{
		{Cloud: runbooks.AWS, Account: "111111111111", Regions: []string{"us-east-1"}},
		{Cloud: runbooks.GCP, Account: "dr-proj", Regions: []string{"us-central1"}, Selector: map[string]string{"env": "prod"}},
	}}
)

func byName(hs []runbooks.Host) map[string]runbooks.Host {
	m := map[string]runbooks.Host{}
	for _, h := range hs {
		m[h.Name] = h
	}
	return m
}

// managed are the hosts the engine would act on.
func managed(hs []runbooks.Host) []runbooks.Host {
	var out []runbooks.Host
	for _, h := range hs {
		if h.Managed {
			out = append(out, h)
		}
	}
	return out
}

func req(tag string, hosts []runbooks.Host) runbooks.OpRequest {
	return runbooks.OpRequest{Tag: tag, Cycle: "c-2026-11", Tenant: "acme-cu", Stage: "production", Env: "production", Hosts: hosts}
}
