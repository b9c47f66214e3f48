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
	source := runbooks.SourceOf(s.Fleet)
	for _, t := range ts {
		for _, env := range t.Environments {
			tier := s.Tiers[env.Name]
			tier.Env = env.Name
			hosts, err := s.Inventory.Hosts(ctx, t, env)
			if err != nil {
				errs = append(errs, fmt.Errorf("list hosts of %s/%s: %w", t.Name, env.Name, err))
				out.Envs = append(out.Envs, EnvCoverage{Tenant: t.Name, Env: env.Name, MinVersion: tier.MinVersion,
					Error: "inventory not read: " + runbooks.ErrorMessage(err)})
				continue
			}
			sensors, err := s.Fleet.SensorsOf(ctx, hosts)
			if err != nil {
				errs = append(errs, fmt.Errorf("read sensors of %d hosts of %s/%s from %s: %w", len(hosts), t.Name, env.Name, source, err))
				c := EnvCoverage{Tenant: t.Name, Env: env.Name, Hosts: len(hosts), MinVersion: tier.MinVersion,
					Error: "sensors not read from " + source + ": " + runbooks.ErrorMessage(err)}
				for _, h := range hosts {
					c.Sources = addSource(c.Sources, h.Source)
				}
				out.Envs = append(out.Envs, c)
				continue
			}
			out.Envs = append(out.Envs, Evaluate(t.Name, tier, hosts, sensors, source))
		}
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
const CommandUsage = "sensors [tenant]"

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
