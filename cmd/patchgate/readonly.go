package main

import (
	"context"
	"fmt"

	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/runbooks"
)

// unbuilt stands in, for a command that only reads the store (cycle list
// and show, report), for an integration whose client needs a secret: the
// client is not built, so its secret is not resolved and need not be set.
// Such a command never calls these ports; if one were called, it fails
// naming the integration, and answers nothing.
type unbuilt struct{ section string }

var (
	_ runbooks.Inventory = unbuilt{}
	_ runbooks.Backups   = unbuilt{}
	_ runbooks.Patcher   = unbuilt{}
	_ runbooks.Sensors   = unbuilt{}
	_ runbooks.Health    = unbuilt{}
	_ runbooks.Pager     = unbuilt{}
	_ runbooks.Changes   = unbuilt{}
)

func (u unbuilt) err() error {
	return fmt.Errorf("%s is not built by a read-only command", u.section)
}

func (u unbuilt) Hosts(context.Context, runbooks.Tenant, runbooks.Environment) ([]runbooks.Host, error) {
	return nil, u.err()
}
func (u unbuilt) StartBackup(context.Context, runbooks.OpRequest) (string, error) { return "", u.err() }
func (u unbuilt) FindBackup(context.Context, runbooks.OpRequest) (string, bool, error) {
	return "", false, u.err()
}
func (u unbuilt) BackupStatus(context.Context, string) (runbooks.OpStatus, error) {
	return runbooks.OpStatus{}, u.err()
}
func (u unbuilt) StartPatch(context.Context, runbooks.OpRequest) (string, error) { return "", u.err() }
func (u unbuilt) FindPatch(context.Context, runbooks.OpRequest) (string, bool, error) {
	return "", false, u.err()
}
func (u unbuilt) PatchStatus(context.Context, string) (runbooks.OpStatus, error) {
	return runbooks.OpStatus{}, u.err()
}
func (u unbuilt) VerifyPatch(context.Context, runbooks.OpRequest) ([]runbooks.Finding, error) {
	return nil, u.err()
}
func (u unbuilt) PrePatch(context.Context, []runbooks.Host) ([]runbooks.Finding, error) {
	return nil, u.err()
}
func (u unbuilt) PostPatch(context.Context, []runbooks.Host) ([]runbooks.Finding, error) {
	return nil, u.err()
}
func (u unbuilt) Problems(context.Context, string, string) ([]runbooks.Problem, error) {
	return nil, u.err()
}
func (u unbuilt) Trigger(context.Context, runbooks.Page) error       { return u.err() }
func (u unbuilt) Acknowledge(context.Context, string) error          { return u.err() }
func (u unbuilt) Resolve(context.Context, string) error              { return u.err() }
func (u unbuilt) Change(context.Context, runbooks.ChangeEvent) error { return u.err() }

// unbuiltIntegrations are the ports of the configured Dynatrace, PagerDuty
// and Falcon sections for a read-only command: present (the engine's
// gates need a port) but not built.
func unbuiltIntegrations(cfg *config.Config) integrationPorts {
	var p integrationPorts
	if cfg.Providers.Dynatrace.Enabled() {
		p.Health = unbuilt{"providers.dynatrace"}
	}
	if cfg.Providers.PagerDuty.Enabled() {
		u := unbuilt{"providers.pagerduty"}
		p.Pager, p.Changes = u, u
	}
	if cfg.Providers.Falcon.Enabled() {
		p.Sensors = unbuilt{"providers.falcon"}
	}
	if cfg.ChangeRecords.Enabled() {
		p.ChangeRecords = unbuiltChanges{unbuilt{"change_records"}, cfg.ChangeRecords.Platform}
	}
	return p
}
