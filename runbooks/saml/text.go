package saml

import (
	"fmt"
	"strings"
	"time"
)

// FormatText renders a scan's findings as plain text for the CLI and logs:
// one line per certificate below the warning threshold, one per
// certificate not valid yet, then the sources that could not be read.
func FormatText(findings []Finding, scan ScanResult, now time.Time) string {
	var b strings.Builder
	failed := scan.Failed
	fmt.Fprintf(&b, "SAML certificate check at %s: %d certificate(s) need action, %d source(s) failed\n",
		now.UTC().Format(time.RFC3339), len(findings), len(failed))
	for _, f := range findings {
		c := f.Certificate
		fmt.Fprintf(&b, "%-7s %4d days  %s · %s · %s · serial %s · not after %s · source %s\n",
			strings.ToUpper(f.Level), f.DaysLeft, kindName(c.Kind), c.Integration, c.Subject, c.Serial,
			c.NotAfter.UTC().Format("2006-01-02"), c.SourceName)
	}
	for _, c := range NotYetValid(scan.Certificates, now) {
		fmt.Fprintln(&b, NotYetValidLine(c))
	}
	for _, e := range failed {
		fmt.Fprintf(&b, "FAILED  source %s: %v\n", e.Source, e.Err)
	}
	return b.String()
}

// NotYetValidLine names a certificate whose validity has not started.
func NotYetValidLine(c Certificate) string {
	return fmt.Sprintf("NOT YET VALID  %s · %s · %s · serial %s · valid from %s · source %s",
		kindName(c.Kind), c.Integration, c.Subject, c.Serial, c.NotBefore.UTC().Format("2006-01-02 15:04 MST"), c.SourceName)
}

// Urgent reports whether any finding is at page level or expired.
func Urgent(findings []Finding) bool {
	for _, f := range findings {
		if f.Level != LevelWarn {
			return true
		}
	}
	return false
}

// KindName is the human name of a provider kind ("Okta", "AD FS", …).
func KindName(k ProviderKind) string { return kindName(k) }
