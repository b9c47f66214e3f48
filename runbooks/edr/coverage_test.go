package edr

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

func TestSensorCoverageJudgesEachHost(t *testing.T) {
	hosts := []runbooks.Host{
		{ID: "i-ok", Name: "a-ok", Source: runbooks.SourceAWSSSM},
		{ID: "i-none", Name: "b-none", Source: runbooks.SourceAWSSSM},
		{ID: "i-old", Name: "c-old", Source: runbooks.SourceAWSSSM},
		{ID: "i-lag", Name: "d-lag", Source: runbooks.SourceAWSSSM},
		{ID: "i-rfm", Name: "e-rfm", Kernel: "5.14.0-611", Source: runbooks.SourceAWSSSM},
	}
	sensors := map[string]Sensor{
		"i-ok":  {HostID: "i-ok", Version: "7.14.17706", TargetVersion: "7.14.17706"},
		"i-old": {HostID: "i-old", Version: "7.9.16904"},
		"i-lag": {HostID: "i-lag", Version: "7.12.1", TargetVersion: "7.13.2", SensorUpdatePolicy: "sup-1"},
		"i-rfm": {HostID: "i-rfm", Version: "7.14.1", RFM: true},
	}
	c := Evaluate("cu1", Tier{Env: "production", MinVersion: "7.10"}, hosts, sensors, runbooks.SourceFalcon)
	if c.Hosts != 5 || c.Covered != 1 {
		t.Fatalf("hosts %d covered %d, want 5 and 1", c.Hosts, c.Covered)
	}
	want := map[string]string{"i-none": GapMissing, "i-old": GapOutdated, "i-lag": GapOutdated, "i-rfm": GapRFM}
	for _, g := range c.Gaps {
		if want[g.HostID] != g.Kind {
			t.Errorf("%s: kind %s, want %s", g.HostID, g.Kind, want[g.HostID])
		}
		if g.Fix == "" || g.Reason == "" {
			t.Errorf("%s: reason %q fix %q, want both", g.HostID, g.Reason, g.Fix)
		}
		delete(want, g.HostID)
	}
	if len(want) != 0 {
		t.Errorf("no gap for %v", want)
	}
	if strings.Join(c.Sources, ",") != "aws-ssm,falcon" {
		t.Errorf("sources %v, want aws-ssm and falcon", c.Sources)
	}
	line := EnvLine(c)
	for _, s := range []string{"1 of 5 hosts covered", "1 without a sensor", "2 outdated", "1 in RFM", "minimum 7.10", "aws-ssm, falcon"} {
		if !strings.Contains(line, s) {
			t.Errorf("line %q lacks %q", line, s)
		}
	}
}

func TestSensorCoverageVersionOrder(t *testing.T) {
	for _, tc := range []struct {
		a, b  string
		older bool
	}{
		{"7.9.1", "7.10", true}, {"7.10", "7.10.0", false}, {"7.10.17706", "7.10.17706", false},
		{"7.11.1", "7.10.17706", false}, {"6.99", "7.0", true}, {"", "7.0", true},
	} {
		if got := Older(tc.a, tc.b); got != tc.older {
			t.Errorf("Older(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.older)
		}
	}
}

// stubFleet answers fixed sensors or an error, naming its source.
type stubFleet struct {
	sensors map[string]Sensor
	err     error
	source  string
}

func (f stubFleet) SensorsOf(context.Context, []runbooks.Host) (map[string]Sensor, error) {
	return f.sensors, f.err
}
func (f stubFleet) EvidenceSource() string { return f.source }

type stubInventory map[string][]runbooks.Host

func (s stubInventory) Hosts(_ context.Context, t runbooks.Tenant, e runbooks.Environment) ([]runbooks.Host, error) {
	return s[t.Name+"/"+e.Name], nil
}

func TestSensorCoverageNotMeasuredClaimsNoGaps(t *testing.T) {
	tenants := []runbooks.Tenant{{Name: "cu1", Environments: []runbooks.Environment{{Name: "nonprod"}}}}
	inv := stubInventory{"cu1/nonprod": {{ID: "i-1", Name: "h1", Source: runbooks.SourceAWSSSM}}}
	svc := &Service{Tenants: tenants, Inventory: inv, Fleet: stubFleet{err: runbooks.Errorf(runbooks.CodeUnavailable, "falcon answered 500"), source: runbooks.SourceFalcon},
		Clock: runbooks.ClockFunc(func() time.Time { return time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC) })}
	text, err := svc.Command(context.Background(), nil)
	if err == nil {
		t.Fatal("a failed sensor read returned no error")
	}
	if !strings.Contains(text, "cu1/nonprod: not measured") || !strings.Contains(text, "falcon answered 500") || strings.Contains(text, "without a sensor") {
		t.Errorf("text claims what was not measured or hides why:\n%s", text)
	}
}

func TestSensorCoverageNamesSimulationAsSource(t *testing.T) {
	tenants := []runbooks.Tenant{{Name: "cu1", Environments: []runbooks.Environment{{Name: "nonprod"}, {Name: "production"}}}}
	inv := stubInventory{"cu1/nonprod": {{ID: "i-1", Name: "h1", Source: runbooks.SourceSimulation}},
		"cu1/production": {{ID: "i-2", Name: "h2", Source: runbooks.SourceSimulation}}}
	svc := &Service{Tenants: tenants, Inventory: inv, Tiers: map[string]Tier{"production": {MinVersion: "7.14"}},
		Fleet: stubFleet{sensors: map[string]Sensor{"i-1": {Version: "7.11"}, "i-2": {Version: "7.11"}}, source: runbooks.SourceSimulation}}
	c, err := svc.Coverage(context.Background(), "cu1")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Envs) != 2 || c.Envs[0].Covered != 1 || c.Envs[1].Count(GapOutdated) != 1 {
		t.Fatalf("coverage %+v: want nonprod covered, production outdated under its own minimum", c.Envs)
	}
	for _, e := range c.Envs {
		if strings.Join(e.Sources, ",") != runbooks.SourceSimulation {
			t.Errorf("%s sources %v, want simulation only", e.Env, e.Sources)
		}
	}
	if _, err := svc.Command(context.Background(), []string{"nope"}); runbooks.ErrorCode(err) != runbooks.CodeNotFound {
		t.Errorf("unknown tenant: %v", err)
	}
	if _, err := (&Service{}).Coverage(context.Background(), ""); !errors.Is(err, ErrNoFleet) {
		t.Errorf("no fleet: %v", err)
	}
}

type recordChat struct{ posted []Coverage }

func (r *recordChat) PostSensorCoverage(_ context.Context, c Coverage) error {
	r.posted = append(r.posted, c)
	return nil
}

func TestSensorCoverageDigestPostsEveryTenant(t *testing.T) {
	tenants := []runbooks.Tenant{{Name: "cu1", Environments: []runbooks.Environment{{Name: "nonprod"}}},
		{Name: "cu2", Environments: []runbooks.Environment{{Name: "nonprod"}}}}
	inv := stubInventory{"cu1/nonprod": {{ID: "i-1", Name: "h1"}}, "cu2/nonprod": {{ID: "i-2", Name: "h2"}}}
	chat := &recordChat{}
	svc := &Service{Tenants: tenants, Inventory: inv, Chat: chat,
		Fleet: stubFleet{sensors: map[string]Sensor{"i-1": {Version: "7.1"}}, source: runbooks.SourceFalcon}}
	if _, err := svc.Digest(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(chat.posted) != 1 || len(chat.posted[0].Envs) != 2 || chat.posted[0].Envs[1].Count(GapMissing) != 1 {
		t.Fatalf("posted %+v, want one digest over both tenants with cu2's host missing", chat.posted)
	}
	text := CoverageText(chat.posted[0])
	if !strings.Contains(text, "cu1/nonprod: 1 of 1") || !strings.Contains(text, "cu2/nonprod: 0 of 1") {
		t.Errorf("digest text:\n%s", text)
	}
}
