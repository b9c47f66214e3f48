package config

// The rollback section: how long pre-patch backups are kept and when the
// retention job runs; checkRollback validates it.

import (
	"time"

	"gopkg.in/yaml.v3"

	"github.com/patchgate/patchgate/runbooks"
)

// Rollback configures the pre-patch backups' retention (rollbacks
// themselves need no keys: they take the environment's approval policy).
type Rollback struct {
	// BackupRetention is how old a pre-patch backup must be before the
	// retention job deletes it (never one an open cycle or rollback needs).
	BackupRetention time.Duration
	// RetentionSchedule is the retention job's cron; empty: on demand
	// only (`patchgate rollback prune`).
	RetentionSchedule string
}

func rollbackDefaults() Rollback {
	return Rollback{BackupRetention: runbooks.DefaultBackupRetention, RetentionSchedule: "0 3 * * *"}
}

func (d *decoder) rollbackSection(r *Rollback) func(*yaml.Node, string) {
	return d.section(
		field{"backup_retention", "Age after which pre-patch backups (AMIs, disk snapshots) are deleted by the retention job, unless an open cycle or an open rollback needs them.", d.duration(&r.BackupRetention, "h")},
		field{"retention_schedule", "Cron of the daily backup retention job (run by the replica holding the scheduler lease); empty: only `patchgate rollback prune`.", d.str(&r.RetentionSchedule)},
	)
}

// checkRollback validates the rollback section.
func (d *decoder) checkRollback(c *Config) {
	r := &c.Rollback
	if r.BackupRetention < 24*time.Hour {
		d.at("rollback.backup_retention", "must be at least 24h (a day), got %s", r.BackupRetention)
	}
	if expr := r.RetentionSchedule; expr != "" {
		if err := checkCron(expr, c.Schedules.Timezone); err != nil {
			d.at("rollback.retention_schedule", "%v", err)
		}
	}
}
