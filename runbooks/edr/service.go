package edr

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// Chat posts the daily sensor coverage digest.
type Chat interface {
	PostSensorCoverage(ctx context.Context, c Coverage) error
}

// Service answers sensor coverage and validation for `/patch sensors`,
// `patchgate sensors` and the daily digest: one function for all three.
type Service struct {
	Tenants   []runbooks.Tenant
	Inventory runbooks.Inventory
	// Fleet reads sensors (Falcon, or the simulation); nil: coverage is
	// not measured and says so.
	Fleet Fleet
	// Tiers are the expectations per environment, by environment name.
	Tiers map[string]Tier
	Chat  Chat           // nil: no digest
	Clock runbooks.Clock // nil: the wall clock
	Log   *slog.Logger
	// Timeout bounds each read of one environment's inventory and sensors
	// (engine.step_timeout), so a silent peer marks that environment not
	// measured instead of holding the command; 0: no bound.
	Timeout time.Duration
}

// Coverage is the sensor coverage of tenants' environments at one time.
type Coverage struct {
	At   time.Time     `json:"at"`
	Envs []EnvCoverage `json:"envs"`
}

// ErrNoFleet is returned when no EDR console is configured to read.
var ErrNoFleet = runbooks.Errorf(runbooks.CodeInvalid, "No EDR sensor source (providers.falcon, or the simulation) is configured on this patchgate.")

// Coverage measures every environment of tenant (all tenants when "").
// An environment whose inventory or sensors could not be read carries the
// error and claims no gaps; the joined errors are returned beside the
// coverage of the rest.
func (s *Service) Coverage(ctx context.Context, tenant string) (Coverage, error) {
	if s.Fleet == nil {
		return Coverage{}, ErrNoFleet
	}
	ts, err := s.tenants(tenant)
	if err != nil {
		return Coverage{}, err
	}
	out := Coverage{At: s.now()}
	var errs []error
	for _, t := range ts {
		for _, env := range t.Environments {
			r := s.read(ctx, t, env)
			if r.err != nil {
				errs = append(errs, r.err)
				out.Envs = append(out.Envs, EnvCoverage{Tenant: t.Name, Env: env.Name, Hosts: len(r.hosts), MinVersion: r.tier.MinVersion,
					Sources: r.sources, Error: r.problem})
				continue
			}
			out.Envs = append(out.Envs, Evaluate(t.Name, r.tier, r.hosts, r.sensors, r.source))
		}
	}
	return out, errors.Join(errs...)
}

// envRead is one environment's hosts and sensors, or what could not be
// read.
type envRead struct {
	tier    Tier
	hosts   []runbooks.Host
	sensors map[string]Sensor
	source  string
	sources []string // of the hosts, when only they were read
	err     error
	problem string // err as the reply shows it
}

// read lists one environment's hosts and reads their sensors, each within
// the service's timeout.
func (s *Service) read(ctx context.Context, t runbooks.Tenant, env runbooks.Environment) envRead {
	r := envRead{tier: s.Tiers[env.Name], source: runbooks.SourceOf(s.Fleet)}
	r.tier.Env = env.Name
	var err error
	s.bounded(ctx, func(ctx context.Context) { r.hosts, err = s.Inventory.Hosts(ctx, t, env) })
	if err != nil {
		r.err = fmt.Errorf("list hosts of %s/%s: %w", t.Name, env.Name, err)
		r.problem = "inventory not read: " + plain(err)
		return r
	}
	s.bounded(ctx, func(ctx context.Context) { r.sensors, err = s.Fleet.SensorsOf(ctx, r.hosts) })
	if err != nil {
		r.err = fmt.Errorf("read sensors of %d hosts of %s/%s from %s: %w", len(r.hosts), t.Name, env.Name, r.source, err)
		r.problem = "sensors not read from " + r.source + ": " + plain(err)
		for _, h := range r.hosts {
			r.sources = addSource(r.sources, h.Source)
		}
	}
	return r
}

func (s *Service) bounded(ctx context.Context, fn func(context.Context)) {
	if s.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.Timeout)
		defer cancel()
	}
	fn(ctx)
}

// plain is err as an operator reads it: a failed outside call names the
// system, operation and cause (providers scrub secrets from it); other
// errors show their user-safe message.
func plain(err error) string {
	if ce, ok := runbooks.AsCallError(err); ok {
		return ce.Error()
	}
	return runbooks.ErrorMessage(err)
}

// Validation is the validation of tenants' environments at one time.
type Validation struct {
	At   time.Time       `json:"at"`
	Envs []EnvValidation `json:"envs"`
}

// Validate checks the hosts of tenant's environment env (every
// environment when "") against the environment's expectations.
func (s *Service) Validate(ctx context.Context, tenant, env string) (Validation, error) {
	if s.Fleet == nil {
		return Validation{}, ErrNoFleet
	}
	if tenant == "" {
		return Validation{}, runbooks.Errorf(runbooks.CodeInvalid, "Name the tenant to validate. Usage: %s", CommandUsage)
	}
	ts, err := s.tenants(tenant)
	if err != nil {
		return Validation{}, err
	}
	t := ts[0]
	envs := t.Environments
	if env != "" {
		e, ok := t.Env(env)
		if !ok {
			return Validation{}, runbooks.Errorf(runbooks.CodeNotFound, "Tenant %s has no environment %q.", t.Name, env)
		}
		envs = []runbooks.Environment{e}
	}
	out := Validation{At: s.now()}
	var errs []error
	for _, e := range envs {
		r := s.read(ctx, t, e)
		if r.err != nil {
			errs = append(errs, r.err)
			out.Envs = append(out.Envs, EnvValidation{Tenant: t.Name, Env: e.Name, Hosts: len(r.hosts), Sources: r.sources, Error: r.problem})
			continue
		}
		out.Envs = append(out.Envs, Validate(t.Name, r.tier, r.hosts, r.sensors, r.source))
	}
	return out, errors.Join(errs...)
}

// Digest measures every tenant and posts the coverage (the daily job).
func (s *Service) Digest(ctx context.Context) (Coverage, error) {
	c, err := s.Coverage(ctx, "")
	if len(c.Envs) == 0 {
		return c, err
	}
	if s.Chat != nil {
		if perr := s.Chat.PostSensorCoverage(ctx, c); perr != nil {
			err = errors.Join(err, fmt.Errorf("post the sensor coverage digest: %w", perr))
		}
	}
	return c, err
}

// Command answers `/patch sensors [tenant]` and `patchgate sensors
// [tenant]`.
func (s *Service) Command(ctx context.Context, args []string) (string, error) {
	if len(args) > 0 && args[0] == "validate" {
		if len(args) < 2 || len(args) > 3 {
			return "", runbooks.Errorf(runbooks.CodeInvalid, "Usage: %s", CommandUsage)
		}
		env := ""
		if len(args) == 3 {
			env = args[2]
		}
		v, err := s.Validate(ctx, args[1], env)
		if len(v.Envs) == 0 {
			return "", err
		}
		return ValidationText(v), err
	}
	if len(args) > 1 {
		return "", runbooks.Errorf(runbooks.CodeInvalid, "Usage: %s", CommandUsage)
	}
	tenant := ""
	if len(args) == 1 {
		tenant = args[0]
	}
	c, err := s.Coverage(ctx, tenant)
	if len(c.Envs) == 0 {
		return "", err
	}
	return CoverageText(c), err
}

// CommandUsage is the usage of the sensors command, the same in Slack and
// on the CLI.
const CommandUsage = "sensors [tenant] | sensors validate <tenant> [env]"

func (s *Service) tenants(name string) ([]runbooks.Tenant, error) {
	if name == "" {
		return s.Tenants, nil
	}
	var names []string
	for _, t := range s.Tenants {
		if t.Name == name {
			return []runbooks.Tenant{t}, nil
		}
		names = append(names, t.Name)
	}
	return nil, runbooks.Errorf(runbooks.CodeNotFound, "Unknown tenant %q; known tenants: %v.", name, names)
}

func (s *Service) now() time.Time {
	if s.Clock == nil {
		return time.Now()
	}
	return s.Clock.Now()
}
