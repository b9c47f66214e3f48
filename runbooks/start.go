package runbooks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/patchgate/patchgate/state"
)

// Start opens a new cycle for tenant on behalf of requester. A tenant has at
// most one active cycle; a second start is refused naming the first.
func (e *Engine) Start(ctx context.Context, tenant, requester string) (*Cycle, error) {
	return e.start(ctx, tenant, requester, nil)
}

// start opens a cycle, an emergency change when em is set.
func (e *Engine) start(ctx context.Context, tenant, requester string, em *Emergency) (*Cycle, error) {
	t, ok := e.tenants[tenant]
	if !ok {
		return nil, Errorf(CodeNotFound, "unknown tenant %q; known tenants: %s", tenant, strings.Join(e.order, ", "))
	}
	if requester == "" {
		return nil, Errorf(CodeInvalid, "a cycle needs a requester")
	}
	who := e.person(ctx, requester)
	if ok, err := e.mayStart(ctx, requester); err != nil {
		return nil, Errorf(CodeUnavailable, "cannot check who may start cycles: %v", err)
	} else if !ok {
		refusal := Errorf(CodeForbidden, "you may not start patch cycles; ask someone in the configured requesters")
		e.auditStartRefusal(ctx, t.Name, who, refusal)
		return nil, refusal
	}
	if err := e.frozenStart(ctx, t.Name); err != nil {
		if ErrorCode(err) == CodeConflict {
			e.auditStartRefusal(ctx, t.Name, who, err)
		}
		return nil, err
	}
	now := e.now()
	c := e.plan(t, requester)
	c.ID = fmt.Sprintf("%s-%s-%s", t.Name, now.Format("20060102-1504"), randHex(3))
	c.Created = now
	c.RequestedBy = &who
	c.emitBy(now, "", EvCycleStarted, who, "patch cycle requested", map[string]string{"stages": stageNames(c)})
	if em != nil {
		c.markEmergency(em)
		data := map[string]string{"reason": em.Reason}
		if len(em.Hosts) > 0 {
			data["hosts"] = strings.Join(em.Hosts, ",")
		}
		c.emitBy(now, "", EvEmergency, who, "EMERGENCY change: "+em.Reason, data)
	}

	// Starts of one tenant are serialised by a short lease held under the
	// new cycle's ID, so a tenant lock naming a cycle not created yet is
	// seen only once the start that wrote it has released or lost this
	// lease; until then it is a start in progress, not a crashed one, and
	// two concurrent starts cannot both create an active cycle.
	lease, err := e.deps.Store.AcquireLease(ctx, tenantStartKey(t.Name), c.ID, e.cfg.LeaseTTL)
	if errors.Is(err, state.ErrLeaseHeld) {
		return nil, Errorf(CodeConflict, "tenant %s is being started by someone else; try again", t.Name)
	}
	if err != nil {
		return nil, storeErr("lock tenant "+t.Name, err)
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := e.deps.Store.ReleaseLease(rctx, lease); err != nil && !errors.Is(err, state.ErrLeaseLost) {
			e.log.Warn("release tenant start lease", "tenant", t.Name, "err", err)
		}
	}()
	if err := e.lockTenant(ctx, t.Name, c.ID); err != nil {
		return nil, err
	}
	b, err := e.encodeCycle(ctx, c)
	if err != nil {
		return nil, err
	}
	r, err := e.deps.Store.Create(ctx, activeKey(c.ID), b)
	if err != nil {
		return nil, storeErr("create cycle "+c.ID, err)
	}
	c.Version = r.Version
	// Delivery is best effort here; the engine loop finishes it.
	if _, err := e.deliver(ctx, c); err != nil {
		e.log.Warn("deliver start events", "cycle", c.ID, "err", err)
	}
	e.log.Info("cycle started", "cycle", c.ID, "tenant", t.Name, "requester", requester)
	return c, nil
}

// auditStartRefusal chains a refused start on the tenant's start-refusal
// stream: no cycle exists to carry it, and an auditor reviewing who may
// change production needs the attempts as well as the cycles. The stream
// never ends as a cycle does, so each refusal is checkpointed at once
// (refusals are rare): a truncated or deleted refusal stream then no
// longer matches its anchored head.
func (e *Engine) auditStartRefusal(ctx context.Context, tenant string, who Person, reason error) {
	ev := Event{At: e.now(), Tenant: tenant, Type: EvStartRefused, Actor: who.ID, Person: &who,
		Detail: ErrorMessage(reason), Data: map[string]string{"action": "start", "code": ErrorCode(reason)}}
	if err := e.appendStanding(ctx, StartRefusalStream(tenant), ev, true); err != nil {
		e.log.Error("audit start refusal", "tenant", tenant, "requester", who.ID, "err", err)
	}
	e.log.Warn("start refused", "tenant", tenant, "requester", who.ID, "code", ErrorCode(reason))
}

// StartRefusals reads a tenant's refused starts, oldest first.
func (e *Engine) StartRefusals(ctx context.Context, tenant string) ([]Event, error) {
	return e.readEvents(ctx, StartRefusalStream(tenant))
}

// plan lays out the stages of a new cycle: preflight, the tenant's
// environments in pipeline order, report.
func (e *Engine) plan(t Tenant, requester string) *Cycle {
	c := &Cycle{Tenant: t.Name, Requester: requester, Status: StatusRunning}
	c.Stages = append(c.Stages, Stage{Name: "preflight", Kind: KindPreflight, Phase: PhasePending})
	for _, spec := range e.pipeline {
		if _, ok := t.Env(spec.Env); !ok {
			continue
		}
		c.Stages = append(c.Stages, Stage{
			Name: spec.Env, Kind: KindEnvironment, Env: spec.Env, Phase: PhasePending,
			MinApprovals: spec.MinApprovals, FourEyes: spec.FourEyes, Soak: spec.Soak,
			HealthGate: spec.HealthGate, SensorGate: spec.SensorGate, SensorExclude: spec.SensorExclude,
			Production: spec.Production, Staging: spec.Staging, RequireChangeApproval: spec.RequireChangeApproval,
			Window: stageWindow(t, spec), MinRemaining: spec.MinRemaining, ApprovalTTL: spec.ApprovalTTL,
		})
	}
	if cr := e.deps.ChangeRecords; cr != nil {
		c.Change = &ChangeRef{Platform: cr.Platform(), Kind: ChangeNormal}
	}
	c.Stages = append(c.Stages, Stage{Name: "report", Kind: KindReport, Phase: PhasePending})
	return c
}

// lockTenant records id as the tenant's one active cycle. A lock left by a
// start that crashed before creating its cycle is taken over.
func (e *Engine) lockTenant(ctx context.Context, tenant, id string) error {
	key := tenantLockKey(tenant)
	for range 5 {
		_, err := e.deps.Store.Create(ctx, key, []byte(id))
		if err == nil {
			return nil
		}
		if !errors.Is(err, state.ErrConflict) {
			return storeErr("lock tenant "+tenant, err)
		}
		r, err := e.deps.Store.Get(ctx, key)
		if errors.Is(err, state.ErrNotFound) {
			continue
		}
		if err != nil {
			return storeErr("read tenant lock "+tenant, err)
		}
		holder := string(r.Value)
		if held, err := e.getActive(ctx, holder); err == nil && !held.Status.Terminal() {
			return Errorf(CodeConflict, "tenant %s already has an active cycle: %s", tenant, holder)
		} else if err != nil && ErrorCode(err) != CodeNotFound {
			return err
		}
		if _, err := e.deps.Store.Update(ctx, key, []byte(id), r.Version); err == nil {
			return nil
		} else if !errors.Is(err, state.ErrConflict) {
			return storeErr("take over tenant lock "+tenant, err)
		}
	}
	return Errorf(CodeConflict, "tenant %s is being started by someone else; try again", tenant)
}

// tenantStartKey is the lease that serialises starts of a tenant.
func tenantStartKey(t string) string { return "tenant/" + t + "/start" }

func stageNames(c *Cycle) string {
	names := make([]string, len(c.Stages))
	for i, s := range c.Stages {
		names[i] = s.Name
	}
	return strings.Join(names, ",")
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}
