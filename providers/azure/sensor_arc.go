package azure

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"path"
	"regexp"
	"strings"
	"unicode/utf16"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/hybridcompute/armhybridcompute/v2"

	"github.com/patchgate/patchgate/runbooks"
)

// Arc-enabled servers have no managed run command in the Arc module in
// use, so the installer runs as Microsoft's Custom Script extension for
// Arc, created under the batch's name (as the VM run command is) so a step
// that crashed after the PUT finds it. Its settings carry nothing; the
// script, the CID and the token are all in protectedSettings, which ARM
// encrypts to the machine and answers every read with empty.
const (
	linuxScriptPublisher   = "Microsoft.Azure.Extensions"
	linuxScriptType        = "CustomScript"
	linuxScriptVersion     = "2.1"
	windowsScriptPublisher = "Microsoft.Compute"
	windowsScriptType      = "CustomScriptExtension"
	windowsScriptVersion   = "1.10"
)

// safeSecret is what a CID (hex, dash, checksum) and an installer token
// look like; anything else is refused rather than quoted into a command.
var safeSecret = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// maxCommandLine bounds a Windows commandToExecute (cmd.exe's limit).
const maxCommandLine = 8191

// readExtension reads the batch's extension on an Arc machine.
func (p *Provider) readExtension(ctx context.Context, h runTarget, name string) (hostInstall, error) {
	c, err := p.sub(h.sub)
	if err != nil {
		return hostInstall{}, err
	}
	resp, err := c.exts.Get(ctx, h.r.group, h.r.name, name, nil)
	var re *azcore.ResponseError
	if errors.As(err, &re) && re.StatusCode == http.StatusNotFound {
		return hostInstall{}, nil
	}
	if err != nil {
		return hostInstall{}, fmt.Errorf("read extension %s on Arc machine %s: %s", name, h.host.Name, reason(err))
	}
	in := hostInstall{present: true}
	in.ok, in.detail, in.ended = extensionOutcome(&resp.MachineExtension)
	return in, nil
}

// extensionOutcome reads an extension's provisioning state: the Custom
// Script handler reports Succeeded once the script exited 0 and Failed
// with the script's exit status and stderr in the instance view otherwise.
func extensionOutcome(e *armhybridcompute.MachineExtension) (ok bool, detail string, ended bool) {
	if e.Properties == nil {
		return false, "", false
	}
	msg := ""
	if iv := e.Properties.InstanceView; iv != nil && iv.Status != nil {
		msg = str(iv.Status.Message)
	}
	switch st := str(e.Properties.ProvisioningState); {
	case strings.EqualFold(st, "Succeeded"):
		return true, "", true
	case strings.EqualFold(st, "Failed"), strings.EqualFold(st, "Canceled"):
		return false, strings.TrimSuffix("extension "+st+": "+tail(msg, 300), ": "), true
	}
	return false, "", false
}

// createExtension PUTs the install extension on one Arc machine, after
// deleting patchgate's extension of an earlier batch there (Arc runs one
// extension per handler). Only the first response is read: the PUT's
// operation lasts as long as the script, and PollInstall reads the
// extension's provisioning state instead, which survives a restart.
func (p *Provider) createExtension(ctx context.Context, h runTarget, name string, req runbooks.SensorInstallRequest, sec sensorSecrets) error {
	c, err := p.sub(h.sub)
	if err != nil {
		return err
	}
	m, err := c.arcs.Get(ctx, h.r.group, h.r.name, nil)
	if err != nil {
		return fmt.Errorf("read Arc machine %s: %s", h.host.Name, reason(err))
	}
	windows := m.Properties != nil && strings.EqualFold(str(m.Properties.OSType), "windows")
	props, err := p.extensionProperties(windows, sec)
	if err != nil {
		return err
	}
	if err := p.clearHandler(ctx, c, h, name, str(props.Publisher), str(props.Type)); err != nil {
		return err
	}
	body := armhybridcompute.MachineExtension{
		Location:   to.Ptr(h.host.Region),
		Tags:       map[string]*string{"patchgate-tag": to.Ptr(req.Tag), "patchgate-deploy": to.Ptr(req.Deploy)},
		Properties: props,
	}
	if _, err := c.exts.BeginCreateOrUpdate(ctx, h.r.group, h.r.name, name, body, nil); err != nil {
		return fmt.Errorf("azure Arc extension %s on %s: %s", name, h.host.Name, reason(err))
	}
	p.cfg.Log.Info("sensor install extension created", "machine", h.host.Name, "extension", name, "tag", req.Tag)
	return nil
}

// extensionProperties builds the Custom Script extension for the
// machine's OS: on Linux the script runs under /bin/sh with FALCON_CID and
// FALCON_INSTALL_TOKEN exported (as the VM run command sets them); on
// Windows it is called with them as named parameters (as the run command
// passes them).
func (p *Provider) extensionProperties(windows bool, sec sensorSecrets) (*armhybridcompute.MachineExtensionProperties, error) {
	if !safeSecret.MatchString(sec.cid) || (sec.token != "" && !safeSecret.MatchString(sec.token)) {
		return nil, runbooks.Errorf(runbooks.CodeBlocked, "the Falcon CID or installer token has characters other than letters, digits, '-' and '_' (edr.deploy.azure)")
	}
	s := p.cfg.Sensor
	protected := map[string]any{}
	if s.ScriptURI != "" {
		protected["fileUris"] = []any{s.ScriptURI}
	}
	props := &armhybridcompute.MachineExtensionProperties{
		AutoUpgradeMinorVersion: to.Ptr(true),
		Settings:                map[string]any{},
		ProtectedSettings:       protected,
	}
	if !windows {
		props.Publisher, props.Type, props.TypeHandlerVersion = to.Ptr(linuxScriptPublisher), to.Ptr(linuxScriptType), to.Ptr(linuxScriptVersion)
		env := "FALCON_CID='" + sec.cid + "'"
		if sec.token != "" {
			env += " FALCON_INSTALL_TOKEN='" + sec.token + "'"
		}
		if s.ScriptURI != "" {
			protected["commandToExecute"] = "env " + env + " /bin/sh ./" + scriptFile(s.ScriptURI)
		} else {
			protected["script"] = base64.StdEncoding.EncodeToString([]byte("export " + env + "\n" + s.Script))
		}
		return props, nil
	}
	props.Publisher, props.Type, props.TypeHandlerVersion = to.Ptr(windowsScriptPublisher), to.Ptr(windowsScriptType), to.Ptr(windowsScriptVersion)
	args := " -" + ParamCID + " '" + sec.cid + "'"
	if sec.token != "" {
		args += " -" + ParamToken + " '" + sec.token + "'"
	}
	ps := "& { " + s.Script + "\n}" + args
	if s.ScriptURI != "" {
		ps = "& .\\" + scriptFile(s.ScriptURI) + args
	}
	cmd := "powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand " + encodePowerShell(ps)
	if len(cmd) > maxCommandLine {
		return nil, runbooks.Errorf(runbooks.CodeBlocked, "the install script is too long for a Windows command line (%d characters encoded, at most %d): set edr.deploy.azure.script_uri instead", len(cmd), maxCommandLine)
	}
	protected["commandToExecute"] = cmd
	return props, nil
}

// scriptFile is the file name the extension downloads a script URI to.
func scriptFile(uri string) string {
	u := uri
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	return path.Base(u)
}

// encodePowerShell is PowerShell's -EncodedCommand form: base64 of UTF-16LE.
func encodePowerShell(s string) string {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// clearHandler deletes patchgate's ended extension of an earlier batch
// that uses the same handler, waiting for the delete (a long-running
// operation) inside the step. Someone else's extension on that handler
// blocks the machine instead (Arc would refuse the PUT, and removing it is
// not patchgate's call); one of patchgate's still running is waited for.
func (p *Provider) clearHandler(ctx context.Context, c *subClients, h runTarget, name, publisher, typ string) error {
	pager := c.exts.NewListPager(h.r.group, h.r.name, nil)
	guard := p.pageGuard("hybridcompute machineExtensions.list of Arc machine " + h.host.Name)
	var stale []string
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list extensions on Arc machine %s: %s", h.host.Name, reason(err))
		}
		if err := guard.Next(str(page.NextLink)); err != nil {
			return err
		}
		for _, e := range page.Value {
			if e == nil || e.Properties == nil || strings.EqualFold(str(e.Name), name) ||
				!strings.EqualFold(str(e.Properties.Publisher), publisher) || !strings.EqualFold(str(e.Properties.Type), typ) {
				continue
			}
			_, _, ended := extensionOutcome(e)
			switch {
			case !strings.HasPrefix(strings.ToLower(str(e.Name)), runCommandPrefix):
				return runbooks.Errorf(runbooks.CodeBlocked, "Arc machine %s already has %s.%s extension %q, not patchgate's: Arc runs one per machine; remove it",
					h.host.Name, publisher, typ, str(e.Name))
			case !ended:
				// Counted against the step like any failed call: the
				// other batch's script ends within the handler's limit.
				return fmt.Errorf("the Arc machine %s still runs patchgate's extension %q of another batch (state %s); trying again later",
					h.host.Name, str(e.Name), str(e.Properties.ProvisioningState))
			}
			stale = append(stale, str(e.Name))
		}
	}
	for _, old := range stale {
		lro, err := c.exts.BeginDelete(ctx, h.r.group, h.r.name, old, nil)
		if err == nil {
			_, err = lro.PollUntilDone(ctx, &runtime.PollUntilDoneOptions{Frequency: p.cfg.PollInterval})
		}
		if err != nil {
			return fmt.Errorf("delete the earlier extension %s on Arc machine %s: %s", old, h.host.Name, reason(err))
		}
		p.cfg.Log.Info("earlier sensor install extension deleted", "machine", h.host.Name, "extension", old)
	}
	return nil
}
