package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// parallel bounds how many checks run at once: checks of different
// integrations are independent, and a few silent endpoints must not add up
// their timeouts.
const parallel = 8

// Run runs every check under its own timeout and returns the results in
// the order of checks.
func Run(ctx context.Context, checks []Check) []Result {
	out := make([]Result, len(checks))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i] = runOne(ctx, c)
		}()
	}
	wg.Wait()
	return out
}

func runOne(ctx context.Context, c Check) Result {
	limit := c.Timeout
	if limit <= 0 {
		limit = DefaultTimeout
	}
	cctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	start := time.Now()
	detail, err := safeRun(cctx, c)
	r := Result{Name: c.Name, Detail: detail, Err: err, Took: time.Since(start)}
	if err == nil {
		return r
	}
	r.Detail, r.Fix = err.Error(), FixOf(err)
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		r.Detail = fmt.Sprintf("no answer within %s (%v)", limit, err)
		if r.Fix == "" {
			r.Fix = "check the endpoint is reachable from here (proxy, VPC endpoint, firewall)"
		}
	}
	return r
}

// safeRun turns a panicking check into a failed row: one broken probe must
// not hide the rest of the checklist.
func safeRun(ctx context.Context, c Check) (detail string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("check panicked: %v", p)
		}
	}()
	return c.Run(ctx)
}

// Print writes one row per result: status, check, what was found (with the
// time it took) and, for a failure, the fix. It returns how many failed.
func Print(w io.Writer, results []Result) (failed int) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tCHECK\tRESULT\tFIX")
	for _, r := range results {
		status := "ok"
		if !r.OK() {
			status, failed = "FAIL", failed+1
		}
		fix := r.Fix
		if fix == "" {
			fix = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s (%s)\t%s\n", status, r.Name, oneLine(r.Detail), runbooks.ForPeople(r.Took), oneLine(fix))
	}
	tw.Flush()
	if failed > 0 {
		fmt.Fprintf(w, "%d of %d check(s) failed\n", failed, len(results))
	} else {
		fmt.Fprintf(w, "all %d check(s) passed\n", len(results))
	}
	return failed
}

// oneLine keeps a row on one line whatever an SDK put in its message.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "-"
	}
	return s
}
