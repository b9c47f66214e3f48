package metrics

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/patchgate/patchgate/metrics/metricstest"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
)

func TestSlackMethod(t *testing.T) {
	for path, want := range map[string]string{
		"/api/chat.postMessage":          "chat.postMessage",
		"/proxy/slack/api/chat.update":   "chat.update",
		"/upload/v1/ZXhhbXBsZQ":          "other",
		"/api/":                          "other",
		"/api/files.completeUpload/x/y/": "other",
	} {
		if got := SlackMethod(path); got != want {
			t.Errorf("SlackMethod(%q) = %q, want %q", path, got, want)
		}
	}
}

type fakePatcher struct{ runbooks.Patcher }

type named struct{}

func (named) ProviderName() string { return "aws" }

func TestProviderName(t *testing.T) {
	if got := ProviderName(&fakePatcher{}); got != "metrics" {
		t.Errorf("ProviderName = %q, want the package name", got)
	}
	if got := ProviderName(named{}); got != "aws" {
		t.Errorf("ProviderName of a self-naming port = %q", got)
	}
	if got := ProviderName(nil); got != "unknown" {
		t.Errorf("ProviderName(nil) = %q", got)
	}
}

// A redelivered event (same cycle and seq, or older) is counted once.
func TestChatCountsEachEventOnce(t *testing.T) {
	m := New()
	ch := m.Chat(nil)
	c := &runbooks.Cycle{ID: "c1"}
	ev := func(seq int64, typ, stage string) runbooks.Event {
		return runbooks.Event{Seq: seq, Cycle: "c1", Type: typ, Stage: stage, Data: map[string]string{"gate": "inventory"}}
	}
	ctx := context.Background()
	_ = ch.CycleChanged(ctx, c, []runbooks.Event{ev(1, runbooks.EvApproved, "nonprod"), ev(2, runbooks.EvGateFailed, "nonprod")})
	_ = ch.CycleChanged(ctx, c, []runbooks.Event{ev(2, runbooks.EvGateFailed, "nonprod"), ev(3, runbooks.EvApproved, "staging")})
	_ = ch.CycleChanged(ctx, c, []runbooks.Event{ev(1, runbooks.EvApproved, "nonprod")})

	// A chat that fails gets the events again later: not counted yet.
	failing := m.Chat(chatFunc(func() error { return errors.New("slack down") }))
	if err := failing.CycleChanged(ctx, &runbooks.Cycle{ID: "c2"}, []runbooks.Event{{Seq: 1, Cycle: "c2", Type: runbooks.EvApproved, Stage: "nonprod"}}); err == nil {
		t.Fatal("inner error swallowed")
	}

	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	s := metricstest.Get(t, srv.URL)
	for _, tc := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"patchgate_approvals_total", []string{"stage", "nonprod"}, 1},
		{"patchgate_approvals_total", []string{"stage", "staging"}, 1},
		{"patchgate_gate_failures_total", []string{"gate", "inventory"}, 1},
	} {
		if got, _ := s.Value(tc.name, tc.labels...); got != tc.want {
			t.Errorf("%s%v = %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
}

type chatFunc func() error

func (f chatFunc) CycleChanged(context.Context, *runbooks.Cycle, []runbooks.Event) error { return f() }

func TestStoreErrKind(t *testing.T) {
	for err, want := range map[error]string{
		fmt.Errorf("get x: %w: dial: refused", state.ErrUnavailable): "unavailable",
		fmt.Errorf("update: %w", state.ErrConflict):                  "conflict",
		state.ErrNotFound: "not_found",
		&state.HeldError{Key: "k", Holder: "h", Expires: time.Now()}: "lease",
		state.ErrClosed:            "closed",
		context.DeadlineExceeded:   "context",
		errors.New("script error"): "other",
	} {
		if got := storeErrKind(err); got != want {
			t.Errorf("storeErrKind(%v) = %q, want %q", err, got, want)
		}
	}
}

// baselinePatcherFake is a patcher with the optional read-only baseline check.
type baselinePatcherFake struct{ runbooks.Patcher }

func (baselinePatcherFake) CheckBaseline(context.Context, runbooks.Tenant, runbooks.Environment) (string, error) {
	return "pb-1", nil
}

// TestPreflightDryRunBaselineSurvivesMetrics: the metrics wrapper keeps a
// patcher's baseline check visible (and adds none to one without it), so
// the preflight judges the baseline with metrics on.
func TestPreflightDryRunBaselineSurvivesMetrics(t *testing.T) {
	m := New()
	_, _, with := m.Fleet(nil, nil, baselinePatcherFake{})
	bc, ok := with.(runbooks.BaselineChecker)
	if !ok {
		t.Fatal("the wrapped patcher hides CheckBaseline")
	}
	if found, err := bc.CheckBaseline(context.Background(), runbooks.Tenant{}, runbooks.Environment{}); err != nil || found != "pb-1" {
		t.Errorf("CheckBaseline through the wrapper = %q, %v", found, err)
	}
	if _, _, without := m.Fleet(nil, nil, struct{ runbooks.Patcher }{}); isChecker(without) {
		t.Error("the wrapper gave a baseline check to a patcher that has none")
	}
}

func isChecker(p runbooks.Patcher) bool { _, ok := p.(runbooks.BaselineChecker); return ok }
