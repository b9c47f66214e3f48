package config

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

const pvFalcon = `
providers:
  falcon: {client_id: env:FALCON_ID, client_secret: env:FALCON_SECRET}
`

// TestPreventionRolloutConfigDecodes: the edr.prevention section becomes
// the engine's rollout settings, with the cloud agents' exclusions first
// and a tier's own window over the section's.
func TestPreventionRolloutConfigDecodes(t *testing.T) {
	c, err := Parse("p.yaml", []byte(minimal+pvFalcon+`
edr:
  prevention:
    window: 336h
    required_exclusions:
      - {name: Backup agent, kind: ml, match: /opt/backup}
    thresholds: {max_detections: 3, severity: critical, max_at_severity: 1}
    tiers:
      - env: nonprod
        host_group: 0123456789abcdef0123456789abcdef
        prevention_policy: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
        detection_policy: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
        window: 10m
      - env: production
        host_group: 1123456789abcdef0123456789abcdef
        prevention_policy: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
        detection_policy: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
`))
	if err != nil {
		t.Fatal(err)
	}
	s := c.EngineConfig().Prevention
	if len(s.Tiers) != 2 || s.Tiers[0].Window != 10*time.Minute || s.Tiers[1].Window != 14*24*time.Hour || s.Tiers[1].CheckEvery != 24*time.Hour {
		t.Fatalf("tiers %+v", s.Tiers)
	}
	th := s.Tiers[0].Thresholds
	if th.MaxTotal != 3 || th.Severity != "critical" || th.MaxAtSeverity != 1 {
		t.Errorf("thresholds %+v", th)
	}
	ex := s.Tiers[0].Exclusions
	if len(ex) == 0 || ex[len(ex)-1].Name != "Backup agent" {
		t.Errorf("exclusions %+v: want the configured one after the agents'", ex)
	}
	def, err := Parse("d.yaml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if p := def.EDR.Prevention; p.Window != runbooks.DefaultPreventionWindow || p.Thresholds.Severity != "high" || len(p.Tiers) != 0 {
		t.Errorf("defaults %+v", p)
	}
}

// TestPreventionRolloutConfigErrorsNameFieldAndLine: bad tiers, IDs,
// kinds and severities are refused at their lines.
func TestPreventionRolloutConfigErrorsNameFieldAndLine(t *testing.T) {
	doc := minimal + pvFalcon + `
edr:
  prevention:
    required_exclusions:
      - {name: x, kind: file, match: y}
    thresholds: {severity: severe}
    tiers:
      - {env: qa, host_group: 0123456789abcdef0123456789abcdef, prevention_policy: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, detection_policy: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb}
      - {env: nonprod, host_group: servers, prevention_policy: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}
      - {env: staging, tenant: nobody, host_group: 0123456789abcdef0123456789abcdef, prevention_policy: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, detection_policy: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}
`
	_, err := Parse("p.yaml", []byte(doc))
	if err == nil {
		t.Fatal("accepted")
	}
	line := func(s string) int { return strings.Count(doc[:strings.Index(doc, s)], "\n") + 1 }
	for _, want := range []string{
		fmt.Sprintf(`p.yaml:%d: edr.prevention.required_exclusions[0].kind: "file": want ml or ioa`, line("kind: file")),
		fmt.Sprintf(`p.yaml:%d: edr.prevention.thresholds.severity: "severe" is not a Falcon severity`, line("severity: severe")),
		fmt.Sprintf(`p.yaml:%d: edr.prevention.tiers[0].env: "qa" is not an environment of the pipeline section`, line("env: qa")),
		fmt.Sprintf(`p.yaml:%d: edr.prevention.tiers[1].host_group: "servers" is not a Falcon ID`, line("host_group: servers")),
		fmt.Sprintf(`p.yaml:%d: edr.prevention.tiers[1].detection_policy: is required`, line("host_group: servers")),
		fmt.Sprintf(`p.yaml:%d: edr.prevention.tiers[2].tenant: "nobody" is not a tenant`, line("tenant: nobody")),
		fmt.Sprintf(`p.yaml:%d: edr.prevention.tiers[2].detection_policy: is the prevention policy`, line("tenant: nobody")),
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}
