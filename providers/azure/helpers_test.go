package azure

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patchgate/patchgate/providers/azure/azuretest"
	"github.com/patchgate/patchgate/runbooks"

	"github.com/patchgate/patchgate/providers/azure/settings"
)

const (
	subA = "11111111-1111-1111-1111-111111111111"
	rgA  = "rg-app"
)

// fleet is the fake world most tests start from: in rg-app, three prod VMs
// (one without a reporting guest agent), a dev VM, a connected and a
// disconnected Arc server; in rg-other one more prod VM.
type fleet struct {
	srv                      *azuretest.Server
	web1, web2, noAgent, dev string
	arc1, arc2, other        string
	target                   runbooks.Target
	env                      runbooks.Environment
	tenant                   runbooks.Tenant
}

func newFleet(t *testing.T) *fleet {
	t.Helper()
	s := azuretest.New(t)
	prod := map[string]string{"env": "prod"}
	f := &fleet{srv: s}
	f.web1 = s.AddVM(azuretest.VM{Subscription: subA, ResourceGroup: rgA, Name: "vm-web-1", Tags: map[string]string{"Env": "prod"},
		OSName: "ubuntu", OSVersion: "22.04", Agent: "Ready", AgentVersion: "2.10.0.8", CriticalAndSecurity: 3, Other: 2,
		LastPatched: time.Date(2026, 10, 25, 2, 30, 0, 0, time.UTC)})
	f.web2 = s.AddVM(azuretest.VM{Subscription: subA, ResourceGroup: rgA, Name: "vm-web-2", Tags: prod, OSType: "Windows",
		OSName: "Windows Server 2022 Datacenter", OSVersion: "10.0.20348", Agent: "Ready", AgentVersion: "2.7.41491.1102"})
	f.noAgent = s.AddVM(azuretest.VM{Subscription: subA, ResourceGroup: rgA, Name: "vm-noagent", Tags: prod})
	f.dev = s.AddVM(azuretest.VM{Subscription: subA, ResourceGroup: rgA, Name: "vm-dev", Tags: map[string]string{"env": "dev"}, Agent: "Ready"})
	f.arc1 = s.AddArc(azuretest.Arc{Subscription: subA, ResourceGroup: rgA, Name: "arc-db-1", Tags: prod, OSName: "linux",
		OSSKU: "Red Hat Enterprise Linux 9.4", OSVersion: "5.14.0-427.13.1.el9_4.x86_64", AgentVersion: "1.44.02840.1813"})
	f.arc2 = s.AddArc(azuretest.Arc{Subscription: subA, ResourceGroup: rgA, Name: "arc-db-2", Tags: prod, Status: "Disconnected",
		OSName: "linux", OSSKU: "Ubuntu 20.04.6 LTS", OSVersion: "5.4.0-200-generic", AgentVersion: "1.39.02628.1505",
		LastStatusChange: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)})
	f.other = s.AddVM(azuretest.VM{Subscription: subA, ResourceGroup: "rg-other", Name: "vm-other", Tags: prod, Agent: "Ready"})
	f.target = runbooks.Target{Cloud: runbooks.Azure, Account: subA, Groups: []string{rgA}, Selector: map[string]string{"env": "prod"}}
	f.env = runbooks.Environment{Name: "production", Targets: []runbooks.Target{
		f.target,
		{Cloud: runbooks.AWS, Account: "123456789012", Regions: []string{"us-east-1"}}, // not ours: ignored
	}}
	f.tenant = runbooks.Tenant{Name: "acme-cu", Environments: []runbooks.Environment{f.env}}
	return f
}

// provider builds a provider against the fake; each call is a fresh one,
// as after a restart.
func (f *fleet) provider(t *testing.T, mod ...func(*Config)) *Provider {
	t.Helper()
	// The stepping clock moves an hour a reading: assessments get a year.
	cfg := Config{Credential: azuretest.Credential{}, Endpoint: f.srv.URL,
		Settings: settings.Settings{PollInterval: time.Millisecond, AssessTimeout: 365 * 24 * time.Hour}, Now: steppingClock(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, m := range mod {
		m(&cfg)
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// steppingClock moves an hour on every reading, so every status call finds
// every running operation due for a poll without a test waiting.
func steppingClock() func() time.Time {
	var n atomic.Int64
	return func() time.Time {
		return time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC).Add(time.Duration(n.Add(1)) * time.Hour)
	}
}

// hosts takes the inventory and returns it by name.
func (f *fleet) hosts(t *testing.T, p *Provider) map[string]runbooks.Host {
	t.Helper()
	hs, err := p.Hosts(context.Background(), f.tenant, f.env)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]runbooks.Host{}
	for _, h := range hs {
		out[h.Name] = h
	}
	return out
}

// request is an OpRequest for the named hosts of the inventory.
func (f *fleet) request(t *testing.T, p *Provider, tag string, names ...string) runbooks.OpRequest {
	t.Helper()
	all := f.hosts(t, p)
	req := runbooks.OpRequest{Tag: tag, Cycle: "c-2026-11", Tenant: "acme-cu", Stage: "production", Env: "production"}
	for _, n := range names {
		h, ok := all[n]
		if !ok {
			t.Fatalf("no host %s in inventory", n)
		}
		req.Hosts = append(req.Hosts, h)
	}
	// A host of another cloud rides along, as in a mixed-cloud stage.
	req.Hosts = append(req.Hosts, runbooks.Host{ID: "i-0abc", Name: "aws-1", Cloud: runbooks.AWS})
	return req
}

// until polls status until it reports done, at most 50 times (the fake's
// operations finish after a few polls, so this bounds a bug, not time).
func until(t *testing.T, status func() (runbooks.OpStatus, error)) runbooks.OpStatus {
	t.Helper()
	for range 50 {
		st, err := status()
		if err != nil {
			t.Fatal(err)
		}
		if st.Done {
			return st
		}
	}
	t.Fatal("operation not done after 50 polls")
	return runbooks.OpStatus{}
}

// verify calls VerifyPatch the way the engine does, tick after tick, until
// it stops answering CodePending, and says how many calls that took.
func verify(t *testing.T, p *Provider, req runbooks.OpRequest) ([]runbooks.Finding, int) {
	t.Helper()
	for calls := 1; calls <= 50; calls++ {
		fs, err := p.VerifyPatch(context.Background(), req)
		if runbooks.ErrorCode(err) == runbooks.CodePending {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		return fs, calls
	}
	t.Fatal("verification still pending after 50 calls")
	return nil, 0
}

func findingFor(fs []runbooks.Finding, name string) (runbooks.Finding, bool) {
	for _, f := range fs {
		if f.HostName == name {
			return f, true
		}
	}
	return runbooks.Finding{}, false
}
