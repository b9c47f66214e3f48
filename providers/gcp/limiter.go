package gcp

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/patchgate/patchgate/runbooks"
	"golang.org/x/time/rate"
)

// quota spaces calls out to a per-minute budget. It reserves against the
// configured clock and waits with the configured sleep, so tests check the
// waits on a fake clock without sleeping.
type quota struct {
	lim   *rate.Limiter
	clock runbooks.Clock
	sleep func(context.Context, time.Duration) error
}

// newQuota allows perMinute calls a minute with a burst of a tenth of it:
// paging a large inventory starts at once, then settles to the rate.
func newQuota(perMinute int, clock runbooks.Clock, sleep func(context.Context, time.Duration) error) *quota {
	return &quota{lim: rate.NewLimiter(rate.Limit(float64(perMinute)/60), max(1, perMinute/10)), clock: clock, sleep: sleep}
}

func (q *quota) wait(ctx context.Context) error {
	now := q.clock.Now()
	r := q.lim.ReserveN(now, 1)
	if !r.OK() {
		return fmt.Errorf("rate limiter refused a call")
	}
	d := r.DelayFrom(now)
	if d <= 0 {
		return nil
	}
	if err := q.sleep(ctx, d); err != nil {
		r.CancelAt(q.clock.Now())
		return err
	}
	return nil
}

// limited holds every OS Config request until its quota allows it: GETs
// spend the read budget, everything else the write budget.
type limited struct {
	base          http.RoundTripper
	reads, writes *quota
}

func (l *limited) RoundTrip(req *http.Request) (*http.Response, error) {
	q := l.writes
	if req.Method == http.MethodGet {
		q = l.reads
	}
	if err := q.wait(req.Context()); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("wait for OS Config quota: %w", err)
	}
	return l.base.RoundTrip(req)
}
