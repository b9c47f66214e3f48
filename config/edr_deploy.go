package config

// The edr.deploy section: how the sensor deployment runbook installs the
// Falcon sensor (batches, concurrency, registration wait) and, per cloud,
// the command it runs; checkEDRDeploy validates it. Zero values take the
// runbook's defaults (runbooks.SensorDeploySettings).

import (
	"regexp"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/patchgate/patchgate/runbooks"
)

// EDRDeploy configures sensor deployments.
type EDRDeploy struct {
	BatchSize    int
	Concurrency  int
	RegisterWait time.Duration
	AWS          EDRDeployAWS
	Azure        EDRDeployAzure // edr_deploy_clouds.go
	GCP          EDRDeployGCP
}

// EDRDeployAWS is the install through SSM Run Command. The CID and the
// installer token stay in SSM Parameter Store (SecureString): the command
// carries only their names and the document reads them on the instance.
type EDRDeployAWS struct {
	Document       string
	Package        string
	CIDParameter   string
	TokenParameter string
}

// Enabled reports whether the section configures an installer.
func (e EDRDeploy) Enabled() bool { return e.AWS.Enabled() || e.Azure.Enabled() || e.GCP.Enabled() }

// Enabled reports whether an SSM install is configured.
func (a EDRDeployAWS) Enabled() bool { return a.Document != "" || a.Package != "" }

// Settings are the runbook's settings.
func (e EDRDeploy) Settings() runbooks.SensorDeploySettings {
	return runbooks.SensorDeploySettings{BatchSize: e.BatchSize, Concurrency: e.Concurrency, RegisterWait: e.RegisterWait}
}

func (d *decoder) edrDeploySection(e *EDRDeploy) func(*yaml.Node, string) {
	return d.section(
		field{"batch_size", "Most hosts one install command carries (default 50, SSM SendCommand's limit; at most 50).", d.integer(&e.BatchSize)},
		field{"concurrency", "How many install batches run at once (default 2).", d.integer(&e.Concurrency)},
		field{"register_wait", "How long validation waits for installed sensors to register with Falcon before the deployment fails (default 15m).", d.duration(&e.RegisterWait, "m")},
		field{"aws", "The install through AWS SSM Run Command (no SSH).", d.section(
			field{"document", "SSM command document that installs or upgrades the sensor; it takes CIDParameterName and InstallTokenParameterName (names of SecureString parameters it reads on the instance). Required unless package is set.", d.str(&e.AWS.Document)},
			field{"package", "Distributor package installed through AWS-ConfigureAWSPackage instead of a document; the parameter names go in its additionalArguments.", d.str(&e.AWS.Package)},
			field{"cid_parameter", "Name of the SSM SecureString parameter holding the Falcon CID (with checksum). patchgate passes only the name; the value never appears in a command parameter. Required.", d.str(&e.AWS.CIDParameter)},
			field{"token_parameter", "Name of the SSM SecureString parameter holding the installer token, when the CID requires one.", d.str(&e.AWS.TokenParameter)},
		)},
		field{"azure", "The install through Azure VM Run Command (managed run command; no SSH).", d.edrDeployAzure(&e.Azure)},
		field{"gcp", "The install through GCP OS Config: a patch job whose pre-step runs the install script (apt/yum VMs), an OS policy assignment (Windows and SUSE VMs).", d.edrDeployGCP(&e.GCP)},
	)
}

// ssmParameterRE is an SSM parameter name: a path of letters, digits and
// _.-/ (a secret's value is never a valid one: no spaces, no '=' padding).
var ssmParameterRE = regexp.MustCompile(`^/?[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)*$`)

// gcsObject is a Cloud Storage object with its generation.
var gcsObject = regexp.MustCompile(`^gs://[^/]+/.+#[0-9]+$`)

// checkEDRDeploy validates edr.deploy.
func (d *decoder) checkEDRDeploy(e EDRDeploy) {
	if e.BatchSize < 0 || e.BatchSize > 50 {
		d.at("edr.deploy.batch_size", "must be between 1 and 50 (SSM SendCommand's limit), got %d", e.BatchSize)
	}
	if e.Concurrency < 0 {
		d.at("edr.deploy.concurrency", "must be at least 1, got %d", e.Concurrency)
	}
	if e.RegisterWait < 0 {
		d.at("edr.deploy.register_wait", "must not be negative, got %s", e.RegisterWait)
	}
	a := e.AWS
	if a.Document != "" && a.Package != "" {
		d.at("edr.deploy.aws.package", "set either document or package, not both")
	}
	if (a.Document != "" || a.Package != "") && a.CIDParameter == "" {
		d.at("edr.deploy.aws.cid_parameter", "is required with an install document or package")
	}
	for _, f := range []struct{ key, v string }{{"cid_parameter", a.CIDParameter}, {"token_parameter", a.TokenParameter}} {
		if f.v != "" && !ssmParameterRE.MatchString(f.v) {
			d.at("edr.deploy.aws."+f.key, "%q is not an SSM parameter name (such as /patchgate/falcon/cid); give the name of the SecureString parameter, never its value", f.v)
		}
	}
	d.checkEDRDeployClouds(e)
}
