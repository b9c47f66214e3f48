package drift

import (
	"fmt"
	"strings"
	"time"
)

// FormatText renders a digest as plain text (the CLI, logs, the Slack
// message's fallback text).
func FormatText(d Digest) string {
	var b strings.Builder
	drifted, failed, items := d.Counts()
	fmt.Fprintf(&b, "Terraform drift report %s: %d workspace(s) drifted, %d failed, %d open item(s)\n",
		d.At.UTC().Format("2006-01-02 15:04 UTC"), drifted, failed, items)
	for _, g := range d.Groups {
		fmt.Fprintf(&b, "\n%s\n", GroupTitle(g))
		for _, w := range g.Workspaces {
			fmt.Fprintf(&b, "  %s: %s", w.Name, w.Status)
			if w.Error != "" {
				fmt.Fprintf(&b, " — %s", w.Error)
			}
			if len(w.Outputs) > 0 {
				fmt.Fprintf(&b, " (outputs changed: %s)", strings.Join(w.Outputs, ", "))
			}
			b.WriteString("\n")
			for _, it := range w.Items {
				fmt.Fprintf(&b, "    - %s\n", ItemLine(it))
			}
		}
	}
	if len(d.Resolved) > 0 {
		b.WriteString("\nResolved since the last report:\n")
		for _, it := range d.Resolved {
			fmt.Fprintf(&b, "  - %s/%s %s\n", it.Workspace, it.Address, decisionText(it.Decision, "no decision"))
		}
	}
	return b.String()
}

// GroupTitle is "tenant · account" (or the tenant alone).
func GroupTitle(g Group) string {
	if g.Account == "" {
		return g.Tenant
	}
	return g.Tenant + " · " + g.Account
}

// ItemLine is one item: address, action, changed paths, decision.
func ItemLine(it Item) string {
	s := fmt.Sprintf("%s %s", it.Address, it.Action)
	if it.Kind == KindPlanned {
		s += " (planned)"
	}
	if len(it.Paths) > 0 {
		s += ": " + strings.Join(it.Paths, ", ")
	}
	if it.Decision != nil {
		s += " — " + decisionText(it.Decision, "") + ", pending until resolved"
	}
	return s
}

func decisionText(d *Decision, none string) string {
	if d == nil {
		return none
	}
	return fmt.Sprintf("decision: %s by %s at %s", d.Kind, mention(d.By), d.At.UTC().Format(time.DateTime+" UTC"))
}

// mention renders a user ID the way Slack shows it; text output keeps it readable too.
func mention(id string) string {
	if id == "" || strings.ContainsAny(id, " <>") {
		return id
	}
	return "<@" + id + ">"
}
