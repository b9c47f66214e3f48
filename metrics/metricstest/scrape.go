// Package metricstest scrapes a /metrics endpoint over HTTP and reads
// series out of it, for tests that check what an operator's Prometheus
// would see.
package metricstest

import (
	"net/http"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Scrape is one parsed scrape.
type Scrape map[string]*dto.MetricFamily

// Get fetches url (a /metrics endpoint) and parses the text format.
func Get(t testing.TB, url string) Scrape {
	t.Helper()
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape %s: %s", url, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse scrape of %s: %v", url, err)
	}
	return Scrape(fams)
}

// Has reports whether a family is present.
func (s Scrape) Has(name string) bool { _, ok := s[name]; return ok }

// Series returns the series of family name whose labels include labels
// (pairs of name, value), or nil.
func (s Scrape) Series(name string, labels ...string) []*dto.Metric {
	f := s[name]
	if f == nil {
		return nil
	}
	var out []*dto.Metric
	for _, m := range f.Metric {
		if matches(m, labels) {
			out = append(out, m)
		}
	}
	return out
}

func matches(m *dto.Metric, labels []string) bool {
	for i := 0; i+1 < len(labels); i += 2 {
		found := false
		for _, l := range m.Label {
			if l.GetName() == labels[i] && l.GetValue() == labels[i+1] {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Value sums the counter or gauge values (or histogram sample counts) of
// every matching series; ok is false when none matches.
func (s Scrape) Value(name string, labels ...string) (v float64, ok bool) {
	for _, m := range s.Series(name, labels...) {
		ok = true
		switch {
		case m.Counter != nil:
			v += m.Counter.GetValue()
		case m.Gauge != nil:
			v += m.Gauge.GetValue()
		case m.Histogram != nil:
			v += float64(m.Histogram.GetSampleCount())
		case m.Untyped != nil:
			v += m.Untyped.GetValue()
		}
	}
	return v, ok
}

// HistogramSum sums the observed values of matching histogram series.
func (s Scrape) HistogramSum(name string, labels ...string) float64 {
	var v float64
	for _, m := range s.Series(name, labels...) {
		if m.Histogram != nil {
			v += m.Histogram.GetSampleSum()
		}
	}
	return v
}
