package sla

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/runbooks/schedule"
)

// TestPostureScanThreeReplicasOnRedisScanOncePerDay: three replicas, each
// with its own scheduler and Service on one Redis, tick every 30 minutes
// for three days with the scan scheduled daily at 05:00 UTC. The fleet is
// read once per day, one snapshot per day is kept, and the KEV breach on
// web-1 pages once in all; web-2's critical patch, due on 12-09, pages
// once when it turns overdue.
func TestPostureScanThreeReplicasOnRedisScanOncePerDay(t *testing.T) {
	ctx := context.Background()
	clk := testkit.NewClock(start.Add(-time.Hour))
	st := openRedis(t, clk)
	f, p := demoFleet(), &pager{}
	var reps []*schedule.Scheduler
	for i := range 3 {
		svc := newService(st, clk, f, p)
		sch := schedule.New(st, clk, schedule.Options{Replica: fmt.Sprintf("r%d", i), LeaseTTL: 30 * time.Second, Logger: slog.New(slog.DiscardHandler)})
		err := sch.Add(schedule.Job{Name: "posture-scan", Schedule: schedule.MustParse("0 5 * * *", time.UTC), Run: func(ctx context.Context, _ time.Time) error {
			_, err := svc.ScanDaily(ctx)
			if errors.Is(err, ErrScanned) {
				return nil
			}
			return err
		}})
		if err != nil {
			t.Fatal(err)
		}
		reps = append(reps, sch)
	}
	for range 3 * 48 {
		clk.Advance(30 * time.Minute)
		var wg sync.WaitGroup
		for _, r := range reps {
			wg.Go(func() {
				if _, err := r.Tick(ctx); err != nil {
					t.Errorf("tick: %v", err)
				}
			})
		}
		wg.Wait()
	}
	envs := len(acme.Environments)
	if got := f.reads(); got != 3*envs {
		t.Errorf("inventory read %d times, want %d (once per environment per day)", got, 3*envs)
	}
	svc := newService(st, clk, f, p)
	hist, err := svc.History(ctx, "acme", start, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 3 || hist[0].Day != "2026-12-06" || hist[2].Day != "2026-12-08" {
		t.Fatalf("history %d days %v, want 2026-12-06..08", len(hist), days(hist))
	}
	if p.triggers["patchgate/sla/acme/i-web1/ALAS-KEV"] != 1 {
		t.Errorf("KEV breach paged %d times, want once (%v)", p.triggers["patchgate/sla/acme/i-web1/ALAS-KEV"], p.triggers)
	}
	if keys, total := p.count(); keys != total {
		t.Errorf("%d pages for %d host-patches: some paged twice", total, keys)
	}
	// Day 4, 05:00: web-2's critical patch (deadline 12-09 00:00) is now
	// overdue and pages, once.
	for range 48 {
		clk.Advance(30 * time.Minute)
		for _, r := range reps {
			if _, err := r.Tick(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if p.triggers["patchgate/sla/acme/i-web2/ALAS-CRIT"] != 1 || p.triggers["patchgate/sla/acme/i-web1/ALAS-KEV"] != 1 {
		t.Errorf("pages %v, want web-2 paged once when overdue and web-1 still once", p.triggers)
	}
	evs, err := AuditEvents(ctx, st, EventBreachPaged)
	if err != nil {
		t.Fatal(err)
	}
	audited := 0
	for _, e := range evs {
		l, _ := e["paged"].([]any)
		audited += len(l)
	}
	if keys, _ := p.count(); audited != keys || len(evs) != 2 {
		t.Errorf("%d breaches in %d breach.paged audit entries for %d pages; want one entry per scan that paged", audited, len(evs), keys)
	}
}

func days(h []Snapshot) []string {
	var out []string
	for _, s := range h {
		out = append(out, s.Day)
	}
	return out
}

// TestPostureScanClaimsTheDayOnce: three Services race ScanDaily on one
// Redis at the same instant; one scans, two get ErrScanned without reading
// the fleet.
func TestPostureScanClaimsTheDayOnce(t *testing.T) {
	clk := testkit.NewClock(start)
	st := openRedis(t, clk)
	f, p := demoFleet(), &pager{}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var scanned, refused int
	for range 3 {
		svc := newService(st, clk, f, p)
		wg.Go(func() {
			_, err := svc.ScanDaily(context.Background())
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				scanned++
			case errors.Is(err, ErrScanned):
				refused++
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if scanned != 1 || refused != 2 || f.reads() != len(acme.Environments) {
		t.Errorf("scanned %d, refused %d, fleet read %d times; want 1, 2, %d", scanned, refused, f.reads(), len(acme.Environments))
	}
}

// TestPostureScanRetriesAPageThePagerRefused: a breach whose trigger fails
// is not recorded as paged, so the next scan pages it; then never again.
func TestPostureScanRetriesAPageThePagerRefused(t *testing.T) {
	clk := testkit.NewClock(start)
	st := openBolt(t, clk)
	f, p := demoFleet(), &pager{fail: 10}
	s := newService(st, clk, f, p)
	if _, err := s.Scan(context.Background()); err == nil {
		t.Fatal("a scan whose pages all failed reported no error")
	}
	p.fail = 0
	clk.Advance(Day)
	scanAt(t, s)
	clk.Advance(Day)
	scanAt(t, s)
	if p.triggers["patchgate/sla/acme/i-web1/ALAS-KEV"] != 1 {
		t.Errorf("pages %v, want the KEV breach paged once after the pager recovered", p.triggers)
	}
}

// TestPostureScanKeepsHistoryFor400Days: snapshots older than HistoryDays
// are pruned, younger ones kept.
func TestPostureScanKeepsHistoryFor400Days(t *testing.T) {
	clk := testkit.NewClock(start)
	st := openBolt(t, clk)
	s := newService(st, clk, demoFleet(), &pager{})
	scanAt(t, s)
	clk.Advance(HistoryDays * Day)
	scanAt(t, s)
	h, err := s.History(context.Background(), "acme", start.Add(-Day), clk.Now())
	if err != nil || len(h) != 2 {
		t.Fatalf("history at day 400: %v %v, want both days kept", days(h), err)
	}
	clk.Advance(Day)
	scanAt(t, s)
	h, _ = s.History(context.Background(), "acme", start.Add(-Day), clk.Now())
	if len(h) != 2 || h[0].Day == "2026-12-06" {
		t.Errorf("history at day 401: %v, want the first day pruned", days(h))
	}
}
