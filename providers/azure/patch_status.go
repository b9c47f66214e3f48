package azure

import (
	"context"
	"fmt"

	"github.com/patchgate/patchgate/runbooks"
)

// PatchStatus polls every machine's installPatches once, from the resume
// tokens in the handle, and sums them up. It keeps no state between calls,
// so a provider built after a restart polls the same operations.
func (p *Provider) PatchStatus(ctx context.Context, hs string) (runbooks.OpStatus, error) {
	h, err := decodeHandle(hs, kindInstall)
	if err != nil {
		return runbooks.OpStatus{}, err
	}
	states := make([]opState, len(h.Entries))
	subOf := func(i int) string {
		r, _ := parseMachine(h.Entries[i].Host)
		return r.sub
	}
	err = p.each(ctx, len(h.Entries), subOf, func(ctx context.Context, i int) error {
		e := h.Entries[i]
		if e.Done || e.Fail != "" || len(e.Token) == 0 {
			states[i] = opState{true, e.Fail}
			return nil
		}
		k := keyOf(e)
		st, finished, due := p.known(k)
		if finished || !due {
			states[i] = st // a finished outcome, or still running
			return nil
		}
		done, fail, err := p.pollInstall(ctx, e)
		states[i] = opState{done, fail}
		if done {
			p.remember(k, states[i])
		}
		return err
	})
	if err != nil {
		return runbooks.OpStatus{}, fmt.Errorf("azure installPatches of %s: %w", h.Tag, err)
	}
	st := runbooks.OpStatus{Total: len(h.Entries), Done: true}
	for i, s := range states {
		st.Done = st.Done && s.done
		tally(&st, h.Entries[i], s.done, s.fail)
	}
	return st, nil
}

// pollInstall polls one machine's operation once. An ARM answer that will
// not change (the operation is gone, access was revoked) fails the machine;
// anything else is returned as an error for the engine to retry.
func (p *Provider) pollInstall(ctx context.Context, e entry) (done bool, fail string, err error) {
	r, err := parseMachine(e.Host)
	if err != nil {
		return true, err.Error(), nil
	}
	lro, err := p.resume(r, string(e.Token))
	if err != nil {
		return true, "installPatches resume token unusable: " + err.Error(), nil
	}
	if !lro.Done() {
		if _, err := lro.Poll(ctx); err != nil {
			if permanent(err) {
				return true, "installPatches status unavailable: " + reason(err), nil
			}
			return false, "", fmt.Errorf("poll installPatches on %s: %w", r.name, err)
		}
	}
	if !lro.Done() {
		return false, "", nil
	}
	fail, err = outcome(ctx, lro)
	return err == nil, fail, err
}
