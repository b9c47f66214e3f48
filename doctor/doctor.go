// Package doctor runs read-only checks of the integrations a configuration
// names and prints them as a checklist, one row per check with what to fix.
// Each provider knows how to check itself and returns its Checks; the CLI
// only collects them, runs them here and prints the rows.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// DefaultTimeout bounds a check that sets none: long enough for one slow
// API call, short enough that a silent endpoint is reported, not waited on.
const DefaultTimeout = 20 * time.Second

// Check is one read-only probe of one integration.
type Check struct {
	// Name says what is checked, e.g. "aws 111111111111: assume role".
	Name string
	// Timeout bounds Run; zero takes DefaultTimeout.
	Timeout time.Duration
	// Run probes and returns what it found (shown on the row) or an error.
	// Wrap an error with Fix to say what the operator should change.
	Run func(ctx context.Context) (detail string, err error)
}

// Problem is a failed check's error with the operator's fix.
type Problem struct {
	Err error
	Fix string
}

func (p *Problem) Error() string { return p.Err.Error() }
func (p *Problem) Unwrap() error { return p.Err }

// Fix attaches the operator's fix to err; nil stays nil.
func Fix(err error, fix string) error {
	if err == nil {
		return nil
	}
	return &Problem{Err: err, Fix: fix}
}

// Fixf is Fix with a formatted error.
func Fixf(fix, format string, args ...any) error {
	return &Problem{Err: fmt.Errorf(format, args...), Fix: fix}
}

// FixOf is the fix attached to err, or "".
func FixOf(err error) string {
	var p *Problem
	if errors.As(err, &p) {
		return p.Fix
	}
	return ""
}

// Result is one check's outcome.
type Result struct {
	Name   string
	Detail string // what was found, or why it failed
	Fix    string // empty when the check passed
	Err    error
	Took   time.Duration
}

// OK reports whether the check passed.
func (r Result) OK() bool { return r.Err == nil }
