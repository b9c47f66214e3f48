package azure

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/runbooks"
)

// ARM throttles with 429 and Retry-After; the SDK's retry policy, which the
// provider leaves on, must wait that long and try again.
func TestThrottledRequestIsRetriedAfterRetryAfter(t *testing.T) {
	f := newFleet(t)
	path := f.web1 + "/instanceView"
	f.srv.Throttle("GET", path, 1, "1")
	hosts := f.hosts(t, f.provider(t))
	if !hosts["vm-web-1"].Managed {
		t.Fatalf("vm-web-1 = %+v after the retry", hosts["vm-web-1"])
	}
	times := f.srv.Times("GET", path)
	if len(times) != 2 {
		t.Fatalf("%d requests on %s, want the throttled one and its retry", len(times), path)
	}
	// A lower bound only: the retry must not come before Retry-After.
	if gap := times[1].Sub(times[0]); gap < 900*time.Millisecond {
		t.Errorf("retry came %v after the 429, before its Retry-After of 1s", gap)
	}
}

// A throttled installPatches is retried too, and still only one install
// runs on the machine.
func TestThrottledInstallStartsOnce(t *testing.T) {
	f := newFleet(t)
	p := f.provider(t)
	req := f.request(t, p, "tag-429", "vm-web-1")
	f.srv.Throttle("POST", f.web1+"/installPatches", 1, "1")
	ctx := context.Background()
	h, err := p.StartPatch(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	st := until(t, func() (runbooks.OpStatus, error) { return p.PatchStatus(ctx, h) })
	if st.Succeeded != 1 {
		t.Fatalf("status = %+v", st)
	}
	if n, ok := f.srv.Count("POST", f.web1+"/installPatches"), len(f.srv.Installs(f.web1)); n != 2 || ok != 1 {
		t.Errorf("%d POSTs (want 2: 429 and retry), %d accepted installs (want 1)", n, ok)
	}
}

// Calls are bounded per subscription, not globally: two subscriptions each
// reach the limit at the same time and neither passes it.
func TestConcurrencyIsBoundedPerSubscription(t *testing.T) {
	f := newFleet(t)
	p := f.provider(t, func(c *Config) { c.ConcurrencyPerSubscription = 3 })
	var (
		mu      sync.Mutex
		running = map[string]int{}
		peak    = map[string]int{}
		release = make(chan struct{})
	)
	subs := func(i int) string { return []string{"sub-a", "sub-b"}[i%2] }
	done := make(chan error, 1)
	go func() {
		done <- p.each(context.Background(), 20, subs, func(_ context.Context, i int) error {
			mu.Lock()
			running[subs(i)]++
			peak[subs(i)] = max(peak[subs(i)], running[subs(i)])
			mu.Unlock()
			<-release
			mu.Lock()
			running[subs(i)]--
			mu.Unlock()
			return nil
		})
	}()
	testkit.Eventually(t, 30*time.Second, "3 calls running per subscription at once", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return running["sub-a"] == 3 && running["sub-b"] == 3
	})
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if peak["sub-a"] != 3 || peak["sub-b"] != 3 {
		t.Errorf("peak concurrency = %v, want 3 per subscription", peak)
	}
}
