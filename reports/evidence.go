// Package reports turns a cycle and its audit trail into compliance evidence.
package reports

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// EvidenceSchema versions the JSON evidence layout.
const EvidenceSchema = "patchgate.evidence/v1"

// Evidence is the machine-readable record of one cycle.
type Evidence struct {
	Schema       string           `json:"schema"`
	Generated    time.Time        `json:"generated"`
	Cycle        *runbooks.Cycle  `json:"cycle"`
	Events       []runbooks.Event `json:"events"`
	Refusals     []runbooks.Event `json:"refusals"`
	Hosts        []runbooks.Host  `json:"hosts"`
	HostsBefore  []runbooks.Host  `json:"hosts_before"`
	AuditEntries int64            `json:"audit_entries"`
	AuditHead    string           `json:"audit_head"`
}

// Dir writes each cycle's evidence bundle under a local directory.
type Dir struct {
	Path string
	Now  func() time.Time
}

var _ runbooks.Reporter = (*Dir)(nil)

// Report writes <Path>/<cycle>/evidence.json and the compliance PDF beside
// it, and returns the PDF's location and SHA-256. Writing is atomic (temp
// file + rename), so a report stage interrupted and run again leaves one
// complete set.
func (d *Dir) Report(ctx context.Context, in runbooks.ReportInput) (runbooks.Report, error) {
	c := in.Cycle
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	snap := c.Clone()
	snap.Outbox = nil
	b, err := json.MarshalIndent(Evidence{Schema: EvidenceSchema, Generated: now().UTC(), Cycle: snap, Events: in.Events,
		Refusals: in.Refusals, Hosts: in.Hosts, HostsBefore: in.HostsBefore, AuditEntries: in.AuditEntries, AuditHead: in.AuditHead}, "", "  ")
	if err != nil {
		return runbooks.Report{}, fmt.Errorf("encode evidence of %s: %w", c.ID, err)
	}
	dir := filepath.Join(d.Path, c.ID)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return runbooks.Report{}, fmt.Errorf("create report directory: %w", err)
	}
	path := filepath.Join(dir, "evidence.json")
	if err := writeAtomic(path, b); err != nil {
		return runbooks.Report{}, err
	}
	sum := sha256.Sum256(b)
	evidenceSum := hex.EncodeToString(sum[:])

	// The PDF an auditor samples from, vouching for the evidence file by
	// its hash; the report's own hash is the PDF's.
	before := make(map[string]string, len(in.HostsBefore))
	for _, h := range in.HostsBefore {
		before[h.ID] = h.Kernel
	}
	var pdf bytes.Buffer
	summary, err := RenderPDF(&pdf, Bundle{Cycle: snap, Events: in.Events, Hosts: in.Hosts, Refusals: in.Refusals,
		Now: now().UTC(), Chain: Chain{Entries: in.AuditEntries, Head: in.AuditHead},
		EvidenceSHA256: evidenceSum, KernelBefore: before})
	if err != nil {
		return runbooks.Report{}, fmt.Errorf("render the report of %s: %w", c.ID, err)
	}
	pdfPath := filepath.Join(dir, c.ID+"-compliance.pdf")
	if err := writeAtomic(pdfPath, pdf.Bytes()); err != nil {
		return runbooks.Report{}, err
	}
	return runbooks.Report{Location: pdfPath, SHA256: summary.SHA256, At: now().UTC()}, nil
}

func writeAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".evidence-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	return os.Rename(tmp.Name(), path)
}
