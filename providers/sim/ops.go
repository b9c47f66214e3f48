package sim

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// Operation kinds, also the middle of their handles (sim-patch-000123).
const (
	kindBackup = "backup"
	kindPatch  = "patch"
)

// operation is one backup or patch the fleet was asked for. Which hosts fail
// is decided when it starts; they are revealed, in request order, as the
// operation progresses by the clock.
type operation struct {
	Handle   string    `json:"handle"`
	Kind     string    `json:"kind"`
	Tag      string    `json:"tag"`
	Cycle    string    `json:"cycle,omitempty"`
	Tenant   string    `json:"tenant,omitempty"`
	Stage    string    `json:"stage,omitempty"`
	Env      string    `json:"env,omitempty"`
	Started  time.Time `json:"started"`
	DoneAt   time.Time `json:"done_at"`
	Hosts    []int     `json:"hosts"` // fleet index of each requested host; -1 when unknown
	Failures []failure `json:"failures,omitempty"`
}

type failure struct {
	Pos     int              `json:"pos"` // index into Hosts
	Finding runbooks.Finding `json:"finding"`
}

func (op *operation) failed(pos int) (runbooks.Finding, bool) {
	for _, fl := range op.Failures {
		if fl.Pos == pos {
			return fl.Finding, true
		}
	}
	return runbooks.Finding{}, false
}

// start creates an operation for req, counts it, persists it and returns its
// handle. A second start with the same tag creates a second operation, so a
// double send is visible in Stats rather than hidden.
func (f *Fleet) start(ctx context.Context, kind, method string, req runbooks.OpRequest) (string, error) {
	var handle string
	err := f.call(ctx, method, func(n int) error {
		now := f.now()
		f.st.Seq[kind]++
		op := &operation{
			Handle: fmt.Sprintf("sim-%s-%06d", kind, f.st.Seq[kind]), Kind: kind,
			Tag: req.Tag, Cycle: req.Cycle, Tenant: req.Tenant, Stage: req.Stage, Env: req.Env,
			Started: now, DoneAt: now.Add(f.cfg.OpDuration), Hosts: make([]int, len(req.Hosts)),
		}
		for pos, h := range req.Hosts {
			i, ok := f.w.byID[h.ID]
			if !ok {
				i = -1
			}
			op.Hosts[pos] = i
			if reason := f.failReason(kind, i, now); reason != "" {
				op.Failures = append(op.Failures, failure{Pos: pos, Finding: finding(h, reason)})
			}
		}
		f.st.Ops = append(f.st.Ops, op)
		f.index(op)
		f.opStats(kind).started(op)
		if err := f.commit(); err != nil {
			return err
		}
		if err := f.lostReply(method, n); err != nil {
			return err
		}
		handle = f.fullHandle(op)
		return nil
	})
	if err != nil {
		return "", err
	}
	return handle, nil
}

// fullHandle is op's handle as the engine sees it: the short handle the
// state keeps, then, when Config.HandleBytes asks for real-sized handles,
// "/" and a part per host of the configured size. The operation is found
// again by the short handle before the "/".
func (f *Fleet) fullHandle(op *operation) string {
	if len(f.cfg.HandleBytes) == 0 {
		return op.Handle
	}
	var b strings.Builder
	b.WriteString(op.Handle)
	b.WriteByte('/')
	for _, i := range op.Hosts {
		id, size := "unknown", f.cfg.HandleBytes[runbooks.AWS]
		if i >= 0 {
			id, size = f.w.hosts[i].ID, f.cfg.HandleBytes[f.w.hosts[i].Cloud]
		}
		part := id + ","
		for len(part) < size {
			part = id + "," + strings.Repeat(".", size-len(id)-1)
		}
		b.WriteString(part[:max(size, 0)])
	}
	return b.String()
}

// failReason says why host i (-1: unknown) will fail a kind operation, or "".
func (f *Fleet) failReason(kind string, i int, now time.Time) string {
	if i < 0 {
		return "instance not found in its account (terminated or never existed)"
	}
	h, m := f.view(i, now), f.st.Hosts[i]
	switch {
	case kind == kindBackup && m.BackupFail:
		return "backup failed: " + backupFailure[h.Cloud]
	case kind == kindPatch && !h.Managed && h.AgentStatus == "":
		return fmt.Sprintf("no patch agent registered: %s was not delivered", patchTool[h.Cloud])
	case kind == kindPatch && !h.Managed:
		return fmt.Sprintf("patch agent is %s: %s was not delivered", h.AgentStatus, patchTool[h.Cloud])
	case kind == kindPatch && m.PatchFail:
		return fmt.Sprintf("%s failed: exit code 1 (package manager transaction check error)", patchTool[h.Cloud])
	}
	return ""
}

// index records op in the derived lookups; a patch also marks its
// succeeding hosts patched from the time it finishes.
func (f *Fleet) index(op *operation) {
	f.byHandle[op.Handle] = op
	if _, ok := f.byTag[op.Kind+"/"+op.Tag]; !ok {
		f.byTag[op.Kind+"/"+op.Tag] = op
	}
	if op.Kind != kindPatch {
		return
	}
	key := op.Cycle + "\x00" + op.Stage
	f.byStage[key] = append(f.byStage[key], op)
	for pos, i := range op.Hosts {
		if _, failed := op.failed(pos); i < 0 || failed {
			continue
		}
		if at := f.patchedAt[i]; at.IsZero() || op.DoneAt.Before(at) {
			f.patchedAt[i] = op.DoneAt
		}
	}
}

// find returns the first operation started with req's tag.
func (f *Fleet) find(ctx context.Context, kind, method string, req runbooks.OpRequest) (string, bool, error) {
	var handle string
	err := f.call(ctx, method, func(int) error {
		if op, ok := f.byTag[kind+"/"+req.Tag]; ok {
			handle = f.fullHandle(op)
			f.opStats(kind).Found++
		}
		return nil
	})
	return handle, handle != "", err
}

// status polls an operation: hosts complete in request order as the clock
// moves from its start to its end.
func (f *Fleet) status(ctx context.Context, kind, method, handle string) (runbooks.OpStatus, error) {
	var st runbooks.OpStatus
	err := f.call(ctx, method, func(int) error {
		short, _, _ := strings.Cut(handle, "/")
		op, ok := f.byHandle[short]
		if !ok || op.Kind != kind {
			return runbooks.Errorf(runbooks.CodeNotFound, "sim: no %s operation %q", kind, handle)
		}
		now := f.now()
		total := len(op.Hosts)
		completed := total
		if now.Before(op.DoneAt) {
			frac := float64(now.Sub(op.Started)) / float64(op.DoneAt.Sub(op.Started))
			completed = int(float64(total) * max(frac, 0))
		}
		st = runbooks.OpStatus{Done: !now.Before(op.DoneAt), Total: total}
		for _, fl := range op.Failures {
			if fl.Pos < completed {
				st.Failed++
				st.Findings = append(st.Findings, fl.Finding)
			}
		}
		st.Succeeded = completed - st.Failed
		if kind == kindBackup {
			st.Made = f.made(op, completed)
		}
		return nil
	})
	return st, err
}

// made counts the backups of op's first completed hosts that succeeded:
// an AWS host's backup is an image, an Azure or GCP host's a disk snapshot.
func (f *Fleet) made(op *operation, completed int) runbooks.Made {
	var m runbooks.Made
	for pos := range completed {
		i := op.Hosts[pos]
		if _, failed := op.failed(pos); failed || i < 0 {
			continue
		}
		if f.w.hosts[i].Cloud == runbooks.AWS {
			m.Images++
		} else {
			m.DiskSnapshots++
		}
	}
	return m
}

// StartBackup starts pre-patch backups of req's hosts.
func (f *Fleet) StartBackup(ctx context.Context, req runbooks.OpRequest) (string, error) {
	return f.start(ctx, kindBackup, MethodStartBackup, req)
}

// FindBackup finds a backup started earlier with req's tag.
func (f *Fleet) FindBackup(ctx context.Context, req runbooks.OpRequest) (string, bool, error) {
	return f.find(ctx, kindBackup, MethodFindBackup, req)
}

// BackupStatus polls a backup.
func (f *Fleet) BackupStatus(ctx context.Context, handle string) (runbooks.OpStatus, error) {
	return f.status(ctx, kindBackup, MethodBackupStatus, handle)
}

// StartPatch starts patching req's hosts.
func (f *Fleet) StartPatch(ctx context.Context, req runbooks.OpRequest) (string, error) {
	return f.start(ctx, kindPatch, MethodStartPatch, req)
}

// FindPatch finds a patch started earlier with req's tag.
func (f *Fleet) FindPatch(ctx context.Context, req runbooks.OpRequest) (string, bool, error) {
	return f.find(ctx, kindPatch, MethodFindPatch, req)
}

// PatchStatus polls a patch.
func (f *Fleet) PatchStatus(ctx context.Context, handle string) (runbooks.OpStatus, error) {
	return f.status(ctx, kindPatch, MethodPatchStatus, handle)
}
