package reports

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/runbooks/daily"
	"github.com/patchgate/patchgate/state/boltstore"
)

func reported(id, tenant string, at time.Time, passed, applicable int, exceptions ...string) *runbooks.Cycle {
	return &runbooks.Cycle{ID: id, Tenant: tenant, Status: runbooks.StatusCompleted, Report: &runbooks.Report{
		Location: "/r/" + id + ".pdf", At: at, Compliance: &runbooks.Compliance{Mapping: MappingVersion, Passed: passed,
			Applicable: applicable, Rate: float64(passed) / float64(applicable), Exceptions: exceptions}}}
}

func postureCycles() []*runbooks.Cycle {
	day := func(d int) time.Time { return t0.AddDate(0, 0, d) }
	return []*runbooks.Cycle{
		reported("acme-3", "acme-cu", day(56), 9, 9),
		reported("acme-1", "acme-cu", day(0), 7, 9, "6.3.3", "CC6.1"),
		reported("acme-2", "acme-cu", day(28), 8, 9, "6.3.3"),
		reported("bay-1", "bayview-cu", day(1), 7, 8, "A1.2"),
		{ID: "bay-2", Tenant: "bayview-cu", Status: runbooks.StatusRejected}, // never reported
		reported("bay-future", "bayview-cu", day(400), 9, 9),
	}
}

func TestPostureOf(t *testing.T) {
	p := PostureOf(postureCycles(), t0.AddDate(0, 0, 60))
	if len(p.Tenants) != 2 {
		t.Fatalf("%d tenants, want 2: %+v", len(p.Tenants), p.Tenants)
	}
	acme, bay := p.Tenants[0], p.Tenants[1]
	if acme.Tenant != "acme-cu" || acme.LatestCycle != "acme-3" || acme.Rate != 1 || acme.Cycles != 3 || len(acme.OpenExceptions) != 0 {
		t.Errorf("acme-cu: %+v", acme)
	}
	if got := acme.TrendText(); got != "77.8% → 88.9% → 100%" {
		t.Errorf("acme-cu trend %q", got)
	}
	if bay.LatestCycle != "bay-1" || !slices.Equal(bay.OpenExceptions, []string{"A1.2"}) || bay.TrendText() != "87.5%" {
		t.Errorf("bayview-cu: %+v (a report after now or a cycle without one counted?)", bay)
	}
	text := PostureText(p)
	for _, s := range []string{"acme-cu: 100% (9/9 criteria) in acme-3", "trend 77.8% → 88.9% → 100%", "bayview-cu: 87.5%", "open exceptions: A1.2"} {
		if !strings.Contains(text, s) {
			t.Errorf("text lacks %q:\n%s", s, text)
		}
	}
}

func TestPostureTrendKeepsTheLastFive(t *testing.T) {
	var cs []*runbooks.Cycle
	for i := range 8 {
		cs = append(cs, reported("c-"+string(rune('a'+i)), "acme-cu", t0.AddDate(0, 0, 28*i), 1+i%2, 2))
	}
	tp := PostureOf(cs, t0.AddDate(1, 0, 0)).Tenants[0]
	if len(tp.Trend) != daily.PostureTrend || tp.LatestCycle != "c-h" || tp.TrendText() != "100% → 50% → 100% → 50% → 100%" {
		t.Errorf("trend %q of %d, latest %s", tp.TrendText(), len(tp.Trend), tp.LatestCycle)
	}
}

// TestPostureDigestReadsTheStore stores finished cycles as the engine
// archives them (cycles/done/<id>) and reads the digest back.
func TestPostureDigestReadsTheStore(t *testing.T) {
	st, err := boltstore.Open(t.TempDir() + "/state.db")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	for _, c := range postureCycles() {
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Create(ctx, "cycles/done/"+c.ID, b); err != nil {
			t.Fatal(err)
		}
	}
	// An active cycle is not part of the posture.
	if _, err := st.Create(ctx, "cycles/active/acme-4", []byte(`{"id":"acme-4","tenant":"acme-cu"}`)); err != nil {
		t.Fatal(err)
	}
	p, err := PostureDigest(ctx, st, t0.AddDate(0, 0, 60))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Tenants) != 2 || p.Tenants[0].TrendText() != "77.8% → 88.9% → 100%" || p.Tenants[0].Cycles != 3 {
		t.Errorf("posture from the store: %+v", p.Tenants)
	}
}
