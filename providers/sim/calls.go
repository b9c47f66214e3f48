package sim

import (
	"context"
	"fmt"
	"maps"

	"github.com/patchgate/patchgate/internal/ctxsleep"
	"github.com/patchgate/patchgate/runbooks"
)

// ErrInjected is the transient provider error a fault injects; callers see
// it wrapped and can test for it with errors.Is.
var ErrInjected = runbooks.Errorf(runbooks.CodeUnavailable, "simulated transient provider error")

// call runs one provider call: it sleeps the configured latency (giving up
// when ctx ends), counts the call, injects a due error, and otherwise runs fn
// under the fleet's lock with the call's number.
func (f *Fleet) call(ctx context.Context, method string, fn func(n int) error) error {
	if err := ctxsleep.Sleep(ctx, f.cfg.Latency); err != nil {
		return fmt.Errorf("sim %s: %w", method, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := f.begin(method)
	if err != nil {
		return err
	}
	return fn(n)
}

// begin counts a call of method and fails it if an injected error is due
// before the call takes effect. The caller holds f.mu.
func (f *Fleet) begin(method string) (int, error) {
	f.st.Stats.Calls[method]++
	n := f.st.Stats.Calls[method]
	every, rate := f.errEvery[method], f.errRate[method]
	if (every > 0 && n%every == 0) || (rate > 0 && chance(f.cfg.Seed, method, n) < rate) {
		f.st.Stats.InjectedErrors[method]++
		return n, fmt.Errorf("sim %s (call %d): %w", method, n, ErrInjected)
	}
	return n, nil
}

// lostReply fails call n of method after it took effect, if the fault
// says its reply is lost. The caller holds f.mu.
func (f *Fleet) lostReply(method string, n int) error {
	if every := f.lostEvery[method]; every > 0 && n%every == 0 {
		f.st.Stats.InjectedErrors[method]++
		return fmt.Errorf("sim %s (call %d): reply lost after the call took effect: %w", method, n, ErrInjected)
	}
	return nil
}

// chance maps (seed, method, n) to [0,1) so the calls an ErrorRate fails are
// the same in every run, whatever order goroutines make them in.
func chance(seed int64, method string, n int) float64 {
	h := mix(hashOf(fmt.Sprint(seed), method, fmt.Sprint(n)))
	return float64(h>>11) / float64(uint64(1)<<53)
}

// SetErrorEvery makes every nth call of method fail before taking effect;
// 0 stops it. Not persisted.
func (f *Fleet) SetErrorEvery(method string, n int) error {
	return f.setInjection(Faults{ErrorEvery: map[string]int{method: n}}, func() { f.errEvery[method] = n })
}

// SetErrorRate makes a seeded fraction of method's calls fail before taking
// effect; 0 stops it. Not persisted.
func (f *Fleet) SetErrorRate(method string, rate float64) error {
	return f.setInjection(Faults{ErrorRate: map[string]float64{method: rate}}, func() { f.errRate[method] = rate })
}

// SetLostReplyEvery makes every nth call of a mutating method take effect
// and then fail; 0 stops it. Not persisted.
func (f *Fleet) SetLostReplyEvery(method string, n int) error {
	return f.setInjection(Faults{LostReplyEvery: map[string]int{method: n}}, func() { f.lostEvery[method] = n })
}

func (f *Fleet) setInjection(check Faults, apply func()) error {
	if err := check.validate(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	apply()
	return nil
}

func cloneMap[K comparable, V any](m map[K]V) map[K]V {
	out := make(map[K]V, len(m))
	maps.Copy(out, m)
	return out
}

// mix is splitmix64's finaliser: FNV alone leaves the high bits of short,
// similar inputs too alike to compare against a rate.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}
