package edr

import (
	"fmt"
	"strings"
)

// maxGapLines bounds the hosts listed per environment in chat; the rest
// are counted.
const maxGapLines = 10

// CoverageText is the coverage as chat and the CLI show it: one line per
// environment with its counts and sources, then the hosts to fix.
func CoverageText(c Coverage) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*EDR sensor coverage* — %s\n", c.At.UTC().Format("2006-01-02 15:04 UTC"))
	for _, e := range c.Envs {
		b.WriteString(EnvLine(e) + "\n")
		for i, g := range e.Gaps {
			if i == maxGapLines {
				fmt.Fprintf(&b, "    … and %d more\n", len(e.Gaps)-maxGapLines)
				break
			}
			fmt.Fprintf(&b, "    • %s (%s): %s — fix: %s\n", g.HostName, g.HostID, g.Reason, g.Fix)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// EnvLine is one environment's summary line.
func EnvLine(e EnvCoverage) string {
	src := "source: " + strings.Join(e.Sources, ", ")
	if len(e.Sources) == 0 {
		src = "source: none"
	}
	if e.Error != "" {
		return fmt.Sprintf("• %s/%s: not measured — %s (%s)", e.Tenant, e.Env, e.Error, src)
	}
	min := ""
	if e.MinVersion != "" {
		min = ", minimum " + e.MinVersion
	}
	return fmt.Sprintf("• %s/%s: %d of %d hosts covered — %d without a sensor, %d outdated, %d in RFM%s (%s)",
		e.Tenant, e.Env, e.Covered, e.Hosts, e.Count(GapMissing), e.Count(GapOutdated), e.Count(GapRFM), min, src)
}

// ValidationText is the validation as chat and the CLI show it: per
// environment the hosts that passed and the sources, then each failed
// check with what was found, what was expected and the fix.
func ValidationText(v Validation) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*EDR sensor validation* — %s\n", v.At.UTC().Format("2006-01-02 15:04 UTC"))
	for _, e := range v.Envs {
		src := "source: " + strings.Join(e.Sources, ", ")
		if len(e.Sources) == 0 {
			src = "source: none"
		}
		if e.Error != "" {
			fmt.Fprintf(&b, "• %s/%s: not validated — %s (%s)\n", e.Tenant, e.Env, e.Error, src)
			continue
		}
		fmt.Fprintf(&b, "• %s/%s: %d of %d hosts pass, %d failed checks (%s)\n", e.Tenant, e.Env, e.Passed, e.Hosts, len(e.Failures), src)
		for i, f := range e.Failures {
			if i == maxGapLines*2 {
				fmt.Fprintf(&b, "    … and %d more\n", len(e.Failures)-i)
				break
			}
			fmt.Fprintf(&b, "    • %s (%s) %s: %s, want %s — fix: %s\n", f.HostName, f.HostID, f.Check, f.Got, f.Want, f.Fix)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}
