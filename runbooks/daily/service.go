package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/patchgate/patchgate/reports"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/runbooks/drift"
	"github.com/patchgate/patchgate/runbooks/saml"
)

// HygieneService is the Hygiene the handler and the scheduler share: the
// same runs happen for `/patch saml` as for the morning job.
type HygieneService struct {
	SAML   *saml.Runbook // nil: no saml section
	Drift  *drift.Report // nil: no drift section
	Active func(ctx context.Context) ([]*runbooks.Cycle, error)
	Chat   *HygieneChat
	Clock  runbooks.Clock // nil: the wall clock
	// Posture reads the compliance posture across tenants (nil: no
	// posture digest); Names gives tenants' display names.
	Posture func(ctx context.Context, now time.Time) (reports.Posture, error)
	Names   map[string]string
}

var _ Hygiene = (*HygieneService)(nil)

func notConfigured(what string) error {
	return runbooks.Errorf(runbooks.CodeInvalid, "The %s is not configured on this patchgate.", what)
}

// SAMLCheck runs the SAML check and summarises what it did.
func (s *HygieneService) SAMLCheck(ctx context.Context) (string, error) {
	if s.SAML == nil {
		return "", notConfigured("SAML check (saml section)")
	}
	res, err := s.SAML.Run(ctx)
	if err != nil {
		return "", err
	}
	return SAMLSummary(res), errors.Join(res.Errors...)
}

// SAMLSummary is the one-paragraph result of a SAML run.
func SAMLSummary(res saml.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "SAML check: %d certificate(s) of %d need action; %d runbook(s) posted, %d updated, %d already posted today; %d paged; %d resolved.",
		len(res.Findings), len(res.Scan.Certificates), len(res.Posted), len(res.Updated), res.Skipped, res.Paged, len(res.Resolved))
	for _, f := range res.Scan.Failed {
		fmt.Fprintf(&b, "\n:x: source %s could not be read: %s", esc(f.Source), esc(clip(f.Err.Error(), 300)))
	}
	if len(res.Errors) > 0 {
		fmt.Fprintf(&b, "\n%d runbook(s) could not be posted or paged; see the logs.", len(res.Errors))
	}
	return b.String()
}

// DriftReport runs the drift report and posts the digest.
func (s *HygieneService) DriftReport(ctx context.Context) (string, error) {
	if s.Drift == nil {
		return "", notConfigured("drift report (drift section)")
	}
	d, err := s.Drift.Run(ctx)
	if len(d.Groups) == 0 && err != nil {
		return "", err
	}
	drifted, failed, items := d.Counts()
	text := fmt.Sprintf("Drift report posted: %d workspace(s) drifted, %d failed, %d open item(s), %d resolved.", drifted, failed, items, len(d.Resolved))
	if err != nil {
		text = fmt.Sprintf("Drift report ran (%d drifted, %d failed, %d open item(s)) but not all of it was recorded or posted; see the logs.", drifted, failed, items)
	}
	return text, err
}

// StatusDigest posts the active cycles.
func (s *HygieneService) StatusDigest(ctx context.Context) (string, error) {
	cycles, err := s.Active(ctx)
	if err != nil {
		return "", fmt.Errorf("list active cycles: %w", err)
	}
	now := time.Now()
	if s.Clock != nil {
		now = s.Clock.Now()
	}
	if err := s.Chat.PostStatusDigest(ctx, cycles, now); err != nil {
		return "", err
	}
	text := fmt.Sprintf("Status digest posted: %d active cycle(s).", len(cycles))
	if s.Posture == nil {
		return text, nil
	}
	// On demand, /patch digest shows the whole picture: what is running
	// and how compliant each tenant's last cycles left it.
	p, err := s.postPosture(ctx, now)
	if err != nil {
		return text, err
	}
	return text + fmt.Sprintf(" Compliance posture posted: %d tenant(s).", len(p.Tenants)), nil
}

// PostureDigest posts the compliance posture across tenants.
func (s *HygieneService) PostureDigest(ctx context.Context) (string, error) {
	if s.Posture == nil {
		return "", notConfigured("posture digest")
	}
	now := time.Now()
	if s.Clock != nil {
		now = s.Clock.Now()
	}
	p, err := s.postPosture(ctx, now)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("Compliance posture posted: %d tenant(s).", len(p.Tenants)), nil
}

func (s *HygieneService) postPosture(ctx context.Context, now time.Time) (reports.Posture, error) {
	p, err := s.Posture(ctx, now)
	if err != nil {
		return p, fmt.Errorf("posture digest: %w", err)
	}
	text, blocks := PostureBlocks(p, s.Names)
	_, err = s.Chat.post(ctx, "post the posture digest", message{Text: text, Blocks: slack.Blocks{BlockSet: blocks}})
	return p, err
}

// TickStep ticks one MOP step.
func (s *HygieneService) TickStep(ctx context.Context, fp, step, actor string) (string, error) {
	if s.SAML == nil {
		return "", notConfigured("SAML check (saml section)")
	}
	rec, err := s.SAML.Tick(ctx, fp, step, actor)
	if err != nil {
		return "", err
	}
	for i, st := range rec.Procedure.Steps {
		if st.ID == step {
			return fmt.Sprintf("Ticked step %d of the %s runbook (%d/%d done); recorded in the audit log.",
				i+1, esc(rec.Finding.Certificate.Integration), len(rec.Ticks), len(rec.Procedure.Steps)), nil
		}
	}
	return "Ticked.", nil
}

// DecideDrift records Ratify or Remediate on a drift item.
func (s *HygieneService) DecideDrift(ctx context.Context, item, decision, actor string) (string, error) {
	if s.Drift == nil {
		return "", notConfigured("drift report (drift section)")
	}
	it, dup, err := s.Drift.Decide(ctx, item, decision, actor)
	if err != nil {
		return "", err
	}
	if dup {
		return fmt.Sprintf("Already recorded: %s on `%s` by %s.", it.Decision.Kind, esc(it.Address), userLink(it.Decision.By)), nil
	}
	return fmt.Sprintf("Recorded: %s on `%s` (%s). The next drift report shows it until the drift is resolved.",
		decision, esc(it.Address), esc(it.Workspace)), nil
}
