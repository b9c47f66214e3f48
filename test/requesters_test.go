package test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state/boltstore"
)

// TestOnlyRequestersStartCycles: with a requesters policy, a person outside
// it is refused (and nothing is opened), a listed user and a member of a
// listed group may start, and the scheduler always may.
func TestOnlyRequestersStartCycles(t *testing.T) {
	ctx := context.Background()
	tenants := sim.GenerateTenants(4, gateSeed)
	fleet, err := sim.New(sim.Config{Seed: gateSeed, Tenants: tenants, HostsPerTarget: 1,
		Groups: map[string][]string{"S-CAB": {bob}}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := boltstore.Open(t.TempDir() + "/state.db")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	deps := runbooks.Deps{Store: st, Inventory: fleet, Sensors: fleet, Backups: fleet, Patcher: fleet,
		Health: fleet, Pager: fleet, Directory: fleet, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	e, err := runbooks.New(runbooks.Config{Requesters: []string{requester}, RequesterGroups: []string{"S-CAB"}},
		deps, tenants, testPipeline())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Start(ctx, tenants[0].Name, outsider); runbooks.ErrorCode(err) != runbooks.CodeForbidden {
		t.Fatalf("outsider start: err = %v, want forbidden", err)
	}
	if active, err := e.Active(ctx); err != nil || len(active) != 0 {
		t.Fatalf("after a refused start: %d active cycles (err %v), want none", len(active), err)
	}
	for i, who := range []string{requester, bob, runbooks.ActorSystem} {
		if _, err := e.Start(ctx, tenants[i].Name, who); err != nil {
			t.Fatalf("start by %s: %v", who, err)
		}
	}
}
