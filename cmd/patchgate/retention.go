package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"time"

	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/runbooks"
)

// backupCatalog is what lists and deletes pre-patch backups for the
// retention job: each cloud's own (routed per cloud, timed by the metrics
// decorator), the simulation's for the clouds it stands in for.
func backupCatalog(a *app) (runbooks.BackupCatalog, error) {
	if a.catalog == nil {
		return nil, runbooks.Errorf(runbooks.CodeUnavailable, "backup retention is not available for the configured clouds: no backup catalog")
	}
	return a.catalog, nil
}

// retentionJobs is the daily retention run under the scheduler lease.
func retentionJobs(cfg *config.Config, a *app, log *slog.Logger) []namedJob {
	if a.catalog == nil {
		return nil
	}
	return []namedJob{{"backup-retention", "rollback.retention_schedule", cfg.Rollback.RetentionSchedule, func(ctx context.Context, _ time.Time) error {
		res, err := a.engine.PruneBackups(ctx, a.catalog, cfg.Rollback.BackupRetention, false)
		if err != nil {
			return err
		}
		log.Info("backup retention", "deleted", len(res.Deleted), "kept", len(res.Kept), "failed", len(res.Failed))
		return nil
	}}}
}

// printRetention lists what a retention run deleted (or would) and kept.
func printRetention(w io.Writer, res runbooks.RetentionResult, dryRun bool) {
	verb := "deleted"
	if dryRun {
		verb = "would delete"
	}
	for _, b := range res.Deleted {
		fmt.Fprintf(w, "%s %s %s of %s (%s), taken %s by %s\n", verb, b.Kind, b.ID, b.HostID, b.Cloud, b.TakenAt.UTC().Format(time.RFC3339), b.Cycle)
	}
	for _, id := range sortedIDs(res.Kept) {
		fmt.Fprintf(w, "kept %s: %s\n", id, res.Kept[id])
	}
	for _, id := range sortedIDs(res.Failed) {
		fmt.Fprintf(w, "FAILED to delete %s: %s\n", id, res.Failed[id])
	}
	fmt.Fprintf(w, "%d %s, %d kept past the age, %d failed\n", len(res.Deleted), verb, len(res.Kept), len(res.Failed))
}

func sortedIDs(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
