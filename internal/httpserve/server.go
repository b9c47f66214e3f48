// Package httpserve builds the HTTP servers patchgate exposes (the Slack
// Events/Interactivity endpoints and /metrics, /healthz, /readyz) with
// limits on how long and how much one client may hold.
package httpserve

import (
	"net/http"
	"time"
)

// Limits bound one client's hold on a server. Without ReadTimeout a client
// that sends headers and then trickles its body keeps a connection and a
// goroutine for as long as it likes; ReadHeaderTimeout alone covers only
// the headers.
type Limits struct {
	ReadHeaderTimeout time.Duration // request line and headers
	ReadTimeout       time.Duration // the whole request, body included
	WriteTimeout      time.Duration // from the end of the headers to the end of the response
	IdleTimeout       time.Duration // a kept-alive connection between requests
	MaxHeaderBytes    int
}

// DefaultLimits suit patchgate's endpoints: Slack sends small signed
// requests and waits 3 s for the acknowledgement, a readiness check gives
// up after 2 s, and a Prometheus scrape is a few hundred KB.
func DefaultLimits() Limits {
	return Limits{
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
}

// withDefaults fills every zero limit from DefaultLimits; a server is
// never built unbounded.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.ReadHeaderTimeout <= 0 {
		l.ReadHeaderTimeout = d.ReadHeaderTimeout
	}
	if l.ReadTimeout <= 0 {
		l.ReadTimeout = d.ReadTimeout
	}
	if l.WriteTimeout <= 0 {
		l.WriteTimeout = d.WriteTimeout
	}
	if l.IdleTimeout <= 0 {
		l.IdleTimeout = d.IdleTimeout
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = d.MaxHeaderBytes
	}
	if l.ReadHeaderTimeout > l.ReadTimeout {
		l.ReadHeaderTimeout = l.ReadTimeout
	}
	return l
}

// New returns a server for h on addr with l's limits (zero fields take
// the defaults).
func New(addr string, h http.Handler, l Limits) *http.Server {
	l = l.withDefaults()
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
	}
}
