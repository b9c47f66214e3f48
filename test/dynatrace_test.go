package test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/providers/dynatrace"
	"github.com/patchgate/patchgate/providers/dynatrace/dynatracetest"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
)

// TestDynatraceProblemBlocksProduction: the engine's health gate asks a
// (fake) Dynatrace environment through the real client. An open problem
// keeps production from starting, with its title in the failure and its
// link on the gate; once Dynatrace closes it, Retry lets the cycle finish.
func TestDynatraceProblemBlocksProduction(t *testing.T) {
	ctx := context.Background()
	tn := gateTenant().Name
	const apiToken = "dt0c01.E2ETOKENE2ETOKENE2ETOKEN.E2ESECRETE2ESECRETE2ESECRETE2ESECRET"
	prodSel := fmt.Sprintf(`type("HOST"),tag("tenant:%s"),tag("env:production")`, tn)

	fake := dynatracetest.New(t, apiToken)
	problem := dynatracetest.OpenProblem(1, "Response time degradation on payments-api", hostName(tn, "production", "web-01"))
	fake.SetProblems(prodSel, problem)
	client, err := dynatrace.New(dynatrace.Config{BaseURL: fake.URL, Token: apiToken,
		Selectors: map[string]string{tn + "/production": prodSel}, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	b := backends()[0] // bolt
	h := newHarness(t, b.open(t), sim.Config{Seed: gateSeed, Tenants: []runbooks.Tenant{gateTenant()}, HostsPerTarget: 1}, 3,
		func(d *runbooks.Deps, _ *runbooks.Pipeline) { d.Health = client })

	c := h.start(ctx, tn)
	c = h.runUntil(ctx, c.ID, "production fails", halted)

	prod := failedStage(t, c, "production", runbooks.PhaseHealth)
	if !strings.Contains(prod.Failure.Reason, problem.Title) || !strings.Contains(prod.Failure.Reason, problem.DisplayID) {
		t.Errorf("failure reason %q does not name %s %q", prod.Failure.Reason, problem.DisplayID, problem.Title)
	}
	wantURL := fake.URL + "/#problems/problemdetails;pid=" + problem.ProblemID
	g := prod.Gates[len(prod.Gates)-1]
	if g.Name != "health" || g.Passed || len(g.Problems) != 1 || g.Problems[0].ID != problem.ProblemID || g.Problems[0].URL != wantURL {
		t.Fatalf("health gate %+v, want failed with %s linking %s", g, problem.ProblemID, wantURL)
	}
	scope := tn + "/production"
	st := h.fleet.Stats()
	if st.Backups.ByScope[scope] != 0 || st.Patches.ByScope[scope] != 0 {
		t.Fatalf("production backed up %d / patched %d times behind a failed health gate", st.Backups.ByScope[scope], st.Patches.ByScope[scope])
	}
	if st.Calls[sim.MethodProblems] != 0 {
		t.Errorf("the sim fleet was asked for problems %d times; the gate must ask Dynatrace", st.Calls[sim.MethodProblems])
	}
	reqs := fake.Requests()
	if len(reqs) == 0 {
		t.Fatal("Dynatrace was never asked")
	}
	for _, r := range reqs {
		if r.Authorization != "Api-Token "+apiToken || r.Query.Get("entitySelector") != prodSel || r.Query.Get("problemSelector") != `status("open")` {
			t.Errorf("request %s: auth %q, query %v", r.Path, r.Authorization, r.Query)
		}
	}
	// The halted cycle does not keep polling Dynatrace.
	n := len(fake.Requests())
	h.ticks(ctx, 3)
	if got := len(fake.Requests()); got != n {
		t.Errorf("a halted cycle asked Dynatrace %d more times", got-n)
	}

	// Dynatrace closes the problem (it stays in the API as CLOSED); an
	// approver retries.
	fake.CloseProblems(prodSel, h.clock.Now())
	h.mustDecide(ctx, c.ID, "production", runbooks.Retry, bob)
	c = h.finish(ctx, c.ID)
	st = h.fleet.Stats()
	if st.Backups.ByScope[scope] != 1 || st.Patches.ByScope[scope] != 1 {
		t.Errorf("production backed up %d / patched %d times, want 1 and 1", st.Backups.ByScope[scope], st.Patches.ByScope[scope])
	}
	prod, _ = c.Stage("production")
	var health []bool
	for _, g := range prod.Gates {
		if g.Name == "health" {
			health = append(health, g.Passed)
		}
	}
	if !slices.Equal(health, []bool{false, true}) {
		t.Errorf("production health gates %v, want failed then passed", health)
	}
}
