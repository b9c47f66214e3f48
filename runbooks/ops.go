package runbooks

import (
	"context"
	"fmt"
	"time"
)

// opKind selects which long-running operation of a stage is meant.
type opKind string

const (
	backupOp opKind = "backup"
	patchOp  opKind = "patch"
)

func (s *Stage) op(k opKind) *Op {
	if k == backupOp {
		return &s.Backup
	}
	return &s.Patch
}

// opRequest describes stage i's hosts for an operation. The tag is unique
// per cycle, stage, operation and attempt.
func (e *Engine) opRequest(ctx context.Context, c *Cycle, i int, kind string) (OpRequest, error) {
	hosts, err := e.stageHosts(ctx, c, i)
	if err != nil {
		return OpRequest{}, err
	}
	s := &c.Stages[i]
	return OpRequest{
		Tag:   fmt.Sprintf("%s/%s/%s/%d", c.ID, s.Name, kind, s.Attempt),
		Cycle: c.ID, Tenant: c.Tenant, Stage: s.Name, Env: s.Env, Hosts: hosts,
	}, nil
}

// startOp finds this attempt's operation if an earlier, interrupted step
// already sent it, and only otherwise sends it; then it stores the handle
// before anything polls it.
func (e *Engine) startOp(ctx context.Context, n *Cycle, i int, now time.Time, k opKind) (bool, error) {
	req, err := e.opRequest(ctx, n, i, string(k))
	if err != nil {
		return false, err
	}
	s := &n.Stages[i]
	if len(req.Hosts) == 0 {
		n.emit(now, s.Name, evStarted(k), ActorSystem, "no hosts in scope; nothing to do", nil)
		*s.op(k) = Op{Tag: req.Tag, Done: true, Started: now}
		n.advance(i, now)
		return true, nil
	}
	var (
		handle string
		found  bool
	)
	if k == backupOp {
		if handle, found, err = e.deps.Backups.FindBackup(ctx, req); err == nil && !found {
			handle, err = e.deps.Backups.StartBackup(ctx, req)
		}
	} else {
		if handle, found, err = e.deps.Patcher.FindPatch(ctx, req); err == nil && !found {
			handle, err = e.deps.Patcher.StartPatch(ctx, req)
		}
	}
	if err != nil {
		return false, fmt.Errorf("start %s of %d hosts (%s): %w", k, len(req.Hosts), req.Tag, err)
	}
	now = e.now() // stamped when the provider answered
	op := Op{Tag: req.Tag, Started: now, Total: len(req.Hosts)}
	data := map[string]string{"tag": req.Tag}
	// The provider call may have used up the step budget; storing what it
	// answered gets the record write's own.
	wctx, cancel := e.recordContext(ctx)
	defer cancel()
	if err := e.keepHandle(wctx, n.ID, &op, handle, data); err != nil {
		return false, err
	}
	*s.op(k) = op
	n.windowStarted(i, k, now)
	detail := fmt.Sprintf("%s started on %d host(s)", k, len(req.Hosts))
	if found {
		detail += " (found the earlier request after a restart)"
	}
	n.emit(now, s.Name, evStarted(k), ActorSystem, detail, data)
	if k == patchOp && !found && e.deps.Changes != nil && s.Production {
		// Best effort: a change event helps responders, but its delivery
		// must never hold up the patch it describes.
		if err := e.deps.Changes.Change(ctx, ChangeEvent{
			Summary: fmt.Sprintf("patchgate: patching %s %s (%d hosts)", n.Tenant, s.Env, len(req.Hosts)),
			At:      now, Details: map[string]string{"cycle": n.ID, "tenant": n.Tenant, "stage": s.Name, "tag": req.Tag},
		}); err != nil {
			e.log.Warn("change event not delivered", "cycle", n.ID, "stage", s.Name, "err", err)
		}
	}
	return true, nil
}

// pollOp polls a stored operation; progress is written without moving the
// revision, completion moves the stage on or fails it with the hosts at fault.
func (e *Engine) pollOp(ctx context.Context, n *Cycle, i int, k opKind) (bool, error) {
	s := &n.Stages[i]
	op := s.op(k)
	handle, err := e.opHandle(ctx, op)
	if err != nil {
		return false, err
	}
	var st OpStatus
	if k == backupOp {
		st, err = e.deps.Backups.BackupStatus(ctx, handle)
	} else {
		st, err = e.deps.Patcher.PatchStatus(ctx, handle)
	}
	if err != nil {
		return false, fmt.Errorf("poll %s %s: %w", k, op.label(), err)
	}
	now := e.now() // when the provider answered
	if st.Total > 0 {
		op.Total = st.Total
	}
	op.Succeeded, op.Failed, op.Made = st.Succeeded, st.Failed, st.Made
	s.Errors, s.LastError = 0, ""
	if !st.Done {
		return false, nil
	}
	hosts, err := e.stageHosts(ctx, n, i)
	if err != nil {
		return false, err
	}
	op.Done = true
	n.windowFinished(i, k, now)
	gate := string(k)
	passed := st.Failed == 0 && len(st.Findings) == 0
	// The provider that listed a host is the one that backed it up or
	// patched it (the router sends each host to its own cloud).
	n.gate(i, now, Gate{Name: gate, Passed: passed, Findings: sourceFindingsByHost(st.Findings, hosts),
		Sources: hostSources(hosts), Summary: opSummary(st, op.Total)})
	if !passed {
		n.fail(i, now, fmt.Sprintf("%s failed on %d host(s)", k, max(st.Failed, len(st.Findings))), st.Findings)
		return true, nil
	}
	done := fmt.Sprintf("%s done on %d host(s)", k, st.Succeeded)
	if made := st.Made.String(); made != "" {
		done = fmt.Sprintf("%s done: %s", k, made)
	}
	n.emit(now, s.Name, evDone(k), ActorSystem, done, nil)
	n.advance(i, now)
	return true, nil
}

// opSummary is a finished operation's gate summary: what a backup made by
// kind when the provider counted it, else how many of its items succeeded.
func opSummary(st OpStatus, total int) string {
	made := st.Made.String()
	if made == "" {
		return fmt.Sprintf("%d/%d succeeded, %d failed", st.Succeeded, total, st.Failed)
	}
	return fmt.Sprintf("%s made, %d failed", made, st.Failed)
}

// label names an operation in errors: its handle when that is short, else
// its tag (a blob handle would put megabytes into an error message).
func (o *Op) label() string {
	if o.Handle != "" {
		return o.Handle
	}
	return o.Tag
}

func evStarted(k opKind) string {
	if k == backupOp {
		return EvBackupStarted
	}
	return EvPatchStarted
}

func evDone(k opKind) string {
	if k == backupOp {
		return EvBackupDone
	}
	return EvPatchDone
}

// inlineHandleMax is the largest handle kept in the cycle record itself; a
// larger one (real providers' handles grow with the hosts they name) is
// stored as a blob the record refers to.
const inlineHandleMax = 256

// keepHandle stores handle on op, inline when small and as a blob when not,
// and describes it in data for the audit event: the handle itself, or its
// digest, size and blob key so the chained event vouches for the archived
// payload without carrying it.
func (e *Engine) keepHandle(ctx context.Context, cycle string, op *Op, handle string, data map[string]string) error {
	if len(handle) <= inlineHandleMax || e.cfg.WriteFormat < 2 {
		op.Handle = handle
		data["handle"] = handle
		return nil
	}
	ref, err := putBlob(ctx, e.deps.Store, e.blobOwner(cycle), []byte(handle))
	if err != nil {
		return fmt.Errorf("store handle of %s: %w", op.Tag, err)
	}
	op.HandleBlob = ref
	data["handle_sha256"] = ref.SHA256
	data["handle_bytes"] = fmt.Sprint(ref.Size)
	data["handle_blob"] = ref.Key()
	return nil
}

// opHandle returns op's handle, reading it from its blob when it has one.
func (e *Engine) opHandle(ctx context.Context, op *Op) (string, error) {
	if op.HandleBlob.IsZero() {
		return op.Handle, nil
	}
	b, err := getBlob(ctx, e.deps.Store, op.HandleBlob)
	if err != nil {
		return "", fmt.Errorf("read handle of %s: %w", op.Tag, err)
	}
	return string(b), nil
}
