package test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/reports"
	"github.com/patchgate/patchgate/runbooks"
)

// tierOutcome is what a cycle made of its tiers, with the tier names
// replaced by their roles so two namings compare equal.
type tierOutcome struct {
	Severities map[string]string // stage → page severity
	Changes    []string          // stage of each change event
	FourEyes   string            // the requester's refused production approval
	Controls   []reports.ControlResult
}

// TestTierNamesDoNotDecideWhatATierIs: the same cycle, with a backup
// failure in its staging and its production tier, over a pipeline named
// dev, uat, prod and one named nonprod, staging, production: the same page
// severities, the same change events, the same four-eyes refusal and the
// same report wording. The pipelines come from the configuration file,
// which is where a tier's role is decided.
func TestTierNamesDoNotDecideWhatATierIs(t *testing.T) {
	canonical := [3]string{"nonprod", "staging", "production"}
	want := runTierCycle(t, canonical)
	if want.Severities["staging"] != runbooks.SeverityError || want.Severities["production"] != runbooks.SeverityCritical {
		t.Fatalf("severities %v, want staging error and production critical", want.Severities)
	}
	if !reflect.DeepEqual(want.Changes, []string{"production"}) {
		t.Fatalf("change events for %v, want one for production", want.Changes)
	}
	got := runTierCycle(t, [3]string{"dev", "uat", "prod"})
	if !reflect.DeepEqual(got.Severities, want.Severities) {
		t.Errorf("severities %v, want %v", got.Severities, want.Severities)
	}
	if !reflect.DeepEqual(got.Changes, want.Changes) {
		t.Errorf("change events for %v, want %v", got.Changes, want.Changes)
	}
	if got.FourEyes != want.FourEyes {
		t.Errorf("four-eyes refusal %q, want %q", got.FourEyes, want.FourEyes)
	}
	if len(got.Controls) != len(want.Controls) || len(got.Controls) == 0 {
		t.Fatalf("%d controls, want %d", len(got.Controls), len(want.Controls))
	}
	for i := range want.Controls {
		if !reflect.DeepEqual(got.Controls[i], want.Controls[i]) {
			g, _ := json.MarshalIndent(got.Controls[i], "", " ")
			w, _ := json.MarshalIndent(want.Controls[i], "", " ")
			t.Errorf("control %s reads\n%s\nwant\n%s", want.Controls[i].ID, g, w)
		}
	}
}

// runTierCycle runs one cycle over tiers named names and returns what it
// made of them, the names written as nonprod, staging and production.
func runTierCycle(t *testing.T, names [3]string) tierOutcome {
	t.Helper()
	ctx := context.Background()
	cfg, err := config.Parse("tiers.yaml", []byte(fmt.Sprintf(`
pipeline:
  - env: %s
    approvers: [U0ALICE]
  - env: %s
    approvers: [U0ALICE]
  - env: %s
    approvers: [U0ALICE, U0BOB]
`, names[0], names[1], names[2])))
	if err != nil {
		t.Fatal(err)
	}
	pipeline := cfg.Pipeline()
	for i := range pipeline {
		pipeline[i].Approvers = []string{alice}
		if pipeline[i].Production {
			pipeline[i].Approvers = []string{alice, bob, requester}
		}
	}
	tenant := gateTenant()
	for i := range tenant.Environments {
		tenant.Environments[i].Name = names[i]
	}
	tn := tenant.Name
	changes := &recordedChanges{}
	faults := sim.Faults{BackupFail: []string{hostName(tn, names[1], "web-01"), hostName(tn, names[2], "web-01")}}
	h := newHarness(t, backends()[0].open(t), sim.Config{Seed: gateSeed, Tenants: []runbooks.Tenant{tenant}, HostsPerTarget: 1, Faults: faults}, 3,
		func(d *runbooks.Deps, p *runbooks.Pipeline) { d.Changes, *p = changes, pipeline })

	c := h.start(ctx, tn)
	c = h.runUntil(ctx, c.ID, names[1]+" fails its backup", halted)
	h.mustDecide(ctx, c.ID, names[1], runbooks.Exclude, alice)
	c = h.runUntil(ctx, c.ID, names[2]+" awaits approval", awaiting(names[2]))
	var out tierOutcome
	out.FourEyes = h.refused(ctx, c.ID, names[2], runbooks.Approve, requester, runbooks.CodeSelfApproval)
	h.mustDecide(ctx, c.ID, names[2], runbooks.Approve, alice)
	h.mustDecide(ctx, c.ID, names[2], runbooks.Approve, bob)
	c = h.runUntil(ctx, c.ID, names[2]+" fails its backup", halted)
	h.mustDecide(ctx, c.ID, names[2], runbooks.Exclude, alice)
	c = h.finish(ctx, c.ID)

	canon := tierRenamer(names, c.ID)
	out.FourEyes = canon(out.FourEyes)
	out.Severities = map[string]string{}
	for _, s := range c.Stages {
		if inc, ok := h.fleet.Stats().Incidents[s.Incident.Key]; ok && s.Incident.Key != "" {
			out.Severities[canon(s.Name)] = inc.Severity
		}
	}
	for _, ev := range changes.all() {
		out.Changes = append(out.Changes, canon(ev.Details["stage"]))
	}
	b, err := os.ReadFile(filepath.Join(filepath.Dir(c.Report.Location), reports.FileEvidence))
	if err != nil {
		t.Fatal(err)
	}
	var ev reports.Evidence
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	for _, r := range ev.Controls {
		for i := range r.Evidence {
			r.Evidence[i] = canon(r.Evidence[i])
		}
		for i := range r.Exceptions {
			r.Exceptions[i] = canon(r.Exceptions[i])
		}
		out.Controls = append(out.Controls, r)
	}
	return out
}

// volatile are the parts of report wording that differ between any two
// runs (random instance IDs and patch dates, audit hashes over them), not
// between tier names.
var volatile = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\b[0-9a-f]{64}\b`), "HASH"},
	{regexp.MustCompile(`\bi-[0-9a-f]{8,17}\b`), "i-ID"},
	{regexp.MustCompile(`last patched \d{4}-\d{2}-\d{2} \d{2}:\d{2}Z`), "last patched TIME"},
}

// tierRenamer writes the tier names as nonprod, staging and production, the
// cycle ID as CYCLE and the volatile parts as placeholders.
func tierRenamer(names [3]string, id string) func(string) string {
	canonical := [3]string{"nonprod", "staging", "production"}
	res := make([]*regexp.Regexp, 3)
	for i, n := range names {
		res[i] = regexp.MustCompile(`\b` + regexp.QuoteMeta(n) + `\b`)
	}
	return func(s string) string {
		s = strings.ReplaceAll(s, id, "CYCLE")
		for _, v := range volatile {
			s = v.re.ReplaceAllString(s, v.with)
		}
		if names == canonical {
			return s
		}
		for i, re := range res {
			s = re.ReplaceAllString(s, canonical[i])
		}
		return s
	}
}
