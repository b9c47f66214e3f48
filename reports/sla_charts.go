package reports

import (
	"bytes"
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/runbooks/sla"
)

// The monthly posture PDF's charts, drawn with gonum/plot as PNG: the
// compliance rate over the last twelve months, overdue items by severity
// and the age of open critical patches. The tables beside them carry the
// same numbers.

// chartTrend is the rate of the last scan of each month, in percent.
func chartTrend(m sla.Month) ([]byte, error) {
	p := plot.New()
	p.Title.Text = "Hosts within SLA, last 12 months"
	p.Y.Label.Text = "%"
	p.Y.Min, p.Y.Max = 0, 100
	var pts plotter.XYs
	var labels []string
	for i, t := range m.Trend {
		if r, ok := t.Total.Rate(); ok {
			pts = append(pts, plotter.XY{X: float64(i), Y: 100 * r})
		}
		labels = append(labels, t.Day[:7])
	}
	if len(pts) > 0 {
		line, dots, err := plotter.NewLinePoints(pts)
		if err != nil {
			return nil, err
		}
		p.Add(line, dots)
	}
	if len(labels) > 0 {
		p.NominalX(labels...)
	}
	return png(p, 12, 6)
}

// chartBars is a bar chart of counts by label.
func chartBars(title string, labels []string, counts []float64) ([]byte, error) {
	p := plot.New()
	p.Title.Text = title
	bars, err := plotter.NewBarChart(plotter.Values(counts), vg.Points(18))
	if err != nil {
		return nil, err
	}
	p.Add(bars)
	p.NominalX(labels...)
	p.Y.Min = 0
	return png(p, 9, 6)
}

func chartOverdue(s *sla.Snapshot) ([]byte, error) {
	sevs := []string{runbooks.PatchCritical, runbooks.PatchHigh, runbooks.PatchMedium, runbooks.PatchLow, runbooks.PatchUnrated}
	counts := make([]float64, len(sevs))
	for i, sev := range sevs {
		counts[i] = float64(s.OverdueBySeverity[sev])
	}
	return chartBars("Overdue patches by severity", sevs, counts)
}

func chartAges(s *sla.Snapshot) ([]byte, error) {
	counts := make([]float64, len(sla.AgeBuckets))
	for i, b := range sla.AgeBuckets {
		counts[i] = float64(s.CriticalAges[b])
	}
	return chartBars("Open critical patches by age (days)", sla.AgeBuckets, counts)
}

// png renders p at w×h centimetres.
func png(p *plot.Plot, w, h float64) ([]byte, error) {
	wt, err := p.WriterTo(vg.Length(w)*vg.Centimeter, vg.Length(h)*vg.Centimeter, "png")
	if err != nil {
		return nil, fmt.Errorf("draw chart %q: %w", p.Title.Text, err)
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("draw chart %q: %w", p.Title.Text, err)
	}
	return buf.Bytes(), nil
}

// PostureCharts draws the month's three charts as PNG for the Slack digest
// (sla.Service.Charts): the same pictures as the monthly posture PDF.
func PostureCharts(m sla.Month) ([]sla.Chart, error) {
	if m.Latest == nil {
		return nil, fmt.Errorf("no posture scan of %s in %s to draw", m.Tenant, m.Month.Format("2006-01"))
	}
	s := m.Latest
	draws := []struct {
		name, title string
		draw        func() ([]byte, error)
	}{
		{"trend", "Hosts within SLA, last 12 months", func() ([]byte, error) { return chartTrend(m) }},
		{"overdue", "Overdue patches by severity", func() ([]byte, error) { return chartOverdue(s) }},
		{"ages", "Open critical patches by age", func() ([]byte, error) { return chartAges(s) }},
	}
	out := make([]sla.Chart, 0, len(draws))
	for _, d := range draws {
		b, err := d.draw()
		if err != nil {
			return nil, err
		}
		out = append(out, sla.Chart{Tenant: m.Tenant, Name: fmt.Sprintf("sla-%s-%s-%s.png", m.Tenant, s.Day, d.name),
			Title: m.Tenant + " · " + d.title + " (scan of " + s.Day + ")", PNG: b})
	}
	return out, nil
}
