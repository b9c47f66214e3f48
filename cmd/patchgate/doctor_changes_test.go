package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/providers/jira/jiratest"
	"github.com/patchgate/patchgate/providers/servicenow/servicenowtest"
)

// TestDoctorChangePlatformRows: doctor gets one read-only row for the
// configured change platform, ok against an instance that accepts the
// credentials and failing with a fix when it refuses them; nothing is
// created, and the secret never reaches the checklist.
func TestDoctorChangePlatformRows(t *testing.T) {
	sn := servicenowtest.New("svc.patchgate", "sn-doctor-password")
	snSrv := httptest.NewServer(sn)
	t.Cleanup(snSrv.Close)
	jr := jiratest.New("bot@acme.example", "jira-doctor-token")
	jrSrv := httptest.NewServer(jr)
	t.Cleanup(jrSrv.Close)
	for _, tc := range []struct {
		name, section, env, secret, row, want string
		ok                                    bool
	}{
		{"servicenow ok", fmt.Sprintf("platform: servicenow\n  servicenow: {url: %q, username: svc.patchgate, password: env:DOCTOR_CR}", snSrv.URL),
			"sn-doctor-password", "sn-doctor-password", "servicenow " + snSrv.URL + ": change requests readable", "Change Management API answered", true},
		{"servicenow refused", fmt.Sprintf("platform: servicenow\n  servicenow: {url: %q, username: svc.patchgate, password: env:DOCTOR_CR}", snSrv.URL),
			"wrong-password", "wrong-password", "servicenow " + snSrv.URL, "credentials were refused", false},
		{"jira ok", fmt.Sprintf("platform: jira\n  jira: {url: %q, email: bot@acme.example, api_token: env:DOCTOR_CR, project: CHG}", jrSrv.URL),
			"jira-doctor-token", "jira-doctor-token", "jira " + jrSrv.URL + ": project CHG readable", "project CHG (Change management) is visible", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Setenv("DOCTOR_CR", tc.env)
			yaml := fmt.Sprintf(`store: {backend: bolt, bolt: {path: %q}}
pipeline:
  - {env: nonprod, approvers: [U0SRE00001]}
  - {env: production, approvers: [U0CAB00001, U0CAB00002], min_approvals: 2, require_change_approval: true}
tenants:
  - name: acme-cu
    environments:
      nonprod: {targets: [{cloud: aws, account: "111111111111", regions: [us-east-1]}]}
      production: {targets: [{cloud: aws, account: "111111111111", regions: [us-east-1]}]}
change_records:
  %s
`, filepath.Join(dir, "state.db"), tc.section)
			path := filepath.Join(dir, "patchgate.yaml")
			if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			code := run(context.Background(), []string{"doctor", "--config", path}, &out, &out)
			got := row(out.String(), tc.row)
			if tc.ok != strings.HasPrefix(got, "ok") || !strings.Contains(out.String(), tc.want) {
				t.Fatalf("row %q (exit %d), want ok=%v with %q:\n%s", got, code, tc.ok, tc.want, out.String())
			}
			if !tc.ok && code == 0 {
				t.Errorf("doctor exit 0 with a failed row")
			}
			if strings.Contains(out.String(), tc.secret) {
				t.Errorf("the secret reached the checklist")
			}
		})
	}
	if n := len(sn.Records()) + len(jr.Issues()); n != 0 {
		t.Errorf("doctor created %d change records", n)
	}
}
