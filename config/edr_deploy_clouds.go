package config

// The edr.deploy.azure and edr.deploy.gcp sections: the install command
// on each of those clouds (edr_deploy.go has AWS's).

import (
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// EDRDeployAzure is the install through managed Run Command on Azure VMs
// and the Custom Script extension on Arc machines. Azure has no
// SecureString a script could read by name, so the CID and token are
// secret references resolved when a batch is sent and passed only as the
// run command's protectedParameters or the extension's protectedSettings.
type EDRDeployAzure struct {
	Script      string
	ScriptURI   string
	CIDSecret   Secret
	TokenSecret Secret
	Timeout     time.Duration
}

// Enabled reports whether an Azure install script is configured.
func (a EDRDeployAzure) Enabled() bool { return a.Script != "" || a.ScriptURI != "" }

// EDRDeployGCP is the install through OS Config: a patch job whose
// pre-step runs the install script on apt and yum VMs, an OS policy
// assignment on Windows and SUSE VMs. The scripts read the CID from
// Secret Manager on the VM, so nothing secret is configured here.
type EDRDeployGCP struct {
	Script        string
	WindowsScript string
	Package       string
	Duration      time.Duration
}

// Enabled reports whether a GCP install script is configured.
func (g EDRDeployGCP) Enabled() bool { return g.Script != "" || g.WindowsScript != "" }

func (d *decoder) edrDeployAzure(a *EDRDeployAzure) func(*yaml.Node, string) {
	return d.section(
		field{"script", "Install script the VM run command or, on Arc machines, the Custom Script extension runs: shell on Linux, reading the CID from the FALCON_CID environment variable and the token from FALCON_INSTALL_TOKEN; PowerShell on Windows, taking them as -FALCON_CID and -FALCON_INSTALL_TOKEN parameters. Required unless script_uri is set.", d.str(&a.Script)},
		field{"script_uri", "Blob URI of the script instead of script.", d.str(&a.ScriptURI)},
		field{"cid_secret", "The Falcon CID (with checksum) as an `env:` or `file:` reference; read when a batch is sent and passed only as a protected parameter (VMs) or protected setting (Arc), which Azure neither returns nor logs. Required.", text(d, &a.CIDSecret)},
		field{"token_secret", "The installer token, when the CID requires one, as an `env:` or `file:` reference.", text(d, &a.TokenSecret)},
		field{"timeout", "How long the script may run on a VM (default 30m); on Arc machines the Custom Script handler's own limit applies.", d.duration(&a.Timeout, "m")},
	)
}

func (d *decoder) edrDeployGCP(g *EDRDeployGCP) func(*yaml.Node, string) {
	return d.section(
		field{"script", "Shell install script for Linux VMs: the OS Config patch job's pre-step on apt/yum VMs, an OS policy assignment's exec resource on SUSE VMs. `gs://bucket/object#generation` or an absolute path on the VMs. It reads the CID from Secret Manager on the VM (nothing secret travels). Required for Linux VMs.", d.str(&g.Script)},
		field{"windows_script", "PowerShell install script for Windows VMs, run by an OS policy assignment's exec resource: `gs://bucket/object#generation` or an absolute path on the VMs (C:\\...). It reads the CID from Secret Manager on the VM. Required for Windows VMs.", d.str(&g.WindowsScript)},
		field{"package", "The one package the apt/yum patch job's patch step may update (default falcon-sensor).", d.str(&g.Package)},
		field{"duration", "How long the patch job may run, and how long an OS policy assignment waits for its VMs' reports (default 1h).", d.duration(&g.Duration, "m")},
	)
}

// checkEDRDeployClouds validates edr.deploy.azure and edr.deploy.gcp.
func (d *decoder) checkEDRDeployClouds(e EDRDeploy) {
	a := e.Azure
	if a.Script != "" && a.ScriptURI != "" {
		d.at("edr.deploy.azure.script_uri", "set either script or script_uri, not both")
	}
	if a.Enabled() && a.CIDSecret == "" {
		d.at("edr.deploy.azure.cid_secret", "is required with an install script")
	}
	d.checkSecret("edr.deploy.azure.cid_secret", a.CIDSecret)
	d.checkSecret("edr.deploy.azure.token_secret", a.TokenSecret)
	if s := e.GCP.Script; s != "" && !strings.HasPrefix(s, "/") && !gcsObject.MatchString(s) {
		d.at("edr.deploy.gcp.script", "%q: want gs://bucket/object#generation (OS Config needs the generation) or an absolute path on the VMs", s)
	}
	if s := e.GCP.WindowsScript; s != "" && !windowsPath.MatchString(s) && !gcsObject.MatchString(s) {
		d.at("edr.deploy.gcp.windows_script", "%q: want gs://bucket/object#generation (OS Config needs the generation) or an absolute path on the VMs such as C:\\Program Files\\…", s)
	}
}
