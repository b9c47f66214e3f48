package gcp

import (
	"context"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// describer names a Google API request for a CallError: the project as the
// scope, the zone or location as the region, the method and the last
// collection of the path (instances, inventories, patchJobs) as the
// operation.
func describer(service string) func(*http.Request) runbooks.CallError {
	return func(req *http.Request) runbooks.CallError {
		ce := runbooks.CallError{System: "gcp", Service: service}
		parts := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
		op := ""
		for i := 0; i < len(parts); i++ {
			p := parts[i]
			switch {
			case p == "projects" && i+1 < len(parts):
				ce.Scope = "project " + parts[i+1]
				i++
			case (p == "zones" || p == "locations" || p == "regions") && i+1 < len(parts):
				ce.Region = parts[i+1]
				i++
			case p != "" && p != "-" && !strings.HasPrefix(p, "v1") && p != service:
				if strings.Contains(p, ":") { // a custom method: patchJobs:execute
					op = p
				} else if i%2 == 0 || op == "" {
					op = p
				}
			}
		}
		ce.Operation = strings.TrimSpace(req.Method + " " + op)
		return ce
	}
}

// perTry bounds one attempt: the request's context ends after d, and the
// answer's body keeps it alive until it is closed.
func perTry(req *http.Request, d time.Duration) (*http.Request, context.CancelFunc) {
	if d <= 0 {
		return req, func() {}
	}
	ctx, cancel := context.WithTimeout(req.Context(), d)
	return req.WithContext(ctx), cancel
}

// cancelOnClose ends an attempt's context when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}
