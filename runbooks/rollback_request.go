package runbooks

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/patchgate/patchgate/state"
)

// CodeNoBackup refuses a rollback of a host the cycle took no pre-patch
// backup of: there is nothing to return it to.
const CodeNoBackup = "no_backup"

// RollbackRequest asks to return hosts of one environment of a cycle to
// the pre-patch backups that cycle took. No hosts means every host with a
// backup in that environment.
type RollbackRequest struct {
	Cycle     string
	Env       string
	Hosts     []string // IDs or names
	Requester string
	Reason    string
}

// RequestRollback opens a rollback awaiting the environment's approvers.
// Slack (/patch rollback, the "Roll back N hosts" button) and the CLI
// (patchgate rollback request) both call it. It lists exactly which backup
// each host returns to; refusals are coded and audited on the tenant's
// start-refusal stream.
func (e *Engine) RequestRollback(ctx context.Context, req RollbackRequest) (*Rollback, error) {
	if req.Requester == "" || req.Cycle == "" || req.Env == "" {
		return nil, Errorf(CodeInvalid, "a rollback needs a cycle, an environment and a requester")
	}
	if e.deps.Restorer == nil {
		return nil, Errorf(CodeUnavailable, "rollback is not configured: no restorer for the clouds")
	}
	c, err := e.Get(ctx, req.Cycle)
	if err != nil {
		return nil, err
	}
	who := e.person(ctx, req.Requester)
	rb, err := e.planRollback(ctx, c, req, who)
	if err != nil {
		if code := ErrorCode(err); code != CodeInternal && code != CodeUnavailable {
			e.auditRollbackRefusal(ctx, c.Tenant, req, who, err)
		}
		return nil, err
	}
	if err := e.lockRollbackHosts(ctx, rb); err != nil {
		e.auditRollbackRefusal(ctx, c.Tenant, req, who, err)
		return nil, err
	}
	// The index comes first: a crash after it leaves an entry the report
	// skips, never a rollback the report misses.
	if _, err := e.deps.Store.Create(ctx, rollbackIndexPrefix(c.ID)+rb.ID, []byte(rb.ID)); err != nil {
		return nil, storeErr("index rollback "+rb.ID, err)
	}
	if err := e.rollbacks().create(ctx, rb); err != nil {
		return nil, storeErr("create rollback "+rb.ID, err)
	}
	if _, err := e.deliverRollback(ctx, rb); err != nil {
		e.log.Warn("deliver rollback events", "rollback", rb.ID, "err", err)
	}
	e.log.Info("rollback requested", "rollback", rb.ID, "cycle", c.ID, "env", req.Env,
		"hosts", len(rb.Hosts), "requester", req.Requester)
	return rb, nil
}

// planRollback checks the request against policy and the cycle's backups
// and lays out the record.
func (e *Engine) planRollback(ctx context.Context, c *Cycle, req RollbackRequest, who Person) (*Rollback, error) {
	spec, ok := e.pipeline.Spec(req.Env)
	s, _ := c.Stage(req.Env)
	if !ok || s == nil || s.Kind != KindEnvironment {
		return nil, Errorf(CodeNotFound, "cycle %s has no environment %q", c.ID, req.Env)
	}
	if ok, err := e.mayRequestRollback(ctx, req.Requester); err != nil {
		return nil, fmt.Errorf("check who may roll back: %w", errors.Join(Errorf(CodeUnavailable, "Could not check the approver list; nothing was changed. Try again."), err))
	} else if !ok {
		return nil, Errorf(CodeForbidden, "You may not request rollbacks: you are neither an approver nor a configured requester.")
	}
	if !s.Backup.Sent() {
		return nil, Errorf(CodeNoBackup, "Cycle %s took no pre-patch backup in %s, so there is nothing to roll back to.", c.ID, req.Env)
	}
	handle, err := e.opHandle(ctx, &s.Backup)
	if err != nil {
		return nil, err
	}
	backups, err := e.deps.Restorer.PrePatchBackups(ctx, handle)
	if err != nil {
		return nil, fmt.Errorf("list the pre-patch backups of %s %s: %w", c.ID, req.Env, err)
	}
	hosts, err := e.Inventory(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	picked, err := pickBackups(c, req, backups, hosts)
	if err != nil {
		return nil, err
	}
	now := e.now()
	rb := &Rollback{
		ID:     fmt.Sprintf("%s%s-%s-%s", rollbackIDPrefix, c.Tenant, now.Format("20060102-1504"), randHex(3)),
		Tenant: c.Tenant, Cycle: c.ID, Env: req.Env, Requester: req.Requester, RequestedBy: &who,
		Reason: req.Reason, Created: now, Status: RollbackAwaitingApproval,
		MinApprovals: max(spec.MinApprovals, 1), FourEyes: spec.FourEyes, Production: spec.Production,
		Hosts: picked,
	}
	lines := make([]string, len(picked))
	for i, h := range picked {
		lines[i] = fmt.Sprintf("%s → %s %s taken %s by %s", hostLabel(h.Host), h.Backup.Kind, h.Backup.ID,
			h.Backup.TakenAt.UTC().Format("2006-01-02 15:04Z"), h.Backup.Cycle)
	}
	rb.emitBy(now, "", EvRollbackRequested, who, fmt.Sprintf("rollback of %d host(s) in %s requested: %s", len(picked), req.Env, orDefault(req.Reason, "no reason given")),
		map[string]string{"cycle": c.ID, "env": req.Env, "backups": strings.Join(lines, "\n"),
			"min_approvals": fmt.Sprint(rb.MinApprovals), "four_eyes": fmt.Sprint(rb.FourEyes)})
	return rb, nil
}

// pickBackups pairs each requested host with its pre-patch backup from
// this cycle's environment; a host without one refuses the whole request.
func pickBackups(c *Cycle, req RollbackRequest, backups []HostBackup, inv []Host) ([]RollbackHost, error) {
	s, _ := c.Stage(req.Env)
	byHost := map[string]HostBackup{}
	for _, b := range backups {
		if b.Cycle == "" {
			b.Cycle = c.ID
		}
		if b.TakenAt.IsZero() {
			b.TakenAt = s.Backup.Started
		}
		byHost[b.HostID] = b
		if b.HostName != "" {
			byHost[b.HostName] = b
		}
	}
	hostOf := func(b HostBackup) Host {
		for _, h := range inv {
			if h.ID == b.HostID {
				return h
			}
		}
		return Host{ID: b.HostID, Name: b.HostName, Cloud: b.Cloud, Env: req.Env, Source: b.Source}
	}
	var out []RollbackHost
	if len(req.Hosts) == 0 {
		for _, b := range backups {
			b = byHost[b.HostID]
			out = append(out, RollbackHost{Host: hostOf(b), Backup: b})
		}
		if len(out) == 0 {
			return nil, Errorf(CodeNoBackup, "Cycle %s holds no pre-patch backup of any host in %s.", c.ID, req.Env)
		}
		return out, nil
	}
	var missing []string
	seen := map[string]bool{}
	for _, name := range req.Hosts {
		b, ok := byHost[name]
		switch {
		case !ok:
			missing = append(missing, name)
		case !seen[b.HostID]:
			seen[b.HostID] = true
			out = append(out, RollbackHost{Host: hostOf(b), Backup: b})
		}
	}
	if len(missing) > 0 {
		return nil, Errorf(CodeNoBackup, "Cycle %s took no pre-patch backup of %s in %s; nothing was requested.",
			c.ID, strings.Join(missing, ", "), req.Env)
	}
	return out, nil
}

// mayRequestRollback: any approver of a tier, or a configured requester.
// Without a requester list, only approvers may (a rollback changes hosts
// at once, unlike a cycle, which starts with a dry inventory).
func (e *Engine) mayRequestRollback(ctx context.Context, user string) (bool, error) {
	if ok, err := e.isAnyApprover(ctx, user); ok || err != nil {
		return ok, err
	}
	if len(e.cfg.Requesters)+len(e.cfg.RequesterGroups) == 0 {
		return false, nil
	}
	return e.mayStart(ctx, user)
}

// lockRollbackHosts claims every host for this rollback, so two open
// rollbacks never restore one host; a lock left by a finished rollback
// (archived meanwhile) is taken over.
func (e *Engine) lockRollbackHosts(ctx context.Context, rb *Rollback) error {
	st := e.deps.Store
	for _, h := range rb.Hosts {
		key := rollbackHostLockKey(h.Host.ID)
		_, err := st.Create(ctx, key, []byte(rb.ID))
		if err == nil {
			continue
		}
		if !errors.Is(err, state.ErrConflict) {
			return storeErr("lock host "+h.Host.ID, err)
		}
		r, err := st.Get(ctx, key)
		if err != nil {
			return storeErr("read host lock "+h.Host.ID, err)
		}
		holder := string(r.Value)
		if _, err := e.rollbacks().getActive(ctx, holder); err == nil {
			return Errorf(CodeConflict, "%s is already being rolled back by %s.", hostLabel(h.Host), holder)
		} else if ErrorCode(err) != CodeNotFound {
			return err
		}
		if _, err := st.Update(ctx, key, []byte(rb.ID), r.Version); err != nil {
			return Errorf(CodeConflict, "%s is being rolled back by someone else; try again.", hostLabel(h.Host))
		}
	}
	return nil
}

// auditRollbackRefusal chains a refused rollback request on the tenant's
// start-refusal stream (no rollback exists to carry it) and checkpoints it.
func (e *Engine) auditRollbackRefusal(ctx context.Context, tenant string, req RollbackRequest, who Person, reason error) {
	ev := Event{At: e.now(), Tenant: tenant, Type: EvRollbackRefused, Actor: who.ID, Person: &who,
		Detail: ErrorMessage(reason), Data: map[string]string{"action": "rollback", "code": ErrorCode(reason),
			"cycle": req.Cycle, "env": req.Env, "hosts": strings.Join(req.Hosts, ",")}}
	if err := e.appendStanding(ctx, StartRefusalStream(tenant), ev, true); err != nil {
		e.log.Error("audit rollback refusal", "tenant", tenant, "requester", who.ID, "err", err)
	}
	e.log.Warn("rollback refused", "tenant", tenant, "requester", who.ID, "code", ErrorCode(reason))
}

func hostLabel(h Host) string {
	if h.Name != "" && h.Name != h.ID {
		return h.Name + " (" + h.ID + ")"
	}
	return h.ID
}
