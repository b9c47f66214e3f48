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
// Command on Azure VMs and the Custom Script extension on Arc machines
// (sensor_arc.go) (edr.deploy.azure). Azure has no SecureString
// indirection a script could read, so the CID and the installer token
// travel, but only as protectedParameters (run command) or
// protectedSettings (extension): ARM encrypts them, never returns them
// (not in a GET nor an instance view) and the handlers do not log them.
// They are read from their secrets when a batch is sent, never earlier,
// and never kept.
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
	// Timeout bounds the script on a VM (default 30m); the Arc Custom
	// Script handler has its own limit and no setting for it.
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

// installHandle is a batch's handle: the resource's name on each of the
// request's machines, prefixed by what it is (a run command on VMs, a
// machine extension on Arc machines).
func installHandle(tag string, hosts []runTarget) string {
	vm, arc := false, false
	for _, h := range hosts {
		vm = vm || h.r.kind == kindVM
		arc = arc || h.r.kind == kindArc
	}
	switch {
	case arc && vm:
		return "azure-run-command+arc-extension:" + runCommandName(tag)
	case arc:
		return "azure-arc-extension:" + runCommandName(tag)
	}
	return runCommandHandle(tag)
}

// installSource names the systems that ran a batch's installer.
func installSource(hosts []runTarget) string {
	var vm, arc bool
	for _, h := range hosts {
		vm = vm || h.r.kind == kindVM
		arc = arc || h.r.kind == kindArc
	}
	switch {
	case arc && vm:
		return runbooks.SourceAzureVM + "+" + runbooks.SourceAzureArc
	case arc:
		return runbooks.SourceAzureArc
	}
	return runbooks.SourceAzureVM
}

// FindInstall reports the batch as sent when every machine of the request
// has its run command or extension (ARM keeps them by name until deleted).
func (p *Provider) FindInstall(ctx context.Context, req runbooks.SensorInstallRequest) (runbooks.SensorInstallStatus, bool, error) {
	hosts, err := runTargets(req)
	if err != nil {
		return runbooks.SensorInstallStatus{}, false, err
	}
	have, err := p.installs(ctx, req.Tag, hosts)
	if err != nil {
		return runbooks.SensorInstallStatus{}, false, err
	}
	for _, in := range have {
		if !in.present {
			return runbooks.SensorInstallStatus{}, false, nil
		}
	}
	return runbooks.SensorInstallStatus{Handle: installHandle(req.Tag, hosts), Source: installSource(hosts)}, len(have) > 0, nil
}

// StartInstall creates the batch's run command on each VM, and its
// extension on each Arc machine, that has none yet (under the
// per-subscription bound), with the CID and token read from their secrets
// now and sent only as protected parameters or settings.
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
	have, err := p.installs(ctx, req.Tag, hosts)
	if err != nil {
		return runbooks.SensorInstallStatus{}, err
	}
	secrets, err := p.sensorSecrets(ctx)
	if err != nil {
		return runbooks.SensorInstallStatus{}, err
	}
	name := runCommandName(req.Tag)
	err = p.each(ctx, len(hosts), func(i int) string { return hosts[i].sub }, func(ctx context.Context, i int) error {
		switch {
		case have[i].present:
			return nil // sent before a restart
		case hosts[i].r.kind == kindArc:
			return p.createExtension(ctx, hosts[i], name, req, secrets)
		}
		return p.createRunCommand(ctx, hosts[i], name, req, secrets.runCommandParams())
	})
	if err != nil {
		return runbooks.SensorInstallStatus{}, err
	}
	return runbooks.SensorInstallStatus{Handle: installHandle(req.Tag, hosts), Source: installSource(hosts)}, nil
}

// sensorSecrets are the CID and installer token, read for one batch.
type sensorSecrets struct{ cid, token string }

// runCommandParams are the secrets as a run command's protected parameters.
func (s sensorSecrets) runCommandParams() []*armcompute.RunCommandInputParameter {
	out := []*armcompute.RunCommandInputParameter{{Name: to.Ptr(ParamCID), Value: to.Ptr(s.cid)}}
	if s.token != "" {
		out = append(out, &armcompute.RunCommandInputParameter{Name: to.Ptr(ParamToken), Value: to.Ptr(s.token)})
	}
	return out
}

// sensorSecrets resolves the secrets.
func (p *Provider) sensorSecrets(ctx context.Context) (sensorSecrets, error) {
	s := p.cfg.Sensor
	cid, err := s.CID(ctx)
	if err != nil || cid == "" {
		return sensorSecrets{}, runbooks.Errorf(runbooks.CodeBlocked, "read the Falcon CID secret (edr.deploy.azure.cid_secret): %v", errOrEmpty(err))
	}
	out := sensorSecrets{cid: cid}
	if s.Token != nil {
		if out.token, err = s.Token(ctx); err != nil {
			return sensorSecrets{}, runbooks.Errorf(runbooks.CodeBlocked, "read the Falcon installer token secret (edr.deploy.azure.token_secret): %v", err)
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

// PollInstall reads each VM's run command instance view and each Arc
// machine's extension; once every one ended, each host's outcome with the
// installer's exit code and message.
func (p *Provider) PollInstall(ctx context.Context, req runbooks.SensorInstallRequest, handle string) (runbooks.SensorInstallStatus, error) {
	hosts, err := runTargets(req)
	if err != nil {
		return runbooks.SensorInstallStatus{}, err
	}
	if handle != installHandle(req.Tag, hosts) {
		return runbooks.SensorInstallStatus{}, fmt.Errorf("sensor install handle %.80q is not batch %s's", handle, req.Tag)
	}
	have, err := p.installs(ctx, req.Tag, hosts)
	if err != nil {
		return runbooks.SensorInstallStatus{}, err
	}
	out := runbooks.SensorInstallStatus{Handle: handle, Done: true, Source: installSource(hosts)}
	for i, in := range have {
		if !in.ended {
			out.Done = false
			continue
		}
		out.Hosts = append(out.Hosts, runbooks.SensorHostResult{HostID: hosts[i].host.ID, OK: in.ok, Detail: in.detail})
	}
	sort.Slice(out.Hosts, func(i, j int) bool { return out.Hosts[i].HostID < out.Hosts[j].HostID })
	return out, nil
}

// hostInstall is one machine's install as ARM shows it.
type hostInstall struct {
	present   bool // the run command or extension exists
	ended, ok bool
	detail    string // why it failed
}

// installs reads the batch's run command or extension on each machine.
// One that vanished counts as failed: the installer cannot be said to
// have run.
func (p *Provider) installs(ctx context.Context, tag string, hosts []runTarget) ([]hostInstall, error) {
	name := runCommandName(tag)
	out := make([]hostInstall, len(hosts))
	err := p.each(ctx, len(hosts), func(i int) string { return hosts[i].sub }, func(ctx context.Context, i int) error {
		var err error
		if hosts[i].r.kind == kindArc {
			out[i], err = p.readExtension(ctx, hosts[i], name)
			return err
		}
		rc, err := p.readRunCommand(ctx, hosts[i], name)
		if err != nil {
			return err
		}
		out[i].present = rc != nil
		out[i].ok, out[i].detail, out[i].ended = runCommandOutcome(rc)
		return nil
	})
	return out, err
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

// runTargets parses the request's hosts: VMs and Arc machines.
func runTargets(req runbooks.SensorInstallRequest) ([]runTarget, error) {
	out := make([]runTarget, 0, len(req.Hosts))
	for _, h := range req.Hosts {
		r, err := parseMachine(h.ID)
		if err != nil {
			return nil, runbooks.Errorf(runbooks.CodeInvalid, "%v", err)
		}
		out = append(out, runTarget{host: h, r: r, sub: r.sub})
	}
	return out, nil
}

// readRunCommand reads the batch's run command on a VM with its instance
// view (nil when there is none).
func (p *Provider) readRunCommand(ctx context.Context, h runTarget, name string) (*armcompute.VirtualMachineRunCommand, error) {
	c, err := p.sub(h.sub)
	if err != nil {
		return nil, err
	}
	resp, err := c.runs.GetByVirtualMachine(ctx, h.r.group, h.r.name, name,
		&armcompute.VirtualMachineRunCommandsClientGetByVirtualMachineOptions{Expand: to.Ptr("instanceView")})
	var re *azcore.ResponseError
	if errors.As(err, &re) && re.StatusCode == http.StatusNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read run command %s on %s: %s", name, h.host.Name, reason(err))
	}
	return &resp.VirtualMachineRunCommand, nil
}
