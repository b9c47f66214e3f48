package test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
)

// Emergency approvers of the test organisation: carol and dave approve
// emergency changes everywhere; the requester is listed in production too,
// so four eyes, not the list, must stop them approving their own change.
const (
	carol = "U-CAROL"
	dave  = "U-DAVE"
)

// withEmergency gives every tier emergency approvers (none to skip) and
// production a Sunday window in Chicago.
func withEmergency(skip string) harnessOption {
	return func(_ *runbooks.Deps, p *runbooks.Pipeline) {
		for i := range *p {
			s := &(*p)[i]
			if s.Env == skip {
				continue
			}
			s.EmergencyApprovers = []string{carol, dave}
			if s.Production {
				s.EmergencyApprovers = append(s.EmergencyApprovers, requester)
				s.Window, s.MinRemaining = "SUN 02:00-06:00 America/Chicago", time.Hour
			}
		}
	}
}

// specChanges is a change platform that keeps the specs it was asked to
// create records from.
type specChanges struct {
	countingChanges
	smu   sync.Mutex
	specs []runbooks.ChangeSpec
}

func (s *specChanges) Create(ctx context.Context, spec runbooks.ChangeSpec) (runbooks.ChangeStatus, error) {
	s.smu.Lock()
	s.specs = append(s.specs, spec)
	s.smu.Unlock()
	return runbooks.ChangeStatus{ID: "sys-" + spec.CycleID, Number: "CHG0030001", State: "New"}, nil
}

func (s *specChanges) created() []runbooks.ChangeSpec {
	s.smu.Lock()
	defer s.smu.Unlock()
	return append([]runbooks.ChangeSpec(nil), s.specs...)
}

// TestEmergencyChangeFourEyesWaiverAndRecord: an emergency change for one
// production host skips the tiers it has no host in, is refused to
// ordinary approvers and to its requester (four eyes kept, though listed),
// needs two emergency approvers, waits for production's window until an
// emergency approver waives it with a justification (a shrug is refused),
// then backs up at once; the waiver is audited with its justification, and
// the change record is an emergency change carrying the reason.
func TestEmergencyChangeFourEyesWaiverAndRecord(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			cr := &specChanges{}
			tn := gateTenant().Name
			host := hostName(tn, "production", "app-01")
			h := newHarness(t, b.open(t), sim.Config{Seed: gateSeed, Tenants: []runbooks.Tenant{gateTenant()}, HostsPerTarget: 1, OpDuration: time.Hour}, 3,
				withEmergency(""), func(d *runbooks.Deps, _ *runbooks.Pipeline) { d.ChangeRecords = cr })

			reply, err := h.engines[0].EmergencyCommand(ctx, []string{tn, "CVE-2026-1234", "exploited", "RCE", "--hosts", host}, requester)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(reply, "EMERGENCY") {
				t.Errorf("reply %q", reply)
			}
			active, err := h.engines[0].Active(ctx)
			if err != nil || len(active) != 1 || active[0].Emergency == nil || active[0].Emergency.Reason != "CVE-2026-1234 exploited RCE" {
				t.Fatalf("active %+v, %v: want one emergency change", active, err)
			}
			id := active[0].ID
			c := h.driveTo(ctx, id, "production")
			for _, env := range []string{"nonprod", "staging"} {
				if s, _ := c.Stage(env); s.Phase != runbooks.PhaseDone || len(s.Approvals) != 0 {
					t.Errorf("%s: %s with %d approvals, want skipped (no named host there)", env, s.Phase, len(s.Approvals))
				}
			}
			if p, _ := c.Stage("production"); p.MinApprovals != 2 || !p.FourEyes || !p.Emergency {
				t.Fatalf("production policy %d approvals, four eyes %v, emergency %v", p.MinApprovals, p.FourEyes, p.Emergency)
			}

			if msg := h.refused(ctx, id, "production", runbooks.Approve, alice, runbooks.CodeForbidden); !strings.Contains(msg, "emergency changes in production") {
				t.Errorf("ordinary approver refused with %q", msg)
			}
			h.refused(ctx, id, "production", runbooks.Approve, requester, runbooks.CodeSelfApproval)
			h.mustDecide(ctx, id, "production", runbooks.Approve, carol)
			h.mustDecide(ctx, id, "production", runbooks.Approve, dave)
			h.tickAll(ctx)
			if p, _ := h.cycle(ctx, id).Stage("production"); p.Phase != runbooks.PhaseWindow {
				t.Fatalf("production %s, want waiting for its window (Saturday night in Chicago)", p.Phase)
			}

			waive := func(actor, just string) error {
				cur := h.cycle(ctx, id)
				_, err := h.engines[2].Decide(ctx, runbooks.Decision{Cycle: id, Stage: "production", Action: runbooks.Waive, Waive: runbooks.WaiveWindow,
					Reason: just, Actor: actor, SeenRevision: cur.Revision})
				return err
			}
			for _, tc := range []struct{ actor, just, code string }{
				{carol, "urgent", runbooks.CodeInvalid},
				{alice, "the exploit is public and used against credit unions", runbooks.CodeForbidden},
				{requester, "the exploit is public and used against credit unions", runbooks.CodeSelfApproval},
			} {
				if err := waive(tc.actor, tc.just); runbooks.ErrorCode(err) != tc.code {
					t.Fatalf("waiver by %s (%q): %v, want %s", tc.actor, tc.just, err, tc.code)
				}
			}
			if err := waive(carol, "the exploit is public and used against credit unions"); err != nil {
				t.Fatal(err)
			}
			for range 3 {
				h.tickAll(ctx)
			}
			if bk, _ := h.prodOps(tn); bk != 1 || !h.clock.Now().Before(time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)) {
				t.Fatalf("%d production backups at %s: want the backup started before the window opens", bk, h.clock.Now())
			}
			cur := h.cycle(ctx, id)
			p, _ := cur.Stage("production")
			if len(p.Waivers) != 1 || p.Waivers[0].By != carol || len(p.WindowRuns) == 0 || !p.WindowRuns[0].Waived {
				t.Fatalf("waivers %+v, window runs %+v", p.Waivers, p.WindowRuns)
			}
			evs := h.events(ctx, id, runbooks.EvWaived)
			if len(evs) != 1 || evs[0].Actor != carol || evs[0].Data["justification"] != "the exploit is public and used against credit unions" {
				t.Fatalf("waiver events %+v", evs)
			}
			specs := cr.created()
			if len(specs) != 1 || specs[0].Kind != runbooks.ChangeEmergency || !strings.HasPrefix(specs[0].ShortDescription, "EMERGENCY") ||
				!strings.Contains(specs[0].Justification, "CVE-2026-1234 exploited RCE") {
				t.Fatalf("change records created %+v, want one emergency change with the reason", specs)
			}
		})
	}
}

// TestEmergencyChangeRefusedWithoutEmergencyApprovers: a tier with no
// emergency approvers refuses the request at once, with its code, audited;
// a normal cycle may not waive anything.
func TestEmergencyChangeRefusedWithoutEmergencyApprovers(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, backends()[0].open(t), sim.Config{Seed: gateSeed, Tenants: []runbooks.Tenant{gateTenant()}, HostsPerTarget: 1}, 2,
		withEmergency("staging"))
	tn := gateTenant().Name
	_, err := h.engines[0].Emergency(ctx, runbooks.EmergencyRequest{Tenant: tn, Reason: "CVE-2026-1234", Requester: requester})
	if runbooks.ErrorCode(err) != runbooks.CodeNoEmergencyApprovers || !strings.Contains(runbooks.ErrorMessage(err), "staging") {
		t.Fatalf("emergency without staging's emergency approvers: %v", err)
	}
	if refs, err := h.engines[0].StartRefusals(ctx, tn); err != nil || len(refs) != 1 {
		t.Fatalf("start refusals %+v, %v: want the refused emergency audited", refs, err)
	}
	c := h.start(ctx, tn)
	h.driveTo(ctx, c.ID, "production")
	if _, err := h.decide(ctx, c.ID, "production", runbooks.Waive, alice); runbooks.ErrorCode(err) != runbooks.CodeConflict {
		t.Fatalf("waiver on a normal cycle: %v, want conflict", err)
	}
}
