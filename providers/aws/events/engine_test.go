package events_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/patchgate/patchgate/providers/aws/events"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state/boltstore"
)

// Three replicas (three engines on one store, as on Redis), each polling
// the queue, take events sent twice each: every event reaches the
// remediation runbook, and each tenant environment gets one remediation in
// the debounce window, not one per event, delivery or replica.
func TestConfigEventThreeReplicasStartOneRemediationPerTenantWindow(t *testing.T) {
	r := newRig(t, "30")
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	fleet, err := sim.New(sim.Config{Tenants: tenants()})
	if err != nil {
		t.Fatal(err)
	}
	var engines []*runbooks.Engine
	var polls []func(context.Context) error
	for i := range 3 {
		e, err := runbooks.New(runbooks.Config{Replica: fmt.Sprintf("r%d", i)},
			runbooks.Deps{Store: st, Inventory: fleet, Backups: fleet, Patcher: fleet, Sensors: fleet, Health: fleet,
				Chat: &notices{}, Log: slog.New(slog.DiscardHandler)}, tenants(), runbooks.DefaultPipeline())
		if err != nil {
			t.Fatal(err)
		}
		engines = append(engines, e)
		in := events.NewIntake(e, events.NewTriage(tenants(), r.provider, nil), rules, nil)
		p, err := events.NewPoller(r.sqs, in, events.PollerConfig{QueueURL: r.queue, Wait: time.Second, Workers: 4, StepTimeout: 20 * time.Second}, nil)
		if err != nil {
			t.Fatal(err)
		}
		polls = append(polls, func(ctx context.Context) error { _, err := p.PollOnce(ctx); return err })
	}
	for i := range 10 {
		env := []string{"nonprod", "production"}[i%2]
		body := fixture(t, fmt.Sprintf("evt-%02d", i), motoAccount, r.instances[env], "NON_COMPLIANT")
		r.send(t, body)
		r.send(t, body)
	}
	drain(t, "every message recorded and deleted", func() bool { return r.depth(t, r.queue) == 0 }, polls...)

	rms, err := engines[0].Remediations(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	byEnv := map[string]int{}
	for _, rm := range rms {
		byEnv[rm.Tenant+"/"+rm.Env]++
	}
	if len(rms) != 2 || byEnv["acme-cu/nonprod"] != 1 || byEnv["acme-cu/production"] != 1 {
		t.Fatalf("remediations by environment = %v (%d in all), want one each for acme-cu/nonprod and acme-cu/production", byEnv, len(rms))
	}
	if d := r.depth(t, r.dlq); d != 0 {
		t.Errorf("%d messages dead-lettered, want none", d)
	}
}
