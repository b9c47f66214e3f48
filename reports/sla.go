package reports

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/runbooks/sla"
)

// PostureReport is what the monthly posture PDF of a tenant is made from.
type PostureReport struct {
	Month sla.Month
	// Outcomes are the month's management figures from the audit log (nil:
	// not gathered, and the PDF says so).
	Outcomes *Outcomes
}

// postureDoc is the PDF being written and what it is written from.
type postureDoc struct {
	pdf *fpdf.Fpdf
	r   PostureReport
}

func (d *postureDoc) text(size float64, s string) {
	d.pdf.SetFont(fontFamily, "", size)
	d.pdf.MultiCell(0, 4.5, s, "", "L", false)
}

func (d *postureDoc) head(s string) {
	d.pdf.Ln(2)
	d.pdf.SetFont(fontFamily, "B", 11)
	d.pdf.CellFormat(0, 6, s, "", 1, "L", false, 0, "")
}

// postureSections are the monthly posture PDF's sections in order; a
// runbook kind with its own monthly figures adds its renderer here.
var postureSections = []func(d *postureDoc) error{
	slaSection,
	outcomeSection,
	remediationSection,
}

// RenderSLAPDF writes a tenant's monthly posture PDF without the outcome
// figures (see RenderPosturePDF).
func RenderSLAPDF(w io.Writer, m sla.Month, now time.Time) error {
	return RenderPosturePDF(w, PostureReport{Month: m}, now)
}

// RenderPosturePDF writes a tenant's monthly posture: every section of
// postureSections in turn.
func RenderPosturePDF(w io.Writer, r PostureReport, now time.Time) error {
	m := r.Month
	pdf := fpdf.New("L", "mm", "A4", "")
	pdf.SetCreationDate(now)
	pdf.SetModificationDate(now)
	pdf.SetTitle("Patch SLA posture "+m.Tenant+" "+m.Month.Format("2006-01"), true)
	pdf.SetAuthor("patchgate", true)
	pdf.AddUTF8FontFromBytes(fontFamily, "", goregular.TTF)
	pdf.AddUTF8FontFromBytes(fontFamily, "B", gobold.TTF)
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(true, 14)
	pdf.SetFooterFunc(func() {
		pdf.SetY(-10)
		pdf.SetFont(fontFamily, "", 7)
		pdf.CellFormat(0, 4, m.Tenant+" · patch SLA posture "+m.Month.Format("2006-01"), "", 0, "L", false, 0, "")
	})
	pdf.AddPage()
	pdf.SetFont(fontFamily, "B", 14)
	pdf.CellFormat(0, 8, "Patch SLA posture — "+m.Tenant+" — "+m.Month.Format("January 2006"), "", 1, "L", false, 0, "")
	d := &postureDoc{pdf: pdf, r: r}
	for _, section := range postureSections {
		if err := section(d); err != nil {
			return err
		}
	}
	return pdf.Output(w)
}

// slaSection is the month's patch SLA posture: PCI DSS 6.3.3 measured from
// release dates, hosts by SLA status per environment, the twelve-month
// compliance trend, overdue items by severity, the age of open critical
// patches, and the exceptions with who accepted them and until when. Every
// figure names the scan and the sources it came from.
func slaSection(d *postureDoc) error {
	m, pdf, text, head := d.r.Month, d.pdf, d.text, d.head
	if m.Latest == nil {
		text(9, "No posture scan ran in this month: nothing was measured.")
		return nil
	}
	s := m.Latest
	text(8, fmt.Sprintf("Measured by the daily posture scan of %s (%s); findings from %s; KEV catalogue %s. A patch's deadline counts from its vendor release date, or from the day patchgate first saw it missing when the source gives none.",
		s.Day, s.At.UTC().Format(time.RFC3339), slaOrNone(strings.Join(s.Sources, ", ")), slaOrNone(s.KEV)))
	head("PCI DSS 6.3.3")
	text(9, sla.PCIText(s.PCI633))
	head("Hosts by SLA status")
	rows := [][]string{{"scope", "hosts", "within SLA", "due ≤ 7 d", "overdue", "excepted", "unmanaged", "rate"}}
	for _, env := range envNames(s.ByEnv) {
		rows = append(rows, countRow(env, s.ByEnv[env]))
	}
	rows = append(rows, countRow("all", s.Total))
	grid(pdf, rows, []float64{60, 25, 25, 25, 25, 25, 25, 50})
	text(8, sla.CountsText(s.Total))

	if err := slaCharts(pdf, m, s); err != nil {
		return err
	}
	head("Compliance rate, last 12 months (last scan of each month)")
	rows = [][]string{{"month", "scan", "rate", "measured hosts", "overdue", "excepted", "PCI 6.3.3"}}
	for _, t := range m.Trend {
		rows = append(rows, []string{t.Day[:7], t.Day, rateCell(t.Total), fmt.Sprint(t.Total.Measured()), fmt.Sprint(t.Total.Overdue), fmt.Sprint(t.Total.Excepted), rateCell(t.PCI633)})
	}
	grid(pdf, rows, []float64{30, 30, 30, 35, 30, 30, 30})

	head("Overdue patches by severity")
	rows = [][]string{{"severity", "overdue items"}}
	for _, sev := range []string{runbooks.PatchCritical, runbooks.PatchHigh, runbooks.PatchMedium, runbooks.PatchLow, runbooks.PatchUnrated} {
		rows = append(rows, []string{sev, fmt.Sprint(s.OverdueBySeverity[sev])})
	}
	grid(pdf, rows, []float64{40, 40})

	head("Age of open critical patches (days since release or first seen)")
	rows = [][]string{{"age", "items"}}
	for _, b := range sla.AgeBuckets {
		rows = append(rows, []string{b, fmt.Sprint(s.CriticalAges[b])})
	}
	grid(pdf, rows, []float64{40, 40})
	text(8, fmt.Sprintf("Critical and KEV breaches paged this month: %d (audit stream %s).", m.Paged, sla.AuditStream))

	head("Exceptions (risk acceptances)")
	if len(m.Exceptions) == 0 {
		text(9, "None open during the month.")
	}
	for _, x := range m.Exceptions {
		text(8, "• "+sla.ExceptionLine(x))
	}
	head("Overdue, due and excepted items")
	n := 0
	for _, it := range s.Items {
		if n == 60 {
			text(8, fmt.Sprintf("… and %d more (patchgate sla posture %s).", s.Listed-n, m.Tenant))
			break
		}
		text(7, fmt.Sprintf("%s — %s", it.Status, sla.ItemLine(it)))
		n++
	}
	if len(s.Errors) > 0 {
		text(8, "Not scanned: "+strings.Join(s.Errors, "; "))
	}
	return nil
}

func slaOrNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func rateCell(c sla.Counts) string {
	r, ok := c.Rate()
	if !ok {
		return "not measured"
	}
	return fmt.Sprintf("%.1f%%", 100*r)
}

func countRow(scope string, c sla.Counts) []string {
	return []string{scope, fmt.Sprint(c.Hosts), fmt.Sprint(c.Within), fmt.Sprint(c.Due), fmt.Sprint(c.Overdue), fmt.Sprint(c.Excepted), fmt.Sprint(c.Unmanaged), rateCell(c)}
}

// grid draws a plain table; the first row is the header.
func grid(pdf *fpdf.Fpdf, rows [][]string, widths []float64) {
	for i, r := range rows {
		style := ""
		if i == 0 {
			style = "B"
		}
		pdf.SetFont(fontFamily, style, 8)
		for j, cell := range r {
			pdf.CellFormat(widths[j], 5, cell, "1", 0, "L", false, 0, "")
		}
		pdf.Ln(-1)
	}
}

func envNames(m map[string]sla.Counts) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// slaCharts puts the three charts side by side under the counts.
func slaCharts(pdf *fpdf.Fpdf, m sla.Month, s *sla.Snapshot) error {
	charts := []struct {
		name string
		draw func() ([]byte, error)
		w    float64
	}{
		{"trend", func() ([]byte, error) { return chartTrend(m) }, 110},
		{"overdue", func() ([]byte, error) { return chartOverdue(s) }, 80},
		{"ages", func() ([]byte, error) { return chartAges(s) }, 80},
	}
	pdf.Ln(2)
	y := pdf.GetY()
	if y > 130 {
		pdf.AddPage()
		y = pdf.GetY()
	}
	x := margin
	for _, c := range charts {
		b, err := c.draw()
		if err != nil {
			return err
		}
		opt := fpdf.ImageOptions{ImageType: "PNG"}
		pdf.RegisterImageOptionsReader("sla-"+c.name, opt, bytes.NewReader(b))
		pdf.ImageOptions("sla-"+c.name, x, y, c.w, 0, false, opt, 0, "")
		x += c.w + 3
	}
	pdf.SetY(y + 62)
	return pdf.Error()
}
