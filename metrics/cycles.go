package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/patchgate/patchgate/runbooks"
)

// ActiveLister lists the cycles not yet archived (runbooks.Engine does).
type ActiveLister interface {
	Active(ctx context.Context) ([]*runbooks.Cycle, error)
}

// Cycles registers patchgate_cycles{status}: the cycles not yet archived,
// by status, read from the store at scrape time, so every replica reports
// the same cluster-wide numbers. Finished cycles leave it when archived;
// cycles_finished_total counts them.
func (m *Metrics) Cycles(l ActiveLister) {
	m.reg.MustRegister(&cycleCollector{list: l, timeout: 5 * time.Second,
		desc: prometheus.NewDesc(namespace+"_cycles", "Cycles not yet archived, by status (read from the store at scrape time).", []string{"status"}, nil)})
}

type cycleCollector struct {
	list    ActiveLister
	timeout time.Duration
	desc    *prometheus.Desc
}

func (c *cycleCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *cycleCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	cycles, err := c.list.Active(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	n := map[runbooks.Status]int{}
	for _, cy := range cycles {
		n[cy.Status]++
	}
	for _, s := range []runbooks.Status{runbooks.StatusRunning, runbooks.StatusHalted, runbooks.StatusCompleted, runbooks.StatusRejected} {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n[s]), string(s))
	}
}
