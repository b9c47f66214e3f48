package runbooks

import (
	"fmt"
	"strings"
)

// Trouble says for people what is wrong on stage s beyond its failure: the
// provider call that keeps failing (its description, and how many times in
// a row) and a pager call that did not go through, so whoever reads
// `cycle show`, `/patch status` or the cycle's message knows which call
// failed and whether anybody was paged.
func (s *Stage) Trouble() []string {
	var out []string
	if s.Errors > 0 && s.LastError != "" && (s.Failure == nil || !strings.Contains(s.Failure.Reason, s.LastError)) {
		out = append(out, fmt.Sprintf("last provider error (%d in a row): %s", s.Errors, s.LastError))
	}
	if s.Incident.LastError != "" {
		if s.Incident.Triggered {
			out = append(out, "pager call failed: "+s.Incident.LastError)
		} else {
			out = append(out, "paging failed, nobody was paged: "+s.Incident.LastError)
		}
	}
	return out
}
