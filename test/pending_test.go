package test

import (
	"context"
	"sync"
	"testing"

	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
)

// slowVerifier answers "still running" to the first verifications, as a
// cloud whose post-patch assessment takes minutes does.
type slowVerifier struct {
	runbooks.Patcher
	mu      sync.Mutex
	pending int
	calls   int
}

func (s *slowVerifier) VerifyPatch(ctx context.Context, req runbooks.OpRequest) ([]runbooks.Finding, error) {
	s.mu.Lock()
	s.calls++
	if s.pending > 0 {
		s.pending--
		s.mu.Unlock()
		return nil, runbooks.Errorf(runbooks.CodePending, "assessment of %d host(s) still running", len(req.Hosts))
	}
	s.mu.Unlock()
	return s.Patcher.VerifyPatch(ctx, req)
}

// TestPendingVerifyIsNotAnError: more "still running" answers than the
// stage's error budget (3) neither fail the stage nor count as errors; the
// cycle completes once the verifier answers.
func TestPendingVerifyIsNotAnError(t *testing.T) {
	ctx := context.Background()
	var sv *slowVerifier
	h := newGateHarness(t, backends()[0], sim.Faults{}, func(deps *runbooks.Deps, _ *runbooks.Pipeline) {
		if sv == nil {
			sv = &slowVerifier{Patcher: deps.Patcher, pending: 8}
		}
		deps.Patcher = sv
	})
	c := h.start(ctx, gateTenant().Name)
	c = h.finish(ctx, c.ID)
	for _, s := range c.Stages {
		if s.Errors != 0 || s.LastError != "" {
			t.Errorf("stage %s: %d errors (%q); a pending answer is not an error", s.Name, s.Errors, s.LastError)
		}
	}
	if sv.calls < 9 {
		t.Fatalf("verify called %d times, want the 8 pending answers and then the real one", sv.calls)
	}
}
