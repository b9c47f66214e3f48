package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/config"
)

// cronParityTable mixes what operators write, what the issue found passing
// `config validate` and crash-looping `serve`, and the Quartz extensions
// the scheduler supports.
var cronParityTable = []string{
	// found by the security probe
	"0 2 * * SUN#6", "61 25 * * *", "0 2 30 2 *", "0 2 * * SUN#0",
	// good
	"0 2 * * SUN#4", "0 2 * * 0#4", "0 6 * * *", "*/15 2-4 1,15 JAN-MAR mon-fri", "0 2 * * SUN#5",
	"0 2 L * *", "0 2 15W * *", "0 2 * * MON#L", "0 2 ? * SUN", "0 2 29 2 *", "0 2 * * 7",
	"0 2 * * TUE#2 +12d", "30 1 * * SUN#4 +1d", "0 2 * * TUE#2 +27d",
	// bad
	"@weekly", "0 2 * * SUN#4 2026", "H 2 * * *", "0 2 31 4 *", "CRON_TZ=UTC 0 2 * * *", "0#1 2 * * SUN",
	"0 2 * * TUE#2 +28d", "0 2 * * TUE#2 -1d", "0 2 * * TUE#2 +0d", "0 2 * * TUE#2 +12", "+12d 0 2 * * TUE#2",
	"60 * * * *", "0 24 * * *", "0 2 0 * *", "0 2 * 13 *", "0 2 * * 8", "0 2 * * SUN#x", "* * *",
}

// TestCronParityValidateAndScheduler: for every expression in every cron
// field, `patchgate config validate` exits 0 exactly when the scheduler
// `serve` builds takes it.
func TestCronParityValidateAndScheduler(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	base := cliConfig(t, dir, 0)
	cfg, err := config.Load(base)
	if err != nil {
		t.Fatal(err)
	}
	a, err := build(ctx, cfg, wiring{reports: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer a.store.Close()
	baseYAML, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, field := range []string{"patch_cycle", "saml_check", "drift_report", "status_digest", "posture_digest", "posture_scan"} {
		for _, tz := range []string{"UTC", "America/Chicago"} {
			for _, expr := range cronParityTable {
				path := filepath.Join(dir, "cron.yaml")
				y := string(baseYAML) + "schedules: {timezone: " + tz + ", " + field + ": '" + expr + "'}\n"
				if err := os.WriteFile(path, []byte(y), 0o600); err != nil {
					t.Fatal(err)
				}
				var out bytes.Buffer
				code := run(ctx, []string{"config", "validate", path}, &out, &out)
				validated := code == 0
				if code != 0 && code != 1 {
					t.Fatalf("%s %q: config validate exit %d: %s", field, expr, code, out.String())
				}
				if !validated && !strings.Contains(out.String(), "schedules."+field) {
					t.Errorf("%s %q: refusal does not name the field: %s", field, expr, out.String())
				}

				c := *cfg
				c.Schedules.Location = mustZone(t, tz)
				var extra []namedJob
				if field == "patch_cycle" {
					c.Schedules.PatchCycle = expr
				} else {
					extra = append(extra, namedJob{name: field, field: "schedules." + field, expr: expr, run: func(context.Context, time.Time) error { return nil }})
				}
				_, err := scheduler(&c, a.store, a.engine, nil, log, extra...)
				scheduled := err == nil

				if validated != scheduled {
					t.Errorf("%s %q in %s: config validate accepts=%v (%s), serve's scheduler accepts=%v (%v)",
						field, expr, tz, validated, strings.TrimSpace(out.String()), scheduled, err)
				}
			}
		}
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
