package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/patchgate/patchgate/runbooks"
)

var _ runbooks.SensorInstaller = (*Provider)(nil)

// SensorInstall configures the Falcon sensor install through SSM Run
// Command (edr.deploy). The CID and installer token never travel in the
// command: its parameters name SecureString parameters in SSM Parameter
// Store, which the document reads on the instance with
// `aws ssm get-parameter --with-decryption` (the instance role needs
// ssm:GetParameter on them and kms:Decrypt on their key). SSM logs and
// returns command parameters (ListCommands, the console, CloudTrail), so
// only the names appear there.
type SensorInstall struct {
	// Document is the SSM command document that installs or upgrades the
	// sensor, taking the parameters below; with Package set it is
	// AWS-ConfigureAWSPackage.
	Document string
	// Package is a Distributor package installed through
	// AWS-ConfigureAWSPackage; the parameter names go in its
	// additionalArguments.
	Package string
	// CIDParameter and TokenParameter are the names of the SecureString
	// parameters holding the customer ID (with checksum) and the installer
	// token ("" when the tenant requires none).
	CIDParameter   string
	TokenParameter string
	MaxConcurrency string // SSM rate control per command (default "50")
	MaxErrors      string // default "100%": one host's failure is reported, not spread
}

// Names of the install document's parameters.
const (
	ParamCID   = "CIDParameterName"
	ParamToken = "InstallTokenParameterName"
)

// configurePackage is AWS's document that installs Distributor packages.
const configurePackage = "AWS-ConfigureAWSPackage"

func (p *Provider) sensorDocument() string {
	if p.cfg.Sensor.Package != "" {
		return configurePackage
	}
	return p.cfg.Sensor.Document
}

// sensorParameters are the command's parameters: where the instance reads
// its secrets, never the secrets.
func (p *Provider) sensorParameters() map[string][]string {
	s := p.cfg.Sensor
	names := map[string]string{ParamCID: s.CIDParameter}
	if s.TokenParameter != "" {
		names[ParamToken] = s.TokenParameter
	}
	if s.Package == "" {
		out := map[string][]string{}
		for k, v := range names {
			out[k] = []string{v}
		}
		return out
	}
	args, _ := json.Marshal(names)
	return map[string][]string{"action": {"Install"}, "installationType": {"Uninstall and reinstall"},
		"name": {s.Package}, "additionalArguments": {string(args)}}
}

// FindInstall returns the commands an earlier step sent for req.Tag (the
// command comment carries it), when they cover every chunk.
func (p *Provider) FindInstall(ctx context.Context, req runbooks.SensorInstallRequest) (runbooks.SensorInstallStatus, bool, error) {
	h, complete, err := p.sendSensor(ctx, req, false)
	if err != nil || !complete || len(h.Parts) == 0 {
		return runbooks.SensorInstallStatus{}, false, err
	}
	return runbooks.SensorInstallStatus{Handle: h.encode(), Source: runbooks.SourceAWSSSM}, true, nil
}

// StartInstall sends the install document to every chunk of ≤ 50
// instances that has no command for req.Tag yet.
func (p *Provider) StartInstall(ctx context.Context, req runbooks.SensorInstallRequest) (runbooks.SensorInstallStatus, error) {
	if p.sensorDocument() == "" || p.cfg.Sensor.CIDParameter == "" {
		return runbooks.SensorInstallStatus{}, runbooks.Errorf(runbooks.CodeBlocked,
			"no sensor install document or CID parameter is configured (edr.deploy.aws)")
	}
	h, _, err := p.sendSensor(ctx, req, true)
	if err != nil {
		return runbooks.SensorInstallStatus{}, err
	}
	return runbooks.SensorInstallStatus{Handle: h.encode(), Source: runbooks.SourceAWSSSM}, nil
}

// PollInstall reads every instance's invocation; once all finished, each
// host's outcome with SSM's reason for a failure.
func (p *Provider) PollInstall(ctx context.Context, req runbooks.SensorInstallRequest, hs string) (runbooks.SensorInstallStatus, error) {
	h, err := decodeHandle(hs, "sensor")
	if err != nil {
		return runbooks.SensorInstallStatus{}, err
	}
	st, err := p.commandStatus(ctx, h)
	if err != nil {
		return runbooks.SensorInstallStatus{}, err
	}
	out := runbooks.SensorInstallStatus{Handle: hs, Done: st.Done, Source: runbooks.SourceAWSSSM}
	if !st.Done {
		return out, nil
	}
	failed := map[string]string{}
	for _, f := range st.Findings {
		failed[f.HostID] = f.Reason
	}
	for _, pt := range h.Parts {
		for _, ids := range pt.Commands {
			for _, id := range ids {
				r, bad := failed[id]
				out.Hosts = append(out.Hosts, runbooks.SensorHostResult{HostID: id, OK: !bad, Detail: r})
			}
		}
	}
	sort.Slice(out.Hosts, func(i, j int) bool { return out.Hosts[i].HostID < out.Hosts[j].HostID })
	return out, nil
}

// sendSensor finds (and with send, sends) the install commands of req.
func (p *Provider) sendSensor(ctx context.Context, req runbooks.SensorInstallRequest, send bool) (handle, bool, error) {
	doc := p.sensorDocument()
	h := handle{Kind: "sensor", Tag: req.Tag, Started: p.cfg.Clock.Now().UTC(), Hosts: labels(awsHosts(req.Hosts))}
	complete := true
	for _, s := range scopes(req.Hosts) {
		c := p.clientsFor(s.Account, s.Region)
		have, err := p.listCommands(ctx, c, doc, "patchgate sensor ")
		if err != nil {
			return handle{}, false, err
		}
		part := opPart{Account: s.Account, Region: s.Region, Commands: map[string][]string{}}
		cs := chunks(s.Hosts)
		for i, ids := range cs {
			cm := comment("sensor", req.Tag, i, len(cs))
			if cmd, ok := have[cm]; ok {
				part.Commands[aws.ToString(cmd.CommandId)] = ids
				continue
			}
			complete = false
			if !send {
				continue
			}
			id, err := p.sendSensorCommand(ctx, c, doc, cm, ids)
			if err != nil {
				return handle{}, false, err
			}
			part.Commands[id] = ids
		}
		h.Parts = append(h.Parts, part)
	}
	return h, complete, nil
}

func (p *Provider) sendSensorCommand(ctx context.Context, c *regional, doc, cm string, ids []string) (string, error) {
	s := p.cfg.Sensor
	var out *ssm.SendCommandOutput
	err := p.call(ctx, c.account, func() (err error) {
		out, err = c.ssm.SendCommand(ctx, &ssm.SendCommandInput{
			DocumentName: aws.String(doc), InstanceIds: ids, Parameters: p.sensorParameters(), Comment: aws.String(cm),
			MaxConcurrency: aws.String(orDefault(s.MaxConcurrency, "50")), MaxErrors: aws.String(orDefault(s.MaxErrors, "100%")),
		})
		return err
	})
	if err != nil {
		return "", fmt.Errorf("ssm SendCommand %s to %d instances in %s/%s: %w", doc, len(ids), c.account, c.region, err)
	}
	id := aws.ToString(out.Command.CommandId)
	p.cfg.Log.Info("sensor install command sent", "document", doc, "command", id, "instances", len(ids), "account", c.account, "region", c.region)
	return id, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
