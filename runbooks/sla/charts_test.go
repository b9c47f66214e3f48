package sla

import (
	"context"
	"testing"

	"github.com/patchgate/patchgate/internal/testkit"
)

// digest records the posture digests posted.
type digest struct{ posted []Posture }

func (d *digest) PostSLAPosture(_ context.Context, p Posture) error {
	d.posted = append(d.posted, p)
	return nil
}
func (d *digest) ExceptionReminder(context.Context, Exception) error { return nil }

func TestPostureScanHandsTheMonthsChartsToTheDigest(t *testing.T) {
	clk := testkit.NewClock(start)
	s := newService(openBolt(t, clk), clk, demoFleet(), &pager{})
	d := &digest{}
	s.Chat = d
	var drawn []Month
	s.Charts = func(m Month) ([]Chart, error) {
		drawn = append(drawn, m)
		return []Chart{{Tenant: m.Tenant, Name: "trend.png", PNG: []byte("png")}}, nil
	}
	scanAt(t, s)
	if len(d.posted) != 1 || len(d.posted[0].Charts) != 1 || d.posted[0].Charts[0].Tenant != "acme" {
		t.Fatalf("digest %+v, want acme's chart", d.posted)
	}
	if len(drawn) != 1 || drawn[0].Latest == nil || drawn[0].Latest.Day != "2026-12-06" || drawn[0].Latest.Total.Overdue != 2 || len(drawn[0].Trend) != 1 {
		t.Fatalf("charts drawn from %+v, want today's scan and its month", drawn)
	}
}
