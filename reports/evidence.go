// Package reports turns a cycle and its audit trail into compliance evidence.
package reports

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// EvidenceSchema versions the JSON evidence layout. v2 added the control
// results, the compliance verdict and the access report.
const EvidenceSchema = "patchgate.evidence/v2"

// Evidence is the machine-readable record of one cycle.
type Evidence struct {
	Schema    string    `json:"schema"`
	Generated time.Time `json:"generated"`
	// Simulated is true when any part of the report was answered by the
	// simulation; Marking then says so in words, and Sources and
	// GateSources say which answers came from where.
	Simulated   bool         `json:"simulated"`
	Marking     string       `json:"marking,omitempty"`
	Sources     []string     `json:"sources"`
	GateSources []GateSource `json:"gate_sources"`

	Mapping      string                 `json:"mapping_version"`
	Compliance   runbooks.Compliance    `json:"compliance"`
	Controls     []ControlResult        `json:"controls"`
	Cycle        *runbooks.Cycle        `json:"cycle"`
	Events       []runbooks.Event       `json:"events"`
	Refusals     []runbooks.Event       `json:"refusals"`
	Hosts        []runbooks.Host        `json:"hosts"`
	HostsBefore  []runbooks.Host        `json:"hosts_before"`
	AuditEntries int64                  `json:"audit_entries"`
	AuditHead    string                 `json:"audit_head"`
	Access       *runbooks.AccessReport `json:"access"`
	AccessError  string                 `json:"access_error,omitempty"`
	Rollbacks    []*runbooks.Rollback   `json:"rollbacks,omitempty"`
	Preventions  []*runbooks.Prevention `json:"preventions,omitempty"`
}

// ControlResult is one criterion's verdict as the evidence JSON holds it.
type ControlResult struct {
	ID         string       `json:"id"`
	Framework  string       `json:"framework"`
	Title      string       `json:"title"`
	Status     ResultStatus `json:"status"`
	Evidence   []string     `json:"evidence,omitempty"`
	Exceptions []string     `json:"exceptions,omitempty"`
}

// The files of a cycle's report, in the order they are archived; the
// manifest goes last, so its presence says the set is complete.
const (
	FileEvidence  = "evidence.json"
	FileHosts     = "hosts.csv"
	FileApprovals = "approvals.csv"
	FileEvents    = "events.csv"
	// FileAuditLog is the cycle's audit stream as hashed (state.ExportLine
	// per line) and FileCheckpoint its signed head, so the bundle verifies
	// offline; FileSeal is the signature over the manifest.
	FileAuditLog   = "audit.jsonl"
	FileCheckpoint = "checkpoint.json"
	FileManifest   = "manifest.json"
	FileSeal       = "manifest.sig"
)

// Sealer signs a report's manifest with the audit signing key.
type Sealer interface {
	Seal(ctx context.Context, doc []byte) ([]byte, error)
}

// PDFName is the name of a cycle's compliance PDF.
func PDFName(cycleID string) string { return cycleID + "-compliance.pdf" }

// Dir writes each cycle's report (PDF, evidence JSON, CSVs, manifest)
// through an archive: by default a local directory, one sub-directory per
// cycle.
type Dir struct {
	Path string
	Now  func() time.Time
	// Archive keeps the files (default LocalArchive{Dir: Path}).
	Archive runbooks.Archive
	// Sealer signs the manifest when the input carries a signed checkpoint.
	Sealer Sealer
	// SLA reads the tenant's latest patch SLA posture (nil: no posture
	// scan; PCI DSS 6.3.3 then falls back to when hosts were last patched).
	SLA func(ctx context.Context, tenant string) (*SLAPosture, error)
	// Parallel is how many reports this Dir makes at once (default the
	// number of CPUs Go uses). Making one is CPU-bound (encoding, the PDF),
	// so more at once finish no sooner and each holds its bundle, its
	// encoders and the PDF's buffers: when a hundred tenants' cycles end in
	// one tick, more reports at once only add memory.
	Parallel int

	slotsOnce sync.Once
	slots     chan struct{}
}

var _ runbooks.Reporter = (*Dir)(nil)

// Report makes the cycle's report and archives every file under
// <cycle>/<name>. It returns the PDF's location and SHA-256, every file
// with its hash, and the compliance verdict. Each Put replaces a file of
// the same name, so a report stage run again after a crash leaves one
// complete set, the one the returned hashes describe.
func (d *Dir) Report(ctx context.Context, in runbooks.ReportInput) (runbooks.Report, error) {
	c := in.Cycle
	if c == nil {
		return runbooks.Report{}, fmt.Errorf("report: input has no cycle")
	}
	release, err := d.slot(ctx)
	if err != nil {
		return runbooks.Report{}, fmt.Errorf("report of %s: %w", c.ID, err)
	}
	defer release()
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	at := now().UTC()
	snap := c.Clone()
	snap.Outbox = nil
	before := make(map[string]string, len(in.HostsBefore))
	for _, h := range in.HostsBefore {
		before[h.ID] = h.Kernel
	}
	chain, err := chainOf(in)
	if err != nil {
		return runbooks.Report{}, fmt.Errorf("report of %s: %w", c.ID, err)
	}
	b := Bundle{Cycle: snap, Events: in.Events, Hosts: in.Hosts, HostsBefore: in.HostsBefore, Refusals: in.Refusals, Now: at,
		Chain: chain, KernelBefore: before, Access: in.Access, AccessError: in.AccessError, Rollbacks: in.Rollbacks,
		Preventions: in.Preventions}
	b.SLA = d.slaPosture(ctx, c.Tenant)
	b.evs = Evaluate(&b)
	verdict := complianceOf(b.evs)

	arch := d.Archive
	if arch == nil {
		arch = LocalArchive{Dir: d.Path}
	}
	rep := runbooks.Report{At: at, Compliance: &verdict}
	var listed []file // what the manifest lists; contents dropped once archived
	// Each file is archived as soon as it is made and its bytes let go, so
	// a 20,000-host report never holds JSON, CSVs and PDF at once; an
	// archive that takes a stream gets the large files as they are encoded.
	keep := func(f file, af runbooks.ArchivedFile) {
		af.Name = f.name
		rep.Files = append(rep.Files, af)
		f.size, f.data = af.Size, nil
		listed = append(listed, f)
	}
	put := func(f file) error {
		af, err := arch.Put(ctx, c.ID+"/"+f.name, f.data, f.contentType)
		if err != nil {
			return fmt.Errorf("archive %s of %s: %w", f.name, c.ID, err)
		}
		if af.SHA256 != f.sum {
			return fmt.Errorf("archive %s of %s: stored SHA-256 %s, written %s", f.name, c.ID, af.SHA256, f.sum)
		}
		keep(f, af)
		return nil
	}
	stream := func(name, contentType string, sizeHint int, write func(io.Writer) error) error {
		if sa, ok := arch.(StreamArchive); ok {
			af, err := sa.PutStream(ctx, c.ID+"/"+name, contentType, write)
			if err != nil {
				return fmt.Errorf("archive %s of %s: %w", name, c.ID, err)
			}
			b.DataFiles = append(b.DataFiles, FileSum{Name: name, SHA256: af.SHA256})
			keep(file{name: name, contentType: contentType, sum: af.SHA256}, af)
			return nil
		}
		var buf bytes.Buffer
		buf.Grow(sizeHint)
		if err := write(&buf); err != nil {
			return fmt.Errorf("write %s of %s: %w", name, c.ID, err)
		}
		f := newFile(name, contentType, buf.Bytes())
		b.DataFiles = append(b.DataFiles, FileSum{Name: name, SHA256: f.sum})
		return put(f)
	}

	err = dataFiles(&b, in, verdict, stream, func(f file) error {
		b.DataFiles = append(b.DataFiles, FileSum{Name: f.name, SHA256: f.sum})
		return put(f)
	})
	if err != nil {
		return runbooks.Report{}, err
	}
	b.EvidenceSHA256 = b.DataFiles[0].SHA256
	var pdf bytes.Buffer
	pdf.Grow(pdfSizeHint(len(in.Hosts), len(in.Events)))
	if _, err := RenderPDF(&pdf, b); err != nil {
		return runbooks.Report{}, fmt.Errorf("render the report of %s: %w", c.ID, err)
	}
	if err := put(newFile(PDFName(c.ID), "application/pdf", pdf.Bytes())); err != nil {
		return runbooks.Report{}, err
	}
	rep.Location, rep.SHA256 = rep.Files[len(rep.Files)-1].Location, rep.Files[len(rep.Files)-1].SHA256
	man, err := manifestOf(snap, at, in.AuditHead, listed)
	if err != nil {
		return runbooks.Report{}, fmt.Errorf("report of %s: %w", c.ID, err)
	}
	if err := put(man); err != nil {
		return runbooks.Report{}, err
	}
	if len(in.Checkpoint) > 0 && d.Sealer != nil {
		seal, err := d.Sealer.Seal(ctx, man.data)
		if err != nil {
			return runbooks.Report{}, fmt.Errorf("seal the manifest of %s: %w", c.ID, err)
		}
		if err := put(newFile(FileSeal, "application/json", seal)); err != nil {
			return runbooks.Report{}, err
		}
	}
	return rep, nil
}

// slot waits for one of Parallel places to make a report in.
func (d *Dir) slot(ctx context.Context) (release func(), err error) {
	d.slotsOnce.Do(func() {
		n := d.Parallel
		if n <= 0 {
			n = runtime.GOMAXPROCS(0)
		}
		d.slots = make(chan struct{}, n)
	})
	select {
	case d.slots <- struct{}{}:
		return func() { <-d.slots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// dataFiles encodes the evidence JSON and the CSVs, in that order, and
// hands each to stream as it is made; the audit files go to put.
func dataFiles(b *Bundle, in runbooks.ReportInput, verdict runbooks.Compliance,
	stream func(name, contentType string, sizeHint int, write func(io.Writer) error) error, put func(file) error) error {
	ev := Evidence{Schema: EvidenceSchema, Generated: b.Now, Mapping: MappingVersion, Compliance: verdict,
		Controls: controlResults(b.evs), Cycle: b.Cycle, Events: in.Events, Refusals: in.Refusals,
		Hosts: in.Hosts, HostsBefore: in.HostsBefore, AuditEntries: in.AuditEntries, AuditHead: in.AuditHead,
		Access: in.Access, AccessError: in.AccessError, Rollbacks: in.Rollbacks, Preventions: in.Preventions,
		Sources: b.sources(), GateSources: gateSources(b.Cycle)}
	if ev.Simulated = runbooks.Simulated(ev.Sources); ev.Simulated {
		ev.Marking = runbooks.SimulatedMarking
	}
	// Compact, one document, written field by field and host by host: at
	// 20,000 hosts the whole document is ~15 MB; jq shows it indented.
	hint := 400*(len(in.Hosts)+len(in.HostsBefore)) + 300*len(in.Events) + 64<<10
	if err := stream(FileEvidence, "application/json", hint, func(w io.Writer) error { return writeJSONStream(w, &ev) }); err != nil {
		return err
	}
	for _, c := range []struct {
		name  string
		write func(io.Writer, *Bundle) error
		size  int
	}{
		{FileHosts, hostsCSV, 240 * (len(b.Hosts) + 1)},
		{FileApprovals, approvalsCSV, 4096},
		{FileEvents, eventsCSV, 200 * (len(b.Events) + 1)},
	} {
		if err := stream(c.name, "text/csv", c.size, func(w io.Writer) error { return c.write(w, b) }); err != nil {
			return err
		}
	}
	return auditFiles(in, put)
}

func controlResults(evs []Evaluation) []ControlResult {
	out := make([]ControlResult, len(evs))
	for i, e := range evs {
		out[i] = ControlResult{ID: e.Control.ID, Framework: e.Control.Framework, Title: e.Control.Title,
			Status: e.Result.Status, Evidence: e.Result.Evidence, Exceptions: e.Result.Exceptions}
	}
	return out
}

// complianceOf is the verdict kept on the cycle for the posture digest.
func complianceOf(evs []Evaluation) runbooks.Compliance {
	passed, applicable, rate := ComplianceRate(evs)
	v := runbooks.Compliance{Mapping: MappingVersion, Passed: passed, Applicable: applicable, Rate: rate}
	for _, e := range evs {
		if e.Result.Status == StatusException {
			v.Exceptions = append(v.Exceptions, e.Control.ID)
		}
	}
	return v
}

// pdfSizeHint guesses the PDF's size so its buffer grows once or twice,
// not a dozen times, at 20,000 hosts.
func pdfSizeHint(hosts, events int) int { return 256<<10 + 90*hosts + 60*events }
