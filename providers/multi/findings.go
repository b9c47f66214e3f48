package multi

import (
	"context"
	"sync"

	"github.com/patchgate/patchgate/runbooks"
)

var _ runbooks.PatchFindingsEach = (*Router)(nil)

// PatchFindings asks each cloud's provider about its own hosts, side by
// side. Hosts of a cloud whose provider reads no patch findings are left
// out; Measured says which those are, so a posture counts them as not
// measured rather than as clean.
func (r *Router) PatchFindings(ctx context.Context, hosts []runbooks.Host) ([]runbooks.PatchFinding, error) {
	parts := map[runbooks.Cloud][]runbooks.Host{}
	for _, h := range hosts {
		if r.Measured(h) {
			parts[h.Cloud] = append(parts[h.Cloud], h)
		}
	}
	got := map[runbooks.Cloud][]runbooks.PatchFinding{}
	var mu syncMap
	err := each(parts, func(name runbooks.Cloud, hs []runbooks.Host) error {
		fs, err := r.clouds[name].Findings.PatchFindings(ctx, hs)
		if err != nil {
			return err
		}
		mu.do(func() { got[name] = fs })
		return nil
	})
	if err != nil {
		return nil, err
	}
	var all []runbooks.PatchFinding
	for _, name := range sortedKeys(got) {
		all = append(all, got[name]...)
	}
	return all, nil
}

// EachPatchFindings is PatchFindings part by part: the clouds are read side
// by side and each part is handed to hand one at a time; a cloud whose
// provider cannot stream hands over all its findings as one part.
func (r *Router) EachPatchFindings(ctx context.Context, hosts []runbooks.Host, hand func([]runbooks.PatchFinding) error) error {
	parts := map[runbooks.Cloud][]runbooks.Host{}
	for _, h := range hosts {
		if r.Measured(h) {
			parts[h.Cloud] = append(parts[h.Cloud], h)
		}
	}
	var mu sync.Mutex
	one := func(fs []runbooks.PatchFinding) error {
		mu.Lock()
		defer mu.Unlock()
		return hand(fs)
	}
	return each(parts, func(name runbooks.Cloud, hs []runbooks.Host) error {
		f := r.clouds[name].Findings
		if s, ok := f.(runbooks.PatchFindingsEach); ok {
			return s.EachPatchFindings(ctx, hs, one)
		}
		fs, err := f.PatchFindings(ctx, hs)
		if err != nil || len(fs) == 0 {
			return err
		}
		return one(fs)
	})
}

// Measured reports whether the host's cloud has a provider that reads
// patch findings, and that provider reads this host (one that can say so,
// like Azure's for Arc servers, is asked).
func (r *Router) Measured(h runbooks.Host) bool {
	c, ok := r.clouds[h.Cloud]
	if !ok || c.Findings == nil {
		return false
	}
	if m, ok := c.Findings.(interface{ Measured(runbooks.Host) bool }); ok {
		return m.Measured(h)
	}
	return true
}
