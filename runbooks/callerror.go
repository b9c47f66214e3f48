package runbooks

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// CallError is a failed call to an outside system, described for the
// operator who has to fix it: which system, service and operation, where
// (account, subscription or project and region), how many attempts were
// made, and the plain cause. Err keeps the raw error for the audit trail;
// providers scrub secrets from it before wrapping.
type CallError struct {
	System    string // aws, azure, gcp, falcon, pagerduty, dynatrace
	Service   string // ssm, compute, osconfig, hosts, events, problems
	Operation string // the API operation, e.g. DescribeInstanceInformation
	Scope     string // "account 123456789012", "subscription …", "project …"
	Region    string
	Attempts  int // attempts the SDK made; 0 when unknown
	// Status is the HTTP status the peer answered with; 0 when it never
	// answered.
	Status int
	// Timeout is the per-attempt budget, named in a no-answer cause.
	Timeout time.Duration
	// Endpoint names the configuration key of the endpoint the call went
	// to (e.g. providers.aws.endpoints.ssm), so a cause can point at it.
	Endpoint string
	// Cause is the plain cause; Classify fills it when a provider leaves
	// it empty.
	Cause string
	Err   error
}

func (e *CallError) Error() string {
	var b strings.Builder
	b.WriteString(strings.TrimSpace(strings.Join(nonEmpty(e.System, e.Service, e.Operation), " ")))
	if where := nonEmpty(e.Scope, e.Region); len(where) > 0 {
		b.WriteString(" (" + strings.Join(where, ", ") + ")")
	}
	b.WriteString(" failed")
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	b.WriteString(": ")
	b.WriteString(e.PlainCause())
	return b.String()
}

func (e *CallError) Unwrap() error { return e.Err }

// PlainCause is the cause as an operator reads it.
func (e *CallError) PlainCause() string {
	if e.Cause != "" {
		return e.Cause
	}
	return Classify(e.Err, e.Status, e.Timeout, e.Endpoint).Text
}

// Raw is the raw error text kept in the audit event's details.
func (e *CallError) Raw() string {
	if e.Err == nil {
		return ""
	}
	return e.Err.Error()
}

// AsCallError returns the CallError in err's chain, if any.
func AsCallError(err error) (*CallError, bool) {
	var ce *CallError
	ok := errors.As(err, &ce)
	return ce, ok
}

func nonEmpty(ss ...string) []string {
	out := ss[:0:0]
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
