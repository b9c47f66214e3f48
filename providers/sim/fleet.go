package sim

import (
	"fmt"
	"sync"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// Fleet is a simulated multi-cloud fleet. It implements every provider port
// the engine consumes and is safe for concurrent use, so several engines in
// one process can share it.
type Fleet struct {
	cfg Config
	w   *world

	mu sync.Mutex
	st state // everything that is persisted
	// Derived from st.Ops, rebuilt on load.
	patchedAt []time.Time             // per host: when its first successful patch finishes
	byHandle  map[string]*operation   // handle → operation
	byTag     map[string]*operation   // kind/tag → first operation with that tag
	byStage   map[string][]*operation // cycle/stage → its patch operations
	restores  restoreIndex            // derived from st.Restores
	errEvery  map[string]int          // injected errors: not persisted
	errRate   map[string]float64
	lostEvery map[string]int
	// anchor is the day the simulated advisories' ages count back from:
	// the clock's day when the fleet was made (not persisted).
	anchor time.Time
}

var (
	_ runbooks.Inventory = (*Fleet)(nil)
	_ runbooks.Sensors   = (*Fleet)(nil)
	_ runbooks.Backups   = (*Fleet)(nil)
	_ runbooks.Patcher   = (*Fleet)(nil)
	_ runbooks.Health    = (*Fleet)(nil)
	_ runbooks.Pager     = (*Fleet)(nil)
	_ runbooks.Directory = (*Fleet)(nil)
	_ runbooks.Restorer  = (*Fleet)(nil)
)

// New generates the fleet for cfg.Tenants, then loads cfg.StatePath if it
// exists, or else applies cfg.Faults (and writes the first state file).
func New(cfg Config) (*Fleet, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	groups := make(map[string][]string, len(cfg.Groups))
	for g, members := range cfg.Groups {
		groups[g] = append([]string(nil), members...)
	}
	cfg.Groups = groups
	w, err := generate(cfg.Seed, cfg.Tenants, cfg.HostsPerTarget)
	if err != nil {
		return nil, err
	}
	f := &Fleet{
		cfg: cfg, w: w,
		errEvery:  cloneMap(cfg.Faults.ErrorEvery),
		errRate:   cloneMap(cfg.Faults.ErrorRate),
		lostEvery: cloneMap(cfg.Faults.LostReplyEvery),
		anchor:    cfg.Clock.Now().UTC().Truncate(24 * time.Hour),
	}
	loaded, err := f.load()
	if err != nil {
		return nil, err
	}
	if loaded {
		return f, nil
	}
	f.st = newState(f.fingerprint())
	f.reindex()
	if err := f.applyFaults(cfg.Faults); err != nil {
		return nil, err
	}
	if err := f.commit(); err != nil {
		return nil, err
	}
	return f, nil
}

// applyFaults puts the configured faults on a fresh fleet.
func (f *Fleet) applyFaults(fs Faults) error {
	for _, sf := range fs.hostFaults() {
		_, err := f.edit(sf.selector, func(m *hostMut) error {
			if err := m.set(sf.kind, true); err != nil {
				return err
			}
			if sf.status != "" {
				m.AgentStatus = sf.status // e.g. "Inactive"
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("sim: fault %s: %w", sf.kind, err)
		}
	}
	for scope, ps := range fs.HealthProblems {
		if _, ok := f.w.pages[scope]; !ok {
			return fmt.Errorf("sim: HealthProblems for %q: no such tenant/env", scope)
		}
		f.st.Health[scope] = append([]runbooks.Problem(nil), ps...)
	}
	return nil
}

// resolve returns the hosts a selector names: a host ID, a host name, or
// "tenant/env".
func (f *Fleet) resolve(sel string) ([]int, error) {
	if i, ok := f.w.byID[sel]; ok {
		return []int{i}, nil
	}
	if i, ok := f.w.byName[sel]; ok {
		return []int{i}, nil
	}
	if pages, ok := f.w.pages[sel]; ok {
		var out []int
		for _, p := range pages {
			out = append(out, p...)
		}
		return out, nil
	}
	return nil, fmt.Errorf("no host ID, host name or tenant/env matches %q", sel)
}

// edit applies change to every host a selector names and reports how many
// that was.
func (f *Fleet) edit(sel string, change func(*hostMut) error) (int, error) {
	is, err := f.resolve(sel)
	if err != nil {
		return 0, err
	}
	for _, i := range is {
		m := f.st.Hosts[i]
		if err := change(&m); err != nil {
			return 0, err
		}
		f.putMut(i, m)
	}
	return len(is), nil
}

// putMut stores host i's changes, dropping a host that is back to healthy.
func (f *Fleet) putMut(i int, m hostMut) {
	if m == (hostMut{}) {
		delete(f.st.Hosts, i)
		return
	}
	f.st.Hosts[i] = m
}

// view is host i as the clouds see it at now: generated, then faults and
// repairs, then any patch that has finished by now.
func (f *Fleet) view(i int, now time.Time) runbooks.Host {
	h := f.w.hosts[i]
	h.Source, h.SensorSource = runbooks.SourceSimulation, runbooks.SourceSimulation
	m := f.st.Hosts[i]
	if m.Unmanaged {
		h.Managed, h.AgentStatus = false, m.AgentStatus
	}
	if m.KernelMismatch {
		if !isRHEL(h) {
			h.OS, h.OSVersion, h.Kernel = rhel9.os, rhel9.version, rhel9.kernels[0]
		}
		h.PendingKernel = newKernels[rhelMajor(h)].kernel
	}
	switch {
	case m.NoSensor:
		h.HasSensor, h.SensorVersion = false, ""
	case m.SensorUpgraded:
		h.HasSensor, h.SensorVersion = true, latestSensor
	}
	if at := f.patchedAt[i]; !at.IsZero() && !now.Before(at) && !f.restoredSince(i, at, now) {
		h.PendingPatches, h.LastPatched = 0, at
		if h.PendingKernel != "" {
			h.Kernel, h.PendingKernel = h.PendingKernel, ""
		}
		h.SensorRFM = h.HasSensor && (m.PostPatchRFM || !supports(h.SensorVersion, h.Kernel))
	}
	return f.afterRelease(i, h, m, now)
}

func (f *Fleet) now() time.Time { return f.cfg.Clock.Now() }

// Host returns one host, by ID or name, as the clouds see it now; it counts
// no call and injects no error.
func (f *Fleet) Host(idOrName string) (runbooks.Host, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i, ok := f.w.byID[idOrName]
	if !ok {
		i, ok = f.w.byName[idOrName]
	}
	if !ok {
		return runbooks.Host{}, false
	}
	return f.view(i, f.now()), true
}

// Peek returns the hosts a selector (host ID, host name or "tenant/env")
// names as the clouds see them now, without counting a call.
func (f *Fleet) Peek(selector string) ([]runbooks.Host, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	is, err := f.resolve(selector)
	if err != nil {
		return nil, fmt.Errorf("sim: peek: %w", err)
	}
	now := f.now()
	out := make([]runbooks.Host, len(is))
	for k, i := range is {
		out[k] = f.view(i, now)
	}
	return out, nil
}

// Size is the number of generated hosts.
func (f *Fleet) Size() int { return len(f.w.hosts) }
