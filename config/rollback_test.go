package config

import (
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// TestRollbackSection: the retention age and schedule decode, default to
// 14 days and a daily 03:00 run, and a retention under a day or a bad cron
// is refused naming the field and its line.
func TestRollbackSection(t *testing.T) {
	c, err := Parse("r.yaml", []byte(minimal+"rollback: {backup_retention: 720h, retention_schedule: \"30 4 * * *\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Rollback.BackupRetention != 720*time.Hour || c.Rollback.RetentionSchedule != "30 4 * * *" {
		t.Errorf("rollback %+v", c.Rollback)
	}
	def, err := Parse("d.yaml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if def.Rollback.BackupRetention != runbooks.DefaultBackupRetention || def.Rollback.RetentionSchedule != "0 3 * * *" {
		t.Errorf("defaults %+v", def.Rollback)
	}
	_, err = Parse("bad.yaml", []byte(minimal+"rollback:\n  backup_retention: 2h\n  retention_schedule: \"every day\"\n"))
	if err == nil {
		t.Fatal("a 2h retention and a bad cron were accepted")
	}
	for _, w := range []string{"bad.yaml", "rollback.backup_retention: must be at least 24h", "rollback.retention_schedule"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
}
