package sla

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/runbooks"
)

// streamed hands a fleet's findings over one host at a time (or, split,
// one finding at a time) as a provider's EachPatchFindings does.
type streamed struct {
	*fleet
	split bool
	parts int
}

func (s *streamed) EachPatchFindings(ctx context.Context, hosts []runbooks.Host, each func([]runbooks.PatchFinding) error) error {
	for _, h := range hosts {
		fs, _ := s.fleet.PatchFindings(ctx, []runbooks.Host{h})
		parts := [][]runbooks.PatchFinding{fs}
		if s.split && len(fs) > 1 {
			parts = [][]runbooks.PatchFinding{fs[:1], fs[1:]}
		}
		for _, p := range parts {
			s.parts++
			if err := each(p); err != nil {
				return err
			}
		}
	}
	return nil
}

func TestPostureScanStreamedHostByHostMatchesOneRead(t *testing.T) {
	whole := scanAt(t, newService(openBolt(t, testkit.NewClock(start)), testkit.NewClock(start), demoFleet(), &pager{})).Tenants[0]
	clk := testkit.NewClock(start)
	s := newService(openBolt(t, clk), clk, demoFleet(), &pager{})
	st := &streamed{fleet: demoFleet()}
	s.Findings = st
	parts := scanAt(t, s).Tenants[0]
	if st.parts < 2 {
		t.Fatalf("the scan read %d parts; it did not stream", st.parts)
	}
	if !reflect.DeepEqual(whole, parts) {
		t.Fatalf("streamed snapshot differs:\n one read %+v\n streamed %+v", whole, parts)
	}
	if parts.Total.Overdue != 2 || parts.Total.Due != 1 || parts.Total.Unmanaged != 1 {
		t.Fatalf("counts %+v", parts.Total)
	}
}

func TestPostureScanRefusesAHostSplitAcrossParts(t *testing.T) {
	clk := testkit.NewClock(start)
	f := demoFleet()
	f.findings = append(f.findings, runbooks.PatchFinding{HostID: "i-web2", PatchID: "ALAS-LOW2", Severity: runbooks.PatchLow, Released: day("2026-11-20"), State: runbooks.PatchMissing, Source: "test"})
	s := newService(openBolt(t, clk), clk, f, &pager{})
	s.Findings = &streamed{fleet: f, split: true}
	p, err := s.Scan(context.Background())
	if err == nil || !strings.Contains(err.Error(), "i-web2 arrived in two parts") {
		t.Fatalf("scan error %v", err)
	}
	if got := p.Tenants[0]; got.Total.Hosts != 0 || len(got.Errors) == 0 {
		t.Fatalf("a split read still counted hosts: %+v", got)
	}
}

func TestPostureScanListsTheMostUrgentItemsOnly(t *testing.T) {
	clk := testkit.NewClock(start)
	f := &fleet{hosts: map[string][]runbooks.Host{}}
	for i := range 3 * MaxListed {
		h := runbooks.Host{ID: fmt.Sprintf("i-%05d", i), Env: "production", Managed: true}
		f.hosts["production"] = append(f.hosts["production"], h)
		sev := runbooks.PatchLow
		rel := start.AddDate(0, 0, -200-i%7) // overdue
		if i%3 == 0 {
			sev, rel = runbooks.PatchCritical, start.AddDate(0, 0, -25) // due
		}
		f.findings = append(f.findings, runbooks.PatchFinding{HostID: h.ID, PatchID: "P", Severity: sev, Released: rel, State: runbooks.PatchMissing, Source: "test"})
	}
	s := newService(openBolt(t, clk), clk, f, &pager{})
	s.Findings = &streamed{fleet: f}
	snap := scanAt(t, s).Tenants[0]
	if snap.Listed != 3*MaxListed || len(snap.Items) != MaxListed {
		t.Fatalf("listed %d, kept %d", snap.Listed, len(snap.Items))
	}
	for i, it := range snap.Items {
		if it.Status != Overdue {
			t.Fatalf("item %d is %s; the %d overdue come before any due one", i, it.Status, 2*MaxListed)
		}
		if i > 0 && it.Deadline.Before(snap.Items[i-1].Deadline) {
			t.Fatalf("item %d's deadline is before item %d's", i, i-1)
		}
	}
}

func TestPostureScanKeepsFirstSeenDaysAcrossScans(t *testing.T) {
	clk := testkit.NewClock(start)
	f := demoFleet()
	for i := range f.findings {
		f.findings[i].Released = time.Time{}
	}
	s := newService(openBolt(t, clk), clk, f, &pager{})
	s.Findings = &streamed{fleet: f}
	if got := scanAt(t, s).Tenants[0].Total; got.Overdue != 0 {
		t.Fatalf("first scan of dateless findings: %+v", got)
	}
	clk.Advance(31 * Day)
	got := scanAt(t, s).Tenants[0]
	// web-2's and legacy-1's critical patches (30 days) are overdue 31
	// days after they were first seen; web-1's KEV item is too.
	if got.Total.Overdue != 3 {
		t.Fatalf("after 31 days: %+v", got.Total)
	}
	clk.Advance(Day)
	if got := scanAt(t, newService(s.Store, clk, f, &pager{})).Tenants[0]; got.Total.Overdue != 3 {
		t.Fatalf("a fresh service lost the first-seen days: %+v", got.Total)
	}
}
