package runbooks

import (
	"testing"
	"time"
)

func TestStepBudgetFitsInsideTheStep(t *testing.T) {
	for _, step := range []time.Duration{300 * time.Millisecond, time.Second, 30 * time.Second, 5 * time.Minute} {
		for _, n := range []int{0, 1, 3, 10} {
			b := StepBudget(step, n)
			if err := b.Check(); err != nil {
				t.Errorf("StepBudget(%v, %d) = %+v: %v", step, n, b, err)
			}
			if b.Total() > step*9/10+time.Millisecond {
				t.Errorf("StepBudget(%v, %d) takes %v, more than nine tenths of the step", step, n, b.Total())
			}
		}
	}
	b := StepBudget(30*time.Second, 0)
	if b.Attempts != DefaultAttempts || b.PerAttempt < 7*time.Second || b.MaxBackoff < time.Second {
		t.Errorf("default budget %+v: want 3 attempts of about 7.7s, backoff about 1.9s", b)
	}
	if err := (Budget{Step: 30 * time.Second, Attempts: 10, PerAttempt: 5 * time.Second, MaxBackoff: 20 * time.Second}).Check(); err == nil {
		t.Error("10 attempts of 5s with 20s waits fit in 30s?")
	}
}
