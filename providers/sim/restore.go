package sim

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// restorePlans are the steps each cloud takes to return a machine to its
// pre-patch backup while keeping its identity (instance ID, IPs, NICs).
var restorePlans = map[runbooks.Cloud][]string{
	runbooks.AWS:   {"replace-root-volume"},
	runbooks.Azure: {"create-disk", "deallocate", "swap-os-disk", "start"},
	runbooks.GCP:   {"create-disk", "stop", "detach-boot-disk", "attach-boot-disk", "start"},
}

// restoreOp is one host's restore in the simulated clouds: each step is
// sent once (StepSends counts it) and finishes OpDuration after it was sent.
type restoreOp struct {
	Handle string        `json:"handle"` // sim-restore-000001
	Tag    string        `json:"tag"`
	Host   int           `json:"host"`
	Backup string        `json:"backup"`
	Steps  []restoreStep `json:"steps"`
}

type restoreStep struct {
	Name   string    `json:"name"`
	Sent   time.Time `json:"sent"`
	DoneAt time.Time `json:"done_at"`
}

// restoreIndex is derived from the persisted restores.
type restoreIndex struct {
	byHandle map[string]*restoreOp
	byTag    map[string]*restoreOp
}

func (f *Fleet) reindexRestores() {
	f.restores = restoreIndex{byHandle: map[string]*restoreOp{}, byTag: map[string]*restoreOp{}}
	for _, op := range f.st.Restores {
		f.restores.byHandle[op.Handle] = op
		f.restores.byTag[op.Tag] = op
	}
}

// finished is when the restore's last step finished (zero while running).
func (op *restoreOp) finished(plan []string) time.Time {
	if len(op.Steps) < len(plan) {
		return time.Time{}
	}
	return op.Steps[len(op.Steps)-1].DoneAt
}

// restoredSince reports whether host i was restored to its pre-patch
// backup after the patch that finished at patched, by now.
func (f *Fleet) restoredSince(i int, patched, now time.Time) bool {
	for _, op := range f.st.Restores {
		if op.Host != i {
			continue
		}
		if at := op.finished(restorePlans[f.w.hosts[i].Cloud]); !at.IsZero() && !now.Before(at) && at.After(patched) {
			return true
		}
	}
	return false
}

// PrePatchBackups lists what a backup operation made, one backup per host:
// an image for an AWS host, a disk snapshot for Azure and GCP.
func (f *Fleet) PrePatchBackups(ctx context.Context, handle string) ([]runbooks.HostBackup, error) {
	var out []runbooks.HostBackup
	err := f.call(ctx, MethodBackupsOf, func(int) error {
		short, _, _ := strings.Cut(handle, "/")
		op, ok := f.byHandle[short]
		if !ok || op.Kind != kindBackup {
			return runbooks.Errorf(runbooks.CodeNotFound, "sim: no backup operation %q", handle)
		}
		for _, b := range f.backupsOf(op) {
			if _, gone := f.st.Deleted[b.ID]; gone {
				continue // deleted by retention: nothing to return to
			}
			out = append(out, b)
		}
		return nil
	})
	return out, err
}

// backupsOf is what a backup operation made, one backup per host that
// succeeded. The caller holds f.mu.
func (f *Fleet) backupsOf(op *operation) []runbooks.HostBackup {
	var out []runbooks.HostBackup
	num := strings.TrimPrefix(op.Handle, "sim-backup-")
	for pos, i := range op.Hosts {
		if _, failed := op.failed(pos); failed || i < 0 {
			continue
		}
		h := f.w.hosts[i]
		b := runbooks.HostBackup{HostID: h.ID, HostName: h.Name, Cloud: h.Cloud, TakenAt: op.DoneAt.UTC(),
			Cycle: op.Cycle, Tag: op.Tag, Source: runbooks.SourceSimulation}
		if h.Cloud == runbooks.AWS {
			b.Kind, b.ID = runbooks.BackupImage, fmt.Sprintf("ami-sim%s%04d", num, pos)
		} else {
			b.Kind, b.ID = runbooks.BackupDiskSnapshot, fmt.Sprintf("snap-sim-%s-%04d", num, pos)
		}
		out = append(out, b)
	}
	return out
}

// FindRestore finds the restore sent with req's tag and answers where it
// stands.
func (f *Fleet) FindRestore(ctx context.Context, req runbooks.RestoreRequest) (runbooks.RestoreStatus, bool, error) {
	var st runbooks.RestoreStatus
	var found bool
	err := f.call(ctx, MethodFindRestore, func(int) error {
		op, ok := f.restores.byTag[req.Tag]
		if !ok {
			return nil
		}
		found = true
		st = f.restoreStatus(op, len(op.Steps)-1)
		return nil
	})
	return st, found, err
}

// StartRestore sends the first step of req's host's restore.
func (f *Fleet) StartRestore(ctx context.Context, req runbooks.RestoreRequest) (runbooks.RestoreStatus, error) {
	var st runbooks.RestoreStatus
	err := f.call(ctx, MethodStartRestore, func(n int) error {
		i, ok := f.w.byID[req.Host.ID]
		if !ok {
			return runbooks.Errorf(runbooks.CodeNotFound, "sim: no host %s", req.Host.ID)
		}
		plan := restorePlans[f.w.hosts[i].Cloud]
		if len(plan) == 0 {
			return runbooks.Errorf(runbooks.CodeBlocked, "sim: no restore for cloud %s", f.w.hosts[i].Cloud)
		}
		f.st.Seq["restore"]++
		op := &restoreOp{Handle: fmt.Sprintf("sim-restore-%06d", f.st.Seq["restore"]), Tag: req.Tag, Host: i, Backup: req.Backup.ID}
		f.sendStep(op, plan[0])
		f.st.Restores = append(f.st.Restores, op)
		f.restores.byHandle[op.Handle] = op
		if _, dup := f.restores.byTag[op.Tag]; !dup {
			f.restores.byTag[op.Tag] = op
		}
		if err := f.commit(); err != nil {
			return err
		}
		if err := f.lostReply(MethodStartRestore, n); err != nil {
			return err
		}
		st = f.restoreStatus(op, 0)
		return nil
	})
	return st, err
}

// PollRestore looks at the step handle names; once it finished it sends
// the next step (unless an earlier poll whose answer was lost already did)
// and answers that step's handle.
func (f *Fleet) PollRestore(ctx context.Context, req runbooks.RestoreRequest, handle string) (runbooks.RestoreStatus, error) {
	var st runbooks.RestoreStatus
	err := f.call(ctx, MethodPollRestore, func(n int) error {
		short, num, _ := strings.Cut(handle, "/")
		k, err := strconv.Atoi(num)
		op, ok := f.restores.byHandle[short]
		if err != nil || !ok || k < 0 || k >= len(op.Steps) {
			return runbooks.Errorf(runbooks.CodeNotFound, "sim: no restore step %q", handle)
		}
		plan := restorePlans[f.w.hosts[op.Host].Cloud]
		if f.now().Before(op.Steps[k].DoneAt) || k == len(plan)-1 {
			st = f.restoreStatus(op, k)
			return nil
		}
		if len(op.Steps) == k+1 {
			f.sendStep(op, plan[k+1])
			if err := f.commit(); err != nil {
				return err
			}
			if err := f.lostReply(MethodPollRestore, n); err != nil {
				return err
			}
		}
		st = f.restoreStatus(op, k+1)
		return nil
	})
	return st, err
}

func (f *Fleet) sendStep(op *restoreOp, name string) {
	now := f.now()
	op.Steps = append(op.Steps, restoreStep{Name: name, Sent: now, DoneAt: now.Add(f.cfg.OpDuration)})
}

// restoreStatus is op at its step k.
func (f *Fleet) restoreStatus(op *restoreOp, k int) runbooks.RestoreStatus {
	plan := restorePlans[f.w.hosts[op.Host].Cloud]
	s := op.Steps[k]
	return runbooks.RestoreStatus{Handle: op.Handle + "/" + strconv.Itoa(k), Step: s.Name,
		Done: k == len(plan)-1 && !f.now().Before(s.DoneAt), Source: runbooks.SourceSimulation}
}

// RestoreSends counts, per host ID and step, how many times the step was
// sent to the simulated cloud: exactly one each when no restore was sent
// twice.
func (f *Fleet) RestoreSends() map[string]map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]map[string]int{}
	for _, op := range f.st.Restores {
		id := f.w.hosts[op.Host].ID
		if out[id] == nil {
			out[id] = map[string]int{}
		}
		for _, s := range op.Steps {
			out[id][s.Name]++
		}
	}
	return out
}

// BootDiskAttached reports whether a host has a boot disk now: false only
// between a GCP restore's detach and attach steps.
func (f *Fleet) BootDiskAttached(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	i, ok := f.w.byID[id]
	if !ok {
		return false
	}
	attached := true
	for _, op := range f.st.Restores {
		if op.Host != i {
			continue
		}
		for _, s := range op.Steps {
			switch s.Name {
			case "detach-boot-disk":
				attached = false
			case "attach-boot-disk":
				attached = true
			}
		}
	}
	return attached
}
