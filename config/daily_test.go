package config

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestDailyCheckSections: the saml and drift sections and the daily checks'
// schedules decode into what the runbooks are built from.
func TestDailyCheckSections(t *testing.T) {
	c, err := Parse("h.yaml", []byte(minimal+`
schedules: {saml_check: "0 7 * * *", drift_report: "30 7 * * MON-FRI", status_digest: "0 8 * * *", grace: 2h}
saml:
  thresholds: {warn_days: 45, page_days: 7}
  sources:
    - {name: okta, kind: okta, url: "https://acme.okta.com/app/x/sso/saml/metadata", integration: Online banking}
    - {name: adfs, kind: adfs, file: /etc/patchgate/adfs.xml}
drift:
  concurrency: 2
  include_planned_changes: true
  groups: [S0CAB]
  workspaces:
    - {name: net, tenant: acme-cu, account: "012345678901", dir: /tf/net, vars: {region: us-east-1}, backend_config: {bucket: tf}}
    - {name: dns, tenant: acme-cu, plan_json: /ci/dns.json}
`))
	if err != nil {
		t.Fatal(err)
	}
	s := c.Schedules
	if s.SAMLCheck != "0 7 * * *" || s.DriftReport != "30 7 * * MON-FRI" || s.StatusDigest != "0 8 * * *" || s.Grace != 2*time.Hour {
		t.Errorf("schedules = %+v", s)
	}
	if c.SAML.WarnDays != 45 || c.SAML.PageDays != 7 || len(c.SAML.Sources) != 2 ||
		c.SAML.Sources[0].Integration != "Online banking" || c.SAML.Sources[1].Kind != "adfs" || c.SAML.FetchTimeout != 30*time.Second {
		t.Errorf("saml = %+v", c.SAML)
	}
	d := c.Drift
	if d.Concurrency != 2 || !d.IncludePlannedChanges || len(d.Workspaces) != 2 || d.Groups[0] != "S0CAB" ||
		d.Workspaces[0].Account != "012345678901" || d.Workspaces[0].Vars["region"] != "us-east-1" ||
		d.Workspaces[0].BackendConfig["bucket"] != "tf" || d.Workspaces[1].PlanJSON != "/ci/dns.json" {
		t.Errorf("drift = %+v", d)
	}
	def, err := Parse("d.yaml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if def.SAML.WarnDays != 60 || def.SAML.PageDays != 14 || def.Schedules.Grace != time.Hour || def.Schedules.SAMLCheck != "" || def.Drift.Concurrency != 4 {
		t.Errorf("defaults: saml %+v schedules %+v drift %+v", def.SAML, def.Schedules, def.Drift)
	}
}

// TestSAMLRelativeFileRefused: a relative saml.sources[].file would be read
// from whatever directory the process starts in; validate refuses it with
// the file and line of the key.
func TestSAMLRelativeFileRefused(t *testing.T) {
	doc := minimal + `
saml:
  sources:
    - {name: okta, kind: okta, file: /etc/patchgate/okta.xml}
    - name: adfs
      kind: adfs
      file: metadata/adfs.xml
`
	_, err := Parse("h.yaml", []byte(doc))
	if err == nil {
		t.Fatal("a relative metadata file passed validation")
	}
	line := strings.Count(doc[:strings.Index(doc, "file: metadata")], "\n") + 1
	want := fmt.Sprintf(`h.yaml:%d: saml.sources[1].file: "metadata/adfs.xml" is relative; give the absolute path`, line)
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error lacks %q:\n%v", want, err)
	}
	if strings.Contains(err.Error(), "sources[0]") {
		t.Errorf("the absolute path was refused too:\n%v", err)
	}
}
