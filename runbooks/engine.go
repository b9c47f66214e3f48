package runbooks

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/patchgate/patchgate/state"
)

// Deps are the outside systems the engine drives. Store, Inventory, Backups
// and Patcher are required; a nil Sensors or Health skips its gate only if
// the pipeline does not ask for it (New refuses otherwise).
type Deps struct {
	Store     state.Store
	Clock     Clock
	Inventory Inventory
	Sensors   Sensors
	Backups   Backups
	Patcher   Patcher
	Health    Health
	Pager     Pager
	Chat      Chat
	Reporter  Reporter
	Directory Directory
	Changes   Changes // optional: change events for production patch windows
	Access    Access  // optional: the access report for CC6.1
	// ChangeRecords keeps a change record per cycle in ServiceNow or Jira
	// (optional: nil leaves change records off).
	ChangeRecords ChangeRecords
	// Restorer returns hosts to their pre-patch backups (optional: nil
	// refuses rollbacks).
	Restorer Restorer
	// SensorInstaller and SensorFleet install the EDR sensor through the
	// clouds' agents and read the EDR console (optional: without both,
	// sensor deployments are refused).
	SensorInstaller SensorInstaller
	SensorFleet     SensorFleet
	// Notary signs audit heads and anchors them outside the store
	// (optional: without it the chains are hash-chained only).
	Notary Notary
	// Archive receives each finished cycle's audit streams before the
	// cycle is archived (optional).
	Archive Archive
	// Prevention is the EDR console prevention rollouts act on (optional:
	// nil refuses them).
	Prevention PreventionConsole
	// Compliance re-evaluates AWS Config rules after a remediation
	// patched (optional: without it a remediation ends unverified).
	Compliance ComplianceEvaluator
	Log        *slog.Logger
}

// Config tunes the engine loop.
type Config struct {
	Replica   string        // names this engine in leases; unique per process
	Tick      time.Duration // how often active cycles are reconciled
	LeaseTTL  time.Duration // how long a cycle lease lasts without renewal
	Workers   int           // cycles reconciled at once
	MaxSteps  int           // steps per cycle per lease before yielding
	MaxErrors int           // consecutive provider errors before a stage fails
	// StepTimeout bounds one provider call; on shutdown a running step gets
	// this long to reach its write.
	StepTimeout time.Duration
	// RecordTimeout bounds the write that records a step's outcome (and
	// the chat delivery after it). It starts when the call ends, so a call
	// that used up its StepTimeout is still recorded as a failed attempt.
	RecordTimeout time.Duration
	// Requesters and RequesterGroups may start cycles by hand; both empty
	// lets anyone. The scheduler (ActorSystem) always may.
	Requesters      []string
	RequesterGroups []string
	// WriteFormat is the record format written (default RecordFormat).
	// During a rolling update from a release that reads only format 1,
	// every replica of this release writes format 1 until none of the old
	// release is left; records of either format are always read.
	WriteFormat int
	// ChangePoll is how often a change record awaiting approval is looked
	// at (default DefaultChangePoll).
	ChangePoll time.Duration

	// Remediation tunes event-driven remediation runbooks.
	Remediation RemediationSettings
	// SensorDeploy tunes sensor deployments (batch size, concurrency,
	// registration wait); zero fields take their defaults.
	SensorDeploy SensorDeploySettings

	// Freezes are the configured change freezes (the freezes section);
	// approvers add others by command (see Engine.Freeze).
	Freezes []Freeze

	// Prevention is each tier's Detection → Prevention rollout settings
	// (the edr.prevention section).
	Prevention PreventionSettings
}

// DefaultConfig is the engine's tuning when nothing else is said; config's
// engine section starts from it, so the file's defaults are these.
func DefaultConfig() Config {
	return Config{Tick: 2 * time.Second, LeaseTTL: 60 * time.Second, Workers: 8, MaxSteps: 64, MaxErrors: 3,
		StepTimeout: DefaultStepTimeout, RecordTimeout: DefaultRecordTimeout, WriteFormat: RecordFormat,
		ChangePoll: DefaultChangePoll}
}

func (c *Config) defaults() {
	def := DefaultConfig()
	if c.Replica == "" {
		c.Replica = ReplicaID("")
	}
	if c.Tick <= 0 {
		c.Tick = def.Tick
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = def.LeaseTTL
	}
	if c.Workers <= 0 {
		c.Workers = def.Workers
	}
	if c.MaxSteps <= 0 {
		c.MaxSteps = def.MaxSteps
	}
	if c.MaxErrors <= 0 {
		c.MaxErrors = def.MaxErrors
	}
	if c.StepTimeout <= 0 {
		c.StepTimeout = def.StepTimeout
	}
	if c.RecordTimeout <= 0 {
		c.RecordTimeout = DefaultRecordTimeout
	}
	if c.WriteFormat <= 0 || c.WriteFormat > RecordFormat {
		c.WriteFormat = RecordFormat
	}
}

// DefaultRecordTimeout bounds the write that records a step's outcome.
const DefaultRecordTimeout = 10 * time.Second

// Engine reconciles patch cycles and takes people's decisions on them.
// Several engines (replicas) may share one store.
type Engine struct {
	cfg      Config
	deps     Deps
	tenants  map[string]Tenant
	order    []string // tenant names in configuration order
	pipeline Pipeline
	log      *slog.Logger
	held     heldLeases
}

// New builds an engine for the given tenants and pipeline.
func New(cfg Config, deps Deps, tenants []Tenant, pipeline Pipeline) (*Engine, error) {
	cfg.defaults()
	var missing []string
	for name, ok := range map[string]bool{
		"store": deps.Store != nil, "inventory": deps.Inventory != nil,
		"backups": deps.Backups != nil, "patcher": deps.Patcher != nil,
	} {
		if !ok {
			missing = append(missing, name)
		}
	}
	for _, s := range pipeline {
		if s.HealthGate && deps.Health == nil {
			missing = append(missing, "health (the "+s.Env+" health gate needs it)")
		}
		if s.SensorGate && deps.Sensors == nil {
			missing = append(missing, "sensors (the "+s.Env+" sensor gate needs it)")
		}
		if s.RequireChangeApproval && deps.ChangeRecords == nil {
			missing = append(missing, "change records (the "+s.Env+" tier requires change approval)")
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("engine: missing dependencies: %v", missing)
	}
	if len(pipeline) == 0 {
		return nil, errors.New("engine: the pipeline has no environments")
	}
	if deps.Clock == nil {
		deps.Clock = SystemClock
	}
	if deps.Log == nil {
		deps.Log = slog.Default()
	}
	e := &Engine{cfg: cfg, deps: deps, tenants: map[string]Tenant{}, pipeline: pipeline,
		log: deps.Log.With("replica", cfg.Replica)}
	for _, t := range tenants {
		e.tenants[t.Name] = t
		e.order = append(e.order, t.Name)
	}
	return e, nil
}

// Tenants returns the configured tenants in configuration order.
func (e *Engine) Tenants() []Tenant {
	out := make([]Tenant, 0, len(e.order))
	for _, n := range e.order {
		out = append(out, e.tenants[n])
	}
	return out
}

// Pipeline returns the configured environment tiers.
func (e *Engine) Pipeline() Pipeline { return e.pipeline }

// Replica names this engine.
func (e *Engine) Replica() string { return e.cfg.Replica }

func (e *Engine) now() time.Time { return e.deps.Clock.Now().UTC() }
