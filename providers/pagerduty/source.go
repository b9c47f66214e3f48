package pagerduty

import "github.com/patchgate/patchgate/runbooks"

// EvidenceSource names pagerduty as the source of what this client answers:
// incidents are opened in PagerDuty.
func (c *Client) EvidenceSource() string { return runbooks.SourcePagerDuty }
