package saml

import (
	"context"
	"time"
)

// Check reads every source and returns what it read and the current
// findings (most urgent first): the certificates below the warning
// threshold that no renewed certificate of the same integration replaces.
// The daily runbook (Runbook.Run) acts on them; `patchgate saml check`
// prints them. Both call this, so they agree on what needs action.
func Check(ctx context.Context, sources []Source, th Thresholds, now time.Time) (ScanResult, []Finding) {
	th = th.withDefaults()
	scan := Scan(ctx, sources)
	return scan, Current(Evaluate(scan.Certificates, now, th), scan.Certificates, renewedAt(now, th))
}

// renewedAt reports whether a certificate is far enough from expiry to
// replace an expiring one.
func renewedAt(now time.Time, th Thresholds) func(Certificate) bool {
	return func(c Certificate) bool { return c.NotAfter.Sub(now) >= th.Warn }
}
