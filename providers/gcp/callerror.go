package gcp

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"google.golang.org/api/googleapi"

	"github.com/patchgate/patchgate/runbooks"
)

// describer names a Google API request for a CallError: the project as the
// scope, the zone or location as the region, the method and the last
// collection of the path (instances, inventories, vulnerabilityReports,
// patchJobs) as the operation. After projects/<id>, collections and IDs
// alternate (an ID may be "-", as in instances/-/vulnerabilityReports).
func describer(service string) func(*http.Request) runbooks.CallError {
	return func(req *http.Request) runbooks.CallError {
		ce := runbooks.CallError{System: "gcp", Service: service}
		parts := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
		op, from := "", -1
		for i := 0; i < len(parts); i++ {
			p := parts[i]
			switch {
			case p == "projects" && i+1 < len(parts) && from < 0:
				ce.Scope = "project " + parts[i+1]
				from = i
				i++
			case (p == "zones" || p == "locations" || p == "regions") && i+1 < len(parts):
				ce.Region = parts[i+1]
				i++
			case strings.Contains(p, ":"): // a custom method: patchJobs:execute
				op = p
			case from >= 0 && (i-from)%2 == 0:
				op = p
			case from < 0 && p != "" && !strings.HasPrefix(p, "v1") && p != service:
				op = p // a path without a project
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

// osconfigCallError describes an OS Config error answer the retries gave
// up on (a 429 storm longer than the budget's attempts) as a CallError
// naming the call, as the transport does for silent and non-API answers;
// other errors pass unchanged.
func osconfigCallError(err error, project, region, op string) error {
	var ge *googleapi.Error
	if _, ok := runbooks.AsCallError(err); ok || !errors.As(err, &ge) || ge.Code != http.StatusTooManyRequests {
		return err
	}
	var body struct {
		Error struct {
			Status string `json:"status"`
		} `json:"error"`
	}
	_ = json.Unmarshal([]byte(ge.Body), &body)
	return &runbooks.CallError{System: "gcp", Service: "osconfig", Operation: op, Scope: "project " + project, Region: region,
		Status: ge.Code, Attempts: Attempts, Err: runbooks.WithAPICode(err, body.Error.Status, ge.Message)}
}
