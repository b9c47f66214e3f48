package reports

import (
	"os/exec"
	"strings"
	"testing"

	rb "github.com/patchgate/patchgate/runbooks"
)

// TestSensorDeployPCI52DeployedPerEnvironment: PCI DSS 5.2's rows count
// the hosts with an anti-malware sensor per environment from the hosts an
// EDR source measured; hosts no source reported are an exception ("not
// measured"), never counted as deployed. pdftotext shows the rows in the
// report.
func TestSensorDeployPCI52DeployedPerEnvironment(t *testing.T) {
	b := fixture()
	b.Hosts = []rb.Host{
		{ID: "i-1", Name: "np-1", Env: "nonprod", HasSensor: true, SensorSource: rb.SourceFalcon},
		{ID: "i-2", Name: "np-2", Env: "nonprod", HasSensor: true, SensorSource: rb.SourceFalcon},
		{ID: "i-3", Name: "pr-1", Env: "production", HasSensor: true, SensorSource: rb.SourceFalcon},
		{ID: "i-4", Name: "pr-2", Env: "production", SensorSource: rb.SourceFalcon},
		{ID: "i-5", Name: "pr-3", Env: "production", HasSensor: true}, // no source: says nothing
	}
	r := result(t, b, "5.x")
	ev, ex := strings.Join(r.Evidence, "\n"), strings.Join(r.Exceptions, "\n")
	for _, want := range []string{"PCI DSS 5.2 nonprod: anti-malware deployed on 2/2 measured hosts (100", "PCI DSS 5.2 production: anti-malware deployed on 1/2 measured hosts (50"} {
		if !strings.Contains(ev, want) {
			t.Errorf("evidence lacks %q:\n%s", want, ev)
		}
	}
	if want := "PCI DSS 5.2 production: deployment not measured on 1/3 hosts"; !strings.Contains(ex, want) {
		t.Errorf("exceptions lack %q:\n%s", want, ex)
	}
	if strings.Contains(ev, "3/3") || r.Status != StatusException {
		t.Errorf("an unmeasured host counted as deployed, or the verdict passed: %s\n%s", r.Status, ev)
	}
	all := b
	all.Hosts = b.Hosts[:3]
	if r := result(t, all, "5.x"); r.Status != StatusPass {
		t.Errorf("every host measured and deployed: %+v", r)
	}

	pdftotext := needTool(t, "pdftotext")
	path, _ := renderFile(t, b)
	out, err := exec.Command(pdftotext, path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	text := strings.Join(strings.Fields(string(out)), " ")
	for _, want := range []string{"PCI DSS 5.2 production: anti-malware deployed on 1/2 measured hosts",
		"PCI DSS 5.2 production: deployment not measured on 1/3 hosts"} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
}
