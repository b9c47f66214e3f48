// Package metrics exposes what a running patchgate does as Prometheus
// series, on a registry of its own (never the global default, so tests and
// several instances in one process do not collide).
//
// It observes rather than edits: the store, every provider port and the
// chat port are wrapped in decorators that time and count each call; the
// engine's own audit events (as the chat port receives them) drive the
// cycle, stage, gate and approval series; a decision wrapper counts
// refusals; an http.RoundTripper counts Slack Web API calls and 429s.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const namespace = "patchgate"

// Metrics holds every series patchgate exports.
type Metrics struct {
	reg *prometheus.Registry

	cyclesFinished *prometheus.CounterVec   // status
	stageDuration  *prometheus.HistogramVec // stage
	stageFailures  *prometheus.CounterVec   // stage
	gateFailures   *prometheus.CounterVec   // gate
	approvals      *prometheus.CounterVec   // stage
	refusals       *prometheus.CounterVec   // action, code
	slackCalls     *prometheus.CounterVec   // method, status
	slackLimited   *prometheus.CounterVec   // method
	providerTime   *prometheus.HistogramVec // provider, method
	providerErrors *prometheus.CounterVec   // provider, method, code
	storeTime      *prometheus.HistogramVec // op
	storeErrors    *prometheus.CounterVec   // op, kind

	events *eventLog
}

// stageBuckets span what a stage takes, from a gate that passes in seconds
// to a staging tier that soaks for a day and waits for people after it.
var stageBuckets = []float64{1, 10, 60, 300, 900, 3600, 4 * 3600, 12 * 3600, 24 * 3600, 48 * 3600, 7 * 24 * 3600}

// New builds the series and registers them, with the Go runtime and process
// collectors, on a private registry.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help}, labels)
		m.reg.MustRegister(c)
		return c
	}
	histogram := func(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
		h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: name, Help: help, Buckets: buckets}, labels)
		m.reg.MustRegister(h)
		return h
	}
	m.cyclesFinished = counter("cycles_finished_total", "Cycles that reached a final status (completed or rejected), as this replica delivered their events.", "status")
	m.stageDuration = histogram("stage_duration_seconds", "Time from a stage opening to it being done, by the engine's clock (includes waiting for approval and soak).", stageBuckets, "stage")
	m.stageFailures = counter("stage_failures_total", "Stages that failed (a gate, an operation, or repeated provider errors).", "stage")
	m.gateFailures = counter("gate_failures_total", "Gate runs that failed, by gate.", "gate")
	m.approvals = counter("approvals_total", "Approvals recorded, by stage.", "stage")
	m.refusals = counter("refusals_total", "Decisions refused, by action and error code.", "action", "code")
	m.slackCalls = counter("slack_api_calls_total", "Slack Web API calls, by API method and HTTP status (\"error\" when no response came).", "method", "status")
	m.slackLimited = counter("slack_api_rate_limited_total", "Slack Web API calls answered 429 Too Many Requests, by API method.", "method")
	m.providerTime = histogram("provider_call_duration_seconds", "Provider call latency, by provider and method.", prometheus.DefBuckets, "provider", "method")
	m.providerErrors = counter("provider_call_errors_total", "Provider calls that returned an error, by provider, method and error code.", "provider", "method", "code")
	m.storeTime = histogram("store_op_duration_seconds", "State store call latency, by operation.",
		[]float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}, "op")
	m.storeErrors = counter("store_op_errors_total", "State store calls that returned an error, by operation and kind (conflict and not_found are normal answers).", "op", "kind")
	// Known gates start at zero, so an alert on their rate has a series
	// before the first failure.
	for _, g := range []string{"inventory", "sensors", "health", "backup", "verify"} {
		m.gateFailures.WithLabelValues(g)
	}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.events = newEventLog()
	return m
}

// Registry is where the series live, for callers adding their own.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition format. A
// collector that fails (the cycle count while the store is down) leaves its
// series out; the rest are still served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, ErrorHandling: promhttp.ContinueOnError})
}

func since(start time.Time) float64 { return time.Since(start).Seconds() }
