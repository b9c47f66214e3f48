package main

import (
	"testing"
	"time"

	"github.com/patchgate/patchgate/config"
)

// TestShutdownGraceCoversAStepItsRecordAndItsPosts: the shutdown grace
// follows engine.step_timeout, so a step allowed four minutes is not cut
// off by a fixed grace, and leaves room for the outcome's write and the
// notifier's drain after it.
func TestShutdownGraceCoversAStepItsRecordAndItsPosts(t *testing.T) {
	for _, step := range []time.Duration{10 * time.Second, 4 * time.Minute} {
		cfg, err := config.Parse("t.yaml", []byte("engine: {step_timeout: "+step.String()+", lease_ttl: 10m}\n"+
			"pipeline:\n  - {env: nonprod, approvers: [U0ALICE001]}\n  - {env: production, approvers: [U0ALICE001, U0BOB00002]}\n"))
		if err != nil {
			t.Fatal(err)
		}
		ec := cfg.EngineConfig()
		if ec.StepTimeout != step || ec.RecordTimeout <= 0 {
			t.Fatalf("engine config step %s record %s, want step %s and a record timeout", ec.StepTimeout, ec.RecordTimeout, step)
		}
		if got, least := shutdownGrace(ec), step+ec.RecordTimeout+notifierDrain; got < least {
			t.Errorf("step_timeout %s: grace %s, want at least %s (step, record, notifier drain)", step, got, least)
		}
	}
}
