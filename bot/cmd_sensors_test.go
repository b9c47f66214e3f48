package bot

import (
	"context"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/runbooks/edr"
)

// sensorFleet lists two production hosts; Falcon (as the test says) knows
// one of them, running an old sensor.
type sensorFleet struct{}

func (sensorFleet) Hosts(context.Context, runbooks.Tenant, runbooks.Environment) ([]runbooks.Host, error) {
	return []runbooks.Host{{ID: "i-1", Name: "web-1", Env: "production", Source: runbooks.SourceAWSSSM},
		{ID: "i-2", Name: "web-2", Env: "production", Source: runbooks.SourceAWSSSM}}, nil
}

func (sensorFleet) SensorsOf(context.Context, []runbooks.Host) (map[string]edr.Sensor, error) {
	return map[string]edr.Sensor{"i-1": {HostID: "i-1", Version: "7.9.1"}}, nil
}

func (sensorFleet) EvidenceSource() string { return runbooks.SourceFalcon }

// TestSensorCoverageThroughSlashCommand: /patch sensors [tenant] answers
// the coverage of runbooks/edr with counts, each host's fix and the
// sources; a second argument is refused with the usage; without the
// service it says so.
func TestSensorCoverageThroughSlashCommand(t *testing.T) {
	svc := &edr.Service{Tenants: []runbooks.Tenant{{Name: "acme", Environments: []runbooks.Environment{{Name: "production"}}}},
		Inventory: sensorFleet{}, Fleet: sensorFleet{}, Tiers: map[string]edr.Tier{"production": {MinVersion: "7.14"}}}
	h := NewHandler(newFakeEngine(), openBolt(t), nil, HandlerOptions{Sensors: svc})
	run := func(text string) string {
		return h.runCommand(context.Background(), slack.SlashCommand{UserID: "U1", Text: text})
	}
	got := run("sensors acme")
	for _, want := range []string{"acme/production: 0 of 2 hosts covered", "1 without a sensor", "1 outdated", "minimum 7.14",
		"(source: aws-ssm, falcon)", "web-1 (i-1): sensor 7.9.1 is below the production minimum 7.14", "web-2 (i-2): no Falcon sensor registered", "fix: "} {
		if !strings.Contains(got, want) {
			t.Errorf("reply lacks %q:\n%s", want, got)
		}
	}
	if got := run("sensors acme extra"); !strings.Contains(got, "sensors [tenant] | sensors validate <tenant> [env]") {
		t.Errorf("two arguments: %q", got)
	}
	got = run("sensors validate acme production")
	for _, want := range []string{"acme/production: 0 of 2 hosts pass, 2 failed checks (source: aws-ssm, falcon)",
		"web-1 (i-1) version: 7.9.1, want ≥ 7.14", "web-2 (i-2) registered: no device"} {
		if !strings.Contains(got, want) {
			t.Errorf("validate reply lacks %q:\n%s", want, got)
		}
	}
	if got := run("sensors nope"); !strings.Contains(got, "Unknown tenant") {
		t.Errorf("unknown tenant: %q", got)
	}
	if !strings.Contains(HelpText(), "/patch sensors [tenant]") {
		t.Error("help does not list /patch sensors")
	}
	h.opts.Sensors = nil
	if got := run("sensors"); !strings.Contains(got, "not configured") {
		t.Errorf("without the service: %q", got)
	}
}
