package config

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestSensorDeployConfigDecodes: edr.deploy becomes the runbook's settings
// and the SSM install; without it deployments are off.
func TestSensorDeployConfigDecodes(t *testing.T) {
	c, err := Parse("e.yaml", []byte(minimal+`
edr:
  deploy:
    batch_size: 20
    concurrency: 3
    register_wait: 20m
    aws: {document: Patchgate-FalconInstall, cid_parameter: /patchgate/falcon/cid, token_parameter: /patchgate/falcon/token}
`))
	if err != nil {
		t.Fatal(err)
	}
	dep := c.EDR.Deploy
	s := dep.Settings()
	if !dep.Enabled() || s.BatchSize != 20 || s.Concurrency != 3 || s.RegisterWait != 20*time.Minute ||
		dep.AWS.Document != "Patchgate-FalconInstall" || dep.AWS.CIDParameter != "/patchgate/falcon/cid" || dep.AWS.TokenParameter != "/patchgate/falcon/token" {
		t.Errorf("edr.deploy %+v", dep)
	}
	def, err := Parse("d.yaml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if def.EDR.Deploy.Enabled() {
		t.Errorf("deployments on without edr.deploy: %+v", def.EDR.Deploy)
	}
}

// TestSensorDeployConfigErrorsNameFieldAndLine: an oversized batch, both a
// document and a package, a missing CID parameter, and a secret's value
// given where its parameter name belongs are refused at their lines.
func TestSensorDeployConfigErrorsNameFieldAndLine(t *testing.T) {
	doc := minimal + `
edr:
  deploy:
    batch_size: 80
    aws:
      document: Patchgate-FalconInstall
      package: FalconSensor-Linux
      token_parameter: "abc def=="
`
	_, err := Parse("e.yaml", []byte(doc))
	if err == nil {
		t.Fatal("accepted")
	}
	line := func(s string) int { return strings.Count(doc[:strings.Index(doc, s)], "\n") + 1 }
	for _, want := range []string{
		fmt.Sprintf(`e.yaml:%d: edr.deploy.batch_size: must be between 1 and 50`, line("batch_size")),
		fmt.Sprintf(`e.yaml:%d: edr.deploy.aws.package: set either document or package`, line("package:")),
		`edr.deploy.aws.cid_parameter: is required`,
		fmt.Sprintf(`e.yaml:%d: edr.deploy.aws.token_parameter: "abc def==" is not an SSM parameter name`, line("token_parameter")),
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// TestSensorDeployConfigAzureGCP: edr.deploy.azure takes the script and
// secret references (a literal CID is refused), edr.deploy.gcp a Cloud
// Storage object with its generation.
func TestSensorDeployConfigAzureGCP(t *testing.T) {
	c, err := Parse("e.yaml", []byte(minimal+`
edr:
  deploy:
    azure: {script: "/opt/falcon/install.sh", cid_secret: "env:FALCON_CID", token_secret: "file:/run/secrets/falcon-token", timeout: 20m}
    gcp: {script: "gs://installers/falcon.sh#1733500000", windows_script: 'C:\ProgramData\falcon\install.ps1'}
`))
	if err != nil {
		t.Fatal(err)
	}
	d := c.EDR.Deploy
	if !d.Enabled() || d.AWS.Enabled() || !d.Azure.Enabled() || d.Azure.CIDSecret != "env:FALCON_CID" || d.Azure.Timeout != 20*time.Minute ||
		!d.GCP.Enabled() || d.GCP.Script != "gs://installers/falcon.sh#1733500000" || d.GCP.WindowsScript != `C:\ProgramData\falcon\install.ps1` {
		t.Errorf("edr.deploy %+v", d)
	}
	doc := minimal + `
edr:
  deploy:
    azure: {script: x, cid_secret: "0123456789ABCDEF0123456789ABCDEF-12"}
    gcp: {script: "gs://installers/falcon.sh", windows_script: "install.ps1"}
`
	_, err = Parse("e.yaml", []byte(doc))
	if err == nil {
		t.Fatal("accepted a literal CID and a script without its generation")
	}
	for _, want := range []string{"edr.deploy.azure.cid_secret", "edr.deploy.gcp.script", "edr.deploy.gcp.windows_script"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "0123456789ABCDEF0123456789ABCDEF-12") {
		t.Errorf("the error repeats the literal secret:\n%v", err)
	}
}
