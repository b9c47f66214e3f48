package reports

import "github.com/patchgate/patchgate/runbooks"

// Host results in the report.
const (
	HostPatched    = "patched"
	HostExcluded   = "excluded"
	HostFailed     = "failed"
	HostUnmanaged  = "unmanaged"
	HostNotPatched = "not patched"
)

// hostIndex answers per-host questions in O(1), built once per report.
type hostIndex struct {
	excluded map[string]string // host ID → reason
	failed   map[string]string
	patched  map[string]bool // env → its stage finished patching
}

func (b *Bundle) index() *hostIndex {
	if b.idx != nil {
		return b.idx
	}
	x := &hostIndex{excluded: map[string]string{}, failed: map[string]string{}, patched: map[string]bool{}}
	for i := range b.Cycle.Stages {
		s := &b.Cycle.Stages[i]
		for _, f := range s.Exclusions {
			x.excluded[f.HostID] = f.Reason
		}
		if s.Kind != runbooks.KindEnvironment {
			continue
		}
		for _, g := range s.Gates {
			if g.Passed {
				continue
			}
			for _, f := range g.Findings {
				x.failed[f.HostID] = g.Name + ": " + f.Reason
			}
		}
		if s.Failure != nil {
			for _, f := range s.Failure.Findings {
				x.failed[f.HostID] = string(s.Failure.Phase) + ": " + f.Reason
			}
		}
		if lastGate(s, "patch") != nil || s.Patch.Done {
			x.patched[s.Env] = true
		}
	}
	b.idx = x
	return x
}

// hostResult says what the cycle did to h, and why when it did not patch it.
func (x *hostIndex) hostResult(h *runbooks.Host) (result, reason string) {
	if r, ok := x.excluded[h.ID]; ok {
		return HostExcluded, r
	}
	if r, ok := x.failed[h.ID]; ok {
		return HostFailed, r
	}
	if !h.Managed {
		return HostUnmanaged, h.AgentStatus
	}
	if x.patched[h.Env] {
		return HostPatched, ""
	}
	return HostNotPatched, ""
}
