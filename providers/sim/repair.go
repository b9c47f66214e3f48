package sim

import (
	"fmt"

	"github.com/patchgate/patchgate/runbooks"
)

// The methods below change the simulated world at run time, so a test can
// break a fleet mid-cycle, or repair it and retry. Each is persisted like any
// other mutation.

// SetHostFault turns fault k on for the hosts a selector names (host ID,
// host name or "tenant/env").
func (f *Fleet) SetHostFault(selector string, k FaultKind) error {
	return f.mutate(func() error { return f.setFault(selector, k, true) })
}

// ClearHostFault turns fault k off. Clearing FaultKernelMismatch withdraws
// the unsupported kernel; FixHost instead keeps it and upgrades the sensor.
func (f *Fleet) ClearHostFault(selector string, k FaultKind) error {
	return f.mutate(func() error { return f.setFault(selector, k, false) })
}

// FixHost repairs the hosts a selector names as an operator would: the
// patch agent is registered and online, a missing or outdated sensor is
// upgraded to the latest build (which supports every kernel the sim offers),
// reduced-functionality mode ends and backups and patches stop failing.
func (f *Fleet) FixHost(selector string) error {
	return f.mutate(func() error {
		n, err := f.edit(selector, func(m *hostMut) error { m.fix(); return nil })
		f.st.Stats.HostFixes += n
		return err
	})
}

// SetHealthProblems replaces the open problems of tenant/env; none clears
// them.
func (f *Fleet) SetHealthProblems(tenant, env string, problems []runbooks.Problem) error {
	return f.mutate(func() error {
		scope := tenant + "/" + env
		if _, ok := f.w.pages[scope]; !ok {
			return fmt.Errorf("no tenant/env %q", scope)
		}
		if len(problems) == 0 {
			delete(f.st.Health, scope)
			return nil
		}
		f.st.Health[scope] = append([]runbooks.Problem(nil), problems...)
		return nil
	})
}

// ClearHealthProblems closes every open problem of tenant/env.
func (f *Fleet) ClearHealthProblems(tenant, env string) error {
	return f.SetHealthProblems(tenant, env, nil)
}

// mutate applies change under the lock and persists it.
func (f *Fleet) mutate(change func() error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := change(); err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	return f.commit()
}

func (f *Fleet) setFault(sel string, k FaultKind, on bool) error {
	_, err := f.edit(sel, func(m *hostMut) error { return m.set(k, on) })
	return err
}
