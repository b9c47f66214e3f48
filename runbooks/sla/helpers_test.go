package sla

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
	"github.com/patchgate/patchgate/state/boltstore"
	"github.com/patchgate/patchgate/state/redisstore"
	"github.com/patchgate/patchgate/state/redisstore/redistest"
)

func openBolt(t testing.TB, clk *testkit.Clock) state.Store {
	t.Helper()
	s, err := boltstore.Open(filepath.Join(t.TempDir(), "state.db"), boltstore.WithNow(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openRedis(t *testing.T, clk *testkit.Clock) state.Store {
	t.Helper()
	sock := redistest.Start(t)
	s, err := redisstore.Open(context.Background(), redisstore.Options{Network: "unix", Addr: sock, Prefix: "sla"}, redisstore.WithNow(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// fleet is a tenant's hosts and their findings, counting the reads.
type fleet struct {
	mu        sync.Mutex
	hosts     map[string][]runbooks.Host // by env
	findings  []runbooks.PatchFinding
	hostReads int
}

func (f *fleet) Hosts(_ context.Context, _ runbooks.Tenant, env runbooks.Environment) ([]runbooks.Host, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hostReads++
	return f.hosts[env.Name], nil
}

func (f *fleet) PatchFindings(_ context.Context, hosts []runbooks.Host) ([]runbooks.PatchFinding, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	want := map[string]bool{}
	for _, h := range hosts {
		want[h.ID] = true
	}
	var out []runbooks.PatchFinding
	for _, x := range f.findings {
		if want[x.HostID] {
			out = append(out, x)
		}
	}
	return out, nil
}

func (f *fleet) reads() int { f.mu.Lock(); defer f.mu.Unlock(); return f.hostReads }

// pager records triggers; fail makes the next n triggers fail.
type pager struct {
	mu       sync.Mutex
	triggers map[string]int
	fail     int
}

func (p *pager) Trigger(_ context.Context, pg runbooks.Page) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail > 0 {
		p.fail--
		return errors.New("pagerduty: 503")
	}
	if p.triggers == nil {
		p.triggers = map[string]int{}
	}
	p.triggers[pg.DedupKey]++
	return nil
}
func (p *pager) Acknowledge(context.Context, string) error { return nil }
func (p *pager) Resolve(context.Context, string) error     { return nil }

func (p *pager) count() (keys, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, n := range p.triggers {
		keys++
		total += n
	}
	return keys, total
}

// directory resolves people and one risk group.
type directory struct{}

func (directory) GroupMembers(_ context.Context, g string) ([]string, error) {
	if g == "S0RISK" {
		return []string{"U0GROUPED"}, nil
	}
	return nil, errors.New("no such group")
}
func (directory) Person(_ context.Context, id string) (runbooks.Person, error) {
	return runbooks.Person{ID: id, Name: "Name of " + id, Email: id + "@bank.example"}, nil
}

var acme = runbooks.Tenant{Name: "acme", Environments: []runbooks.Environment{{Name: "staging"}, {Name: "production"}}}

// demoFleet: on 2026-12-06, web-1 lacks an overdue KEV patch, web-2 a
// critical one due in 3 days, db-1 nothing, legacy-1 a long-overdue
// critical patch (the exception tests accept it), dark-1 is unmanaged.
func demoFleet() *fleet {
	return &fleet{
		hosts: map[string][]runbooks.Host{
			"staging":    {{ID: "i-stg", Name: "stg-1", Env: "staging", Managed: true}},
			"production": {{ID: "i-web1", Name: "web-1", Env: "production", Managed: true}, {ID: "i-web2", Name: "web-2", Env: "production", Managed: true}, {ID: "i-db1", Name: "db-1", Env: "production", Managed: true}, {ID: "i-legacy", Name: "legacy-1", Env: "production", Managed: true}, {ID: "i-dark", Name: "dark-1", Env: "production"}},
		},
		findings: []runbooks.PatchFinding{
			{HostID: "i-web1", HostName: "web-1", PatchID: "ALAS-KEV", Severity: runbooks.PatchMedium, CVEs: []string{"CVE-2026-1001"}, Released: day("2026-11-01"), State: runbooks.PatchMissing, Source: "test"},
			{HostID: "i-web2", HostName: "web-2", PatchID: "ALAS-CRIT", Severity: runbooks.PatchCritical, Released: day("2026-11-09"), State: runbooks.PatchMissing, Source: "test"},
			{HostID: "i-stg", HostName: "stg-1", PatchID: "ALAS-LOW", Severity: runbooks.PatchLow, Released: day("2026-11-01"), State: runbooks.PatchMissing, Source: "test"},
			{HostID: "i-legacy", HostName: "legacy-1", PatchID: "KB-OLD", Severity: runbooks.PatchCritical, Released: day("2026-06-01"), State: runbooks.PatchFailed, Source: "test"},
		},
	}
}

func newService(st state.Store, clk *testkit.Clock, f *fleet, p *pager) *Service {
	kev := func(context.Context) (*KEV, error) {
		return ParseKEV(mustRead("testdata/kev.json"), "testdata/kev.json")
	}
	return &Service{Store: st, Tenants: []runbooks.Tenant{acme}, Inventory: f, Findings: f, Policy: Policy{Default: DefaultDeadlines()},
		KEV: kev, Pager: p, Clock: clk, ReminderDays: 14, RiskApprovers: []string{"U0RISK1", "U0RISK2"}, RiskGroups: []string{"S0RISK"},
		MinApprovals: 1, MaxExceptionDays: 365, Directory: directory{}}
}

func scanAt(t *testing.T, s *Service) Posture {
	t.Helper()
	p, err := s.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var start = time.Date(2026, 12, 6, 5, 0, 0, 0, time.UTC)
