package runbooks

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// BackupCatalog lists the pre-patch backups patchgate took (found by their
// tags in every cloud) and deletes one; the retention job uses it.
type BackupCatalog interface {
	ListPrePatchBackups(ctx context.Context) ([]HostBackup, error)
	DeleteBackup(ctx context.Context, b HostBackup) error
}

// DefaultBackupRetention is how long pre-patch backups are kept.
const DefaultBackupRetention = 14 * 24 * time.Hour

// Retention audit events, chained on RetentionStream.
const (
	EvBackupDeleted = "backup.deleted"
	EvBackupKept    = "backup.kept"
)

// RetentionStream holds the retention job's audit events.
const RetentionStream = "audit/retention"

// RetentionResult is what one retention run did.
type RetentionResult struct {
	Deleted []HostBackup
	// Kept are backups past the age that were kept, with why.
	Kept   map[string]string // backup ID → reason
	Failed map[string]string // backup ID → error
}

// PruneBackups deletes pre-patch backups older than maxAge, except any a
// cycle still open may need (every backup of an active cycle: it may be the
// only way back for its hosts) and any an open rollback returns a host to.
// Every deletion and every backup kept past the age is audited on
// RetentionStream. With dryRun nothing is deleted or audited.
func (e *Engine) PruneBackups(ctx context.Context, cat BackupCatalog, maxAge time.Duration, dryRun bool) (RetentionResult, error) {
	res := RetentionResult{Kept: map[string]string{}, Failed: map[string]string{}}
	if maxAge <= 0 {
		maxAge = DefaultBackupRetention
	}
	backups, err := cat.ListPrePatchBackups(ctx)
	if err != nil {
		return res, fmt.Errorf("list pre-patch backups: %w", err)
	}
	keep, err := e.backupsNeeded(ctx)
	if err != nil {
		return res, err
	}
	now := e.now()
	sort.Slice(backups, func(i, j int) bool { return backups[i].TakenAt.Before(backups[j].TakenAt) })
	for _, b := range backups {
		if now.Sub(b.TakenAt) < maxAge {
			continue
		}
		if why, ok := keep.reason(b); ok {
			res.Kept[b.ID] = why
			if !dryRun {
				e.auditRetention(ctx, EvBackupKept, b, why)
			}
			continue
		}
		if dryRun {
			res.Deleted = append(res.Deleted, b)
			continue
		}
		if err := cat.DeleteBackup(ctx, b); err != nil {
			res.Failed[b.ID] = err.Error()
			e.log.Warn("delete pre-patch backup", "backup", b.ID, "host", b.HostID, "err", err)
			continue
		}
		res.Deleted = append(res.Deleted, b)
		e.auditRetention(ctx, EvBackupDeleted, b, fmt.Sprintf("older than %s and needed by no open cycle or rollback", ForPeople(maxAge)))
	}
	return res, nil
}

// needed are the cycles and backups retention must not touch.
type needed struct {
	cycles  map[string]bool   // active cycle IDs
	backups map[string]string // backup ID → the open rollback using it
}

func (n needed) reason(b HostBackup) (string, bool) {
	if rb, ok := n.backups[b.ID]; ok {
		return "an open rollback (" + rb + ") returns " + b.HostID + " to it", true
	}
	if n.cycles[b.Cycle] {
		return "cycle " + b.Cycle + " is still open; this may be " + b.HostID + "'s only way back", true
	}
	return "", false
}

func (e *Engine) backupsNeeded(ctx context.Context) (needed, error) {
	n := needed{cycles: map[string]bool{}, backups: map[string]string{}}
	cycles, err := listCycles(ctx, e.deps.Store, activePrefix)
	if err != nil {
		return n, err
	}
	for _, c := range cycles {
		if !c.Status.Terminal() {
			n.cycles[c.ID] = true
		}
	}
	rbs, err := e.Rollbacks(ctx, false)
	if err != nil {
		return n, err
	}
	for _, rb := range rbs {
		for _, h := range rb.Hosts {
			if !rb.Status.Terminal() {
				n.backups[h.Backup.ID] = rb.ID
			}
		}
	}
	return n, nil
}

func (e *Engine) auditRetention(ctx context.Context, typ string, b HostBackup, detail string) {
	ev := Event{At: e.now(), Cycle: b.Cycle, Type: typ, Actor: ActorSystem, Detail: detail,
		Data: map[string]string{"backup": b.ID, "kind": b.Kind, "host": b.HostID, "cloud": string(b.Cloud),
			"taken_at": b.TakenAt.UTC().Format(time.RFC3339), "tag": b.Tag, "source": b.Source}}
	if err := e.appendStanding(ctx, RetentionStream, ev, false); err != nil {
		e.log.Error("audit backup retention", "backup", b.ID, "err", err)
	}
}

// RetentionEvents reads the retention job's audit trail.
func (e *Engine) RetentionEvents(ctx context.Context) ([]Event, error) {
	return e.readEvents(ctx, RetentionStream)
}
