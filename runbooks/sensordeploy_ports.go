package runbooks

import (
	"context"
	"time"
)

// SensorInstallRequest is one batch of a sensor deployment: hosts of one
// cloud to install or upgrade the sensor on. Tag is unique per batch and
// attempt; the provider labels its command with it so FindInstall finds a
// command a crashed step sent.
type SensorInstallRequest struct {
	Tag    string `json:"tag"`
	Deploy string `json:"deploy"`
	Tenant string `json:"tenant"`
	Env    string `json:"env"`
	Hosts  []Host `json:"hosts"`
}

// SensorInstallStatus is what the cloud's agent reports about a batch.
type SensorInstallStatus struct {
	Handle string
	Done   bool // every host finished (succeeded or failed)
	// Hosts are the finished hosts' outcomes.
	Hosts  []SensorHostResult
	Source string // the system that ran the command (aws-ssm, azure-run-command, gcp-osconfig, simulation)
}

// SensorHostResult is one host's outcome of an install command.
type SensorHostResult struct {
	HostID string
	OK     bool
	Detail string // why it failed, from the agent's output
}

// SensorInstaller installs or upgrades the EDR sensor through each cloud's
// own agent (SSM Run Command, Azure Run Command / Arc extension, GCP OS
// Config), never SSH. The sensor's CID and installer token never travel as
// a plain command parameter: the command names where the host reads them
// (an SSM SecureString parameter, a Secret Manager secret) or carries them
// as a protected parameter the cloud neither logs nor returns.
type SensorInstaller interface {
	// FindInstall returns the command an earlier step sent for req.Tag.
	FindInstall(ctx context.Context, req SensorInstallRequest) (SensorInstallStatus, bool, error)
	StartInstall(ctx context.Context, req SensorInstallRequest) (SensorInstallStatus, error)
	PollInstall(ctx context.Context, req SensorInstallRequest, handle string) (SensorInstallStatus, error)
}

// SensorTarget is a host a deployment picks by default: its sensor is
// missing, outdated or in reduced-functionality mode.
type SensorTarget struct {
	Host   Host
	Action string // SensorInstall or SensorUpgrade
	Why    string
}

// SensorCheck is one validation check a host failed: what was found, what
// was expected and the fix.
type SensorCheck struct {
	HostID   string `json:"host"`
	HostName string `json:"name,omitempty"`
	Check    string `json:"check"`
	Got      string `json:"got"`
	Want     string `json:"want"`
	Fix      string `json:"fix"`
}

// SensorFleet reads what the EDR console says about hosts: which need a
// sensor (coverage) and whether deployed ones pass validation (registered,
// matched to the instance ID, host group, policies, version, not in RFM).
// runbooks/edr implements it over Falcon or the simulation.
type SensorFleet interface {
	SensorTargets(ctx context.Context, tenant Tenant, env Environment) ([]SensorTarget, error)
	ValidateSensors(ctx context.Context, tenant, env string, hosts []Host) (failed []SensorCheck, sources []string, err error)
}

// SensorDeploySettings tune deployments (the edr.deploy section).
type SensorDeploySettings struct {
	// BatchSize is the most hosts one install command carries (default 50,
	// SSM's SendCommand limit).
	BatchSize int
	// Concurrency is how many batches run at once (default 2).
	Concurrency int
	// RegisterWait is how long validation waits for installed sensors to
	// register before it fails (default 15m); ValidateEvery is how often it
	// looks meanwhile (default 1m).
	RegisterWait  time.Duration
	ValidateEvery time.Duration
}

// Deployment defaults.
const (
	DefaultDeployBatchSize   = 50
	DefaultDeployConcurrency = 2
	DefaultRegisterWait      = 15 * time.Minute
	DefaultValidateEvery     = time.Minute
)

func (s SensorDeploySettings) withDefaults() SensorDeploySettings {
	if s.BatchSize <= 0 {
		s.BatchSize = DefaultDeployBatchSize
	}
	if s.Concurrency <= 0 {
		s.Concurrency = DefaultDeployConcurrency
	}
	if s.RegisterWait <= 0 {
		s.RegisterWait = DefaultRegisterWait
	}
	if s.ValidateEvery <= 0 {
		s.ValidateEvery = DefaultValidateEvery
	}
	return s
}
