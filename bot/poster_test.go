package bot

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/patchgate/patchgate/internal/testkit"
)

func startPoster(t *testing.T, interval time.Duration) *poster {
	t.Helper()
	p := newPoster(quietLog(nil), interval)
	p.retry = retryPolicy{base: time.Millisecond, max: 5 * time.Millisecond, minRateWait: 10 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	p.start(ctx)
	t.Cleanup(func() {
		cancel()
		testkit.Eventually(t, 10*time.Second, "the poster's workers to return", p.idle)
	})
	return p
}

// TestPosterCoalescesUpdates: 100 updates of one message within the
// interval make at most two calls, the last sending the newest rendering.
// The interval is an hour, so nothing but drain lets the second call out.
func TestPosterCoalescesUpdates(t *testing.T) {
	p := startPoster(t, time.Hour)
	var (
		mu   sync.Mutex
		sent []int
	)
	for i := range 100 {
		p.update("C1", "1.0", "update", func(context.Context) error {
			mu.Lock()
			sent = append(sent, i)
			mu.Unlock()
			return nil
		})
	}
	p.drain()
	testkit.Eventually(t, 10*time.Second, "the drained update to go out", p.idle)
	mu.Lock()
	defer mu.Unlock()
	if len(sent) == 0 || len(sent) > 2 || sent[len(sent)-1] != 99 {
		t.Errorf("sent renderings %v, want at most 2 ending with the newest (99)", sent)
	}
}

// TestPosterPaceIsPerMessage: updates of different messages do not wait
// for each other's interval.
func TestPosterPaceIsPerMessage(t *testing.T) {
	p := startPoster(t, time.Hour)
	var n atomic.Int32
	for i := range 5 {
		p.update("C1", fmt.Sprint(i), "update", func(context.Context) error { n.Add(1); return nil })
	}
	testkit.Eventually(t, 10*time.Second, "5 messages updated", func() bool { return n.Load() == 5 })
}

// TestPosterPostsInOrder: posts to a channel go out in the order queued,
// even when one of them is rate-limited and retried.
func TestPosterPostsInOrder(t *testing.T) {
	p := startPoster(t, time.Millisecond)
	var (
		mu    sync.Mutex
		order []int
		tries = map[int]int{}
	)
	var wg sync.WaitGroup
	// The first post holds the worker until every other post is queued, and
	// each is queued only after the one before it, so the queue's order is
	// known without sleeping.
	release, holding := make(chan struct{}), make(chan struct{})
	var hold sync.Once
	queued := func() int {
		p.mu.Lock()
		defer p.mu.Unlock()
		if q := p.queues["C1"]; q != nil {
			return len(q.posts)
		}
		return 0
	}
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := p.post(context.Background(), "C1", "post", func(context.Context) error {
				if i == 0 {
					hold.Do(func() { close(holding); <-release })
				}
				mu.Lock()
				defer mu.Unlock()
				tries[i]++
				if i == 3 && tries[i] == 1 {
					return &slack.RateLimitedError{RetryAfter: 0}
				}
				if i == 6 && tries[i] < 3 {
					return &net.OpError{Op: "dial", Err: errors.New("connection refused")}
				}
				order = append(order, i)
				return nil
			})
			if err != nil {
				t.Errorf("post %d: %v", i, err)
			}
		}()
		if i == 0 {
			<-holding // the worker took post 0 and waits
			continue
		}
		waitFor(t, fmt.Sprintf("post %d queued", i), func() bool { return queued() == i })
	}
	close(release)
	wg.Wait()
	for i, got := range order {
		if got != i {
			t.Fatalf("posted in order %v", order)
		}
	}
	if len(order) != 10 {
		t.Fatalf("%d of 10 posted", len(order))
	}
}

// TestPosterPermanentErrorReturns: an error no retry can fix comes back
// at once.
func TestPosterPermanentErrorReturns(t *testing.T) {
	p := startPoster(t, time.Millisecond)
	calls := 0
	err := p.post(context.Background(), "C1", "post", func(context.Context) error {
		calls++
		return slack.SlackErrorResponse{Err: "channel_not_found"}
	})
	if err == nil || calls != 1 {
		t.Errorf("err %v after %d calls, want channel_not_found after 1", err, calls)
	}
}

// TestPosterWatchesContext: a caller that gives up is not kept waiting,
// and a worker stops when its context ends, even mid-wait on a 429.
func TestPosterWatchesContext(t *testing.T) {
	p := newPoster(quietLog(nil), time.Millisecond)
	wctx, stop := context.WithCancel(context.Background())
	p.start(wctx)
	started := make(chan struct{})
	go func() {
		_ = p.post(context.Background(), "C1", "post", func(context.Context) error {
			close(started)
			return &slack.RateLimitedError{RetryAfter: time.Hour}
		})
	}()
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := p.post(ctx, "C1", "post", func(context.Context) error { return nil }); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("post behind a 429: %v, want the caller's deadline", err)
	}
	stop()
	testkit.Eventually(t, 10*time.Second, "the worker waiting out a 429 to return after its context ended", p.idle)
}

func TestRetryPolicy(t *testing.T) {
	r := defaultRetry
	cases := []struct {
		err   error
		retry bool
		min   time.Duration
	}{
		{&slack.RateLimitedError{RetryAfter: 7 * time.Second}, true, 7 * time.Second},
		{fmt.Errorf("GetUploadURLExternal: %w", &slack.RateLimitedError{RetryAfter: 2 * time.Second}), true, 2 * time.Second},
		{&slack.RateLimitedError{}, true, time.Second},
		{slack.StatusCodeError{Code: 503}, true, 0},
		{slack.StatusCodeError{Code: 404}, false, 0},
		{slack.SlackErrorResponse{Err: "ratelimited"}, true, time.Second},
		{slack.SlackErrorResponse{Err: "internal_error"}, true, 0},
		{slack.SlackErrorResponse{Err: "channel_not_found"}, false, 0},
		{slack.SlackErrorResponse{Err: "invalid_auth"}, false, 0},
		{&net.OpError{Op: "read", Err: errors.New("reset")}, true, 0},
		{errTransient{errors.New("store busy")}, true, 0},
		{errors.New("something else"), false, 0},
	}
	for _, tc := range cases {
		wait, retry := r.after(tc.err, 0)
		if retry != tc.retry || wait < tc.min {
			t.Errorf("%v: retry %v after %s, want %v after at least %s", tc.err, retry, wait, tc.retry, tc.min)
		}
	}
	if d := r.backoff(50); d > r.max*6/5 {
		t.Errorf("backoff grows past its cap: %s", d)
	}
}

func TestSafeErrRedacts(t *testing.T) {
	err := fmt.Errorf("UploadToURL: Post \"https://files.slack.com/upload/v1/CwABAAAAXwsAAgAAAA\": EOF; token xoxb-123-456-abcdef; app xapp-1-A1-2-ff")
	got := safeErr(err)
	for _, s := range []string{"CwABAAAAXwsAAgAAAA", "xoxb-123", "xapp-1"} {
		if strings.Contains(got, s) {
			t.Errorf("safeErr kept %q: %s", s, got)
		}
	}
}
