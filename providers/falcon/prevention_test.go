package falcon

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/providers/falcon/falcontest"
	"github.com/patchgate/patchgate/runbooks"
)

const (
	pvGroup   = "0123456789abcdef0123456789abcdef"
	pvPrevent = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	pvDetect  = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func newPreventionClient(t *testing.T) (*Client, *falcontest.Server, *sleeps) {
	t.Helper()
	f := falcontest.New(t, "pv-client", "pv-secret-0123456789")
	sl := &sleeps{}
	c, err := New(Config{ClientID: f.ClientID, ClientSecret: f.ClientSecret, BaseURL: f.URL, sleep: sl.sleep, MaxRetries: 2,
		Clock: runbooks.ClockFunc(func() time.Time { return testNow }), Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return c, f, sl
}

func TestPreventionRolloutConsoleReadsExclusions(t *testing.T) {
	c, f, _ := newPreventionClient(t)
	f.AddMLExclusion(falcontest.MLExclusion{ID: "ml-1", Value: "/usr/bin/amazon-ssm-agent", Groups: []string{pvGroup}})
	f.AddIOAExclusion(falcontest.IOAExclusion{ID: "ioa-1", Name: "SSM worker", IfnRegex: `.*/ssm-agent-worker`, Global: true})
	xs, err := c.Exclusions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(xs) != 2 || xs[0].Kind != runbooks.ExclusionML || !slices.Contains(xs[0].Groups, pvGroup) ||
		xs[1].Kind != runbooks.ExclusionIOA || !xs[1].Global || !slices.Contains(xs[1].Patterns, `.*/ssm-agent-worker`) {
		t.Fatalf("exclusions %+v", xs)
	}
}

func TestPreventionRolloutConsoleMovesGroupOnce(t *testing.T) {
	c, f, _ := newPreventionClient(t)
	f.SetPolicy(pvPrevent)
	f.SetPolicy(pvDetect, pvGroup)
	ctx := context.Background()
	for range 2 { // a resumed step: the second call finds it done
		mv, err := c.AssignHostGroup(ctx, pvGroup, pvPrevent, pvDetect)
		if err != nil {
			t.Fatal(err)
		}
		if mv.Source != runbooks.SourceFalcon {
			t.Errorf("source %q", mv.Source)
		}
	}
	want := []string{"add-host-group " + pvPrevent + " " + pvGroup, "remove-host-group " + pvDetect + " " + pvGroup}
	if got := f.Actions(); !slices.Equal(got, want) {
		t.Errorf("actions %v, want each once: %v", got, want)
	}
	if !slices.Contains(f.PolicyGroups(pvPrevent), pvGroup) || len(f.PolicyGroups(pvDetect)) != 0 {
		t.Errorf("policies after the move: prevention %v detection %v", f.PolicyGroups(pvPrevent), f.PolicyGroups(pvDetect))
	}
	if _, err := c.AssignHostGroup(ctx, pvGroup, "cccccccccccccccccccccccccccccccc", pvDetect); runbooks.ErrorCode(err) != runbooks.CodeBlocked {
		t.Errorf("unknown policy: %v, want blocked", err)
	}
}

func TestPreventionRolloutConsoleCountsDetectionsBySeverity(t *testing.T) {
	c, f, _ := newPreventionClient(t)
	f.SetGroup(pvGroup, "dev-1", "dev-2")
	since := testNow.Add(-14 * 24 * time.Hour)
	for i, a := range []falcontest.Alert{
		{DeviceID: "dev-1", Severity: "High", Created: since.Add(time.Hour)},
		{DeviceID: "dev-2", Severity: "Low", Created: since.Add(2 * time.Hour)},
		{DeviceID: "dev-2", Severity: "Low", Created: since.Add(3 * time.Hour)},
		{DeviceID: "dev-1", Severity: "Critical", Created: since.Add(-time.Hour)}, // before the move
		{DeviceID: "dev-9", Severity: "Critical", Created: since.Add(time.Hour)},  // another group
	} {
		a.ID = "alert-" + string(rune('a'+i))
		f.AddAlert(a)
	}
	dc, err := c.Detections(context.Background(), pvGroup, since)
	if err != nil {
		t.Fatal(err)
	}
	if dc.Hosts != 2 || dc.Counts["high"] != 1 || dc.Counts["low"] != 2 || dc.Counts.Total() != 3 || dc.Source != runbooks.SourceFalcon {
		t.Fatalf("counts %+v", dc)
	}
}

func TestPreventionRolloutConsoleHostilePeers(t *testing.T) {
	ctx := context.Background()
	t.Run("500 with an HTML page fails naming the call", func(t *testing.T) {
		c, f, _ := newPreventionClient(t)
		f.SetFault("/policy/queries/ml-exclusions/v1", falcontest.Fault{N: 1, Code: 500, Body: "<html><body>Internal Server Error</body></html>",
			Headers: map[string]string{"Content-Type": "text/html"}})
		_, err := c.Exclusions(ctx)
		if err == nil || !strings.Contains(err.Error(), "ml-exclusions") {
			t.Fatalf("err %v, want a failure naming the ML exclusions call", err)
		}
	})
	t.Run("429 with retry-after is waited out and retried", func(t *testing.T) {
		c, f, sl := newPreventionClient(t)
		f.SetPolicy(pvPrevent)
		f.SetPolicy(pvDetect, pvGroup)
		f.SetFault("/policy/entities/prevention-actions/v1", falcontest.Fault{N: 1, Code: 429, Body: `{"errors":[{"code":429,"message":"API rate limit exceeded."}]}`,
			Headers: map[string]string{"Content-Type": "application/json", "X-Ratelimit-Remaining": "0",
				"X-Ratelimit-Retryafter": itoa(testNow.Add(3 * time.Second).Unix())}})
		if _, err := c.AssignHostGroup(ctx, pvGroup, pvPrevent, pvDetect); err != nil {
			t.Fatal(err)
		}
		if len(sl.d) == 0 {
			t.Error("no wait before the retry")
		}
		if n := f.Count("/policy/entities/prevention-actions/v1"); n != 3 {
			t.Errorf("%d action requests, want 3 (throttled add, retried add, remove)", n)
		}
		if got := f.Actions(); len(got) != 2 {
			t.Errorf("actions %v, want the add and the remove once each", got)
		}
	})
	t.Run("429 past the retries fails", func(t *testing.T) {
		c, f, _ := newPreventionClient(t)
		f.SetGroup(pvGroup, "dev-1")
		f.SetFault("/alerts/queries/alerts/v2", falcontest.Fault{N: 10, Code: 429, Body: `{"errors":[{"code":429,"message":"API rate limit exceeded."}]}`,
			Headers: map[string]string{"Content-Type": "application/json", "X-Ratelimit-Retryafter": itoa(testNow.Add(time.Second).Unix())}})
		if _, err := c.Detections(ctx, pvGroup, testNow.Add(-time.Hour)); err == nil {
			t.Fatal("a throttled alerts query counted detections")
		}
	})
	t.Run("missing scope is refused", func(t *testing.T) {
		c, f, _ := newPreventionClient(t)
		f.SetScopes(falcontest.ScopeHostsRead)
		if _, err := c.Exclusions(ctx); err == nil {
			t.Fatal("exclusions read without ml-exclusions:read")
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
