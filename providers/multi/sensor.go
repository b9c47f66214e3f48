package multi

import (
	"context"

	"github.com/patchgate/patchgate/runbooks"
)

var _ runbooks.SensorInstaller = (*Router)(nil)

// installer is the cloud of a batch (every host of a batch is in one
// cloud), or a refusal naming it.
func (r *Router) installer(req runbooks.SensorInstallRequest) (runbooks.SensorInstaller, error) {
	if len(req.Hosts) == 0 {
		return nil, runbooks.Errorf(runbooks.CodeInvalid, "sensor install batch %s has no hosts", req.Tag)
	}
	name := req.Hosts[0].Cloud
	for _, h := range req.Hosts[1:] {
		if h.Cloud != name {
			return nil, runbooks.Errorf(runbooks.CodeInvalid, "sensor install batch %s mixes %s and %s hosts", req.Tag, name, h.Cloud)
		}
	}
	c, err := r.cloud(name)
	if err != nil {
		return nil, err
	}
	if c.SensorInstaller == nil {
		return nil, runbooks.Errorf(runbooks.CodeBlocked, "sensor deployment is not available for %s hosts: no installer is configured for that cloud (edr.deploy)", name)
	}
	return c.SensorInstaller, nil
}

// FindInstall asks the batch's cloud.
func (r *Router) FindInstall(ctx context.Context, req runbooks.SensorInstallRequest) (runbooks.SensorInstallStatus, bool, error) {
	in, err := r.installer(req)
	if err != nil {
		return runbooks.SensorInstallStatus{}, false, err
	}
	return in.FindInstall(ctx, req)
}

// StartInstall asks the batch's cloud.
func (r *Router) StartInstall(ctx context.Context, req runbooks.SensorInstallRequest) (runbooks.SensorInstallStatus, error) {
	in, err := r.installer(req)
	if err != nil {
		return runbooks.SensorInstallStatus{}, err
	}
	return in.StartInstall(ctx, req)
}

// PollInstall asks the batch's cloud.
func (r *Router) PollInstall(ctx context.Context, req runbooks.SensorInstallRequest, h string) (runbooks.SensorInstallStatus, error) {
	in, err := r.installer(req)
	if err != nil {
		return runbooks.SensorInstallStatus{}, err
	}
	return in.PollInstall(ctx, req, h)
}
