package runbooks

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// SensorDeployRequest asks to install or upgrade the EDR sensor on hosts
// of one environment of a tenant. No hosts means every host coverage finds
// without a current sensor (missing, outdated, in RFM).
type SensorDeployRequest struct {
	Tenant    string
	Env       string
	Hosts     []string // IDs or names
	Requester string
	Reason    string
}

// sensorDeploys is the store of sensor deployment records.
func (e *Engine) sensorDeploys() kindStore[SensorDeploy, *SensorDeploy] {
	return kindStore[SensorDeploy, *SensorDeploy]{e: e, kind: "sensor-deploy"}
}

// RequestSensorDeploy opens a deployment awaiting the environment's
// approvers. Slack (/patch sensors deploy) and the CLI (patchgate sensors
// deploy) both call it. Refusals are coded and audited on the tenant's
// start-refusal stream.
func (e *Engine) RequestSensorDeploy(ctx context.Context, req SensorDeployRequest) (*SensorDeploy, error) {
	if req.Requester == "" || req.Tenant == "" || req.Env == "" {
		return nil, Errorf(CodeInvalid, "a sensor deployment needs a tenant, an environment and a requester")
	}
	if e.deps.SensorInstaller == nil || e.deps.SensorFleet == nil {
		return nil, Errorf(CodeUnavailable, "sensor deployment is not configured: it needs the edr.deploy section and a sensor source (providers.falcon or the simulation)")
	}
	if _, ok := e.tenants[req.Tenant]; !ok {
		return nil, Errorf(CodeNotFound, "Unknown tenant %q.", req.Tenant)
	}
	who := e.person(ctx, req.Requester)
	d, err := e.planSensorDeploy(ctx, req, who)
	if err != nil {
		if code := ErrorCode(err); code != CodeInternal && code != CodeUnavailable {
			e.auditDeployRefusal(ctx, req, who, err)
		}
		return nil, err
	}
	store := e.sensorDeploys()
	if err := store.create(ctx, d); err != nil {
		return nil, storeErr("create sensor deployment "+d.ID, err)
	}
	if _, err := store.deliver(ctx, d, e.sensorDeployChat(d)); err != nil {
		e.log.Warn("deliver sensor deployment events", "deploy", d.ID, "err", err)
	}
	e.log.Info("sensor deployment requested", "deploy", d.ID, "tenant", d.Tenant, "env", d.Env,
		"hosts", len(d.Hosts), "requester", req.Requester)
	return d, nil
}

// planSensorDeploy checks the request against policy and coverage and
// lays out the record with its batches.
func (e *Engine) planSensorDeploy(ctx context.Context, req SensorDeployRequest, who Person) (*SensorDeploy, error) {
	t := e.tenants[req.Tenant]
	env, hasEnv := t.Env(req.Env)
	spec, hasSpec := e.pipeline.Spec(req.Env)
	if !hasEnv || !hasSpec {
		return nil, Errorf(CodeNotFound, "Tenant %s has no environment %q.", t.Name, req.Env)
	}
	if ok, err := e.mayRequestRollback(ctx, req.Requester); err != nil {
		return nil, fmt.Errorf("check who may deploy sensors: %w", joinUnavailable(err))
	} else if !ok {
		return nil, Errorf(CodeForbidden, "You may not request sensor deployments: you are neither an approver nor a configured requester.")
	}
	targets, err := e.deployTargets(ctx, t, env, req.Hosts)
	if err != nil {
		return nil, err
	}
	set := e.cfg.SensorDeploy.withDefaults()
	now := e.now()
	d := &SensorDeploy{
		ID:     fmt.Sprintf("%s%s-%s-%s", sensorDeployIDPrefix, t.Name, now.Format("20060102-1504"), randHex(3)),
		Tenant: t.Name, Env: req.Env, Requester: req.Requester, RequestedBy: &who, Reason: req.Reason,
		Created: now, Status: DeployAwaitingApproval,
		MinApprovals: max(spec.MinApprovals, 1), FourEyes: spec.FourEyes, Production: spec.Production,
		Concurrency: set.Concurrency,
	}
	for _, tg := range targets {
		d.Hosts = append(d.Hosts, DeployHost{Host: tg.Host, Action: tg.Action, Why: tg.Why})
	}
	d.Batches = planBatches(d.Hosts, set.BatchSize)
	for bi, b := range d.Batches {
		for _, id := range b.Hosts {
			d.host(id).Batch = bi
		}
	}
	lines := make([]string, len(d.Hosts))
	for i, h := range d.Hosts {
		lines[i] = fmt.Sprintf("%s (%s): %s — %s", hostLabel(h.Host), h.Host.Cloud, h.Action, orDefault(h.Why, "named by the requester"))
	}
	d.noteBy(now, EvDeployRequested, who, fmt.Sprintf("sensor deployment to %d host(s) in %s requested in %d batch(es), %d at a time: %s",
		len(d.Hosts), req.Env, len(d.Batches), d.Concurrency, orDefault(req.Reason, "no reason given")),
		map[string]string{"env": req.Env, "hosts": strings.Join(lines, "\n"),
			"min_approvals": fmt.Sprint(d.MinApprovals), "four_eyes": fmt.Sprint(d.FourEyes), "production": fmt.Sprint(d.Production)})
	return d, nil
}

func joinUnavailable(err error) error {
	return errors.Join(Errorf(CodeUnavailable, "Could not check the approver list; nothing was changed. Try again."), err)
}

// deployTargets are the hosts to deploy to: the named ones (looked up in
// the environment's inventory), or every host coverage finds without a
// current sensor.
func (e *Engine) deployTargets(ctx context.Context, t Tenant, env Environment, names []string) ([]SensorTarget, error) {
	gaps, err := e.deps.SensorFleet.SensorTargets(ctx, t, env)
	if err != nil {
		return nil, fmt.Errorf("read the sensor coverage of %s/%s: %w", t.Name, env.Name, err)
	}
	if len(names) == 0 {
		if len(gaps) == 0 {
			return nil, Errorf(CodeConflict, "Every host of %s/%s already has a current sensor; name hosts to reinstall.", t.Name, env.Name)
		}
		return gaps, nil
	}
	hosts, err := e.deps.Inventory.Hosts(ctx, t, env)
	if err != nil {
		return nil, fmt.Errorf("list hosts of %s/%s: %w", t.Name, env.Name, err)
	}
	var out []SensorTarget
	var missing []string
	seen := map[string]bool{}
	for _, name := range names {
		var found *Host
		for k := range hosts {
			if hosts[k].ID == name || hosts[k].Name == name {
				found = &hosts[k]
				break
			}
		}
		switch {
		case found == nil:
			missing = append(missing, name)
		case !seen[found.ID]:
			seen[found.ID] = true
			tg := SensorTarget{Host: *found, Action: SensorInstall, Why: "named by the requester; coverage finds its sensor current"}
			for _, g := range gaps {
				if g.Host.ID == found.ID {
					tg = g
				}
			}
			out = append(out, tg)
		}
	}
	if len(missing) > 0 {
		return nil, Errorf(CodeNotFound, "%s/%s has no host %s; nothing was requested.", t.Name, env.Name, strings.Join(missing, ", "))
	}
	return out, nil
}

// planBatches groups hosts by cloud (one command runs in one cloud) in
// batches of at most size, sorted by host ID so a plan is reproducible.
func planBatches(hosts []DeployHost, size int) []DeployBatch {
	byCloud := map[Cloud][]string{}
	var clouds []Cloud
	for _, h := range hosts {
		if _, ok := byCloud[h.Host.Cloud]; !ok {
			clouds = append(clouds, h.Host.Cloud)
		}
		byCloud[h.Host.Cloud] = append(byCloud[h.Host.Cloud], h.Host.ID)
	}
	sort.Slice(clouds, func(i, j int) bool { return clouds[i] < clouds[j] })
	var out []DeployBatch
	for _, c := range clouds {
		ids := byCloud[c]
		sort.Strings(ids)
		for len(ids) > 0 {
			n := min(size, len(ids))
			out = append(out, DeployBatch{Cloud: c, Hosts: ids[:n:n]})
			ids = ids[n:]
		}
	}
	return out
}

// auditDeployRefusal chains a refused deployment request on the tenant's
// start-refusal stream (no deployment exists to carry it).
func (e *Engine) auditDeployRefusal(ctx context.Context, req SensorDeployRequest, who Person, reason error) {
	ev := Event{At: e.now(), Tenant: req.Tenant, Type: EvDeployRefused, Actor: who.ID, Person: &who,
		Detail: ErrorMessage(reason), Data: map[string]string{"action": "sensor-deploy", "code": ErrorCode(reason),
			"env": req.Env, "hosts": strings.Join(req.Hosts, ",")}}
	if err := e.appendStanding(ctx, StartRefusalStream(req.Tenant), ev, true); err != nil {
		e.log.Error("audit sensor deployment refusal", "tenant", req.Tenant, "requester", who.ID, "err", err)
	}
	e.log.Warn("sensor deployment refused", "tenant", req.Tenant, "requester", who.ID, "code", ErrorCode(reason))
}
