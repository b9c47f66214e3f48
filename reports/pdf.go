package reports

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
	"strconv"

	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/patchgate/patchgate/runbooks"
)

// Summary is what RenderPDF tells its caller about the PDF it wrote.
type Summary struct {
	SHA256      string // of the PDF bytes written to w
	Bytes       int64
	Pages       int
	Passed      int
	Applicable  int
	Rate        float64
	Evaluations []Evaluation
}

const (
	fontFamily = "go"
	pageW      = 297.0 // A4 landscape, mm
	margin     = 10.0
	rowH       = 4.2
)

// RenderPDF writes the compliance report of b to w and returns its SHA-256.
// Rendering is deterministic for a given bundle (dates come from b.Now).
func RenderPDF(w io.Writer, b Bundle) (Summary, error) {
	if b.Cycle == nil {
		return Summary{}, fmt.Errorf("render report: bundle has no cycle")
	}
	evs := b.evs
	if evs == nil {
		evs = Evaluate(&b)
	}
	passed, applicable, rate := ComplianceRate(evs)

	pdf := fpdf.New("L", "mm", "A4", "")
	pdf.SetCompression(false) // packPDF deflates the streams
	pdf.SetCatalogSort(true)
	pdf.SetCreationDate(b.Now)
	pdf.SetModificationDate(b.Now)
	pdf.SetTitle("Patch compliance report "+b.Cycle.ID, true)
	pdf.SetAuthor("patchgate", true)
	pdf.SetProducer("patchgate", true)
	pdf.AddUTF8FontFromBytes(fontFamily, "", goregular.TTF)
	pdf.AddUTF8FontFromBytes(fontFamily, "B", gobold.TTF)
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(true, 14)
	simulated := b.Simulated()
	if simulated {
		pdf.SetHeaderFunc(func() { simulatedBanner(pdf, 3) })
	}
	r := &renderer{pdf: pdf, b: &b}
	pdf.SetFooterFunc(func() {
		r.closeTable()
		if simulated {
			_, h := pdf.GetPageSize()
			simulatedBanner(pdf, h-14)
		}
		pdf.SetY(-10)
		pdf.SetFont(fontFamily, "", 7)
		pdf.CellFormat(0, 4, b.Cycle.Tenant+" · "+b.Cycle.ID, "", 0, "L", false, 0, "")
		pdf.CellFormat(0, 4, "Page "+strconv.Itoa(pdf.PageNo())+" of "+pageCountPlaceholder, "", 0, "R", false, 0, "")
	})

	r.cover(passed, applicable, rate)
	r.summary(evs, passed, applicable, rate)
	r.controls(evs)
	r.timeline()
	r.people()
	r.hosts()
	r.exceptions(evs)
	r.rollbacks()
	r.access()
	r.appendix()

	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(w, h)}
	pages := pdf.PageCount()
	pw := &packWriter{w: cw, pages: pages}
	err := pdf.Output(pw)
	if err == nil {
		err = pw.Close()
	}
	if err != nil {
		return Summary{}, fmt.Errorf("render report of %s: %w", b.Cycle.ID, err)
	}
	return Summary{
		SHA256: hex.EncodeToString(h.Sum(nil)), Bytes: cw.n, Pages: pages,
		Passed: passed, Applicable: applicable, Rate: rate, Evaluations: evs,
	}, nil
}

// simulatedBanner prints the simulated marking across the page at y, in
// the top or bottom margin, and leaves the cursor where the page's content
// starts, so the layout is the same with or without it.
func simulatedBanner(pdf *fpdf.Fpdf, y float64) {
	x, top := pdf.GetX(), pdf.GetY()
	pdf.SetY(y)
	pdf.SetFont(fontFamily, "B", 9)
	pdf.SetTextColor(190, 0, 0)
	pdf.CellFormat(0, 5, runbooks.SimulatedMarking+": parts of this report were answered by the simulated fleet", "", 0, "C", false, 0, "")
	pdf.SetTextColor(0, 0, 0)
	pdf.SetXY(x, top)
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

type renderer struct {
	pdf    *fpdf.Fpdf
	b      *Bundle
	glyphs glyphSet // characters Go Regular has drawn, for table rows
	table  *table   // the table last started, whose column lines may be pending
}

func (r *renderer) heading(s string) {
	r.pdf.SetFont(fontFamily, "B", 13)
	r.pdf.CellFormat(0, 8, s, "", 1, "L", false, 0, "")
	r.pdf.SetFont(fontFamily, "", 8)
}

func (r *renderer) line(s string) {
	r.pdf.MultiCell(0, rowH, s, "", "L", false)
}

func (r *renderer) kv(k, v string) {
	r.pdf.SetFont(fontFamily, "B", 9)
	r.pdf.CellFormat(55, 5.5, k, "", 0, "L", false, 0, "")
	r.pdf.SetFont(fontFamily, "", 9)
	r.pdf.MultiCell(0, 5.5, v, "", "L", false)
}

func (r *renderer) cover(passed, applicable int, rate float64) {
	c := r.b.Cycle
	r.pdf.AddPage()
	r.pdf.SetFont(fontFamily, "B", 20)
	r.pdf.CellFormat(0, 14, "Patch cycle compliance report", "", 1, "L", false, 0, "")
	end := "in progress (" + string(c.Status) + ")"
	if !c.Ended.IsZero() {
		end = ts(c.Ended)
	}
	evidence := r.b.EvidenceSHA256
	if evidence == "" {
		evidence = "not supplied"
	}
	r.kv("Tenant", c.Tenant)
	r.kv("Cycle ID", c.ID)
	r.kv("Period", ts(c.Created)+" → "+end)
	r.kv("Status", string(c.Status))
	r.kv("Requested by", personOf(c.RequestedBy, c.Requester).Label())
	r.kv("Generated at", ts(r.b.Now))
	r.kv("Control mapping", "version "+MappingVersion)
	r.kv("Compliance rate", fmt.Sprintf("%.1f%% (%d of %d applicable criteria passed)", 100*rate, passed, applicable))
	r.kv("Audit chain", fmt.Sprintf("%d entries, head hash %s", r.b.Chain.Entries, r.b.Chain.Head))
	r.kv("Signed checkpoint", checkpointLine(r.b.Chain))
	r.kv("Evidence JSON SHA-256", evidence)
	for _, f := range r.b.DataFiles {
		if f.Name != FileEvidence {
			r.kv(f.Name+" SHA-256", f.SHA256)
		}
	}
	r.pdf.Ln(3)
	r.pdf.SetFont(fontFamily, "", 8)
	r.line("Integrity: a PDF cannot contain its own hash. The SHA-256 values printed above are those of the " +
		"cycle's evidence JSON and CSV files (same data, machine-readable). The SHA-256 of this PDF file is computed " +
		"over its bytes when it is written and recorded in " + FileManifest + " beside it, which lists every file of " +
		"the report, and in the cycle's audit log (report.done event), which also holds the manifest's own hash.")
}

// checkpointLine says who signed the chain's head, for the cover.
func checkpointLine(ch Chain) string {
	if ch.Fingerprint == "" {
		return "none: no audit signing key was configured, so this report cannot be verified offline"
	}
	return fmt.Sprintf("head signed by key %s, public key fingerprint %s (%s; verify with `patchgate report verify`)",
		ch.KeyID, ch.Fingerprint, FileCheckpoint)
}

type tally struct{ scope, patched, excluded, failed int }

func (r *renderer) summary(evs []Evaluation, passed, applicable int, rate float64) {
	r.pdf.AddPage()
	r.heading("Executive summary")
	r.line(fmt.Sprintf("Compliance rate: %.1f%% — %d of %d applicable criteria passed (mapping %s).", 100*rate, passed, applicable, MappingVersion))
	exceptions := 0
	for _, e := range evs {
		if e.Result.Status == StatusException {
			exceptions++
		}
	}
	r.line(fmt.Sprintf("Criteria with exceptions: %d. Refused decisions: %d. Audit events: %d.", exceptions, len(r.b.Refusals), len(r.b.Events)))
	r.pdf.Ln(2)

	idx := r.b.index()
	var total tally
	byKey := map[[2]string]*tally{}
	for i := range r.b.Hosts {
		h := &r.b.Hosts[i]
		k := [2]string{string(h.Cloud), h.Env}
		t := byKey[k]
		if t == nil {
			t = &tally{}
			byKey[k] = t
		}
		res, _ := idx.hostResult(h)
		for _, x := range []*tally{t, &total} {
			x.scope++
			switch res {
			case HostPatched:
				x.patched++
			case HostExcluded:
				x.excluded++
			case HostFailed:
				x.failed++
			}
		}
	}
	keys := make([][2]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	t := r.newTable([]column{{"Cloud", 40}, {"Environment", 50}, {"In scope", 30}, {"Patched", 30}, {"Excluded", 30}, {"Failed", 30}})
	t.header()
	for _, k := range keys {
		v := byKey[k]
		t.row(k[0], k[1], strconv.Itoa(v.scope), strconv.Itoa(v.patched), strconv.Itoa(v.excluded), strconv.Itoa(v.failed))
	}
	t.total("all", "", strconv.Itoa(total.scope), strconv.Itoa(total.patched), strconv.Itoa(total.excluded), strconv.Itoa(total.failed))
}

func (r *renderer) controls(evs []Evaluation) {
	r.pdf.AddPage()
	r.heading("Control mapping (version " + MappingVersion + ")")
	for _, e := range evs {
		if r.pdf.GetY() > 170 {
			r.pdf.AddPage()
		}
		r.pdf.SetFont(fontFamily, "B", 9)
		r.pdf.SetFillColor(230, 230, 230)
		r.pdf.CellFormat(0, 6, fmt.Sprintf("%s %s — %s: %s", e.Control.Framework, e.Control.ID, e.Control.Title, statusLabel(e.Result.Status)), "", 1, "L", true, 0, "")
		r.pdf.SetFont(fontFamily, "", 8)
		for _, s := range e.Result.Evidence {
			r.line("  • " + s)
		}
		for _, s := range e.Result.Exceptions {
			r.line("  ✗ exception: " + s)
		}
		r.pdf.Ln(1.5)
	}
}

func statusLabel(s ResultStatus) string {
	switch s {
	case StatusPass:
		return "PASS"
	case StatusException:
		return "EXCEPTION"
	}
	return "NOT APPLICABLE"
}

func (r *renderer) timeline() {
	r.pdf.AddPage()
	r.heading("Stage timeline, approvals and refusals")
	t := r.newTable([]column{{"Stage", 28}, {"When", 32}, {"What", 40}, {"Who", 35}, {"Code / message", 142}})
	t.header()
	c := r.b.Cycle
	for i := range c.Stages {
		s := &c.Stages[i]
		if !s.Started.IsZero() {
			t.row(s.Name, ts(s.Started), "opened", runbooks.ActorSystem, fmt.Sprintf("phase now %s", s.Phase))
		}
		for _, a := range s.Approvals {
			t.row(s.Name, ts(a.At), "approved", a.By, fmt.Sprintf("message revision %d, interaction %s", a.Revision, a.Interaction))
		}
		for _, g := range s.Gates {
			what := "gate passed: " + g.Name
			if !g.Passed {
				what = "gate FAILED: " + g.Name
			}
			t.row(s.Name, ts(g.At), what, runbooks.ActorSystem, g.Summary+sourceNote(g.Sources))
		}
		if s.Failure != nil {
			t.row(s.Name, ts(s.Failure.At), "failed", runbooks.ActorSystem, s.Failure.Reason)
		}
		if !s.Done.IsZero() {
			t.row(s.Name, ts(s.Done), "done", runbooks.ActorSystem, "")
		}
	}
	for _, e := range r.b.Refusals {
		t.row(e.Stage, ts(e.At), "REFUSED "+e.Data["action"], e.Actor,
			e.Data["code"]+": "+e.Detail+" (saw revision "+e.Data["seen_revision"]+", current "+e.Data["revision"]+")")
	}
}

func (r *renderer) hosts() {
	r.pdf.AddPage()
	r.heading(fmt.Sprintf("Hosts (%d)", len(r.b.Hosts)))
	t := r.newTable([]column{{"Host", 38}, {"Cloud", 12}, {"Account", 28}, {"Env", 18}, {"OS", 30}, {"Kernel before → after", 50}, {"Pending", 13}, {"Sensor", 22}, {"Result", 18}, {"Reason", 48}})
	t.header()
	idx := r.b.index()
	for i := range r.b.Hosts {
		h := &r.b.Hosts[i]
		res, reason := idx.hostResult(h)
		kernel := h.Kernel
		if before := r.b.KernelBefore[h.ID]; before != "" && before != h.Kernel {
			kernel = before + " → " + h.Kernel
		} else if h.PendingKernel != "" && h.PendingKernel != h.Kernel {
			kernel = h.Kernel + " → " + h.PendingKernel + " (pending)"
		}
		sensor := "none"
		if h.HasSensor {
			sensor = h.SensorVersion
			if h.SensorRFM {
				sensor = "RFM " + h.SensorVersion
			}
		}
		os := h.OS
		if h.OSVersion != "" {
			os += " " + h.OSVersion
		}
		t.row(h.Name, string(h.Cloud), h.Account, h.Env, os, kernel, strconv.Itoa(h.PendingPatches), sensor, res, reason)
	}
}

func (r *renderer) exceptions(evs []Evaluation) {
	r.pdf.AddPage()
	r.heading("Exceptions")
	n := 0
	for _, e := range evs {
		for _, s := range e.Result.Exceptions {
			n++
			r.line(e.Control.Framework + " " + e.Control.ID + ": " + s)
		}
	}
	if n == 0 {
		r.line("No exceptions.")
	}
	idx := r.b.index()
	listed := 0
	for i := range r.b.Hosts {
		h := &r.b.Hosts[i]
		res, reason := idx.hostResult(h)
		if res != HostExcluded && res != HostFailed {
			continue
		}
		if listed++; listed > maxListed {
			continue
		}
		r.line(fmt.Sprintf("host %s (%s, %s/%s): %s — %s", h.Name, h.ID, h.Cloud, h.Env, res, reason))
	}
	if listed > maxListed {
		r.line(fmt.Sprintf("… and %d more excluded or failed hosts (see the host table)", listed-maxListed))
	}
	if h := r.b.Cycle.Halt; h != nil {
		r.pdf.Ln(2)
		r.line(fmt.Sprintf("Cycle halted by %s at %s: %s", h.By, ts(h.At), h.Reason))
	}
}

func (r *renderer) appendix() {
	r.pdf.AddPage()
	r.heading(fmt.Sprintf("Appendix: audit events (%d)", len(r.b.Events)))
	t := r.newTable([]column{{"Seq", 12}, {"When", 30}, {"Stage", 25}, {"Type", 38}, {"Actor", 30}, {"Detail", 142}})
	t.header()
	for _, e := range r.b.Events {
		t.row(strconv.FormatInt(e.Seq, 10), ts(e.At), e.Stage, e.Type, e.Actor, e.Detail)
	}
}
