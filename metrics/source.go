package metrics

import "github.com/patchgate/patchgate/runbooks"

// The decorators pass the evidence source of what they wrap through, so a
// timed provider still says where its answers come from.

func (w inventory) EvidenceSource() string { return runbooks.SourceOf(w.Inventory) }
func (w sensors) EvidenceSource() string   { return runbooks.SourceOf(w.Sensors) }
func (w backups) EvidenceSource() string   { return runbooks.SourceOf(w.Backups) }
func (w patcher) EvidenceSource() string   { return runbooks.SourceOf(w.Patcher) }
func (w health) EvidenceSource() string    { return runbooks.SourceOf(w.Health) }
func (w pager) EvidenceSource() string     { return runbooks.SourceOf(w.Pager) }
