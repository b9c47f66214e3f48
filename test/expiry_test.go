package test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/reports"
	"github.com/patchgate/patchgate/runbooks"
)

// withApprovalTTL gives every tier an approval TTL and production an
// approver group.
func withApprovalTTL(ttl time.Duration) harnessOption {
	return func(_ *runbooks.Deps, p *runbooks.Pipeline) {
		for i := range *p {
			(*p)[i].ApprovalTTL = ttl
			if (*p)[i].Production {
				(*p)[i].Groups = []string{"S0CAB"}
			}
		}
	}
}

// TestApprovalExpiryRemindsOnceAndExpiresOnce: production's approval
// request is left unanswered on three replicas sharing one store. At half
// its 7-day TTL the thread mentions the approvers and the group exactly
// once; at the TTL the cycle closes as expired exactly once, production is
// not patched, the cycle is archived and the posture digest counts it.
func TestApprovalExpiryRemindsOnceAndExpiresOnce(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			tn := gateTenant()
			h := newHarness(t, b.open(t), sim.Config{Seed: gateSeed, Tenants: []runbooks.Tenant{tn}, HostsPerTarget: 1}, 3,
				withApprovalTTL(7*24*time.Hour))
			c := h.start(ctx, tn.Name)
			c = h.driveTo(ctx, c.ID, "production")
			s, _ := c.Stage("production")
			opened := s.Started
			count := func(typ string) (audit, chat int) {
				for _, ev := range h.events(ctx, c.ID) {
					if ev.Type == typ {
						audit++
					}
				}
				for _, ev := range h.chat.Events(c.ID) {
					if ev.Type == typ {
						chat++
					}
				}
				return audit, chat
			}
			at := func(d time.Duration) {
				h.clock.Set(opened.Add(d))
				for range 3 {
					h.tickAll(ctx)
				}
			}

			at(84*time.Hour - time.Minute)
			if n, _ := count(runbooks.EvApprovalReminder); n != 0 {
				t.Fatalf("%d reminders before half-time", n)
			}
			at(84 * time.Hour)
			if a, ch := count(runbooks.EvApprovalReminder); a != 1 || ch != 1 {
				t.Fatalf("reminders at half-time: %d audited, %d in chat, want exactly 1 each", a, ch)
			}
			rem := stageEvents(h.events(ctx, c.ID), "production", runbooks.EvApprovalReminder)[0]
			if rem.Data["approvers"] != strings.Join([]string{alice, bob, requester}, " ") || rem.Data["groups"] != "S0CAB" ||
				!strings.Contains(rem.Detail, "expires "+opened.Add(7*24*time.Hour).UTC().Format("2006-01-02 15:04 UTC")) {
				t.Errorf("reminder %+v", rem)
			}
			at(7*24*time.Hour - time.Minute)
			if n, _ := count(runbooks.EvCycleExpired); n != 0 {
				t.Fatalf("expired a minute early")
			}
			if n, _ := count(runbooks.EvApprovalReminder); n != 1 {
				t.Fatalf("%d reminders, want still 1", n)
			}
			at(7 * 24 * time.Hour)
			at(7*24*time.Hour + time.Hour)
			if a, ch := count(runbooks.EvCycleExpired); a != 1 || ch != 1 {
				t.Fatalf("expiries: %d audited, %d in chat, want exactly 1 each", a, ch)
			}
			exp := stageEvents(h.events(ctx, c.ID), "production", runbooks.EvCycleExpired)[0]
			if !strings.Contains(exp.Detail, "approval of production expired after 7d") || !strings.Contains(exp.Detail, "production was not patched") {
				t.Errorf("expiry detail %q", exp.Detail)
			}
			if _, pt := h.prodOps(tn.Name); pt != 0 {
				t.Errorf("production patched %d times after expiry", pt)
			}
			active, err := h.engines[0].Active(ctx)
			if err != nil || len(active) != 0 {
				t.Fatalf("active cycles %d (%v), want the expired one archived", len(active), err)
			}
			fin, err := h.engines[0].Finished(ctx)
			if err != nil || len(fin) != 1 || fin[0].Status != runbooks.StatusExpired {
				t.Fatalf("finished %+v, %v", fin, err)
			}
			if p := reports.PostureOf(fin, h.clock.Now()); p.Expired[tn.Name] != 1 {
				t.Errorf("posture expired = %v, want %s: 1", p.Expired, tn.Name)
			}
			if _, err := h.engines[1].Start(ctx, tn.Name, requester); err != nil {
				t.Errorf("a new cycle after expiry: %v", err)
			}
			verifyAllStreams(t, h.store)
		})
	}
}
