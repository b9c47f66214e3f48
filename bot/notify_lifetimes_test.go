package bot

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/runbooks"
)

// TestNotifierGivesUpOnSlackAfterMaxAttempts: a Slack that fails every
// post with a 503 gets each root message maxSendAttempts times per try,
// the give-up is logged, and the worker stops after maxServeFailures tries
// (the cycle's next change tries again) instead of retrying for ever.
func TestNotifierGivesUpOnSlackAfterMaxAttempts(t *testing.T) {
	api, st := newRecAPI(t), openBolt(t)
	api.fail = func(method string, _ int) *slackFailure {
		if method == "chat.postMessage" {
			return &slackFailure{Status: http.StatusServiceUnavailable}
		}
		return nil
	}
	logs := &testkit.SyncBuffer{}
	n := NewNotifier(api, st, NotifierOptions{Channel: "C1", Log: quietLog(logs)})
	n.poster.retry = retryPolicy{base: time.Millisecond, max: time.Millisecond, minRateWait: time.Millisecond}
	startNotifier(t, n)
	c := fxCycleAt("production", runbooks.PhaseApproval)
	if err := n.CycleChanged(context.Background(), c, nil); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, n)
	api.mu.Lock()
	posts := api.counts["chat.postMessage"]
	api.mu.Unlock()
	if got, want := posts, maxServeFailures*maxSendAttempts; got != want {
		t.Errorf("%d posts to a Slack that always fails, want %d (%d tries of %d attempts)", got, want, maxServeFailures, maxSendAttempts)
	}
	out := logs.String()
	if got := strings.Count(out, "Slack call given up"); got != maxServeFailures {
		t.Errorf("%d give-ups logged, want %d:\n%s", got, maxServeFailures, out)
	}
	if !strings.Contains(out, "attempts=8") {
		t.Errorf("the give-up does not say how many attempts were made:\n%s", out)
	}
	if _, _, found, _ := loadChat(context.Background(), st, c.ID); found {
		t.Error("the posting marker outlived the give-up")
	}
	checkNoSecrets(t, out)
}

// blockingPostAPI holds every chat.postMessage until release is closed,
// ignoring its context, like a call stuck in a slow network.
type blockingPostAPI struct {
	*recAPI
	entered  chan struct{}
	release  chan struct{}
	inFlight atomic.Int32
}

func (b *blockingPostAPI) PostMessageContext(ctx context.Context, channel string, opts ...slack.MsgOption) (string, string, error) {
	b.inFlight.Add(1)
	defer b.inFlight.Add(-1)
	select {
	case b.entered <- struct{}{}:
	default:
	}
	<-b.release
	return b.recAPI.PostMessageContext(context.WithoutCancel(ctx), channel, opts...)
}

// TestNotifierShutdownWaitsForInFlightPost: Run does not return while one
// of its workers is still inside a Slack call, even one that outlives the
// drain timeout and ignores cancellation; the call's goroutine ends first.
func TestNotifierShutdownWaitsForInFlightPost(t *testing.T) {
	api := &blockingPostAPI{recAPI: newRecAPI(t), entered: make(chan struct{}, 1), release: make(chan struct{})}
	logs := &testkit.SyncBuffer{}
	n := NewNotifier(api, openBolt(t), NotifierOptions{Channel: "C1", Log: quietLog(logs), DrainTimeout: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	if err := n.CycleChanged(context.Background(), fxCycleAt("production", runbooks.PhaseApproval), nil); err != nil {
		t.Fatal(err)
	}
	<-api.entered
	cancel()
	// The release only keeps the test from hanging when Run does wait; it
	// comes well after the drain timeout, by which time a Run that did not
	// track its workers has returned.
	var inFlightAtReturn int32 = -1
	select {
	case err := <-done:
		inFlightAtReturn = api.inFlight.Load()
		close(api.release)
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(1500 * time.Millisecond):
		close(api.release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		inFlightAtReturn = api.inFlight.Load()
	}
	if inFlightAtReturn != 0 {
		t.Errorf("Run returned with %d Slack call(s) still in flight", inFlightAtReturn)
	}
	if !strings.Contains(logs.String(), "stopped with Slack messages unsent") {
		t.Errorf("the drain timeout passing is not logged:\n%s", logs.String())
	}
}
