package sim

import "github.com/patchgate/patchgate/runbooks"

// EvidenceSource says that everything the fleet answers is simulated, so a
// report built on it is marked as not audit evidence.
func (f *Fleet) EvidenceSource() string { return runbooks.SourceSimulation }
