package main

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/providers/gcp"
	"github.com/patchgate/patchgate/providers/gcp/gcptest"
	"github.com/patchgate/patchgate/runbooks"
	"google.golang.org/api/option"
)

// TestBackupRetentionCLIDeletesRealCloudBackups: with providers.gcp
// configured, `patchgate rollback prune` lists the project's pre-patch
// snapshots through the router and the metrics decorator (no longer
// refused on a real cloud), deletes the one past the age whose cycle is
// closed, audits the deletion with the snapshot's name and the reason,
// and a second run finds nothing left to delete.
func TestBackupRetentionCLIDeletesRealCloudBackups(t *testing.T) {
	srv := gcptest.New(t)
	taken := time.Now().Add(-20 * 24 * time.Hour)
	srv.Now = func() time.Time { return taken }
	const project, zone, vm = "cascade-prod", "us-central1-a", "prod-app-01"
	srv.AddInstance(gcptest.Instance{Project: project, Zone: zone, Name: vm,
		OS: &gcptest.OSInfo{ShortName: "debian", Version: "12", KernelRelease: "6.1.0-25-amd64"}})
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "patchgate.yaml")
	writeCloudCrashConfig(t, cfgPath, crashStoreYAML(t, "bolt", dir, "retention"), filepath.Join(dir, "sim.json"), crashCloud{
		providers: "  gcp:\n    credentials_file: " + srv.ServiceAccountFile(t) + "\n    compute_endpoint: " + srv.URL + "/compute/v1\n    osconfig_endpoint: " + srv.URL + "\n",
		target:    "{cloud: gcp, account: " + project + ", regions: [us-central1]}",
	})
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	snapshot := takeGCPBackup(t, srv, cfg, "cascade-cu-20261101-0200-abc")

	cli := cliFor(t, cfgPath)
	if out := cli("rollback", "prune", "--dry-run"); !strings.Contains(out, "would delete disk-snapshot "+snapshot) {
		t.Fatalf("prune --dry-run said:\n%s", out)
	}
	if _, ok := srv.Snapshots(project)[snapshot]; !ok {
		t.Fatal("the dry run deleted the snapshot")
	}
	if out := cli("rollback", "prune"); !strings.Contains(out, "deleted disk-snapshot "+snapshot) || !strings.Contains(out, "1 deleted") {
		t.Fatalf("prune said:\n%s", out)
	}
	if left := srv.Snapshots(project); len(left) != 0 {
		t.Fatalf("snapshots left in the project: %v", left)
	}
	if out := cli("rollback", "prune"); !strings.Contains(out, "0 deleted") {
		t.Fatalf("second prune said:\n%s", out)
	}
	a, err := build(context.Background(), cfg, wiring{reports: filepath.Join(dir, "reports"), readOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	evs, err := a.engine.RetentionEvents(context.Background())
	a.store.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Type != runbooks.EvBackupDeleted || evs[0].Data["backup"] != snapshot || evs[0].Data["cloud"] != "gcp" ||
		!strings.Contains(evs[0].Detail, "older than") {
		t.Fatalf("retention audit %+v; want one deletion naming %s and why", evs, snapshot)
	}
	if out := cli("audit", "verify"); !strings.Contains(out, "audit OK") {
		t.Fatalf("audit verify said: %s", out)
	}
}

// takeGCPBackup snapshots the tenant's production VMs as cycle's pre-patch
// backup, through the GCP provider against srv; it returns the snapshot.
func takeGCPBackup(t *testing.T, srv *gcptest.Server, cfg *config.Config, cycle string) string {
	t.Helper()
	ctx := context.Background()
	p, err := gcp.New(ctx, gcp.Config{ComputeEndpoint: srv.ComputeEndpoint(), OSConfigEndpoint: srv.OSConfigEndpoint(),
		Options: []option.ClientOption{option.WithoutAuthentication()}, InventoryMaxAge: 365 * 24 * time.Hour,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	tenant := cfg.Tenants()[0]
	env, _ := tenant.Env("production")
	hosts, err := p.Hosts(ctx, tenant, env)
	if err != nil || len(hosts) != 1 {
		t.Fatalf("hosts %+v, %v", hosts, err)
	}
	h, err := p.StartBackup(ctx, runbooks.OpRequest{Tag: cycle + "/production/backup/0", Cycle: cycle, Tenant: tenant.Name,
		Stage: "production", Env: "production", Hosts: hosts})
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		st, err := p.BackupStatus(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		if st.Done && st.Succeeded == 1 {
			for name := range srv.Snapshots(hosts[0].Account) {
				return name
			}
		}
	}
	t.Fatal("the pre-patch snapshot never became ready")
	return ""
}
