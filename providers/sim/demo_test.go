package sim

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/runbooks"
)

func TestDemoFleet(t *testing.T) {
	f, err := New(DemoConfig())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, ten := range DemoTenants() {
		for _, env := range ten.Environments {
			hosts := hostsOf(t, f, ten.Name, env.Name)
			var unregistered, lost int
			for _, h := range hosts {
				switch {
				case !h.Managed && h.AgentStatus == "":
					unregistered++
				case !h.Managed && h.AgentStatus == "ConnectionLost":
					lost++
				}
			}
			sensor, err := f.PrePatch(ctx, hosts)
			if err != nil {
				t.Fatal(err)
			}
			wantUnreg, wantLost, wantSensor := 0, 0, 0
			switch ten.Name + "/" + env.Name {
			case "acme-cu/nonprod":
				wantUnreg, wantLost = 2, 1
			case "bayview-cu/nonprod":
				wantSensor = 1
			}
			if unregistered != wantUnreg || lost != wantLost || len(sensor) != wantSensor {
				t.Errorf("%s/%s: %d unregistered, %d lost, sensor findings %v; want %d, %d, %d",
					ten.Name, env.Name, unregistered, lost, sensor, wantUnreg, wantLost, wantSensor)
			}
		}
	}
	if f.Size() != 3*40 {
		t.Errorf("demo fleet has %d hosts, want 120", f.Size())
	}
}

func TestGenerateTenants(t *testing.T) {
	a, b, c := GenerateTenants(200, 1), GenerateTenants(200, 1), GenerateTenants(200, 2)
	if !reflect.DeepEqual(a, b) {
		t.Error("same seed, different tenants")
	}
	if reflect.DeepEqual(a, c) {
		t.Error("seeds 1 and 2 gave the same tenants")
	}
	names := map[string]bool{}
	accounts := map[string]bool{}
	for _, ten := range a {
		if names[ten.Name] || !strings.Contains(ten.Name, "-cu-") {
			t.Errorf("tenant name %q repeated or odd", ten.Name)
		}
		names[ten.Name] = true
		var envs []string
		for _, env := range ten.Environments {
			envs = append(envs, env.Name)
			clouds := map[runbooks.Cloud]bool{}
			for _, tg := range env.Targets {
				clouds[tg.Cloud] = true
				if accounts[string(tg.Cloud)+tg.Account] {
					t.Errorf("%s account %s shared between environments", tg.Cloud, tg.Account)
				}
				accounts[string(tg.Cloud)+tg.Account] = true
				if tg.Cloud == runbooks.GCP && len(tg.Account) > 30 {
					t.Errorf("GCP project ID %q is longer than GCP allows", tg.Account)
				}
			}
			if len(clouds) != 3 {
				t.Errorf("%s/%s spans %v", ten.Name, env.Name, clouds)
			}
		}
		if strings.Join(envs, ",") != "nonprod,staging,production" {
			t.Errorf("%s environments %v", ten.Name, envs)
		}
	}
	f, err := New(Config{Seed: 1, Tenants: a})
	if err != nil {
		t.Fatal(err)
	}
	if f.Size() != 200*40 {
		t.Errorf("%d hosts for 200 tenants, want 8000", f.Size())
	}
}

func BenchmarkHosts200Tenants(b *testing.B) {
	tenants := GenerateTenants(200, 1)
	f, err := New(Config{Seed: 1, Tenants: tenants})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		ten := tenants[i%len(tenants)]
		if _, err := f.Hosts(ctx, ten, ten.Environments[i%3]); err != nil {
			b.Fatal(err)
		}
	}
}
