package azure

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/providers/azure/azuretest"
	"github.com/patchgate/patchgate/runbooks"
)

// peerStep is the step budget the hostile-peer tests give the provider.
const peerStep = 2 * time.Second

// assessPeer is the fleet with vm-web-3 (two available patches) behind a
// hostile peer; it returns the provider, the peer and vm-web-3's host.
func assessPeer(t *testing.T, mod ...func(*Config)) (*fleet, *Provider, *testkit.Hostile, []runbooks.Host) {
	t.Helper()
	f := newFleet(t)
	published := time.Date(2026, 11, 12, 0, 0, 0, 0, time.UTC)
	f.srv.AddVM(azuretest.VM{Subscription: subA, ResourceGroup: rgA, Name: "vm-web-3", Tags: map[string]string{"env": "prod"}, OSType: "Windows", Agent: "Ready",
		Patches: []azuretest.AvailablePatch{
			{PatchID: "0c4f1ac5-2f3e-4c1b-9d5c-1b8a1f6c2a11", Name: "2026-11 Cumulative Update (KB5046616)", KBID: "5046616", Classifications: []string{"Security"}, Published: published},
			{PatchID: "openssl_3.0.2-0ubuntu1.18", Name: "openssl", Classifications: []string{"Critical", "Security"}, Published: published},
		}})
	peer := testkit.NewHostile(t, f.srv.URL)
	p := f.provider(t, append([]func(*Config){func(c *Config) { c.Endpoint, c.StepTimeout = peer.URL, peerStep }}, mod...)...)
	h, ok := f.hosts(t, p)["vm-web-3"]
	if !ok || !h.Managed {
		t.Fatalf("vm-web-3 = %+v", h)
	}
	return f, p, peer, []runbooks.Host{h}
}

func assessStart(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/assessPatches")
}

func assessPoll(r *http.Request) bool { return strings.Contains(r.URL.Path, "/operations/") }

// armThrottled is ARM's throttling answer.
func armThrottled(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Retry-After", "1")
	w.Header().Set("x-ms-ratelimit-remaining-subscription-writes", "0")
	w.WriteHeader(http.StatusTooManyRequests)
	_, _ = w.Write([]byte(`{"error":{"code":"TooManyRequests","message":"The request is being throttled as the limit has been reached for operation type - Write."}}`))
}

// readGuarded reads the findings under a guard of two default steps: a
// read still going then has outlived its own budget, and the test says so instead of
// hanging.
func readGuarded(t *testing.T, read func(context.Context) ([]runbooks.PatchFinding, error)) ([]runbooks.PatchFinding, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*runbooks.DefaultStepTimeout)
	defer cancel()
	fs, err := read(ctx)
	if ctx.Err() != nil {
		t.Fatalf("the read was still going after two default steps (%v), past any step budget it had: %v", 2*runbooks.DefaultStepTimeout, err)
	}
	return fs, err
}

// TestPatchFindingsHostileAssessPatchesPeers: the assessPatches
// long-running operation behind a peer that never answers (its start, or
// its polls), one that answers 500 with an HTML page, a 429 storm longer
// than the budget's attempts, and one that cuts the operation's status
// document in half: each read ends inside its step budget with an error (a
// CallError naming the compute service and the assessPatches call where
// ARM's answer was not one), never with a shorter list.
func TestPatchFindingsHostileAssessPatchesPeers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		step  time.Duration // 0: peerStep
		match func(*http.Request) bool
		set   func(*testkit.Hostile)
		op    string // the CallError's operation; "" when no CallError is promised
		cause string
	}{
		{"start never answered", 0, assessStart, (*testkit.Hostile).BlackHole, "POST virtualMachines/assessPatches", "no answer"},
		{"poll never answered", 0, assessPoll, (*testkit.Hostile).BlackHole, "GET locations/operations", "no answer"},
		{"500 with HTML", 0, assessStart, (*testkit.Hostile).HTMLError, "POST virtualMachines/assessPatches", "non-JSON"},
		// With the default 30s step a Retry-After of 1s fits the budget's
		// backoff: three attempts, all throttled.
		{"429 storm past the attempts", runbooks.DefaultStepTimeout, assessStart, func(h *testkit.Hostile) { h.Storm(1000, armThrottled) }, "POST virtualMachines/assessPatches", "throttled"},
		// With a 2s step it does not: the 429 is final at once.
		{"Retry-After past the budget", 0, assessStart, func(h *testkit.Hostile) { h.Storm(1000, armThrottled) }, "POST virtualMachines/assessPatches", "throttled"},
		{"truncated status", 0, assessPoll, (*testkit.Hostile).Truncate, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			step := tc.step
			if step == 0 {
				step = peerStep
			}
			_, p, peer, hosts := assessPeer(t, func(c *Config) { c.StepTimeout = step })
			peer.Match = tc.match
			tc.set(peer)
			fs, err := readGuarded(t, func(ctx context.Context) ([]runbooks.PatchFinding, error) { return p.PatchFindings(ctx, hosts) })
			if err == nil || len(fs) != 0 {
				t.Fatalf("read = %d findings, %v; want an error and no list", len(fs), err)
			}
			if peer.Hits() == 0 {
				t.Fatal("the hostile peer was never asked; the test proves nothing")
			}
			if tc.op == "" {
				return
			}
			ce, ok := runbooks.AsCallError(err)
			if !ok {
				t.Fatalf("error %v: want a CallError", err)
			}
			if ce.Service != "compute" || ce.Operation != tc.op || !strings.Contains(ce.PlainCause(), tc.cause) {
				t.Errorf("CallError = %v (service %q, operation %q); want compute %s, cause with %q", ce, ce.Service, ce.Operation, tc.op, tc.cause)
			}
			if ce.Attempts > 3 {
				t.Errorf("%d attempts, more than the budget's 3", ce.Attempts)
			}
		})
	}
}

// TestPatchFindingsAssessPatchesThrottlingStormEndsInsideTheBudget: two
// 429s with Retry-After, then ARM accepts: the assessment's patches are
// read. (A Retry-After longer than the budget's backoff is not waited for:
// the table above shows that read failing at once, throttled.)
func TestPatchFindingsAssessPatchesThrottlingStormEndsInsideTheBudget(t *testing.T) {
	// The default step's backoff fits ARM's Retry-After of a second.
	_, p, peer, hosts := assessPeer(t, func(c *Config) { c.StepTimeout = runbooks.DefaultStepTimeout })
	peer.Match = assessStart
	peer.Storm(2, armThrottled)
	fs, err := readGuarded(t, func(ctx context.Context) ([]runbooks.PatchFinding, error) { return p.PatchFindings(ctx, hosts) })
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 2 || peer.StormLeft() != 0 {
		t.Errorf("%d findings (want 2), storm left %d", len(fs), peer.StormLeft())
	}
}

// TestPatchFindingsAssessPatchesThatNeverEndsIsGivenUp: an operation whose
// status stays InProgress at every poll (assessPatches has no nextLink;
// its poll loop is the loop that must end) is given up once
// assess_timeout has passed, with an error naming the call.
func TestPatchFindingsAssessPatchesThatNeverEndsIsGivenUp(t *testing.T) {
	// The stepping clock moves an hour a reading: five hours is a few polls.
	_, p, peer, hosts := assessPeer(t, func(c *Config) { c.AssessTimeout = 5 * time.Hour })
	peer.Match = assessPoll
	peer.Edit(func(_ int, body []byte) []byte {
		var doc map[string]any
		if json.Unmarshal(body, &doc) != nil {
			return body
		}
		doc["status"] = "InProgress"
		delete(doc, "properties")
		out, _ := json.Marshal(doc)
		return out
	})
	fs, err := readGuarded(t, func(ctx context.Context) ([]runbooks.PatchFinding, error) { return p.PatchFindings(ctx, hosts) })
	if err == nil || !strings.Contains(err.Error(), "assessPatches on vm-web-3 did not finish within 5h0m0s") || len(fs) != 0 {
		t.Fatalf("read = %d findings, %v; want the assessment given up, naming it", len(fs), err)
	}
	if n := peer.Hits(); n < 2 || n > 20 {
		t.Errorf("%d polls; want a few, bounded by assess_timeout", n)
	}
}
