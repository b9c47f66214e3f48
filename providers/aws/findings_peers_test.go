package aws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/providers/aws/awstest"
	"github.com/patchgate/patchgate/runbooks"
)

// peerStep is the step budget the hostile-peer tests give the provider.
const peerStep = 2 * time.Second

// findingsPeer is one AWS host with 130 missing patches (two pages) behind
// a hostile peer that picks only DescribeInstancePatches.
func findingsPeer(t *testing.T) (*Provider, *testkit.Hostile, []runbooks.Host) {
	t.Helper()
	fake := awstest.NewServer(t)
	var patches []awstest.Patch
	for i := range 130 {
		patches = append(patches, awstest.Patch{KBId: fmt.Sprintf("KB%07d", i), Title: "p", Classification: "SecurityUpdates", Severity: "Critical", State: "MISSING"})
	}
	fake.Add(awstest.Instance{ID: "i-0000000000000a001", Account: acctA, SSM: &awstest.Agent{PingStatus: "Online"}, Patches: &awstest.PatchState{Patches: patches}})
	peer := testkit.NewHostile(t, fake.URL)
	peer.Match = func(r *http.Request) bool { return r.Header.Get("X-Amz-Target") == "AmazonSSM.DescribeInstancePatches" }
	cfg := testConfig(fake.URL, peer.URL)
	cfg.StepTimeout, cfg.MaxAttempts = peerStep, 3
	return newProvider(t, cfg), peer, hostsOf([]string{"i-0000000000000a001"})
}

// readGuarded reads the findings under a guard of ten steps: a read that
// is still going then has outlived its own budget, and the test says so
// instead of hanging.
func readGuarded(t *testing.T, read func(context.Context) ([]runbooks.PatchFinding, error)) ([]runbooks.PatchFinding, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*peerStep)
	defer cancel()
	fs, err := read(ctx)
	if ctx.Err() != nil {
		t.Fatalf("the read was still going after ten steps (%v), far past its step budget: %v", 10*peerStep, err)
	}
	return fs, err
}

// ssmThrottled is SSM's throttling answer (awsJson1.1).
func ssmThrottled(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", "ThrottlingException")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write([]byte(`{"__type":"ThrottlingException","message":"Rate exceeded"}`))
}

// TestPatchFindingsHostileSSMPeers: DescribeInstancePatches behind a peer
// that never answers, one that answers 500 with an HTML page, a throttling
// storm longer than the budget's attempts, and one that cuts the body in
// half: each read ends inside its step budget with an error (a CallError
// naming ssm and the operation where the SDK got an answer or none), never
// with a shorter list.
func TestPatchFindingsHostileSSMPeers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		set   func(*testkit.Hostile)
		cause string // in the CallError's plain cause; "" when no CallError is promised
	}{
		{"never answers", (*testkit.Hostile).BlackHole, "no answer"},
		{"500 with HTML", (*testkit.Hostile).HTMLError, "non-JSON"},
		{"throttling storm past the budget", func(h *testkit.Hostile) { h.Storm(1000, ssmThrottled) }, "throttled"},
		{"truncated body", (*testkit.Hostile).Truncate, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, peer, hosts := findingsPeer(t)
			tc.set(peer)
			fs, err := readGuarded(t, func(ctx context.Context) ([]runbooks.PatchFinding, error) { return p.PatchFindings(ctx, hosts) })
			if err == nil || len(fs) != 0 {
				t.Fatalf("read = %d findings, %v; want an error and no list", len(fs), err)
			}
			if tc.cause == "" {
				return
			}
			ce, ok := runbooks.AsCallError(err)
			if !ok {
				t.Fatalf("error %v: want a CallError", err)
			}
			if ce.Service != "ssm" || ce.Operation != "DescribeInstancePatches" || !strings.Contains(ce.PlainCause(), tc.cause) {
				t.Errorf("CallError = %v (service %q, operation %q); want ssm DescribeInstancePatches, cause with %q", ce, ce.Service, ce.Operation, tc.cause)
			}
			if ce.Attempts > 3 {
				t.Errorf("%d attempts, more than the budget's 3", ce.Attempts)
			}
		})
	}
}

// TestPatchFindingsSSMThrottlingStormEndsInsideTheBudget: two throttled
// answers, then the storm is over: the third attempt reads every patch.
func TestPatchFindingsSSMThrottlingStormEndsInsideTheBudget(t *testing.T) {
	p, peer, hosts := findingsPeer(t)
	peer.Storm(2, ssmThrottled)
	fs, err := readGuarded(t, func(ctx context.Context) ([]runbooks.PatchFinding, error) { return p.PatchFindings(ctx, hosts) })
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 130 || peer.StormLeft() != 0 {
		t.Errorf("%d findings (want 130), storm left %d", len(fs), peer.StormLeft())
	}
}

// TestPatchFindingsSSMPagingLoopsEnd: a peer whose every page names a new
// NextToken, and one that hands back the same NextToken, end the walk with
// an error naming the loop, not an endless scan and not a shorter list.
func TestPatchFindingsSSMPagingLoopsEnd(t *testing.T) {
	for name, token := range map[string]func(n int) string{
		"a new token forever": func(n int) string { return fmt.Sprintf("forever-%d", n) },
		"the same token":      func(int) string { return "100" },
	} {
		t.Run(name, func(t *testing.T) {
			p, peer, hosts := findingsPeer(t)
			p.maxPages = 20
			peer.Edit(func(n int, body []byte) []byte {
				var page map[string]any
				if err := json.Unmarshal(body, &page); err != nil {
					t.Errorf("page %d: %v", n, err)
				}
				page["NextToken"] = token(n)
				out, _ := json.Marshal(page)
				return out
			})
			fs, err := readGuarded(t, func(ctx context.Context) ([]runbooks.PatchFinding, error) { return p.PatchFindings(ctx, hosts) })
			if !errors.Is(err, runbooks.ErrEndlessPaging) || !strings.Contains(err.Error(), "DescribeInstancePatches of i-0000000000000a001") || len(fs) != 0 {
				t.Fatalf("read = %d findings, %v; want an endless-paging error naming the loop", len(fs), err)
			}
			if peer.Hits() > 21 {
				t.Errorf("%d pages asked for, past the cap of 20", peer.Hits())
			}
		})
	}
}
