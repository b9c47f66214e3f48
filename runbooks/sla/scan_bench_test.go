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
			f := bigFleet(hosts, perHost, dated)
			for b.Loop() {
				clk := testkit.NewClock(start)
				b.StopTimer()
				st := openBolt(b, clk)
				b.StartTimer()
				s := newService(st, clk, f, &pager{})
				p, err := s.Scan(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				if got := p.Tenants[0].Total.Hosts; got != hosts {
					b.Fatalf("%d hosts scanned", got)
				}
			}
			b.ReportMetric(float64(hosts*perHost), "findings/op")
		})
	}
}

func bigFleet(hosts, perHost int, dated bool) *fleet {
	f := &fleet{hosts: map[string][]runbooks.Host{}}
	sev := []string{runbooks.PatchCritical, runbooks.PatchHigh, runbooks.PatchMedium, runbooks.PatchLow}
	for i := range hosts {
		env := acme.Environments[i%2].Name
		id := fmt.Sprintf("i-%08d", i)
		f.hosts[env] = append(f.hosts[env], runbooks.Host{ID: id, Name: fmt.Sprintf("host-%d", i), Env: env, Managed: true})
		for j := range perHost {
			x := runbooks.PatchFinding{HostID: id, HostName: fmt.Sprintf("host-%d", i), PatchID: fmt.Sprintf("ALAS-2026-%04d", j),
				Title: "package update", Severity: sev[j%4], CVEs: []string{fmt.Sprintf("CVE-2026-%05d", j)}, State: runbooks.PatchMissing, Source: "bench"}
			if dated {
				x.Released = start.Add(-time.Duration(j*5) * Day)
			}
			f.findings = append(f.findings, x)
		}
	}
	return f
}
