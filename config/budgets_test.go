package config

import (
	"strings"
	"testing"
	"time"
)

// TestBudgetsFitTheStep: the shortest step that gives AWS's ten attempts a
// second each is accepted and one second less is refused at the line that
// set it; record_timeout left out follows a short step.
func TestBudgetsFitTheStep(t *testing.T) {
	file := func(engine string) string {
		return minimal + engine + `providers:
  simulate: [sensors, health, pager]
  aws:
    role_name: "arn:aws:iam::{account}:role/patchgate"
    accounts: [{id: "111111111111", regions: [us-east-1]}]
`
	}
	c, err := Parse("b.yaml", []byte(file("engine: {step_timeout: 14s}\n")))
	if err != nil {
		t.Fatalf("14s step with AWS: %v", err)
	}
	if c.Engine.RecordTimeout != 14*time.Second/3 {
		t.Errorf("record_timeout left out = %v, want a third of the step", c.Engine.RecordTimeout)
	}
	_, err = Parse("b.yaml", []byte(file("engine: {step_timeout: 13s}\n")))
	if err == nil || !strings.Contains(err.Error(), "b.yaml:7: engine.step_timeout: 13s gives each of the 10 attempts of providers.aws only") ||
		!strings.Contains(err.Error(), "raise it to at least 14s") {
		t.Errorf("13s step with AWS: err = %v", err)
	}
	// Without AWS the leanest SDK (Azure, three attempts) fits a 5s step.
	if _, err := Parse("b.yaml", []byte(minimal+"engine: {step_timeout: 5s}\nproviders:\n  simulate: [sensors, health, pager, access]\n  azure: {credential: default, assess_timeout: 10m}\n")); err != nil {
		t.Errorf("5s step with Azure only: %v", err)
	}
}
