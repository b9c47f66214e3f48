package sim

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// VerifyPatch reports every host of req that still has patches pending,
// saying whether its patch in req's cycle and stage failed, is still running
// or never covered it. Any attempt of the stage counts, so a verify retried
// after a repair sees the patch that fixed the host.
func (f *Fleet) VerifyPatch(ctx context.Context, req runbooks.OpRequest) ([]runbooks.Finding, error) {
	var out []runbooks.Finding
	err := f.call(ctx, MethodVerifyPatch, func(int) error {
		now := f.now()
		ops := f.byStage[req.Cycle+"\x00"+req.Stage]
		for _, h := range req.Hosts {
			i, ok := f.w.byID[h.ID]
			if !ok {
				out = append(out, finding(h, "instance not found in its account (terminated or never existed)"))
				continue
			}
			if v := f.view(i, now); v.PendingPatches > 0 {
				out = append(out, finding(v, unpatched(ops, i, v.PendingPatches, now)))
			}
		}
		return nil
	})
	return out, err
}

// unpatched explains why host i still has pending updates, from the latest
// of ops that covered it.
func unpatched(ops []*operation, i, pending int, now time.Time) string {
	for k := len(ops) - 1; k >= 0; k-- {
		op := ops[k]
		pos := slices.Index(op.Hosts, i)
		if pos < 0 {
			continue
		}
		if now.Before(op.DoneAt) {
			return fmt.Sprintf("patch %s is still running; %d update(s) pending", op.Handle, pending)
		}
		if fd, failed := op.failed(pos); failed {
			return fmt.Sprintf("patch %s failed (%s); %d update(s) still pending", op.Handle, fd.Reason, pending)
		}
	}
	return fmt.Sprintf("not patched in this stage; %d update(s) still pending", pending)
}
