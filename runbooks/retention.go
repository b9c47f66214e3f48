package runbooks

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// BackupCatalog lists the pre-patch backups patchgate took (found by their
// tags in every cloud) and deletes one; the retention job uses it.
// DeleteBackup of a backup already gone (an earlier delete whose answer
// was lost) returns nil: the next run finds it gone instead of failing.
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
	// Each call has the step budget: a peer that never answers fails the
	// run (listing) or that backup (deleting), and only what was listed is
	// ever deleted.
	lctx, cancel := context.WithTimeout(ctx, e.cfg.StepTimeout)
	backups, err := cat.ListPrePatchBackups(lctx)
	cancel()
	if err != nil {
		return res, fmt.Errorf("list pre-patch backups: %w", err)
	}
	keep, err := e.backupsNeeded(ctx)
	if err != nil {
		return res, err
	}
	now := e.now()
	sort.Slice(backups, func(i, j int) bool { return backups[i].TakenAt.Before(backups[j].TakenAt) })
	keep.lastOfHost(backups, func(b HostBackup) bool { return now.Sub(b.TakenAt) >= maxAge })
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
		dctx, cancel := context.WithTimeout(ctx, e.cfg.StepTimeout)
		err := cat.DeleteBackup(dctx, b)
		cancel()
		if err != nil {
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
	tenants map[string]string // tenant → one of its active cycles
	backups map[string]string // backup ID → the open rollback using it
	// last are backups kept as the only one left of a host whose tenant
	// has a cycle open (ID → reason).
	last map[string]string
}

func (n needed) reason(b HostBackup) (string, bool) {
	if rb, ok := n.backups[b.ID]; ok {
		return "an open rollback (" + rb + ") returns " + b.HostID + " to it", true
	}
	if n.cycles[b.Cycle] {
		return "cycle " + b.Cycle + " is still open; this may be " + b.HostID + "'s only way back", true
	}
	if why, ok := n.last[b.ID]; ok {
		return why, true
	}
	return "", false
}

// lastOfHost keeps, for each host whose tenant has a cycle open, its
// newest backup when every backup it has would otherwise go (old reports
// which are past the age): a host in an open cycle is never left without
// one. backups are sorted oldest first.
func (n needed) lastOfHost(backups []HostBackup, old func(HostBackup) bool) {
	survives := map[string]bool{}
	newest := map[string]HostBackup{}
	for _, b := range backups {
		host := string(b.Cloud) + "/" + b.HostID
		if _, kept := n.reason(b); kept || !old(b) {
			survives[host] = true
		}
		newest[host] = b
	}
	for host, b := range newest {
		cycle, open := n.tenants[cycleTenant(b.Cycle)]
		if survives[host] || !open {
			continue
		}
		n.last[b.ID] = "the only backup left of " + b.HostID + ", whose tenant has cycle " + cycle + " open"
	}
}

// cycleTenant is the tenant part of a cycle ID (tenant-YYYYMMDD-HHMM-hex,
// see start.go).
func cycleTenant(id string) string {
	for range 3 {
		i := strings.LastIndexByte(id, '-')
		if i < 0 {
			return ""
		}
		id = id[:i]
	}
	return id
}

func (e *Engine) backupsNeeded(ctx context.Context) (needed, error) {
	n := needed{cycles: map[string]bool{}, tenants: map[string]string{}, backups: map[string]string{}, last: map[string]string{}}
	cycles, err := listCycles(ctx, e.deps.Store, activePrefix)
	if err != nil {
		return n, err
	}
	for _, c := range cycles {
		if !c.Status.Terminal() {
			n.cycles[c.ID] = true
			n.tenants[c.Tenant] = c.ID
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
			"taken_at": b.TakenAt.UTC().Format(time.RFC3339), "tag": b.Tag, "source": b.Source, "account": b.Account}}
	if err := e.appendStanding(ctx, RetentionStream, ev, false); err != nil {
		e.log.Error("audit backup retention", "backup", b.ID, "err", err)
	}
}

// RetentionEvents reads the retention job's audit trail.
func (e *Engine) RetentionEvents(ctx context.Context) ([]Event, error) {
	return e.readEvents(ctx, RetentionStream)
}
