package azure

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v8"

	"github.com/patchgate/patchgate/runbooks"
)

var _ runbooks.SensorInstaller = (*Provider)(nil)

// SensorInstall configures the Falcon sensor install through managed Run
// Command on Azure VMs (edr.deploy.azure). Azure has no SecureString
// indirection a script could read, so the CID and the installer token
// travel, but only as protectedParameters: ARM encrypts them, never returns
// them (not in the run command's GET nor its instance view) and the
// extension does not log them. They are read from their secrets when a
// batch is sent, never earlier, and never kept.
type SensorInstall struct {
	// Script is the shell (Linux) or PowerShell (Windows) script the run
	// command runs; it reads the CID from the FALCON_CID protected
	// parameter (an environment variable on Linux, a script parameter on
	// Windows) and the token from FALCON_INSTALL_TOKEN. ScriptURI names a
	// blob instead.
	Script    string
	ScriptURI string
	// CID and Token resolve the secrets; Token may be nil when the CID
	// needs no installer token.
	CID   func(context.Context) (string, error)
	Token func(context.Context) (string, error)
	// Timeout bounds the script on the VM (default 30m).
	Timeout time.Duration
}

// Enabled reports whether an install script is configured.
func (s SensorInstall) Enabled() bool { return s.Script != "" || s.ScriptURI != "" }

// Names of the run command's protected parameters.
const (
	ParamCID   = "FALCON_CID"
	ParamToken = "FALCON_INSTALL_TOKEN"
)

// runCommandPrefix starts every run command patchgate creates; the rest
// of the name is the batch's tag, so a step that crashed after the PUT
// finds the command by name instead of running the installer again.
const runCommandPrefix = "patchgate-sensor-"

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// runCommandName is the managed run command's resource name for tag.
func runCommandName(tag string) string {
	n := runCommandPrefix + strings.Trim(unsafeName.ReplaceAllString(tag, "-"), "-")
	if len(n) > 80 {
		n = n[:80]
	}
	return n
}

// runCommandHandle is the handle of a batch: the run command's name on
// each of the request's VMs.
func runCommandHandle(tag string) string { return "azure-run-command:" + runCommandName(tag) }

// FindInstall reports the batch's run command as sent when every VM of
// the request has it (ARM keeps it by its name until deleted).
func (p *Provider) FindInstall(ctx context.Context, req runbooks.SensorInstallRequest) (runbooks.SensorInstallStatus, bool, error) {
	have, err := p.runCommands(ctx, req)
	if err != nil {
		return runbooks.SensorInstallStatus{}, false, err
	}
	for _, rc := range have {
		if rc == nil {
			return runbooks.SensorInstallStatus{}, false, nil
		}
	}
	return runbooks.SensorInstallStatus{Handle: runCommandHandle(req.Tag), Source: runbooks.SourceAzureVM}, len(have) > 0, nil
}

// StartInstall creates the batch's run command on each VM that has none
// yet (under the per-subscription bound), with the CID and token read
// from their secrets now and sent only as protected parameters.
func (p *Provider) StartInstall(ctx context.Context, req runbooks.SensorInstallRequest) (runbooks.SensorInstallStatus, error) {
	s := p.cfg.Sensor
	if !s.Enabled() || s.CID == nil {
		return runbooks.SensorInstallStatus{}, runbooks.Errorf(runbooks.CodeBlocked,
			"no sensor install script or CID secret is configured (edr.deploy.azure)")
	}
	hosts, err := runTargets(req)
	if err != nil {
		return runbooks.SensorInstallStatus{}, err
	}
	have, err := p.runCommands(ctx, req)
	if err != nil {
		return runbooks.SensorInstallStatus{}, err
	}
	secrets, err := p.sensorSecrets(ctx)
	if err != nil {
		return runbooks.SensorInstallStatus{}, err
	}
	name := runCommandName(req.Tag)
	err = p.each(ctx, len(hosts), func(i int) string { return hosts[i].sub }, func(ctx context.Context, i int) error {
		if have[i] != nil {
			return nil // sent before a restart
		}
		return p.createRunCommand(ctx, hosts[i], name, req, secrets)
	})
	if err != nil {
		return runbooks.SensorInstallStatus{}, err
	}
	return runbooks.SensorInstallStatus{Handle: runCommandHandle(req.Tag), Source: runbooks.SourceAzureVM}, nil
}

// sensorSecrets resolves the protected parameters.
func (p *Provider) sensorSecrets(ctx context.Context) ([]*armcompute.RunCommandInputParameter, error) {
	s := p.cfg.Sensor
	cid, err := s.CID(ctx)
	if err != nil || cid == "" {
		return nil, runbooks.Errorf(runbooks.CodeBlocked, "read the Falcon CID secret (edr.deploy.azure.cid_secret): %v", errOrEmpty(err))
	}
	out := []*armcompute.RunCommandInputParameter{{Name: to.Ptr(ParamCID), Value: to.Ptr(cid)}}
	if s.Token != nil {
		tok, err := s.Token(ctx)
		if err != nil {
			return nil, runbooks.Errorf(runbooks.CodeBlocked, "read the Falcon installer token secret (edr.deploy.azure.token_secret): %v", err)
		}
		if tok != "" {
			out = append(out, &armcompute.RunCommandInputParameter{Name: to.Ptr(ParamToken), Value: to.Ptr(tok)})
		}
	}
	return out, nil
}

func errOrEmpty(err error) error {
	if err == nil {
		return errors.New("the secret is empty")
	}
	return err
}

// createRunCommand PUTs the managed run command on one VM. Only the first
// response is read: the script runs for minutes and PollInstall reads its
// instance view; ARM's error (never the request) is what a failure says.
func (p *Provider) createRunCommand(ctx context.Context, h runTarget, name string, req runbooks.SensorInstallRequest, secrets []*armcompute.RunCommandInputParameter) error {
	c, err := p.sub(h.sub)
	if err != nil {
		return err
	}
	s := p.cfg.Sensor
	src := &armcompute.VirtualMachineRunCommandScriptSource{}
	if s.ScriptURI != "" {
		src.ScriptURI = to.Ptr(s.ScriptURI)
	} else {
		src.Script = to.Ptr(s.Script)
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Minute
	}
	body := armcompute.VirtualMachineRunCommand{
		Location: to.Ptr(h.host.Region),
		Tags:     map[string]*string{"patchgate-tag": to.Ptr(req.Tag), "patchgate-deploy": to.Ptr(req.Deploy)},
		Properties: &armcompute.VirtualMachineRunCommandProperties{
			Source:              src,
			ProtectedParameters: secrets,
			// The script runs while patchgate polls its instance view; the
			// PUT returns as soon as it starts.
			AsyncExecution:   to.Ptr(true),
			TimeoutInSeconds: to.Ptr(int32(timeout.Seconds())),
		},
	}
	if _, err := c.runs.BeginCreateOrUpdate(ctx, h.r.group, h.r.name, name, body, nil); err != nil {
		return fmt.Errorf("azure run command %s on %s: %s", name, h.host.Name, reason(err))
	}
	p.cfg.Log.Info("sensor install run command created", "vm", h.host.Name, "run_command", name, "tag", req.Tag)
	return nil
}

// PollInstall reads each VM's run command instance view; once every one
// ended, each host's outcome with the script's exit code and message.
func (p *Provider) PollInstall(ctx context.Context, req runbooks.SensorInstallRequest, handle string) (runbooks.SensorInstallStatus, error) {
	if handle != runCommandHandle(req.Tag) {
		return runbooks.SensorInstallStatus{}, fmt.Errorf("sensor install handle %.80q is not batch %s's run command", handle, req.Tag)
	}
	hosts, err := runTargets(req)
	if err != nil {
		return runbooks.SensorInstallStatus{}, err
	}
	have, err := p.runCommands(ctx, req)
	if err != nil {
		return runbooks.SensorInstallStatus{}, err
	}
	out := runbooks.SensorInstallStatus{Handle: handle, Done: true, Source: runbooks.SourceAzureVM}
	for i, rc := range have {
		ok, detail, ended := runCommandOutcome(rc)
		if !ended {
			out.Done = false
			continue
		}
		out.Hosts = append(out.Hosts, runbooks.SensorHostResult{HostID: hosts[i].host.ID, OK: ok, Detail: detail})
	}
	sort.Slice(out.Hosts, func(i, j int) bool { return out.Hosts[i].HostID < out.Hosts[j].HostID })
	return out, nil
}

// runCommandOutcome reads a run command's instance view. A command that
// vanished counts as failed: the installer cannot be said to have run.
func runCommandOutcome(rc *armcompute.VirtualMachineRunCommand) (ok bool, detail string, ended bool) {
	if rc == nil {
		return false, "the run command is gone (deleted on the VM)", true
	}
	var iv *armcompute.VirtualMachineRunCommandInstanceView
	if rc.Properties != nil {
		iv = rc.Properties.InstanceView
	}
	if iv == nil || iv.ExecutionState == nil {
		return false, "", false
	}
	switch st := *iv.ExecutionState; st {
	case armcompute.ExecutionStateSucceeded:
		if i32(iv.ExitCode) == 0 {
			return true, "", true
		}
		return false, fmt.Sprintf("the install script exited %d: %s", i32(iv.ExitCode), tail(str(iv.Error), 200)), true
	case armcompute.ExecutionStateFailed, armcompute.ExecutionStateTimedOut, armcompute.ExecutionStateCanceled:
		return false, strings.TrimSuffix(fmt.Sprintf("run command %s (exit %d): %s: %s", st, i32(iv.ExitCode), str(iv.ExecutionMessage), tail(str(iv.Error), 200)), ": "), true
	}
	return false, "", false
}

// tail keeps the last n bytes of a script's output.
func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// runTarget is one VM of a request with its parsed resource ID.
type runTarget struct {
	host runbooks.Host
	r    resource
	sub  string
}

// runTargets parses the request's hosts; Arc machines are refused: managed
// run commands are a Microsoft.Compute resource and the Arc module in use
// has none.
func runTargets(req runbooks.SensorInstallRequest) ([]runTarget, error) {
	out := make([]runTarget, 0, len(req.Hosts))
	for _, h := range req.Hosts {
		r, err := parseMachine(h.ID)
		if err != nil {
			return nil, runbooks.Errorf(runbooks.CodeInvalid, "%v", err)
		}
		if r.kind != kindVM {
			return nil, runbooks.Errorf(runbooks.CodeBlocked, "%s is an Arc machine: the sensor deployment installs through VM run commands only; install it through the Arc Falcon extension", h.Name)
		}
		out = append(out, runTarget{host: h, r: r, sub: r.sub})
	}
	return out, nil
}

// runCommands reads the batch's run command on each VM (nil where there
// is none), with its instance view.
func (p *Provider) runCommands(ctx context.Context, req runbooks.SensorInstallRequest) ([]*armcompute.VirtualMachineRunCommand, error) {
	hosts, err := runTargets(req)
	if err != nil {
		return nil, err
	}
	name := runCommandName(req.Tag)
	out := make([]*armcompute.VirtualMachineRunCommand, len(hosts))
	err = p.each(ctx, len(hosts), func(i int) string { return hosts[i].sub }, func(ctx context.Context, i int) error {
		c, err := p.sub(hosts[i].sub)
		if err != nil {
			return err
		}
		resp, err := c.runs.GetByVirtualMachine(ctx, hosts[i].r.group, hosts[i].r.name, name,
			&armcompute.VirtualMachineRunCommandsClientGetByVirtualMachineOptions{Expand: to.Ptr("instanceView")})
		var re *azcore.ResponseError
		if errors.As(err, &re) && re.StatusCode == http.StatusNotFound {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read run command %s on %s: %s", name, hosts[i].host.Name, reason(err))
		}
		out[i] = &resp.VirtualMachineRunCommand
		return nil
	})
	return out, err
}
