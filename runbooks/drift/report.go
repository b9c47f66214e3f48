package drift

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
)

// Chat posts a digest to the channel.
type Chat interface {
	PostDigest(ctx context.Context, d Digest) error
}

// Report is the drift report job and the decisions on its items.
type Report struct {
	Store      state.Store
	Checker    Checker
	Workspaces []Workspace
	Chat       Chat // nil: Run builds the digest without posting it
	Clock      runbooks.Clock
	// Approvers (Slack user IDs) and Groups (user groups, resolved through
	// Directory) may Ratify or Remediate.
	Approvers []string
	Groups    []string
	Directory runbooks.Directory
	Log       *slog.Logger
}

func (r *Report) now() time.Time {
	if r.Clock == nil {
		return time.Now()
	}
	return r.Clock.Now()
}

// Run checks every workspace, updates the items, and posts the digest. A
// digest is posted even when some items could not be stored (the errors
// are returned with it); only a store that cannot even be listed stops it.
func (r *Report) Run(ctx context.Context) (Digest, error) {
	d, err := r.Build(ctx)
	if len(d.Groups) == 0 && err != nil {
		return d, err
	}
	if r.Chat != nil {
		if perr := r.Chat.PostDigest(ctx, d); perr != nil {
			return d, errors.Join(err, fmt.Errorf("post the drift digest: %w", perr))
		}
	}
	return d, err
}

// Build checks every workspace and brings the stored items up to date: new
// drift becomes an item (audited as detected), drift seen again keeps its
// decision, and an item of a workspace that checked clean of it is
// resolved (audited). A failed workspace's items are left as they were.
func (r *Report) Build(ctx context.Context) (Digest, error) {
	now := r.now()
	results := r.Checker.Check(ctx, r.Workspaces)
	stored, err := Items(ctx, r.Store)
	if err != nil {
		return Digest{}, err
	}
	var (
		errs     []error
		resolved []Item
	)
	d := assemble(results, now, func(res Result) WorkspaceReport {
		w := res.Workspace
		wr := workspaceReport(res)
		if res.Status == StatusFailed {
			for _, it := range stored {
				if it.Workspace == w.Name && it.Status == ItemOpen {
					wr.Items = append(wr.Items, it)
				}
			}
			return wr
		}
		seen := map[string]bool{}
		for _, k := range []struct {
			kind string
			cs   []Change
		}{{KindDrift, res.Drift}, {KindPlanned, res.Changes}} {
			kind := k.kind
			for _, c := range k.cs {
				it, err := r.observe(ctx, w, kind, c, now)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				seen[it.ID] = true
				wr.Items = append(wr.Items, *it)
			}
		}
		for _, it := range stored {
			if it.Workspace != w.Name || it.Status != ItemOpen || seen[it.ID] {
				continue
			}
			done, err := r.resolve(ctx, it.ID, now)
			if err != nil {
				errs = append(errs, err)
			} else if done != nil {
				resolved = append(resolved, *done)
			}
		}
		return wr
	})
	d.Resolved = resolved
	return d, errors.Join(errs...)
}

// observe records one drifted resource as an item (new, or seen again).
func (r *Report) observe(ctx context.Context, w Workspace, kind string, c Change, now time.Time) (*Item, error) {
	id := ItemID(w.Name, kind, c.Address)
	var fresh bool
	it, err := modifyItem(ctx, r.Store, id, func(cur *Item) (*Item, error) {
		fresh = cur == nil || cur.Status != ItemOpen
		next := Item{ID: id, Workspace: w.Name, Tenant: w.Tenant, Account: w.Account, Kind: kind,
			Address: c.Address, Type: c.Type, Action: c.Action, Paths: c.Paths,
			Status: ItemOpen, FirstSeen: now, LastSeen: now}
		if !fresh {
			next.FirstSeen, next.Decision = cur.FirstSeen, cur.Decision
		}
		return &next, nil
	})
	if err != nil {
		return nil, err
	}
	if fresh {
		if err := appendAudit(ctx, r.Store, "drift.detected", it, now, nil); err != nil {
			return it, err
		}
	}
	return it, nil
}

func (r *Report) resolve(ctx context.Context, id string, now time.Time) (*Item, error) {
	it, err := modifyItem(ctx, r.Store, id, func(cur *Item) (*Item, error) {
		if cur == nil || cur.Status != ItemOpen {
			return nil, nil
		}
		next := *cur
		next.Status, next.ResolvedAt = ItemResolved, now
		return &next, nil
	})
	if err != nil || it == nil {
		return nil, err
	}
	return it, appendAudit(ctx, r.Store, "drift.resolved", it, now, func(ev *auditEvent) {
		if it.Decision != nil {
			ev.Decision = it.Decision.Kind
		}
	})
}

// Decide records a Ratify or Remediate decision on an open item by actor,
// who must be a drift approver (a listed user or in a listed group). The
// decision is stored on the item and appended to AuditStream; the next
// digest shows it until the drift is gone. Deciding the same again is a
// no-op; a different decision replaces the first, and both are audited.
func (r *Report) Decide(ctx context.Context, id, decision, actor string) (*Item, bool, error) {
	if decision != Ratify && decision != Remediate {
		return nil, false, runbooks.Errorf(runbooks.CodeInvalid, "Unknown drift decision %q.", decision)
	}
	if err := r.authorize(ctx, actor); err != nil {
		return nil, false, err
	}
	now := r.now()
	var previous string
	var dup bool
	it, err := modifyItem(ctx, r.Store, id, func(cur *Item) (*Item, error) {
		switch {
		case cur == nil:
			return nil, runbooks.Errorf(runbooks.CodeNotFound, "There is no drift item %s.", id)
		case cur.Status != ItemOpen:
			return nil, runbooks.Errorf(runbooks.CodeConflict, "The drift on %s is already resolved; nothing to decide.", cur.Address)
		case cur.Decision != nil && cur.Decision.Kind == decision:
			dup = true
			return nil, nil
		}
		next := *cur
		if cur.Decision != nil {
			previous = cur.Decision.Kind
		}
		next.Decision = &Decision{Kind: decision, By: actor, At: now}
		return &next, nil
	})
	if err != nil {
		return nil, false, err
	}
	if dup {
		cur, _, _, err := loadItem(ctx, r.Store, id)
		return cur, true, err
	}
	err = appendAudit(ctx, r.Store, "drift.decision", it, now, func(ev *auditEvent) {
		ev.Decision, ev.Previous, ev.Actor = decision, previous, actor
	})
	if err != nil {
		return it, false, runbooks.Errorf(runbooks.CodeUnavailable, "The decision was saved but its audit entry was not; tell the platform team.")
	}
	return it, false, nil
}

// authorize checks actor against the approvers, then the groups.
func (r *Report) authorize(ctx context.Context, actor string) error {
	if actor != "" && slices.Contains(r.Approvers, actor) {
		return nil
	}
	for _, g := range r.Groups {
		if r.Directory == nil {
			break
		}
		members, err := r.Directory.GroupMembers(ctx, g)
		if err != nil {
			if r.Log != nil {
				r.Log.Warn("drift: resolve approver group", "group", g, "err", err)
			}
			return runbooks.Errorf(runbooks.CodeUnavailable, "Could not check the approver group %s; nothing was decided. Try again shortly.", g)
		}
		if slices.Contains(members, actor) {
			return nil
		}
	}
	return runbooks.Errorf(runbooks.CodeForbidden, "You are not a drift approver; only the configured approvers may ratify or remediate drift.")
}
