package saml

import (
	"fmt"
	"strings"
)

// Markdown renders the procedure as a checklist document to attach to the
// runbook message or print for a change board.
func (p Procedure) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# MOP: %s\n\n", p.Title)
	b.WriteString("| | |\n|---|---|\n")
	for _, d := range p.Details {
		fmt.Fprintf(&b, "| %s | %s |\n", d.Label, mdCell(d.Value))
	}
	b.WriteString("\n## Steps\n\n")
	for i, s := range p.Steps {
		fmt.Fprintf(&b, "- [ ] **%d.** %s <!-- %s -->\n", i+1, s.Text, s.ID)
	}
	b.WriteString("\n## Verification\n\n")
	for _, v := range p.Verification {
		fmt.Fprintf(&b, "- [ ] %s\n", v)
	}
	b.WriteString("\n## Rollback\n\n")
	for i, r := range p.Rollback {
		fmt.Fprintf(&b, "%d. %s\n", i+1, r)
	}
	return b.String()
}

// mdCell keeps a value inside its table cell: subjects contain commas and
// could contain pipes.
func mdCell(s string) string {
	if s == "" {
		return "—"
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}
