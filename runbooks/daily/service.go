package daily

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/runbooks/drift"
	"github.com/patchgate/patchgate/runbooks/saml"
)

// Chat posts the digests that are not a runbook's own messages.
type Chat interface {
	PostStatusDigest(ctx context.Context, v StatusView) error
	PostPosture(ctx context.Context, p Posture) error
}

// Service runs the daily checks. The scheduler runs its jobs, `/patch
// saml|drift|digest` and the buttons on the checks' messages call its
// methods, so a check on demand is the same run as the morning one.
type Service struct {
	SAML   *saml.Runbook // nil: no saml section
	Drift  *drift.Report // nil: no drift section
	Active func(ctx context.Context) ([]*runbooks.Cycle, error)
	Chat   Chat
	Clock  runbooks.Clock // nil: the wall clock
	// Freezes describes the freezes in force or announced (nil: none
	// configured), so the digest shows why nothing starts.
	Freezes func(ctx context.Context) ([]string, error)
	// Posture reads the compliance posture across tenants (nil: no
	// posture digest).
	Posture func(ctx context.Context, now time.Time) (Posture, error)
}

// NotConfigured is the error of a check whose section is missing.
func NotConfigured(what string) error {
	return runbooks.Errorf(runbooks.CodeInvalid, "The %s is not configured on this patchgate.", what)
}

func (s *Service) now() time.Time {
	if s.Clock == nil {
		return time.Now()
	}
	return s.Clock.Now()
}

// SAMLCheck runs the SAML check: runbooks posted, updated, paged and
// resolved. Per-certificate failures are in the result and joined into the
// error; the run goes on past them.
func (s *Service) SAMLCheck(ctx context.Context) (saml.Result, error) {
	if s.SAML == nil {
		return saml.Result{}, NotConfigured("SAML check (saml section)")
	}
	res, err := s.SAML.Run(ctx)
	if err != nil {
		return res, err
	}
	return res, errors.Join(res.Errors...)
}

// DriftReport runs the drift report and posts its digest. A digest with
// groups and an error ran, but not all of it was recorded or posted.
func (s *Service) DriftReport(ctx context.Context) (drift.Digest, error) {
	if s.Drift == nil {
		return drift.Digest{}, NotConfigured("drift report (drift section)")
	}
	return s.Drift.Run(ctx)
}

// StatusView is what the status digest shows: the active cycles and the
// freezes, at a time.
type StatusView struct {
	Cycles  []*runbooks.Cycle
	Freezes []string
	At      time.Time
}

// Status is what a status digest posted.
type Status struct {
	Posted  bool     // the status digest was posted
	Active  int      // active cycles
	Posture *Posture // the posture posted with it, when configured
}

// StatusDigest posts the active cycles and, when configured, the posture:
// on demand, `/patch digest` shows what is running and how compliant each
// tenant's last cycles left it.
func (s *Service) StatusDigest(ctx context.Context) (Status, error) {
	cycles, err := s.Active(ctx)
	if err != nil {
		return Status{}, fmt.Errorf("list active cycles: %w", err)
	}
	now := s.now()
	v := StatusView{Cycles: cycles, At: now}
	if s.Freezes != nil {
		if v.Freezes, err = s.Freezes(ctx); err != nil {
			return Status{}, fmt.Errorf("list freezes: %w", err)
		}
	}
	if err := s.Chat.PostStatusDigest(ctx, v); err != nil {
		return Status{}, fmt.Errorf("post the status digest: %w", err)
	}
	st := Status{Posted: true, Active: len(cycles)}
	if s.Posture == nil {
		return st, nil
	}
	p, err := s.postPosture(ctx, now)
	if err != nil {
		return st, err
	}
	st.Posture = &p
	return st, nil
}

// PostureDigest posts the compliance posture across tenants.
func (s *Service) PostureDigest(ctx context.Context) (Posture, error) {
	if s.Posture == nil {
		return Posture{}, NotConfigured("posture digest")
	}
	return s.postPosture(ctx, s.now())
}

func (s *Service) postPosture(ctx context.Context, now time.Time) (Posture, error) {
	p, err := s.Posture(ctx, now)
	if err != nil {
		return p, fmt.Errorf("read the compliance posture: %w", err)
	}
	if err := s.Chat.PostPosture(ctx, p); err != nil {
		return p, fmt.Errorf("post the posture digest: %w", err)
	}
	return p, nil
}

// TickStep ticks one step of a SAML runbook's MOP.
func (s *Service) TickStep(ctx context.Context, fingerprint, step, actor string) (*saml.Record, error) {
	if s.SAML == nil {
		return nil, NotConfigured("SAML check (saml section)")
	}
	return s.SAML.Tick(ctx, fingerprint, step, actor)
}

// DecideDrift records ratify or remediate on a drift item; dup is true
// when the same decision was already recorded.
func (s *Service) DecideDrift(ctx context.Context, item, decision, actor string) (it *drift.Item, dup bool, err error) {
	if s.Drift == nil {
		return nil, false, NotConfigured("drift report (drift section)")
	}
	return s.Drift.Decide(ctx, item, decision, actor)
}

// Job is one scheduled daily check.
type Job struct {
	Name string // e.g. "saml-check"
	Run  func(ctx context.Context) error
}

// Jobs are the checks the scheduler runs, each the same method the slash
// command calls: the SAML check and drift report when configured, and the
// status and posture digests.
func (s *Service) Jobs() []Job {
	var jobs []Job
	if s.SAML != nil {
		jobs = append(jobs, Job{"saml-check", func(ctx context.Context) error { _, err := s.SAMLCheck(ctx); return err }})
	}
	if s.Drift != nil {
		jobs = append(jobs, Job{"drift-report", func(ctx context.Context) error { _, err := s.DriftReport(ctx); return err }})
	}
	jobs = append(jobs, Job{"status-digest", func(ctx context.Context) error { _, err := s.StatusDigest(ctx); return err }})
	jobs = append(jobs, Job{"posture-digest", func(ctx context.Context) error { _, err := s.PostureDigest(ctx); return err }})
	return jobs
}
