package sla

import (
	"context"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/runbooks"
)

// brokenReader hands over web-2's findings, then fails the way a provider
// read does behind a hostile peer (a CallError after the budget's attempts).
type brokenReader struct{ *fleet }

func (b brokenReader) EachPatchFindings(ctx context.Context, hosts []runbooks.Host, each func([]runbooks.PatchFinding) error) error {
	fs, _ := b.PatchFindings(ctx, []runbooks.Host{{ID: "i-web2"}})
	if err := each(fs); err != nil {
		return err
	}
	return &runbooks.CallError{System: "aws", Service: "ssm", Operation: "DescribeInstancePatches", Scope: "account 111111111111",
		Attempts: 3, Cause: "connection accepted but no answer within 8.6s"}
}

// TestPostureScanCountsHostsItCouldNotReadAsUnmanaged: the findings read
// fails after web-2's part. web-2 is counted from its findings; every other
// managed host (db-1 among them, which lacks nothing and would otherwise
// pass as within SLA) is not measured — unmanaged, never clean — and the
// day's snapshot and the scan's error say why.
func TestPostureScanCountsHostsItCouldNotReadAsUnmanaged(t *testing.T) {
	clk := testkit.NewClock(start)
	s := newService(openBolt(t, clk), clk, demoFleet(), &pager{})
	s.Findings = brokenReader{s.Findings.(*fleet)}
	p, err := s.Scan(context.Background())
	if err == nil || !strings.Contains(err.Error(), "ssm DescribeInstancePatches") {
		t.Fatalf("scan error %v: want the read's CallError", err)
	}
	if len(p.Tenants) != 1 {
		t.Fatalf("%d snapshots", len(p.Tenants))
	}
	snap := p.Tenants[0]
	want := Counts{Hosts: 6, Due: 1, Unmanaged: 5}
	if snap.Total != want {
		t.Errorf("counts = %+v, want %+v (only web-2 measured)", snap.Total, want)
	}
	if len(snap.Errors) != 1 || !strings.Contains(snap.Errors[0], "patch findings of 4 host(s) not read, counted unmanaged") {
		t.Errorf("snapshot errors = %q", snap.Errors)
	}
	latest, lerr := s.Latest(context.Background(), "acme")
	if lerr != nil || len(latest) != 1 || latest[0].Total != want {
		t.Errorf("stored posture = %+v, %v; want the same counts", latest, lerr)
	}
	if text := PostureText(latest); !strings.Contains(text, "unmanaged 5") {
		t.Errorf("posture text does not show the unread hosts as unmanaged:\n%s", text)
	}
}
