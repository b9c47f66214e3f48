package test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	awsprovider "github.com/patchgate/patchgate/providers/aws"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/reports"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/test/fakes"
)

// fixedTargets is an EDR console that names two AWS hosts without a
// sensor; validation is never reached in these tests.
type fixedTargets struct{ hosts []runbooks.Host }

func (f fixedTargets) SensorTargets(context.Context, runbooks.Tenant, runbooks.Environment) ([]runbooks.SensorTarget, error) {
	var out []runbooks.SensorTarget
	for _, h := range f.hosts {
		out = append(out, runbooks.SensorTarget{Host: h, Action: runbooks.SensorInstall, Why: "no Falcon sensor registered for this host (source: falcon)"})
	}
	return out, nil
}

func (fixedTargets) ValidateSensors(context.Context, string, string, []runbooks.Host) ([]runbooks.SensorCheck, []string, error) {
	return nil, []string{runbooks.SourceFalcon}, nil
}

// TestSensorDeploySSMHostilePeerFailsWithinStepBudget: with SSM a black
// hole (connections held, never answered) or a proxy answering an HTML
// 500, each install step of an approved deployment ends inside
// engine.step_timeout as a counted failed attempt naming the SSM call;
// after max_errors the deployment fails and pages, and its batch is never
// marked sent (no handle), so a retry sends it rather than polling a
// command that does not exist.
func TestSensorDeploySSMHostilePeerFailsWithinStepBudget(t *testing.T) {
	for _, kind := range []string{"black-hole", "html-500"} {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			peer := blackHole(t, "http")
			if kind == "html-500" {
				peer = html500(t, false)
			}
			eps := map[string]string{}
			for _, s := range []string{"ec2", "ssm", "sts"} {
				eps[s] = peer.URL
			}
			p, err := awsprovider.New(ctx, awsprovider.Config{Region: "eu-west-1", Endpoints: eps,
				Credentials: credentials.NewStaticCredentialsProvider("AKFAKEBOT", "secret", ""),
				StepTimeout: budgetStep, MaxAttempts: 3, Log: quiet,
				Sensor: awsprovider.SensorInstall{Document: "Patchgate-FalconInstall", CIDParameter: "/patchgate/falcon/cid"}})
			if err != nil {
				t.Fatal(err)
			}
			tn := gateTenant()
			h := newHarness(t, backends()[0].open(t), sim.Config{Seed: gateSeed, Tenants: []runbooks.Tenant{tn}, HostsPerTarget: 1}, 0)
			targets := fixedTargets{hosts: []runbooks.Host{
				{ID: "i-0aaaaaaaaaaaaaaa1", Name: "web-1", Cloud: runbooks.AWS, Account: "123456789012", Region: "eu-west-1", Env: "nonprod"},
				{ID: "i-0aaaaaaaaaaaaaaa2", Name: "web-2", Cloud: runbooks.AWS, Account: "123456789012", Region: "eu-west-1", Env: "nonprod"}}}
			e, err := runbooks.New(runbooks.Config{Replica: "hostile", Workers: 2, LeaseTTL: 30 * time.Second,
				StepTimeout: budgetStep, MaxErrors: budgetMaxErrors},
				runbooks.Deps{Store: h.store, Clock: h.clock, Inventory: h.fleet, Sensors: h.fleet, Backups: h.fleet, Patcher: h.fleet,
					Health: h.fleet, Pager: h.fleet, Directory: h.fleet, Chat: fakes.NewChat(), Log: quiet,
					Reporter: &reports.Dir{Path: t.TempDir(), Now: h.clock.Now}, SensorInstaller: p, SensorFleet: targets},
				[]runbooks.Tenant{tn}, testPipeline())
			if err != nil {
				t.Fatal(err)
			}
			d, err := e.RequestSensorDeploy(ctx, runbooks.SensorDeployRequest{Tenant: tn.Name, Env: "nonprod", Requester: requester})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.Decide(ctx, runbooks.Decision{Cycle: d.ID, Action: runbooks.Approve, Actor: alice, SeenRevision: d.Revision, InteractionID: "approve"}); err != nil {
				t.Fatal(err)
			}
			failing := 0
			for range budgetMaxErrors + 3 {
				if err := e.Tick(ctx); err != nil {
					t.Fatalf("tick: %v", err)
				}
				cur, err := e.GetSensorDeploy(ctx, d.ID)
				if err != nil {
					t.Fatal(err)
				}
				if cur.Batches[0].Sent() {
					t.Fatalf("batch marked sent with handle %q while SSM never answered", cur.Batches[0].Handle)
				}
				if cur.Status == runbooks.DeployFailed {
					d = cur
					break
				}
				if cur.Errors > 0 {
					failing = cur.Errors
				}
				h.clock.Advance(time.Minute)
			}
			if d.Status != runbooks.DeployFailed || d.Failure == nil {
				t.Fatalf("deployment %s after %d failing ticks, want failed", d.Status, failing)
			}
			if failing != budgetMaxErrors-1 {
				t.Errorf("failed after %d counted attempts before the last, want max_errors-1 = %d", failing, budgetMaxErrors-1)
			}
			if !strings.Contains(d.Failure.Reason, "ssm") || !strings.Contains(d.Failure.Reason, "ListCommands") {
				t.Errorf("failure %q: want it to name SSM ListCommands (the find before a send)", d.Failure.Reason)
			}
			if peer.conns.Load() == 0 {
				t.Errorf("the %s was never called", kind)
			}
			e.Tick(ctx) // pages, if the failing tick did not
			if inc := h.fleet.Stats().Incidents["patchgate/"+d.ID]; inc.Opened != 1 {
				t.Errorf("incident %+v, want one page", inc)
			}
		})
	}
}
