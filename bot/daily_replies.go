package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/patchgate/patchgate/runbooks/daily"
	"github.com/patchgate/patchgate/runbooks/saml"
)

// DailyReplies renders the daily checks' results as the person's reply to
// /patch saml|drift|digest and the checks' buttons. The checks themselves
// (and what they post) are runbooks/daily's.
type DailyReplies struct{ Checks *daily.Service }

var _ DailyChecks = DailyReplies{}

// SAMLCheck runs the SAML check and summarises what it did.
func (r DailyReplies) SAMLCheck(ctx context.Context) (string, error) {
	res, err := r.Checks.SAMLCheck(ctx)
	if err != nil && len(res.Errors) == 0 {
		return "", err // nothing ran (not configured, or the store could not be listed)
	}
	return SAMLSummary(res), err
}

// SAMLSummary is the one-paragraph result of a SAML run.
func SAMLSummary(res saml.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "SAML check: %d certificate(s) of %d need action; %d runbook(s) posted, %d updated, %d already posted today; %d paged; %d resolved.",
		len(res.Findings), len(res.Scan.Certificates), len(res.Posted), len(res.Updated), res.Skipped, res.Paged, len(res.Resolved))
	for _, f := range res.Scan.Failed {
		fmt.Fprintf(&b, "\n:x: source %s could not be read: %s", esc(f.Source), esc(clip(f.Err.Error(), 300)))
	}
	for _, c := range res.NotYetValid {
		fmt.Fprintf(&b, "\n:hourglass: %s", esc(saml.NotYetValidLine(c)))
	}
	if len(res.Errors) > 0 {
		fmt.Fprintf(&b, "\n%d runbook(s) could not be posted or paged; see the logs.", len(res.Errors))
	}
	return b.String()
}

// DriftReport runs the drift report and says what it posted.
func (r DailyReplies) DriftReport(ctx context.Context) (string, error) {
	d, err := r.Checks.DriftReport(ctx)
	if len(d.Groups) == 0 && err != nil {
		return "", err
	}
	drifted, failed, items := d.Counts()
	if err != nil {
		return fmt.Sprintf("Drift report ran (%d drifted, %d failed, %d open item(s)) but not all of it was recorded or posted; see the logs.", drifted, failed, items), err
	}
	return fmt.Sprintf("Drift report posted: %d workspace(s) drifted, %d failed, %d open item(s), %d resolved.", drifted, failed, items, len(d.Resolved)), nil
}

// StatusDigest posts the active cycles (and the posture, when configured).
func (r DailyReplies) StatusDigest(ctx context.Context) (string, error) {
	st, err := r.Checks.StatusDigest(ctx)
	if !st.Posted {
		return "", err
	}
	text := fmt.Sprintf("Status digest posted: %d active cycle(s).", st.Active)
	if st.Posture != nil {
		text += fmt.Sprintf(" Compliance posture posted: %d tenant(s).", len(st.Posture.Tenants))
	}
	return text, err
}

// TickStep ticks one MOP step.
func (r DailyReplies) TickStep(ctx context.Context, fp, step, actor string) (string, error) {
	rec, err := r.Checks.TickStep(ctx, fp, step, actor)
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
func (r DailyReplies) DecideDrift(ctx context.Context, item, decision, actor string) (string, error) {
	it, dup, err := r.Checks.DecideDrift(ctx, item, decision, actor)
	if err != nil {
		return "", err
	}
	if dup {
		return fmt.Sprintf("Already recorded: %s on `%s` by %s.", it.Decision.Kind, esc(it.Address), userLink(it.Decision.By)), nil
	}
	return fmt.Sprintf("Recorded: %s on `%s` (%s). The next drift report shows it until the drift is resolved.",
		decision, esc(it.Address), esc(it.Workspace)), nil
}
