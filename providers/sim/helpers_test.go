package sim

import (
	"context"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/runbooks"
)

// newClock is the clock the sim's tests start from.
func newClock() *testkit.Clock {
	return testkit.NewClock(time.Date(2025, 10, 26, 2, 0, 0, 0, time.UTC))
}

// demoFleet builds a fleet of the demo tenants with the given faults.
func demoFleet(t *testing.T, mod func(*Config)) *Fleet {
	t.Helper()
	cfg := Config{Seed: 7, Tenants: DemoTenants(), Clock: newClock()}
	if mod != nil {
		mod(&cfg)
	}
	f, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return f
}

// request is an operation over every host of tenant/env.
func request(t *testing.T, f *Fleet, tenant, env, tag string) runbooks.OpRequest {
	t.Helper()
	hosts, err := f.Peek(tenant + "/" + env)
	if err != nil {
		t.Fatal(err)
	}
	return runbooks.OpRequest{Tag: tag, Cycle: "c1", Tenant: tenant, Stage: env, Env: env, Hosts: hosts}
}

// hostsOf lists tenant/env through the Inventory port.
func hostsOf(t *testing.T, f *Fleet, tenant, env string) []runbooks.Host {
	t.Helper()
	ten := tenantNamed(t, f, tenant)
	e, ok := ten.Env(env)
	if !ok {
		t.Fatalf("tenant %s has no env %s", tenant, env)
	}
	hs, err := f.Hosts(context.Background(), ten, e)
	if err != nil {
		t.Fatalf("Hosts(%s/%s): %v", tenant, env, err)
	}
	return hs
}

func tenantNamed(t *testing.T, f *Fleet, name string) runbooks.Tenant {
	t.Helper()
	for _, ten := range f.cfg.Tenants {
		if ten.Name == name {
			return ten
		}
	}
	t.Fatalf("no tenant %s", name)
	return runbooks.Tenant{}
}

func mustHost(t *testing.T, f *Fleet, idOrName string) runbooks.Host {
	t.Helper()
	h, ok := f.Host(idOrName)
	if !ok {
		t.Fatalf("no host %s", idOrName)
	}
	return h
}

// runPatch starts a patch and polls it to completion.
func runPatch(t *testing.T, f *Fleet, req runbooks.OpRequest) runbooks.OpStatus {
	t.Helper()
	ctx := context.Background()
	h, err := f.StartPatch(ctx, req)
	if err != nil {
		t.Fatalf("StartPatch: %v", err)
	}
	st, err := f.PatchStatus(ctx, h)
	if err != nil {
		t.Fatalf("PatchStatus: %v", err)
	}
	if !st.Done {
		t.Fatalf("patch %s not done with OpDuration 0: %+v", h, st)
	}
	return st
}
