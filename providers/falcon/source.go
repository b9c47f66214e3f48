package falcon

import "github.com/patchgate/patchgate/runbooks"

// EvidenceSource names falcon as the source of what this client answers:
// the sensor gates' answers come from Falcon.
func (c *Client) EvidenceSource() string { return runbooks.SourceFalcon }
