package reports

import (
	"strings"
	"testing"
	"time"

	rb "github.com/patchgate/patchgate/runbooks"
)

func result(t *testing.T, b Bundle, id string) Result {
	t.Helper()
	for _, e := range Evaluate(&b) {
		if e.Control.ID == id {
			return e.Result
		}
	}
	t.Fatalf("no control %s", id)
	return Result{}
}

func stage(b *Bundle, name string) *rb.Stage {
	s, _ := b.Cycle.Stage(name)
	return s
}

func TestControlsFixture(t *testing.T) {
	want := map[string]ResultStatus{
		"CC7.1": StatusPass, "CC8.1": StatusPass, "CC6.1": StatusPass, "CC7.2": StatusPass,
		"CC7.4/CC7.5": StatusPass, "A1.2": StatusPass, "6.3.3": StatusException, "10.2": StatusPass, "5.x": StatusPass,
		"6.5.1": StatusNotApplicable, "CC6.8": StatusNotApplicable, "5.3": StatusNotApplicable,
	}
	b := fixture()
	evs := Evaluate(&b)
	if len(evs) != len(want) {
		t.Fatalf("%d controls, want %d", len(evs), len(want))
	}
	for _, e := range evs {
		if e.Result.Status != want[e.Control.ID] {
			t.Errorf("%s: %s, want %s (exceptions %q)", e.Control.ID, e.Result.Status, want[e.Control.ID], e.Result.Exceptions)
		}
	}
	cc81 := strings.Join(result(t, fixture(), "CC8.1").Evidence, "\n")
	for _, s := range []string{"nonprod approved by U0APPROVER1 at 2026-11-22 02:24Z", "production: 2 approval(s) of 2 required, requester excluded", "soak observed 24h (required 24h)"} {
		if !strings.Contains(cc81, s) {
			t.Errorf("CC8.1 evidence lacks %q:\n%s", s, cc81)
		}
	}
	cc61 := strings.Join(result(t, fixture(), "CC6.1").Evidence, "\n")
	for _, s := range []string{"access report at 2026-11-23 09:00Z: 6 grants in 3 accounts (aws-identity-center)",
		"patchgate acted in gcp/acct-gcp as arn:aws:sts::acct-gcp:assumed-role/patchgate-executor/patchgate"} {
		if !strings.Contains(cc61, s) {
			t.Errorf("CC6.1 evidence lacks %q:\n%s", s, cc61)
		}
	}
	if a := strings.Join(result(t, fixture(), "A1.2").Evidence, "\n"); !strings.Contains(a, "backup gate passed at 2026-11-22 03:00Z: 1 image, 1 database snapshot") {
		t.Errorf("A1.2 evidence: %s", a)
	}
	ex := result(t, fixture(), "6.3.3").Exceptions
	if len(ex) != 2 || !strings.Contains(ex[0], "prod-db-1") || !strings.Contains(ex[1], "legacy-ftp (i-legacy): excluded: SSM agent offline") {
		t.Errorf("6.3.3 exceptions: %q", ex)
	}
	if _, _, rate := ComplianceRate(evs); rate != 8.0/9 {
		t.Errorf("rate %v", rate)
	}
}

// Each case removes one piece of evidence from a passing bundle and expects
// the criterion to flip.
func TestControlsFlipWhenEvidenceMissing(t *testing.T) {
	healthy := func() Bundle {
		b := fixture()
		for i := range b.Hosts {
			b.Hosts[i].PendingPatches, b.Hosts[i].LastPatched = 0, b.Now.Add(-time.Hour)
		}
		stage(&b, "preflight").Exclusions = nil
		return b
	}
	cases := []struct {
		id     string
		break_ func(b *Bundle)
		want   string
	}{
		{"CC8.1", func(b *Bundle) { stage(b, "nonprod").Approvals = nil }, "nonprod ran with 0 of 1 required approvals"},
		{"CC8.1", func(b *Bundle) { stage(b, "production").Approvals[1].By = "U0REQUESTER" }, "approved by its requester"},
		{"CC8.1", func(b *Bundle) { stage(b, "production").Gates[0].Passed = false }, "production ran without a passed health gate"},
		{"CC8.1", func(b *Bundle) {
			p := stage(b, "production")
			for i := range p.Gates {
				p.Gates[i].At = p.Gates[i].At.Add(-10 * time.Hour)
			}
		}, "before staging's soak ended"},
		{"A1.2", func(b *Bundle) { stage(b, "staging").Gates[2].Passed = false }, "staging was patched without a passed backup gate"},
		{"6.3.3", func(b *Bundle) {
			b.Hosts[0].PendingPatches, b.Hosts[0].LastPatched = 3, b.Now.AddDate(0, 0, -40)
		}, "nonprod-web-1 (i-np-1): 3 patches pending"},
		{"6.3.3", func(b *Bundle) {
			b.Hosts[1].LastPatched = b.Now.AddDate(0, -2, 0)
			stage(b, "nonprod").Exclusions = []rb.Finding{{HostID: "vm-np-2", Reason: "change freeze"}}
		}, "excluded: change freeze"},
		{"CC7.2", func(b *Bundle) { s := stage(b, "staging"); s.Gates = s.Gates[:4] }, "staging: patched without a post-patch sensor check"},
		{"CC7.4/CC7.5", func(b *Bundle) { stage(b, "production").Incident.Resolved = false }, "not resolved"},
		{"CC7.1", func(b *Bundle) { stage(b, "preflight").Gates = nil }, "no preflight inventory"},
		{"10.2", func(b *Bundle) { b.Chain = Chain{} }, "no audit chain head"},
		{"5.x", func(b *Bundle) { b.Hosts[2].HasSensor = false }, "staging-web-1 (i-st-1): no EDR sensor"},
		{"CC6.1", func(b *Bundle) {
			b.Access, b.AccessError = nil, "sso-admin ListAccountAssignments: AccessDeniedException"
		}, "no access report at cycle time: sso-admin ListAccountAssignments: AccessDeniedException"},
		{"CC6.1", func(b *Bundle) { b.Access = nil }, "no access report at cycle time: no access provider configured"},
		{"CC6.1", func(b *Bundle) { b.Access.Executors = b.Access.Executors[:2] },
			"account gcp/acct-gcp has hosts in scope but no executing principal"},
		{"CC6.1", func(b *Bundle) { stage(b, "production").Approvals[0].By = "U0REQUESTER" }, "requester U0REQUESTER approved own change"},
	}
	for _, c := range cases {
		t.Run(c.id+"/"+c.want, func(t *testing.T) {
			if r := result(t, healthy(), c.id); r.Status != StatusPass {
				t.Fatalf("healthy %s: %s %q", c.id, r.Status, r.Exceptions)
			}
			b := healthy()
			c.break_(&b)
			r := result(t, b, c.id)
			if r.Status != StatusException || !strings.Contains(strings.Join(r.Exceptions, "\n"), c.want) {
				t.Fatalf("%s: %s %q, want exception %q", c.id, r.Status, r.Exceptions, c.want)
			}
		})
	}
}

func TestControlsNotApplicable(t *testing.T) {
	b := fixture()
	b.Hosts = nil
	for i := range b.Cycle.Stages {
		s := &b.Cycle.Stages[i]
		s.Gates, s.Patch, s.Incident = nil, rb.Op{}, rb.Incident{}
	}
	b.Events = b.Events[:1]
	for _, id := range []string{"A1.2", "CC7.2", "CC7.4/CC7.5", "6.3.3", "5.x"} {
		if r := result(t, b, id); r.Status != StatusNotApplicable {
			t.Errorf("%s: %s, want not-applicable", id, r.Status)
		}
	}
}
