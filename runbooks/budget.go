package runbooks

import (
	"fmt"
	"time"
)

// Budget is how one provider call spends the engine's step budget: the
// SDK's attempts, each bounded by PerAttempt, with at most MaxBackoff
// between two of them. Every provider derives its SDK's retry settings from
// one Budget, so a call always ends (answered, or failed with its own
// cause) before the step's deadline cuts it off.
type Budget struct {
	Step       time.Duration // engine.step_timeout
	Attempts   int           // attempts in all, the first included
	PerAttempt time.Duration // bound on one attempt (connect, send, answer)
	MaxBackoff time.Duration // longest wait between two attempts
}

// DefaultAttempts is how many attempts a call gets when the configuration
// does not say.
const DefaultAttempts = 3

// DefaultStepTimeout is engine.step_timeout's default.
const DefaultStepTimeout = 30 * time.Second

// budgetShare is the part of the step the attempts may use; the rest is
// left for the engine's own reads and a provider's concurrency limiter.
const budgetShare = 0.9

// StepBudget derives a call's budget from the step timeout and the attempts
// wanted (0 takes DefaultAttempts): the attempts and the waits between them
// share nine tenths of the step, each wait a quarter of an attempt's time.
func StepBudget(step time.Duration, attempts int) Budget {
	if step <= 0 {
		step = DefaultStepTimeout
	}
	if attempts <= 0 {
		attempts = DefaultAttempts
	}
	usable := time.Duration(float64(step) * budgetShare)
	n := time.Duration(attempts)
	// attempts×per + (attempts-1)×per/4 = usable
	per := usable * 4 / (4*n + n - 1)
	b := Budget{Step: step, Attempts: attempts, PerAttempt: per}
	if attempts > 1 {
		b.MaxBackoff = per / 4
	}
	return b
}

// WithMaxBackoff lowers the budget's backoff to limit when limit is set and
// shorter; a longer one would not fit.
func (b Budget) WithMaxBackoff(limit time.Duration) Budget {
	if limit > 0 && limit < b.MaxBackoff {
		b.MaxBackoff = limit
	}
	return b
}

// Total is the longest the attempts and the waits between them can take.
func (b Budget) Total() time.Duration {
	if b.Attempts <= 0 {
		return 0
	}
	return time.Duration(b.Attempts)*b.PerAttempt + time.Duration(b.Attempts-1)*b.MaxBackoff
}

// Check reports why the budget cannot fit inside its step, or nil.
func (b Budget) Check() error {
	switch {
	case b.Attempts < 1:
		return fmt.Errorf("%d attempts: want at least 1", b.Attempts)
	case b.PerAttempt <= 0:
		return fmt.Errorf("no time for an attempt inside a step of %v", b.Step)
	case b.Total() > b.Step:
		return fmt.Errorf("%d attempts of up to %v with %v between them take %v, more than the step's %v",
			b.Attempts, b.PerAttempt, b.MaxBackoff, b.Total(), b.Step)
	}
	return nil
}

// OrDefault returns b, or the default budget when b was left zero.
func (b Budget) OrDefault() Budget {
	if b.Step <= 0 || b.Attempts <= 0 || b.PerAttempt <= 0 {
		return StepBudget(b.Step, b.Attempts)
	}
	return b
}
