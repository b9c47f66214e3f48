package runbooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/patchgate/patchgate/state"
)

// Freeze is a change freeze (blackout) on one tenant or on all: while it
// holds no cycle starts, no environment stage opens or leaves its window
// wait, and no backup or patch starts; an operation already running
// finishes. Freezes come from the configuration (month-end, holidays) or
// from an approver's command (a declared incident).
type Freeze struct {
	Tenant string    `json:"tenant"` // a tenant, or FreezeAll
	From   time.Time `json:"from,omitzero"`
	Until  time.Time `json:"until"`
	Reason string    `json:"reason"`
	// Source is FreezeConfig or FreezeCommand; By and At say who set a
	// command freeze and when.
	Source string    `json:"source"`
	By     string    `json:"by,omitempty"`
	Person *Person   `json:"person,omitempty"`
	At     time.Time `json:"at,omitzero"`
}

// Freeze scopes and sources.
const (
	FreezeAll     = "all"
	FreezeConfig  = "config"
	FreezeCommand = "command"
)

// Freeze events: set, lifted and refused on the freeze stream; holding and
// ended on the cycles a freeze holds.
const (
	EvFreezeSet     = "freeze.set"
	EvFreezeLifted  = "freeze.lifted"
	EvFreezeRefused = "freeze.refused"
	EvFreezeHolding = "freeze.holding"
	EvFreezeEnded   = "freeze.ended"
)

// FreezeStream is the hash-chained stream of freezes set, lifted and
// refused; no cycle carries them.
const FreezeStream = "audit/freezes"

const freezePrefix = "freezes/"

// maxFreezeReason bounds a reason (it is shown on every held cycle).
const maxFreezeReason = 500

// Applies reports whether f holds tenant at now.
func (f Freeze) Applies(tenant string, now time.Time) bool {
	return (f.Tenant == FreezeAll || f.Tenant == tenant) && !now.Before(f.From) && now.Before(f.Until)
}

// key identifies a freeze on the records it holds, so a changed freeze is
// recorded again.
func (f Freeze) key() string {
	return f.Source + "/" + f.Tenant + "/" + f.Until.UTC().Format(time.RFC3339) + "/" + f.Reason
}

// Describe is the freeze for people: scope, end, reason, who.
func (f Freeze) Describe() string {
	scope := "all tenants"
	if f.Tenant != FreezeAll {
		scope = f.Tenant
	}
	s := fmt.Sprintf("%s frozen until %s: %s", scope, f.Until.UTC().Format("2006-01-02 15:04 UTC"), f.Reason)
	if f.Source == FreezeCommand && f.By != "" {
		s += " (set by " + f.By + ")"
	} else if f.Source == FreezeConfig {
		s += " (configured)"
	}
	return s
}

// holding returns the freeze that holds tenant at now, the one that ends
// last when several do.
func holding(fz []Freeze, tenant string, now time.Time) (Freeze, bool) {
	var out Freeze
	found := false
	for _, f := range fz {
		if f.Applies(tenant, now) && (!found || f.Until.After(out.Until)) {
			out, found = f, true
		}
	}
	return out, found
}

// frozenKinds are the actions a freeze holds back: what opens a stage or
// starts changing hosts.
func frozenKind(c *Cycle, a Action) bool {
	switch a.Kind {
	case ActWindowOpen, ActStartBackup, ActStartPatch:
		return true
	case ActOpen:
		return c.Stages[a.Stage].Kind == KindEnvironment
	}
	return false
}

// NextUnderFreeze is Next with the freezes in force: an action a freeze
// holds back becomes a wait until the freeze ends, recorded on the cycle
// once per freeze (ActFreezeHold), and a cycle whose freeze ended records
// that (ActFreezeEnd) before it goes on. It is pure, like Next.
func NextUnderFreeze(c *Cycle, now time.Time, fz []Freeze) Action {
	a := Next(c, now)
	if c.Status.Terminal() || len(fz) == 0 && c.Frozen == nil {
		return a
	}
	f, frozen := holding(fz, c.Tenant, now)
	if !frozen {
		if c.Frozen != nil && (frozenKind(c, a) || a.Kind == ActWait || a.Kind == ActFlush) {
			return Action{Kind: ActFreezeEnd, Stage: a.Stage}
		}
		return a
	}
	if !frozenKind(c, a) {
		return a
	}
	reason := "frozen: " + f.Describe()
	if c.Frozen == nil || c.Frozen.key() != f.key() {
		return Action{Kind: ActFreezeHold, Stage: a.Stage, Until: f.Until, Reason: reason, Freeze: &f}
	}
	return Action{Kind: ActWait, Stage: a.Stage, Until: f.Until, Reason: reason}
}

// freezeStep executes ActFreezeHold and ActFreezeEnd.
func (c *Cycle) freezeStep(a Action, now time.Time) {
	stage := ""
	if a.Stage >= 0 {
		stage = c.Stages[a.Stage].Name
	}
	switch a.Kind {
	case ActFreezeHold:
		f := *a.Freeze
		c.Frozen = &f
		c.emit(now, stage, EvFreezeHolding, ActorSystem, a.Reason,
			map[string]string{"until": f.Until.UTC().Format(time.RFC3339), "scope": f.Tenant, "source": f.Source, "reason": f.Reason})
	case ActFreezeEnd:
		was := c.Frozen
		c.Frozen = nil
		detail := "freeze ended"
		if was != nil {
			detail = "freeze ended (" + was.Reason + ")"
		}
		c.emit(now, stage, EvFreezeEnded, ActorSystem, detail, nil)
	}
}

// Freezes lists the freezes in force or still to come: configured ones
// that have not ended and those set by command.
func (e *Engine) Freezes(ctx context.Context) ([]Freeze, error) {
	now := e.now()
	var out []Freeze
	for _, f := range e.cfg.Freezes {
		if now.Before(f.Until) {
			out = append(out, f)
		}
	}
	recs, err := e.deps.Store.List(ctx, freezePrefix)
	if err != nil {
		return nil, storeErr("list freezes", err)
	}
	for _, r := range recs {
		var f Freeze
		if err := json.Unmarshal(r.Value, &f); err != nil {
			return nil, fmt.Errorf("decode freeze %s: %w", r.Key, err)
		}
		if now.Before(f.Until) {
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].From.Before(out[j].From) || out[i].From.Equal(out[j].From) && out[i].Tenant < out[j].Tenant
	})
	return out, nil
}

// FreezeRequest is an approver's /patch freeze or unfreeze.
type FreezeRequest struct {
	Tenant string // a tenant or FreezeAll
	Until  time.Time
	Reason string
	Actor  string
}

// Freeze sets (or replaces) the command freeze of a tenant or of all
// tenants. Only approvers may; a refusal is audited like the freeze.
func (e *Engine) Freeze(ctx context.Context, r FreezeRequest) (Freeze, error) {
	who := e.person(ctx, r.Actor)
	now := e.now()
	f := Freeze{Tenant: r.Tenant, From: now, Until: r.Until.UTC(), Reason: strings.TrimSpace(r.Reason), Source: FreezeCommand,
		By: r.Actor, Person: &who, At: now}
	if err := e.checkFreeze(ctx, r, now); err != nil {
		if ErrorCode(err) == CodeForbidden {
			e.auditFreeze(ctx, EvFreezeRefused, who, f, ErrorMessage(err))
		}
		return Freeze{}, err
	}
	b, _ := json.Marshal(f)
	key := freezePrefix + r.Tenant
	for range 8 {
		old, err := e.deps.Store.Get(ctx, key)
		switch {
		case errors.Is(err, state.ErrNotFound):
			_, err = e.deps.Store.Create(ctx, key, b)
		case err == nil:
			_, err = e.deps.Store.Update(ctx, key, b, old.Version)
		}
		if errors.Is(err, state.ErrConflict) {
			continue
		}
		if err != nil {
			return Freeze{}, storeErr("set freeze on "+r.Tenant, err)
		}
		e.auditFreeze(ctx, EvFreezeSet, who, f, f.Describe())
		e.log.Info("freeze set", "scope", r.Tenant, "until", f.Until, "actor", r.Actor)
		return f, nil
	}
	return Freeze{}, Errorf(CodeUnavailable, "the freeze of %s is changing too fast; try again", r.Tenant)
}

// Unfreeze lifts the command freeze of a tenant or of all tenants.
// Configured freezes are lifted by changing the configuration.
func (e *Engine) Unfreeze(ctx context.Context, r FreezeRequest) (Freeze, error) {
	who := e.person(ctx, r.Actor)
	if err := e.checkScope(r.Tenant); err != nil {
		return Freeze{}, err
	}
	if ok, err := e.isAnyApprover(ctx, r.Actor); err != nil {
		return Freeze{}, Errorf(CodeUnavailable, "cannot check who may lift freezes: %v", err)
	} else if !ok {
		err := Errorf(CodeForbidden, "only approvers may lift freezes")
		e.auditFreeze(ctx, EvFreezeRefused, who, Freeze{Tenant: r.Tenant, Source: FreezeCommand}, "unfreeze: "+ErrorMessage(err))
		return Freeze{}, err
	}
	key := freezePrefix + r.Tenant
	rec, err := e.deps.Store.Get(ctx, key)
	if errors.Is(err, state.ErrNotFound) {
		return Freeze{}, Errorf(CodeNotFound, "%s has no freeze set by command%s", r.Tenant, e.configuredNote(r.Tenant))
	}
	if err != nil {
		return Freeze{}, storeErr("read freeze of "+r.Tenant, err)
	}
	var f Freeze
	if err := json.Unmarshal(rec.Value, &f); err != nil {
		return Freeze{}, fmt.Errorf("decode freeze %s: %w", key, err)
	}
	if err := e.deps.Store.Delete(ctx, key, rec.Version); err != nil && !errors.Is(err, state.ErrNotFound) {
		return Freeze{}, storeErr("lift freeze of "+r.Tenant, err)
	}
	detail := "lifted: " + f.Describe()
	if r.Reason != "" {
		detail += "; " + r.Reason
	}
	e.auditFreeze(ctx, EvFreezeLifted, who, f, detail)
	e.log.Info("freeze lifted", "scope", r.Tenant, "actor", r.Actor)
	return f, nil
}

// configuredNote points at configured freezes that still hold scope.
func (e *Engine) configuredNote(scope string) string {
	now := e.now()
	for _, f := range e.cfg.Freezes {
		if f.Tenant == scope && now.Before(f.Until) {
			return "; a configured freeze (" + f.Reason + ") is lifted by changing the configuration"
		}
	}
	return ""
}

func (e *Engine) checkScope(scope string) error {
	if scope == FreezeAll {
		return nil
	}
	if _, ok := e.tenants[scope]; !ok {
		return Errorf(CodeNotFound, "unknown tenant %q; known tenants: %s (or all)", scope, strings.Join(e.order, ", "))
	}
	return nil
}

func (e *Engine) checkFreeze(ctx context.Context, r FreezeRequest, now time.Time) error {
	if err := e.checkScope(r.Tenant); err != nil {
		return err
	}
	switch reason := strings.TrimSpace(r.Reason); {
	case reason == "":
		return Errorf(CodeInvalid, "a freeze needs a reason (it is shown on every cycle it holds)")
	case len(reason) > maxFreezeReason:
		return Errorf(CodeInvalid, "the reason is %d characters; keep it under %d", len(reason), maxFreezeReason)
	}
	if !r.Until.After(now) {
		return Errorf(CodeInvalid, "the freeze would end at %s, which is not in the future", r.Until.UTC().Format(time.RFC3339))
	}
	ok, err := e.isAnyApprover(ctx, r.Actor)
	if err != nil {
		return Errorf(CodeUnavailable, "cannot check who may set freezes: %v", err)
	}
	if !ok {
		return Errorf(CodeForbidden, "only approvers may freeze changes")
	}
	return nil
}

// auditFreeze chains a freeze event on FreezeStream and checkpoints it at
// once (freezes are rare, and a dropped one must not go unnoticed).
func (e *Engine) auditFreeze(ctx context.Context, typ string, who Person, f Freeze, detail string) {
	data := map[string]string{"scope": f.Tenant, "source": f.Source, "reason": f.Reason}
	if !f.Until.IsZero() {
		data["until"] = f.Until.UTC().Format(time.RFC3339)
	}
	ev := Event{At: e.now(), Tenant: f.Tenant, Type: typ, Actor: who.ID, Person: &who, Detail: detail, Data: data}
	if err := e.appendStanding(ctx, FreezeStream, ev, true); err != nil {
		e.log.Error("audit freeze", "type", typ, "scope", f.Tenant, "err", err)
	}
}

// FreezeEvents reads the freeze stream, oldest first.
func (e *Engine) FreezeEvents(ctx context.Context) ([]Event, error) {
	return e.readEvents(ctx, FreezeStream)
}

// frozenStart refuses a new cycle while a freeze holds the tenant.
func (e *Engine) frozenStart(ctx context.Context, tenant string) error {
	fz, err := e.Freezes(ctx)
	if err != nil {
		return err
	}
	if f, ok := holding(fz, tenant, e.now()); ok {
		return Errorf(CodeConflict, "no new cycle: %s", f.Describe())
	}
	return nil
}
