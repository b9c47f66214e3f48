package config

import (
	"fmt"
	"strings"
	"testing"
)

// TestEDRSectionDecodes: the edr section's tiers become the expectations
// by environment; an empty file expects nothing and posts no digest.
func TestEDRSectionDecodes(t *testing.T) {
	c, err := Parse("e.yaml", []byte(minimal+`
edr:
  tiers:
    - env: production
      min_version: "7.14.17706"
      host_group: 0123456789abcdef0123456789abcdef
  coverage_digest: "0 7 * * *"
`))
	if err != nil {
		t.Fatal(err)
	}
	got := c.EDR.ByEnv()
	if got["production"].MinVersion != "7.14.17706" || got["production"].HostGroup != "0123456789abcdef0123456789abcdef" || c.EDR.CoverageDigest != "0 7 * * *" {
		t.Errorf("edr %+v", c.EDR)
	}
	if _, ok := got["nonprod"]; ok {
		t.Error("nonprod got expectations it was not given")
	}
	def, err := Parse("d.yaml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if len(def.EDR.Tiers) != 0 || def.EDR.CoverageDigest != "" {
		t.Errorf("defaults: %+v", def.EDR)
	}
}

// TestEDRSectionErrorsNameFieldAndLine: an unknown environment, a repeated
// one, a version that is not dotted numbers, a host group that is not a
// Falcon ID (with Falcon configured) and a bad cron are refused at their
// lines.
func TestEDRSectionErrorsNameFieldAndLine(t *testing.T) {
	doc := minimal + `
providers:
  falcon: {client_id: env:FALCON_ID, client_secret: env:FALCON_SECRET}
edr:
  tiers:
    - {env: staging}
    - {env: production, min_version: v7}
    - {env: production, host_group: prod-servers}
  coverage_digest: "every morning"
`
	_, err := Parse("e.yaml", []byte(doc))
	if err == nil {
		t.Fatal("accepted")
	}
	line := func(s string) int { return strings.Count(doc[:strings.Index(doc, s)], "\n") + 1 }
	for _, want := range []string{
		fmt.Sprintf(`e.yaml:%d: edr.tiers[0].env: "staging" is not an environment of the pipeline section`, line("env: staging")),
		fmt.Sprintf(`e.yaml:%d: edr.tiers[1].min_version: "v7" is not a dotted sensor version`, line("min_version: v7")),
		fmt.Sprintf(`e.yaml:%d: edr.tiers[2].env: "production" is listed twice`, line("{env: production, host_group")),
		fmt.Sprintf(`e.yaml:%d: edr.tiers[2].host_group: "prod-servers" is not a Falcon ID`, line("host_group: prod-servers")),
		fmt.Sprintf(`e.yaml:%d: edr.coverage_digest:`, line("coverage_digest")),
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
