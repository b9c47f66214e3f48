package test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/providers/falcon"
	"github.com/patchgate/patchgate/providers/falcon/falcontest"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/reports"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/test/fakes"
)

// Falcon IDs of the prevention tests: one host group per tier, one
// prevention and one detection policy.
var pvGroups = map[string]string{"nonprod": strings.Repeat("1", 32), "staging": strings.Repeat("2", 32), "production": strings.Repeat("3", 32)}

const (
	pvPolicy  = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	pvDetects = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

// pvHarness is three replicas whose prevention rollouts act on the
// Falcon fake through the real gofalcon client.
type pvHarness struct {
	*harness
	falcon *falcontest.Server
	tenant string
}

func newPreventionHarness(t *testing.T, b backend) *pvHarness {
	t.Helper()
	fs := falcontest.New(t, "pv-client", "pv-secret-0123456789")
	fs.SetPolicy(pvPolicy)
	fs.SetPolicy(pvDetects, pvGroups["nonprod"], pvGroups["staging"], pvGroups["production"])
	for env, g := range pvGroups {
		fs.SetGroup(g, "dev-"+env+"-1", "dev-"+env+"-2")
	}
	tn := gateTenant()
	h := &harness{t: t, store: b.open(t), clock: testkit.NewClock(start), chat: fakes.NewChat()}
	fleet, err := sim.New(sim.Config{Seed: gateSeed, Tenants: []runbooks.Tenant{tn}, HostsPerTarget: 1, Clock: h.clock})
	if err != nil {
		t.Fatal(err)
	}
	h.fleet = fleet
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	console, err := falcon.New(falcon.Config{ClientID: fs.ClientID, ClientSecret: fs.ClientSecret, BaseURL: fs.URL, Clock: h.clock, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	var tiers []runbooks.PreventionTier
	for _, env := range []string{"nonprod", "staging", "production"} {
		tiers = append(tiers, runbooks.PreventionTier{Env: env, HostGroup: pvGroups[env], PreventionPolicy: pvPolicy, DetectionPolicy: pvDetects,
			Window: runbooks.DefaultPreventionWindow, CheckEvery: runbooks.DefaultPreventionCheck,
			Exclusions: runbooks.DefaultRequiredExclusions(runbooks.AWS),
			Thresholds: runbooks.DetectionThresholds{MaxTotal: 5, Severity: "high", MaxAtSeverity: 0}})
	}
	for i := range 3 {
		deps := runbooks.Deps{Store: h.store, Clock: h.clock, Inventory: fleet, Sensors: fleet, Backups: fleet, Patcher: fleet,
			Health: fleet, Pager: fleet, Directory: fleet, Chat: h.chat, Log: log, Prevention: console,
			Reporter: &reports.Dir{Path: t.TempDir(), Now: h.clock.Now}}
		e, err := runbooks.New(runbooks.Config{Replica: fmt.Sprintf("replica-%d", i), Workers: 8, LeaseTTL: 30 * time.Second,
			Prevention: runbooks.PreventionSettings{Tiers: tiers}}, deps, []runbooks.Tenant{tn}, testPipeline())
		if err != nil {
			t.Fatal(err)
		}
		h.engines = append(h.engines, e)
	}
	return &pvHarness{harness: h, falcon: fs, tenant: tn.Name}
}

// addSSMExclusions creates the SSM agent's ML and IOA exclusions for every
// host group.
func (h *pvHarness) addSSMExclusions() {
	h.falcon.AddMLExclusion(falcontest.MLExclusion{ID: "ml-ssm", Value: "/usr/bin/amazon-ssm-agent", Global: true})
	h.falcon.AddIOAExclusion(falcontest.IOAExclusion{ID: "ioa-ssm", Name: "SSM worker", IfnRegex: `.*/ssm-agent-worker`, Global: true})
}

func (h *pvHarness) get(ctx context.Context, id string) *runbooks.Prevention {
	h.t.Helper()
	p, err := h.engines[0].GetPrevention(ctx, id)
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

func (h *pvHarness) request(ctx context.Context, tier, mode, who string) (*runbooks.Prevention, error) {
	return h.engines[1].RequestPrevention(ctx, runbooks.PreventionRequest{Tenant: h.tenant, Tier: tier, Mode: mode, Requester: who, Reason: "phase " + tier})
}

// approve clicks Approve as each person on the rollout's current message.
func (h *pvHarness) approve(ctx context.Context, id string, who ...string) {
	h.t.Helper()
	for _, w := range who {
		p := h.get(ctx, id)
		if _, err := h.engines[2].Decide(ctx, runbooks.Decision{Cycle: id, Action: runbooks.Approve, Actor: w, SeenRevision: p.Revision,
			InteractionID: id + "-approve-" + w}); err != nil {
			h.t.Fatalf("%s approves %s: %v", w, id, err)
		}
	}
}

// until ticks every replica, advancing the clock by step, until the
// rollout reaches status.
func (h *pvHarness) until(ctx context.Context, id string, step time.Duration, status runbooks.PreventionStatus) *runbooks.Prevention {
	h.t.Helper()
	for range 40 {
		h.tickAll(ctx)
		if p := h.get(ctx, id); p.Status == status {
			return p
		}
		h.clock.Advance(step)
	}
	h.t.Fatalf("%s never reached %s: %+v", id, status, h.get(ctx, id))
	return nil
}

// rollout takes a tier through approval to the end of its window.
func (h *pvHarness) rollout(ctx context.Context, tier string, approvers ...string) *runbooks.Prevention {
	h.t.Helper()
	p, err := h.request(ctx, tier, "", requester)
	if err != nil {
		h.t.Fatal(err)
	}
	h.approve(ctx, p.ID, approvers...)
	return h.until(ctx, p.ID, time.Hour, runbooks.PreventionMonitoring)
}

func (h *pvHarness) alert(env, sev string, at time.Time) {
	h.falcon.AddAlert(falcontest.Alert{ID: fmt.Sprintf("alert-%s-%s-%d", env, sev, at.UnixNano()), DeviceID: "dev-" + env + "-1", Severity: sev, Created: at})
}

func auditTypes(t *testing.T, e *runbooks.Engine, id string) []string {
	t.Helper()
	evs, err := e.PreventionEvents(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Type)
	}
	return out
}

// TestPreventionRolloutMissingExclusionsBlock: an approved rollout checks
// the required exclusions first; missing ones block it with their names
// and nothing moves; once they exist, a retry moves the host group once.
func TestPreventionRolloutMissingExclusionsBlock(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			h := newPreventionHarness(t, b)
			h.falcon.AddMLExclusion(falcontest.MLExclusion{ID: "ml-ssm", Value: "/usr/bin/amazon-ssm-agent", Global: true})
			p, err := h.request(ctx, "nonprod", "", requester)
			if err != nil {
				t.Fatal(err)
			}
			h.ticks(ctx, 2)
			if len(h.falcon.Actions()) != 0 || h.get(ctx, p.ID).Status != runbooks.PreventionAwaitingApproval {
				t.Fatalf("moved before approval: %v", h.falcon.Actions())
			}
			h.approve(ctx, p.ID, alice)
			p = h.until(ctx, p.ID, time.Hour, runbooks.PreventionBlocked)
			if !slices.Equal(p.Missing, []string{"AWS SSM agent (IOA)"}) {
				t.Errorf("missing %v, want the SSM agent's IOA exclusion", p.Missing)
			}
			h.ticks(ctx, 3)
			if len(h.falcon.Actions()) != 0 {
				t.Fatalf("a blocked rollout moved the host group: %v", h.falcon.Actions())
			}
			evs, _ := h.engines[0].PreventionEvents(ctx, p.ID)
			i := slices.IndexFunc(evs, func(e runbooks.Event) bool { return e.Type == runbooks.EvPreventionBlocked })
			if i < 0 || !strings.Contains(evs[i].Detail, "AWS SSM agent (IOA)") || evs[i].Data["source"] != runbooks.SourceFalcon {
				t.Fatalf("no audited block naming the exclusion and its source: %+v", evs)
			}

			h.addSSMExclusions()
			p = h.get(ctx, p.ID)
			if _, err := h.engines[0].Decide(ctx, runbooks.Decision{Cycle: p.ID, Action: runbooks.Retry, Actor: alice, SeenRevision: p.Revision}); err != nil {
				t.Fatal(err)
			}
			p = h.until(ctx, p.ID, time.Hour, runbooks.PreventionMonitoring)
			want := []string{"add-host-group " + pvPolicy + " " + pvGroups["nonprod"], "remove-host-group " + pvDetects + " " + pvGroups["nonprod"]}
			if !slices.Equal(h.falcon.Actions(), want) {
				t.Errorf("policy actions %v, want %v once each", h.falcon.Actions(), want)
			}
			if !p.WindowEnds.Equal(p.Assigned.Add(14 * 24 * time.Hour)) {
				t.Errorf("window ends %s, want 14 days after %s", p.WindowEnds, p.Assigned)
			}
			verifyAllStreams(t, h.store)
		})
	}
}

// TestPreventionRolloutDetectionsBlockNextTier: detections above the
// thresholds in nonprod's 14-day window fail its gate with the counts, and
// the next tier is refused with those counts; tiers go in pipeline order.
func TestPreventionRolloutDetectionsBlockNextTier(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			h := newPreventionHarness(t, b)
			h.addSSMExclusions()
			if _, err := h.request(ctx, "staging", "", requester); runbooks.ErrorCode(err) != runbooks.CodeBlocked || !strings.Contains(err.Error(), "nonprod") {
				t.Fatalf("staging before nonprod: %v, want blocked naming nonprod", err)
			}
			p := h.rollout(ctx, "nonprod", alice)
			h.alert("nonprod", "High", h.clock.Now().Add(time.Hour))
			for range 4 {
				h.alert("nonprod", "Low", h.clock.Now().Add(2*time.Hour))
			}
			h.alert("nonprod", "Medium", h.clock.Now().Add(3*time.Hour))
			h.alert("staging", "Critical", h.clock.Now().Add(time.Hour)) // another tier's hosts

			h.clock.Advance(25 * time.Hour)
			h.tickAll(ctx)
			p = h.get(ctx, p.ID)
			if p.Status != runbooks.PreventionMonitoring || p.Latest == nil || p.Latest.Counts.Total() != 6 {
				t.Fatalf("during the window: %s latest %+v, want monitoring showing 6 detections", p.Status, p.Latest)
			}
			if _, err := h.request(ctx, "staging", "", requester); runbooks.ErrorCode(err) != runbooks.CodeBlocked || !strings.Contains(err.Error(), "still monitoring") {
				t.Fatalf("staging during nonprod's window: %v", err)
			}
			p = h.until(ctx, p.ID, 24*time.Hour, runbooks.PreventionGateFailed)
			if p.Gate == nil || p.Gate.Passed || p.Gate.Counts["high"] != 1 || p.Gate.Counts["low"] != 4 || p.Ended.Sub(p.Assigned) < 14*24*time.Hour {
				t.Fatalf("gate %+v ended %s after the move, want failed at the window's end with the counts", p.Gate, p.Ended.Sub(p.Assigned))
			}
			_, err := h.request(ctx, "staging", "", requester)
			msg := runbooks.ErrorMessage(err)
			for _, s := range []string{"6 detection(s), more than the 5 allowed", "1 at high or above", "1 high, 1 medium, 4 low", p.ID} {
				if !strings.Contains(msg, s) {
					t.Errorf("staging refused with %q, want it to show %q", msg, s)
				}
			}
			if runbooks.ErrorCode(err) != runbooks.CodeBlocked {
				t.Errorf("code %s, want blocked", runbooks.ErrorCode(err))
			}

			// A new nonprod rollout with the exclusions tuned: no
			// detections since its own move, so its gate passes and
			// staging may start; production still waits for staging.
			h.tickAll(ctx) // archives the failed rollout
			again := h.rollout(ctx, "nonprod", alice)
			again = h.until(ctx, again.ID, 48*time.Hour, runbooks.PreventionPassed)
			if again.Gate.Counts.Total() != 0 || again.Gate.Source != runbooks.SourceFalcon {
				t.Errorf("second nonprod gate %+v", again.Gate)
			}
			if _, err := h.request(ctx, "production", "", requester); runbooks.ErrorCode(err) != runbooks.CodeBlocked || !strings.Contains(err.Error(), "staging") {
				t.Fatalf("production before staging: %v", err)
			}
			st, err := h.request(ctx, "staging", "", requester)
			if err != nil {
				t.Fatalf("staging after nonprod passed: %v", err)
			}
			if st.After != again.ID {
				t.Errorf("staging started after %q, want %s", st.After, again.ID)
			}
		})
	}
}

// TestPreventionRolloutRollbackToDetection: rolling a tier back is one
// approved action that moves its host group back to the detection policy;
// it is audited, ends the tier's open window, and production's four eyes
// hold for it too.
func TestPreventionRolloutRollbackToDetection(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			h := newPreventionHarness(t, b)
			h.addSSMExclusions()
			p := h.rollout(ctx, "nonprod", alice)
			h.until(ctx, p.ID, 48*time.Hour, runbooks.PreventionPassed)
			h.tickAll(ctx)
			st := h.rollout(ctx, "staging", alice)

			if _, err := h.request(ctx, "staging", runbooks.ModeDetection, outsider); runbooks.ErrorCode(err) != runbooks.CodeForbidden {
				t.Fatalf("an outsider's rollback: %v, want forbidden", err)
			}
			rb, err := h.request(ctx, "staging", runbooks.ModeDetection, alice)
			if err != nil {
				t.Fatal(err)
			}
			h.ticks(ctx, 2)
			if !slices.Contains(h.falcon.PolicyGroups(pvPolicy), pvGroups["staging"]) {
				t.Fatal("rolled back before approval")
			}
			h.approve(ctx, rb.ID, alice)
			rb = h.until(ctx, rb.ID, time.Hour, runbooks.PreventionCompleted)
			if slices.Contains(h.falcon.PolicyGroups(pvPolicy), pvGroups["staging"]) || !slices.Contains(h.falcon.PolicyGroups(pvDetects), pvGroups["staging"]) {
				t.Fatalf("after the rollback: prevention %v detection %v", h.falcon.PolicyGroups(pvPolicy), h.falcon.PolicyGroups(pvDetects))
			}
			types := auditTypes(t, h.engines[0], rb.ID)
			for _, want := range []string{runbooks.EvPreventionRequested, runbooks.EvApproved, runbooks.EvPreventionRolledBack} {
				if !slices.Contains(types, want) {
					t.Errorf("rollback audit %v lacks %s", types, want)
				}
			}
			evs, _ := h.engines[0].PreventionEvents(ctx, rb.ID)
			if i := slices.IndexFunc(evs, func(e runbooks.Event) bool { return e.Type == runbooks.EvApproved }); i < 0 || evs[i].Person == nil || evs[i].Actor != alice {
				t.Errorf("the approval is not audited with the person: %+v", evs)
			}
			st = h.until(ctx, st.ID, 24*time.Hour, runbooks.PreventionRolledBack)
			if st.Gate != nil {
				t.Errorf("a rolled-back window was judged: %+v", st.Gate)
			}
			if _, err := h.request(ctx, "production", "", requester); runbooks.ErrorCode(err) != runbooks.CodeBlocked || !strings.Contains(err.Error(), "rolled back") {
				t.Errorf("production after staging's rollback: %v", err)
			}
			verifyAllStreams(t, h.store)
		})
	}
}

// TestPreventionRolloutProductionFourEyes: production needs two approvers
// other than the requester, as its patch stage does.
func TestPreventionRolloutProductionFourEyes(t *testing.T) {
	ctx := context.Background()
	h := newPreventionHarness(t, backends()[0])
	h.addSSMExclusions()
	rb, err := h.request(ctx, "production", runbooks.ModeDetection, requester)
	if err != nil {
		t.Fatal(err)
	}
	if rb.MinApprovals != 2 || !rb.FourEyes || !rb.Production {
		t.Fatalf("production policy not copied: %+v", rb)
	}
	_, err = h.engines[0].Decide(ctx, runbooks.Decision{Cycle: rb.ID, Action: runbooks.Approve, Actor: requester})
	if runbooks.ErrorCode(err) != runbooks.CodeSelfApproval {
		t.Fatalf("requester approving: %v, want self-approval refused", err)
	}
	h.approve(ctx, rb.ID, alice)
	h.ticks(ctx, 2)
	if p := h.get(ctx, rb.ID); p.Status != runbooks.PreventionAwaitingApproval {
		t.Fatalf("one approval moved production: %s", p.Status)
	}
	h.approve(ctx, rb.ID, bob)
	h.until(ctx, rb.ID, time.Hour, runbooks.PreventionCompleted)
}
