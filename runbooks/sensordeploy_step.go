package runbooks

import (
	"context"
	"fmt"
	"time"

	"github.com/patchgate/patchgate/state"
)

// sensorDeployKind plugs sensor deployments into the engine (kinds.go).
type sensorDeployKind struct{ e *Engine }

func (sensorDeployKind) name() string        { return "sensor-deploy" }
func (sensorDeployKind) owns(id string) bool { return IsSensorDeployID(id) }
func (k sensorDeployKind) decide(ctx context.Context, d Decision) (Outcome, error) {
	return k.e.decideSensorDeploy(ctx, d)
}

func (k sensorDeployKind) due(ctx context.Context, now time.Time) ([]string, error) {
	ds, err := k.e.sensorDeploys().list(ctx, false)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, d := range ds {
		if NextSensorDeploy(d, now).NeedsIO() {
			ids = append(ids, d.ID)
		}
	}
	return ids, nil
}

// SensorDeployChat shows a deployment to people: one message per
// deployment, updated in place, events in its thread. A Chat that
// implements it gets deployments; delivery is at least once, keyed by
// (deployment, event Seq).
type SensorDeployChat interface {
	SensorDeployChanged(ctx context.Context, d *SensorDeploy, events []Event) error
}

// sensorDeployChat is the chat delivery of d's events, nil without one.
func (e *Engine) sensorDeployChat(d *SensorDeploy) func(context.Context, []Event) error {
	sc, ok := e.deps.Chat.(SensorDeployChat)
	if !ok {
		return nil
	}
	return func(ctx context.Context, evs []Event) error { return sc.SensorDeployChanged(ctx, d, evs) }
}

// step runs one action of a leased deployment (see stepKind).
func (k sensorDeployKind) step(ctx context.Context, lease *state.Lease, id string) (bool, bool, error) {
	return stepKind(ctx, k.e, lease, id, k.e.sensorDeploySteps())
}

func (e *Engine) actSensorDeploy(ctx context.Context, n *SensorDeploy, a Action) (bool, error) {
	switch a.Kind {
	case ActInstallStart:
		return e.startInstall(ctx, n, a.Stage)
	case ActInstallPoll:
		return e.pollInstall(ctx, n, a.Stage)
	case ActInstallsDone:
		return e.installsDone(n), nil
	case ActDeployValidate:
		return e.validateDeploy(ctx, n)
	case ActPage, ActResolve:
		return e.sensorDeployIncident(ctx, n, a)
	}
	return false, fmt.Errorf("sensor deployment %s: no executor for action %s", n.ID, a)
}

// sensorDeployError counts a failed provider call; MaxErrors in a row (or
// a blocked verdict) fail the deployment. It reports whether it moved.
func (e *Engine) sensorDeployError(n *SensorDeploy, a Action, err error) bool {
	if a.Kind == ActPage || a.Kind == ActResolve {
		n.Incident.LastError = err.Error()
		e.log.Warn("pager call failed", "deploy", n.ID, "err", err)
		return false
	}
	if ErrorCode(err) == CodePending {
		return false
	}
	n.Errors++
	n.LastError = err.Error()
	e.log.Warn("provider call failed", "deploy", n.ID, "action", string(a.Kind), "attempt", n.Errors, "err", err)
	if n.Errors < e.cfg.MaxErrors && ErrorCode(err) != CodeBlocked {
		return false
	}
	var fs []Finding
	if a.Stage >= 0 {
		for _, id := range n.Batches[a.Stage].Hosts {
			h := n.host(id)
			fs = append(fs, Finding{HostID: id, HostName: h.Host.Name, Reason: err.Error()})
		}
	}
	n.fail(e.now(), fmt.Sprintf("%s failed %d times: %v", a.Kind, n.Errors, err), fs)
	return true
}

// fail stops the deployment where it stands; a person retries or rejects.
func (d *SensorDeploy) fail(now time.Time, reason string, findings []Finding) {
	phase := Phase(d.Status)
	d.Failure = &Failure{Phase: phase, At: now, Reason: reason, Findings: findings}
	d.Status = DeployFailed
	d.note(now, "", EvDeployFailed, ActorSystem, reason, map[string]string{"phase": string(phase), "hosts": hostList(findings, 20)})
}

func (e *Engine) installRequest(n *SensorDeploy, i int) SensorInstallRequest {
	b := n.Batches[i]
	req := SensorInstallRequest{Tag: fmt.Sprintf("%s/b%d/a%d", n.ID, i, n.Attempt), Deploy: n.ID, Tenant: n.Tenant, Env: n.Env}
	if b.Tag != "" {
		req.Tag = b.Tag
	}
	for _, id := range b.Hosts {
		req.Hosts = append(req.Hosts, n.host(id).Host)
	}
	return req
}

// startInstall finds this attempt's command for batch i if an interrupted
// step sent it, and only otherwise sends it; the handle is stored before
// any poll, so each batch is sent exactly once per attempt.
func (e *Engine) startInstall(ctx context.Context, n *SensorDeploy, i int) (bool, error) {
	req := e.installRequest(n, i)
	st, found, err := e.deps.SensorInstaller.FindInstall(ctx, req)
	if err == nil && !found {
		st, err = e.deps.SensorInstaller.StartInstall(ctx, req)
	}
	if err != nil {
		return false, fmt.Errorf("install the sensor on batch %d (%d host(s), %s): %w", i+1, len(req.Hosts), req.Tag, err)
	}
	if st.Handle == "" {
		return false, fmt.Errorf("install the sensor on batch %d (%s): the installer returned no handle", i+1, req.Tag)
	}
	now := e.now()
	b := &n.Batches[i]
	b.Tag, b.Handle, b.Started, b.Source = req.Tag, st.Handle, now, st.Source
	n.Errors, n.LastError = 0, ""
	detail := fmt.Sprintf("batch %d/%d sent to %d host(s) through %s", i+1, len(n.Batches), len(req.Hosts), orDefault(st.Source, "the installer"))
	if found {
		detail += " (found the earlier command by its tag after a restart)"
	}
	n.note(now, "", EvDeployBatchSent, ActorSystem, detail, map[string]string{"tag": b.Tag, "handle": b.Handle,
		"hosts": hostNames(req.Hosts), "source": st.Source})
	return true, e.recordInstall(n, i, st, now)
}

// pollInstall polls batch i and records the hosts that finished.
func (e *Engine) pollInstall(ctx context.Context, n *SensorDeploy, i int) (bool, error) {
	req := e.installRequest(n, i)
	b := n.Batches[i]
	st, err := e.deps.SensorInstaller.PollInstall(ctx, req, b.Handle)
	if err != nil {
		return false, fmt.Errorf("poll the sensor install of batch %d (%s): %w", i+1, b.Tag, err)
	}
	n.Errors, n.LastError = 0, ""
	rev := n.Revision
	if err := e.recordInstall(n, i, st, e.now()); err != nil {
		return false, err
	}
	return n.Revision != rev, nil
}

// recordInstall keeps each finished host's outcome and closes the batch
// when the installer says it is done.
func (e *Engine) recordInstall(n *SensorDeploy, i int, st SensorInstallStatus, now time.Time) error {
	b := &n.Batches[i]
	for _, r := range st.Hosts {
		h := n.host(r.HostID)
		if h == nil || h.Batch != i || h.Result != "" {
			continue
		}
		h.Result, h.Detail = "ok", r.Detail
		if !r.OK {
			h.Result = "failed"
			b.Failed++
		}
	}
	if !st.Done || b.Done {
		return nil
	}
	b.Done, b.At = true, now
	var failed []string
	for _, id := range b.Hosts {
		if h := n.host(id); h.Result != "ok" {
			if h.Result == "" {
				h.Result, h.Detail = "failed", "the installer reported no outcome for this host"
				b.Failed++
			}
			failed = append(failed, hostLabel(h.Host)+": "+h.Detail)
		}
	}
	detail := fmt.Sprintf("batch %d/%d finished: %d of %d host(s) installed (source: %s)", i+1, len(n.Batches), len(b.Hosts)-b.Failed, len(b.Hosts), orDefault(b.Source, "installer"))
	data := map[string]string{"tag": b.Tag, "handle": b.Handle, "source": b.Source}
	if len(failed) > 0 {
		data["failed"] = fmt.Sprint(failed)
	}
	n.note(now, "", EvDeployBatchDone, ActorSystem, detail, data)
	return nil
}

// installsDone moves to validation, or fails with each host the
// installer failed on and the agent's reason.
func (e *Engine) installsDone(n *SensorDeploy) bool {
	now := e.now()
	var fs []Finding
	for _, h := range n.Hosts {
		if h.Result == "failed" {
			fs = append(fs, Finding{HostID: h.Host.ID, HostName: h.Host.Name, Reason: "install failed: " + h.Detail, Source: n.Batches[h.Batch].Source})
		}
	}
	if len(fs) > 0 {
		n.fail(now, fmt.Sprintf("the installer failed on %d of %d host(s)", len(fs), len(n.Hosts)), fs)
		return true
	}
	set := e.cfg.SensorDeploy.withDefaults()
	n.Status, n.Installed = DeployValidating, now
	n.ValidateAfter, n.ValidateBy = now, now.Add(set.RegisterWait)
	n.note(now, "", EvDeployInstalled, ActorSystem, fmt.Sprintf("the sensor is installed on %d host(s); validating registration and policies (up to %s)", len(n.Hosts), set.RegisterWait), nil)
	return true
}

// validateDeploy asks the EDR console about the deployed hosts; while
// sensors may still be registering it looks again later, and once
// RegisterWait passed it fails with every check each host failed and its
// fix.
func (e *Engine) validateDeploy(ctx context.Context, n *SensorDeploy) (bool, error) {
	hosts := make([]Host, len(n.Hosts))
	for i, h := range n.Hosts {
		hosts[i] = h.Host
	}
	failed, sources, err := e.deps.SensorFleet.ValidateSensors(ctx, n.Tenant, n.Env, hosts)
	if err != nil {
		return false, fmt.Errorf("validate the sensors of %d host(s): %w", len(hosts), err)
	}
	now := e.now()
	n.Errors, n.LastError = 0, ""
	n.Validation, n.ValidatedBy = failed, sources
	src := fmt.Sprint(sources)
	if len(failed) == 0 {
		n.Status, n.Ended = DeployCompleted, now
		n.note(now, "", EvDeployValidation, ActorSystem, fmt.Sprintf("all %d host(s) pass validation (source: %s)", len(hosts), src),
			map[string]string{"sources": src})
		n.note(now, "", EvDeployCompleted, ActorSystem, fmt.Sprintf("sensor deployed and validated on %d host(s) of %s/%s", len(hosts), n.Tenant, n.Env), nil)
		return true, nil
	}
	if now.Before(n.ValidateBy) {
		n.ValidateAfter = now.Add(e.cfg.SensorDeploy.withDefaults().ValidateEvery)
		return false, nil
	}
	fs := make([]Finding, len(failed))
	for i, f := range failed {
		fs[i] = Finding{HostID: f.HostID, HostName: f.HostName, Source: src,
			Reason: fmt.Sprintf("%s: %s, want %s — fix: %s", f.Check, f.Got, f.Want, f.Fix)}
	}
	n.note(now, "", EvDeployValidation, ActorSystem, fmt.Sprintf("%d failed check(s) after waiting %s (source: %s)", len(failed), now.Sub(n.Installed).Round(time.Second), src),
		map[string]string{"sources": src, "failures": hostList(fs, 50)})
	n.fail(now, fmt.Sprintf("validation failed: %d check(s) on the deployed hosts", len(failed)), fs)
	return true, nil
}

func hostNames(hs []Host) string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = hostLabel(h)
	}
	return fmt.Sprint(out)
}

// sensorDeploySteps is what sensor deployment brings to stepKind.
func (e *Engine) sensorDeploySteps() kindSteps[SensorDeploy, *SensorDeploy] {
	store := e.sensorDeploys()
	return kindSteps[SensorDeploy, *SensorDeploy]{
		store: store,
		next:  func(_ context.Context, d *SensorDeploy) (Action, error) { return NextSensorDeploy(d, e.now()), nil },
		clone: (*SensorDeploy).Clone, act: e.actSensorDeploy, failed: e.sensorDeployError,
		changed: func(a, b *SensorDeploy) bool {
			return a.Errors != b.Errors || !a.ValidateAfter.Equal(b.ValidateAfter) || a.Incident != b.Incident
		},
		deliver: func(ctx context.Context, n *SensorDeploy) (delivered, error) {
			return store.deliver(ctx, n, e.sensorDeployChat(n))
		},
		archive: func(ctx context.Context, d *SensorDeploy) error {
			if err := store.archive(ctx, d); err != nil {
				return err
			}
			e.log.Info("sensor deployment archived", "deploy", d.ID, "status", string(d.Status))
			return nil
		},
		holds: true,
	}
}
