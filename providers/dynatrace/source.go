package dynatrace

import "github.com/patchgate/patchgate/runbooks"

// EvidenceSource names dynatrace as the source of what this client answers:
// the health gates' answers come from Dynatrace.
func (c *Client) EvidenceSource() string { return runbooks.SourceDynatrace }
