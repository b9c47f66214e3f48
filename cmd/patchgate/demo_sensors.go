package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
)

// The sensor episode's hosts: three of bayview-cu's nonprod hosts stand for
// machines that joined after the cycles without a Falcon sensor.
const (
	demoSensorTenant = "bayview-cu"
	demoSensorEnv    = "nonprod"
)

// sensors plays the EDR episode: three hosts lose their sensor,
// `/patch sensors` shows the gap, rita asks for a deployment (to the hosts
// the coverage lists), sam approves it on its message, the simulated agents
// install the sensor, the deployment validates the registration, and the
// coverage shows every host covered again.
func (p *slackPeople) sensors(ctx context.Context) error {
	hosts, err := p.a.fleet.Peek(demoSensorTenant + "/" + demoSensorEnv)
	if err != nil {
		return err
	}
	if len(hosts) < 3 {
		return fmt.Errorf("demo story: %s/%s has %d hosts, want 3 for the sensor episode", demoSensorTenant, demoSensorEnv, len(hosts))
	}
	var names []string
	for _, h := range hosts[:3] {
		if err := p.a.fleet.SetHostFault(h.Name, sim.FaultNoSensor); err != nil {
			return err
		}
		names = append(names, h.Name)
	}
	p.say("three %s %s hosts are rebuilt from a new image without the Falcon sensor: %s", demoSensorTenant, demoSensorEnv, strings.Join(names, ", "))
	if err := p.command(ctx, demoSRE, "/patch sensors "+demoSensorTenant); err != nil {
		return err
	}
	if err := p.command(ctx, demoRequester, fmt.Sprintf("/patch sensors deploy %s %s", demoSensorTenant, demoSensorEnv)); err != nil {
		return err
	}
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		open, err := p.a.engine.SensorDeploys(ctx, false)
		if err != nil {
			return err
		}
		if len(open) == 0 && p.threadSays(demoSensorTenant, "SD-", "🎉") {
			return p.command(ctx, demoSRE, "/patch sensors "+demoSensorTenant)
		}
		for _, d := range open {
			if d.Status == runbooks.DeployAwaitingApproval && !p.seen[d.ID] {
				view := &runbooks.Cycle{ID: d.ID, Tenant: d.Tenant, Revision: d.Revision}
				ok, err := p.click(ctx, view, demoSRE, "sensors", runbooks.Approve)
				if err != nil {
					return err
				}
				p.seen[d.ID] = ok
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("demo story: the sensor deployment did not finish in 5 minutes")
}

// demoSensorsYAML: deployments go two hosts a batch and wait up to two
// minutes for a sensor to register.
func demoSensorsYAML(string) string {
	return "edr:\n  deploy: {batch_size: 2, concurrency: 2, register_wait: 2m}\n" + demoPreventionYAML()
}

// threadSays reports whether the thread of the tenant's root message whose
// blocks name idPrefix holds a reply containing marker: the story moves on
// once the bot has told the channel what happened.
func (p *slackPeople) threadSays(tenant, idPrefix, marker string) bool {
	for _, m := range p.sb.Messages(demoChannel) {
		if !strings.Contains(string(m.Blocks), idPrefix+tenant+"-") {
			continue
		}
		for _, r := range m.Replies {
			if strings.Contains(r.Text, marker) || strings.Contains(string(r.Blocks), marker) {
				return true
			}
		}
	}
	return false
}
