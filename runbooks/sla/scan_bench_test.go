package sla

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/runbooks"
)

// BenchmarkPostureScan is the daily scan over 20,000 hosts × 30 missing
// patches on bbolt: reading findings, evaluating, storing the snapshots
// and paging. "released" findings carry vendor release dates (Azure, the
// simulation); "dateless" ones do not (SSM), so the scan also keeps each
// host-patch's first-seen day.
//
//	go test -run '^$' -bench PostureScan -benchtime 1x ./runbooks/sla/
func BenchmarkPostureScan(b *testing.B) {
	for _, dated := range []bool{true, false} {
		name := "released"
		if !dated {
			name = "dateless"
		}
		b.Run(name, func(b *testing.B) {
			const hosts, perHost = 20000, 30
			f := newGenFleet(hosts, perHost, dated)
			for b.Loop() {
				clk := testkit.NewClock(start)
				b.StopTimer()
				st := openBolt(b, clk)
				b.StartTimer()
				pg := &countingPager{}
				s := newService(st, clk, nil, nil)
				s.Inventory, s.Findings, s.Pager = f, f, pg
				p, err := s.Scan(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				if got := p.Tenants[0].Total.Hosts; got != hosts {
					b.Fatalf("%d hosts scanned", got)
				}
				if pg.n != p.Paged || (dated && p.Paged == 0) {
					b.Fatalf("%d pages triggered, %d recorded", pg.n, p.Paged)
				}
			}
			b.ReportMetric(float64(hosts*perHost), "findings/op")
		})
	}
}

// genFleet makes each host's findings when they are read, host by host, as
// a provider's stream does, so the fixture itself holds no 600,000
// findings and the benchmark's memory is the scan's.
type genFleet struct {
	hosts   map[string][]runbooks.Host
	perHost int
	dated   bool
}

func newGenFleet(hosts, perHost int, dated bool) *genFleet {
	f := &genFleet{hosts: map[string][]runbooks.Host{}, perHost: perHost, dated: dated}
	for i := range hosts {
		env := acme.Environments[i%2].Name
		f.hosts[env] = append(f.hosts[env], runbooks.Host{ID: fmt.Sprintf("i-%08d", i), Name: fmt.Sprintf("host-%d", i), Env: env, Managed: true})
	}
	return f
}

func (f *genFleet) Hosts(_ context.Context, _ runbooks.Tenant, env runbooks.Environment) ([]runbooks.Host, error) {
	return f.hosts[env.Name], nil
}

func (f *genFleet) hostFindings(h runbooks.Host) []runbooks.PatchFinding {
	sev := []string{runbooks.PatchCritical, runbooks.PatchHigh, runbooks.PatchMedium, runbooks.PatchLow}
	out := make([]runbooks.PatchFinding, 0, f.perHost)
	for j := range f.perHost {
		x := runbooks.PatchFinding{HostID: h.ID, HostName: h.Name, PatchID: fmt.Sprintf("ALAS-2026-%04d", j),
			Title: "package update", Severity: sev[j%4], CVEs: []string{fmt.Sprintf("CVE-2026-%05d", j)}, State: runbooks.PatchMissing, Source: "bench"}
		if f.dated {
			x.Released = start.Add(-time.Duration(j*5) * Day)
		}
		out = append(out, x)
	}
	return out
}

func (f *genFleet) EachPatchFindings(_ context.Context, hosts []runbooks.Host, each func([]runbooks.PatchFinding) error) error {
	for _, h := range hosts {
		if err := each(f.hostFindings(h)); err != nil {
			return err
		}
	}
	return nil
}

func (f *genFleet) PatchFindings(ctx context.Context, hosts []runbooks.Host) ([]runbooks.PatchFinding, error) {
	var out []runbooks.PatchFinding
	err := f.EachPatchFindings(ctx, hosts, func(fs []runbooks.PatchFinding) error { out = append(out, fs...); return nil })
	return out, err
}

// countingPager counts triggers without keeping them.
type countingPager struct{ n int }

func (p *countingPager) Trigger(context.Context, runbooks.Page) error { p.n++; return nil }
func (p *countingPager) Acknowledge(context.Context, string) error    { return nil }
func (p *countingPager) Resolve(context.Context, string) error        { return nil }
