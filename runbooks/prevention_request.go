package runbooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/patchgate/patchgate/state"
)

// PreventionRequest asks to move a tenant's tier to prevention, or back to
// detection (Mode ModeDetection).
type PreventionRequest struct {
	Tenant    string
	Tier      string
	Mode      string // ModePrevention (default) or ModeDetection
	Requester string
	Reason    string
}

// RequestPrevention opens a rollout awaiting the tier's approvers. Slack
// (/patch prevention …) and the CLI (patchgate prevention start|rollback)
// both call it. A tier moves to prevention only after the previous tier
// with prevention settings passed its monitoring gate; refusals are coded
// and audited on the tenant's start-refusal stream.
func (e *Engine) RequestPrevention(ctx context.Context, req PreventionRequest) (*Prevention, error) {
	if req.Mode == "" {
		req.Mode = ModePrevention
	}
	if req.Requester == "" || req.Tenant == "" || req.Tier == "" {
		return nil, Errorf(CodeInvalid, "a prevention rollout needs a tenant, a tier and a requester")
	}
	if req.Mode != ModePrevention && req.Mode != ModeDetection {
		return nil, Errorf(CodeInvalid, "mode %q: want %s or %s", req.Mode, ModePrevention, ModeDetection)
	}
	if e.deps.Prevention == nil {
		return nil, Errorf(CodeUnavailable, "prevention rollouts are not configured: no EDR console (providers.falcon) or no edr.prevention section")
	}
	who := e.person(ctx, req.Requester)
	p, err := e.planPrevention(ctx, req, who)
	if err == nil {
		err = e.lockTier(ctx, p)
	}
	if err != nil {
		if code := ErrorCode(err); code != CodeInternal && code != CodeUnavailable {
			e.auditPreventionRefusal(ctx, req, who, err)
		}
		return nil, err
	}
	if err := e.preventions().create(ctx, p); err != nil {
		return nil, storeErr("create prevention rollout "+p.ID, err)
	}
	if d, err := e.deliverPrevention(ctx, p); err != nil {
		e.log.Warn("deliver prevention events", "prevention", p.ID, "err", err)
	} else {
		p.trim(d)
	}
	e.log.Info("prevention rollout requested", "prevention", p.ID, "tenant", p.Tenant, "tier", p.Tier, "mode", p.Mode, "requester", req.Requester)
	return p, nil
}

func (e *Engine) planPrevention(ctx context.Context, req PreventionRequest, who Person) (*Prevention, error) {
	if _, ok := e.tenants[req.Tenant]; !ok {
		return nil, Errorf(CodeNotFound, "no tenant %q", req.Tenant)
	}
	spec, ok := e.pipeline.Spec(req.Tier)
	if !ok {
		return nil, Errorf(CodeNotFound, "no tier %q in the pipeline", req.Tier)
	}
	plan, ok := e.cfg.Prevention.tier(req.Tenant, req.Tier)
	if !ok {
		return nil, Errorf(CodeNotFound, "tier %s has no prevention settings (edr.prevention.tiers)", req.Tier)
	}
	if ok, err := e.mayRequestRollback(ctx, req.Requester); err != nil {
		return nil, fmt.Errorf("check who may request: %w", errors.Join(Errorf(CodeUnavailable, "Could not check the approver list; nothing was changed. Try again."), err))
	} else if !ok {
		return nil, Errorf(CodeForbidden, "You may not request prevention rollouts: you are neither an approver nor a configured requester.")
	}
	after := ""
	if req.Mode == ModePrevention {
		prev, err := e.previousTierPassed(ctx, req.Tenant, req.Tier)
		if err != nil {
			return nil, err
		}
		after = prev
	}
	now := e.now()
	p := &Prevention{
		ID:     fmt.Sprintf("%s%s-%s-%s-%s", preventionIDPrefix, req.Tenant, req.Tier, now.Format("20060102-1504"), randHex(3)),
		Tenant: req.Tenant, Tier: req.Tier, Mode: req.Mode, Requester: req.Requester, RequestedBy: &who,
		Reason: req.Reason, Created: now, Status: PreventionAwaitingApproval,
		MinApprovals: max(spec.MinApprovals, 1), FourEyes: spec.FourEyes, Production: spec.Production,
		Plan: plan, After: after,
	}
	detail := fmt.Sprintf("%s of %s/%s requested: host group %s to the %s policy; %s", p.Mode, p.Tenant, p.Tier,
		plan.HostGroup, p.Mode, orDefault(req.Reason, "no reason given"))
	p.noteBy(now, EvPreventionRequested, who, detail, map[string]string{"mode": p.Mode, "host_group": plan.HostGroup,
		"prevention_policy": plan.PreventionPolicy, "detection_policy": plan.DetectionPolicy, "window": plan.Window.String(),
		"min_approvals": fmt.Sprint(p.MinApprovals), "four_eyes": fmt.Sprint(p.FourEyes), "after": after})
	return p, nil
}

// previousTierPassed returns the rollout that let tier start: the latest
// rollout of the previous tier with prevention settings, which must be a
// prevention rollout whose gate passed. The first such tier needs none.
func (e *Engine) previousTierPassed(ctx context.Context, tenant, tier string) (string, error) {
	prev := ""
	for _, s := range e.pipeline {
		if s.Env == tier {
			break
		}
		if _, ok := e.cfg.Prevention.tier(tenant, s.Env); ok {
			prev = s.Env
		}
	}
	if prev == "" {
		return "", nil
	}
	last, err := e.latestPrevention(ctx, tenant, prev)
	if err != nil {
		return "", err
	}
	switch {
	case last == nil:
		return "", Errorf(CodeBlocked, "%s must run in prevention and pass its monitoring window before %s: no rollout of %s yet.", prev, tier, prev)
	case last.Mode == ModeDetection:
		return "", Errorf(CodeBlocked, "%s was rolled back to detection by %s; roll it out again and pass its window before %s.", prev, last.ID, tier)
	case last.Status == PreventionPassed:
		return last.ID, nil
	case last.Status == PreventionGateFailed && last.Gate != nil:
		return "", Errorf(CodeBlocked, "%s's monitoring window failed its detection gate (%s: %s), so %s may not start.", prev, last.ID, last.Gate.Reason, tier)
	case !last.Status.Terminal():
		return "", Errorf(CodeBlocked, "%s's rollout %s is still %s; %s waits for its gate to pass.", prev, last.ID, last.Status, tier)
	}
	return "", Errorf(CodeBlocked, "%s's last rollout %s ended %s, not passed; %s may not start.", prev, last.ID, last.Status, tier)
}

// latestPrevention is the newest rollout (either mode) of a tenant's tier.
func (e *Engine) latestPrevention(ctx context.Context, tenant, tier string) (*Prevention, error) {
	var last *Prevention
	for _, finished := range []bool{false, true} {
		ps, err := e.Preventions(ctx, finished)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			if p.Tenant != tenant || p.Tier != tier || p.Status == PreventionRejected {
				continue
			}
			// On a tie a rollback to detection counts as the later: it
			// is the safer reading.
			if last == nil || p.Created.After(last.Created) || (p.Created.Equal(last.Created) && p.Mode == ModeDetection) {
				last = p
			}
		}
	}
	return last, nil
}

// lockTier claims the tenant's tier for this rollout's mode, so two open
// rollouts never move one host group the same way; a lock left by a
// finished rollout is taken over.
func (e *Engine) lockTier(ctx context.Context, p *Prevention) error {
	st, key := e.deps.Store, preventionTierLockKey(p.Tenant, p.Tier, p.Mode)
	_, err := st.Create(ctx, key, []byte(p.ID))
	if err == nil {
		return nil
	}
	if !errors.Is(err, state.ErrConflict) {
		return storeErr("lock tier "+p.Tier, err)
	}
	r, err := st.Get(ctx, key)
	if err != nil {
		return storeErr("read tier lock "+p.Tier, err)
	}
	holder := string(r.Value)
	if _, err := e.preventions().getActive(ctx, holder); err == nil {
		return Errorf(CodeConflict, "%s/%s already has an open %s rollout: %s.", p.Tenant, p.Tier, p.Mode, holder)
	} else if ErrorCode(err) != CodeNotFound {
		return err
	}
	if _, err := st.Update(ctx, key, []byte(p.ID), r.Version); err != nil {
		return Errorf(CodeConflict, "%s/%s is being rolled out by someone else; try again.", p.Tenant, p.Tier)
	}
	return nil
}

func (e *Engine) unlockTier(ctx context.Context, p *Prevention) error {
	st, key := e.deps.Store, preventionTierLockKey(p.Tenant, p.Tier, p.Mode)
	if r, err := st.Get(ctx, key); err == nil && string(r.Value) == p.ID {
		if err := st.Delete(ctx, key, r.Version); err != nil && !errors.Is(err, state.ErrConflict) {
			return fmt.Errorf("free tier %s/%s: %w", p.Tenant, p.Tier, err)
		}
	}
	return nil
}

// auditPreventionRefusal chains a refused request on the tenant's
// start-refusal stream and checkpoints it.
func (e *Engine) auditPreventionRefusal(ctx context.Context, req PreventionRequest, who Person, reason error) {
	ev := Event{At: e.now(), Tenant: req.Tenant, Stage: req.Tier, Type: EvPreventionRefused, Actor: who.ID, Person: &who,
		Detail: ErrorMessage(reason), Data: map[string]string{"action": "prevention " + req.Mode, "code": ErrorCode(reason), "tier": req.Tier}}
	b, _ := json.Marshal(ev)
	stream := StartRefusalStream(req.Tenant)
	en, err := e.deps.Store.Append(ctx, stream, b)
	if err != nil {
		e.log.Error("audit prevention refusal", "tenant", req.Tenant, "requester", who.ID, "err", err)
	} else if e.deps.Notary != nil {
		if _, err := e.deps.Notary.Checkpoint(ctx, stream, en.Seq, en.Hash, true); err != nil {
			e.log.Error("checkpoint prevention refusal", "tenant", req.Tenant, "err", err)
		}
	}
	e.log.Warn("prevention refused", "tenant", req.Tenant, "tier", req.Tier, "requester", who.ID, "code", ErrorCode(reason))
}

// RequestedText says what a new rollout will do and who must approve it.
func (p *Prevention) RequestedText() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Requested %s %s of %s/%s: host group %s moves to the %s policy", p.Mode, p.ID, p.Tenant, p.Tier, p.Plan.HostGroup, p.Mode)
	if p.Mode == ModePrevention {
		fmt.Fprintf(&b, " after its required exclusions are checked, then a %s monitoring window gates the next tier", fmtWindow(p.Plan.Window))
	}
	fmt.Fprintf(&b, ". It needs %d approval(s) from %s approvers", p.MinApprovals, p.Tier)
	if p.FourEyes {
		b.WriteString(" other than the requester (four eyes)")
	}
	b.WriteString(". Nothing changes before that.")
	return b.String()
}

// fmtWindow shows a window in days when it is whole days.
func fmtWindow(d time.Duration) string {
	if d >= 24*time.Hour && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d-day", d/(24*time.Hour))
	}
	return d.String()
}
